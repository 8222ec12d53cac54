"""The layering of STYLE.md §5, enforced: who may import Streamlit, SQLAlchemy and quickbooks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(*dirs: str) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        out.extend(p for p in (ROOT / d).rglob("*.py"))
    return out


RULES = [
    ("streamlit", {"app.py", "app_pages", "components"}),
    ("sqlalchemy", {"services/storage"}),
    ("quickbooks", {"services/qbo"}),
    ("intuitlib", {"services/qbo"}),
]


@pytest.mark.parametrize(("module", "allowed"), RULES)
def test_layers__only_allowed_places_import(module: str, allowed: set[str]) -> None:
    offenders = []
    for path in [*_files("services", "qbo_sandbox", "app_pages", "components"), ROOT / "app.py"]:
        rel = path.relative_to(ROOT).as_posix()
        if any(rel == a or rel.startswith(a + "/") for a in allowed):
            continue
        if module in _imports(path):
            offenders.append(rel)
    assert offenders == [], f"{module} imported outside {sorted(allowed)}: {offenders}"


def test_layers__the_rule_sees_an_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import streamlit as st\nfrom sqlalchemy import select\n")
    assert {"streamlit", "sqlalchemy"} <= _imports(probe)
