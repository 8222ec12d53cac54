"""The ``parse`` command (DESIGN §9) through ``services.cli.main``: JSON, text and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DESIGN_KEYS = {"format", "settlement_id", "currency", "start", "end", "deposit_date", "total", "lines_total", "rows",
               "orders", "refunds", "skus", "by_category"}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    status = main(["parse", "--json", *args])
    return status, json.loads(capsys.readouterr().out)


def _golden(case: str) -> dict:  # type: ignore[type-arg]
    return json.loads((FIXTURES / f"{case}.golden.json").read_text(encoding="utf-8"))["settlements"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("case", "files"), [
    ("amazon_v2_us", ["amazon_v2_us.txt"]),
    ("amazon_v1_ca", ["amazon_v1_ca.txt"]),
    ("walmart_recon", ["walmart_recon.csv"]),
    ("shopify", ["shopify_orders.csv", "shopify_payouts.csv"]),  # order of upload does not matter
])
def test_cli_parse__prints_the_design_summary(capsys: pytest.CaptureFixture[str], case: str, files: list[str]) -> None:
    status, out = _run(capsys, *(str(FIXTURES / f) for f in files))
    assert status == 0 and out["status"] == "ok"
    assert set(out) >= DESIGN_KEYS
    golden = _golden(case)
    assert {k: out[k] for k in DESIGN_KEYS} == {k: golden[k] for k in DESIGN_KEYS}
    assert isinstance(out["total"], str) and out["total"].count(".") == 1 and len(out["total"].split(".")[1]) == 2
    assert len(out["settlements"]) == 1


def test_cli_parse__mismatch_is_bad_input_with_both_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "off.txt"
    bad.write_bytes((FIXTURES / "amazon_v2_us.txt").read_bytes().replace(b"\t731.70\t", b"\t700.00\t", 1))
    status, out = _run(capsys, str(bad))
    assert status == 2 and out["status"] == "error"
    assert "off.txt, row 2" in out["error"] and "731.70" in out["error"] and "700.00" in out["error"]
    assert out["settlement_id"] == "24288931001"  # the summary is still shown, to help find the problem


def test_cli_parse__unreadable_and_unknown_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out = _run(capsys, str(tmp_path / "missing.txt"))
    assert status == 2 and "missing.txt" in out["error"] and "cannot read" in out["error"]
    other = tmp_path / "bank.csv"
    other.write_text("Date,Description,Amount\n2026-03-01,Coffee,-3.50\n")
    status, out = _run(capsys, str(other))
    assert status == 2 and out["settlements"] == [] and "bank.csv" in out["error"]


def test_cli_parse__several_settlements(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, str(FIXTURES / "amazon_v2_us.txt"), str(FIXTURES / "ebay_transactions.csv"))
    assert status == 0
    assert [s["settlement_id"] for s in out["settlements"]] == ["24288931001", "ebay-20260302-20260310"]
    assert "settlement_id" not in out


def test_cli_parse__text_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(FIXTURES / "amazon_v1_ca.txt")]) == 0
    text = capsys.readouterr().out
    assert "amazon_v1 settlement 23874400001" in text and "total -35.91 CAD" in text
    assert "TEA-TIN-GRN 3/-1" in text
