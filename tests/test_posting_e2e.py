"""The whole way once, with inventory tracking: a settlement file → import → mapping not found →
mappings (an item and a bundle) → Retry import → preview → ``post`` and ``verify`` from the command
line (separate processes, the real python-quickbooks client, the local sandbox) → posting again
creates nothing → a receipt edited in QBO makes verification fail."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.errors import MappingNotFound
from services.pipeline import prepare
from services.preview import preview
from services.records import BundleComponent, Channel, Mapping, MappingType, SettlementStatus
from services.routing import create_defaults
from services.storage import clients as clients_repo
from services.storage import mappings as mappings_repo
from services.storage import open_database
from services.storage import settlements as settlements_repo
from tests.settlement_factory import amazon_v2_file

ROOT = Path(__file__).resolve().parents[1]
SID = "24688899001"


def _cli(db_url: str, *args: str, process: bool = False) -> tuple[int, dict[str, Any]]:
    """Run the command-line twin: in this process (``services.cli.main``), or as ``python -m services``."""
    argv = ["--db", db_url, *args, "--json"]
    if process:
        done = subprocess.run([sys.executable, "-m", "services", *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "SETTLEBRIDGE_USER": "e2e"})
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])
    from services.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return code, json.loads(buffer.getvalue().strip().splitlines()[-1])


def test_settlement_file_to_verified_books(db_url: str, sandbox: Any, qb_client: Any, tmp_path: Path) -> None:
    from services.qbo.gateway import QboGateway

    db = open_database(db_url)
    gw = QboGateway.for_sandbox(sandbox.url, sandbox.realm)
    items = {i.name: i for i in gw.list_items()}
    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url,
                                     company_name="Demo Company", plan="QuickBooks Online Plus")
    integ = clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=True)
    integ, _ = create_defaults(db, client, integ)

    # import: the SKUs are not mapped yet
    from services.importing import import_files

    assert import_files(db, client, integ, [("v2.txt", amazon_v2_file(SID))], who="e2e").status == "mapping_not_found"
    with pytest.raises(MappingNotFound):
        prepare(db, client, integ, SID, who="e2e")
    assert settlements_repo.get_settlement_info(db, integ, SID).status is SettlementStatus.MAPPING_NOT_FOUND
    code, out = _cli(db_url, "post", "Acme", "Amazon US", SID)
    assert code == 1 and out["status"] == "mapping_not_found"

    mug, bottle = items["Ceramic Mug 11oz White"], items["Glass Water Bottle 500ml"]
    black, tote = items["Ceramic Mug 11oz Black"], items["Cotton Tote Bag Natural"]
    mappings_repo.save_mappings(db, integ, {
        "MUG-BLUE": Mapping("MUG-BLUE", MappingType.ITEM, item=mug.ref),
        "BOTTLE-STEEL": Mapping("BOTTLE-STEEL", MappingType.ITEM, item=bottle.ref),
        "TEA-GREEN-100": Mapping("TEA-GREEN-100", MappingType.BUNDLE, components=(
            BundleComponent(black.ref, Decimal(1), Decimal(60)), BundleComponent(tote.ref, Decimal(2), Decimal(40)))),
    }, who="e2e", expected_version=mappings_repo.mapping_version(db, integ))
    prepared = prepare(db, client, integ, SID, who="e2e")  # Retry import
    assert prepared.status is SettlementStatus.READY
    seen = preview(db, client, integ, SID)
    assert seen.checked and seen.costs and seen.tie_out.difference == 0

    code, out = _cli(db_url, "post", "Acme", "Amazon US", SID, process=True)
    assert code == 0, out
    n = len(prepared.documents)
    assert (out["created"], out["already_posted"], out["failed"]) == (n, 0, 0)
    assert {d["status"] for d in out["documents"]} == {"posted"} and all(d["qbo_id"] for d in out["documents"])

    code, out = _cli(db_url, "verify", "Acme", "Amazon US", SID)
    assert code == 0 and out["ok"] is True, [c for c in out["checks"] if not c["ok"]]
    by_name = {c["name"]: c for c in out["checks"]}
    cogs = by_name["Cost of goods sold in Profit and Loss"]
    assert cogs["expected"] == cogs["actual"] and Decimal(cogs["actual"]) > 0  # FIFO expectation met
    assert by_name["Inventory asset in the Balance Sheet"]["actual"] == f"{-Decimal(cogs['actual']):.2f}"
    assert f"Quantity on hand: {tote.name}" in by_name  # a bundle component moved too
    assert settlements_repo.get_settlement_info(db, integ, SID).status is SettlementStatus.VERIFIED

    code, out = _cli(db_url, "post", "Acme", "Amazon US", SID)
    assert code == 0 and (out["created"], out["already_posted"]) == (0, n)

    # someone moves a sale line to another item in QuickBooks
    from quickbooks.objects.salesreceipt import SalesReceipt

    posted = {d.key: d for d in prepared.documents}
    sales = next(d for d in out["documents"] if d["type"] == "SalesReceipt" and any(
        ln.item is not None and ln.item.id == mug.id for ln in posted[d["key"]].lines))
    receipt = SalesReceipt.get(sales["qbo_id"], qb=qb_client)
    for line in receipt.Line:
        detail = getattr(line, "SalesItemLineDetail", None)
        ref = detail.get("ItemRef") if isinstance(detail, dict) else getattr(detail, "ItemRef", None)
        value = ref.get("value") if isinstance(ref, dict) else getattr(ref, "value", None)
        if value == mug.id:
            if isinstance(ref, dict):
                ref["value"], ref["name"] = bottle.id, bottle.name
            elif ref is not None:
                ref.value, ref.name = bottle.id, bottle.name
    receipt.save(qb=qb_client)
    code, out = _cli(db_url, "verify", "Acme", "Amazon US", SID)
    assert code == 1 and out["ok"] is False
    failing = {c["name"] for c in out["checks"] if not c["ok"]}
    assert f"SalesReceipt {sales['doc_number']}: line items" in failing
    assert f"Quantity on hand: {mug.name}" in failing and f"Quantity on hand: {bottle.name}" in failing
    assert settlements_repo.get_settlement_info(db, integ, SID).status is SettlementStatus.POSTED

    # undo: every document Settlebridge created goes, the settlement is ready again
    code, out = _cli(db_url, "undo", "Acme", "Amazon US", SID)
    assert code == 2 and "--yes" in out["error"]
    code, out = _cli(db_url, "undo", "Acme", "Amazon US", SID, "--yes")
    assert code == 0 and out["undone"] == n and out["status"] == "ready"
    assert settlements_repo.get_settlement_info(db, integ, SID).status is SettlementStatus.READY
    for entity in ("SalesReceipt", "RefundReceipt", "Purchase", "Deposit"):
        assert not [r for r in gw.query(f"SELECT * FROM {entity}") if str(r.get("PrivateNote", "")) in posted]
    db.engine.dispose()
