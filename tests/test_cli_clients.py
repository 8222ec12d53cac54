"""The command-line twin's client and integration commands, against the local sandbox."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from services.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _run(db_url: str, *args: str) -> tuple[int, dict[str, Any]]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--db", db_url, *args, "--json"])
    return code, json.loads(buffer.getvalue())


def test_cli__client_integration_and_sensible_defaults(db_url: str, sandbox: Any, qb_client: Any) -> None:
    from quickbooks.objects.account import Account

    code, out = _run(db_url, "clients", "add", "Acme", "--sandbox-url", sandbox.url)
    assert code == 0 and out["client"]["realm"] == sandbox.realm
    assert out["client"]["company_name"] == "Demo Company"
    code, out = _run(db_url, "integrations", "add", "Acme", "Amazon US", "--channel", "amazon")
    assert code == 0 and out["integration"]["inventory_tracking"] is False

    code, out = _run(db_url, "integrations", "defaults", "Acme", "Amazon US")
    assert code == 0, out
    assert "Amazon US Clearing" in out["created"]
    found = Account.filter(Name="Amazon US Clearing", qb=qb_client)
    assert len(found) == 1 and found[0].AccountType == "Bank"

    code, again = _run(db_url, "integrations", "defaults", "Acme", "Amazon US")
    assert code == 0 and again["created"] == []  # reused, never duplicated
    assert len(Account.filter(Name="Amazon US Clearing", qb=qb_client)) == 1

    code, out = _run(db_url, "integrations", "set", "Acme", "Amazon US", "--inventory-tracking", "on")
    assert code == 0 and out["integration"]["inventory_tracking"] is True


def test_cli__unknown_client_is_bad_input(db_url: str) -> None:
    code, out = _run(db_url, "integrations", "add", "Nobody", "Shop", "--channel", "shopify")
    assert code == 2 and "Nobody" in out["error"]


def test_cli__a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    done = subprocess.run(f"{sys.executable} -m services --db {db} --help | head -c 10", shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("usage:")
    for i in range(3):
        subprocess.run([sys.executable, "-m", "services", "--db", db, "clients", "add", f"Client {i}", "--oauth"],
                       cwd=ROOT, capture_output=True, timeout=60, check=True)
    done = subprocess.run(f"{sys.executable} -m services --db {db} clients list | head -c 3", shell=True,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout == "Cli"
    assert "Traceback" not in done.stderr


def test_cli__adding_with_tracking_on_checks_quickbooks_first(db_url: str, sandbox: Any, qb_client: Any) -> None:
    from quickbooks.objects.preferences import Preferences

    prefs = Preferences.get(qb=qb_client)
    prefs.ProductAndServicesPrefs.QuantityOnHand = False
    prefs.save(qb=qb_client)
    assert _run(db_url, "clients", "add", "Acme", "--sandbox-url", sandbox.url)[0] == 0
    code, out = _run(db_url, "integrations", "add", "Acme", "Amazon US", "--channel", "amazon",
                     "--inventory-tracking", "on")
    assert code == 1 and out["status"] == "not_ready"
    assert any("Track inventory quantity on hand" in p for p in out["problems"])
    code, out = _run(db_url, "integrations", "list", "Acme")
    assert out["integrations"] == []  # nothing half-made
