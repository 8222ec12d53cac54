"""The sample settlement made for the Demo Company: it parses, ties out, fits the demo books, and
the whole journey (import → mapping not found → map/suggest → preview → post → verify) runs on it
through the command-line twin against the real sandbox (seed ``demo``)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from qbo_sandbox.seeds import DEMO_ITEMS
from services.cli import main
from services.records import Category
from services.settlements import parse_file, summarize
from services.settlements.demo import (
    BUNDLE_COMPONENTS,
    BUNDLE_SKU,
    DEMO_SKUS,
    NEW_SKU,
    SETTLEMENT_ID,
    demo_settlement,
)

SEED_SKUS = {sku: (name, Decimal(price)) for name, sku, price, _qty, _cost in DEMO_ITEMS}
INV_START = dt.date(2025, 12, 31)  # the demo items' InvStartDate (qbo_sandbox/seeds.py)


def _parsed() -> Any:
    name, data = demo_settlement()
    result = parse_file(name, data)
    assert result.settlement is not None and result.issues == ()
    return result.settlement


def test_demo_settlement__same_bytes_every_time() -> None:
    assert demo_settlement() == demo_settlement()


def test_demo_settlement__parses_and_ties_out_to_the_cent() -> None:
    s = _parsed()
    summary = summarize(s)
    assert summary["format"] == "amazon_v2" and summary["settlement_id"] == SETTLEMENT_ID
    assert summary["total"] == summary["lines_total"]
    assert sum((r.amount for r in s.rows), Decimal(0)) == s.total > 0
    assert all(r.category is not Category.UNCLASSIFIED for r in s.rows)


def test_demo_settlement__skus_hit_the_demo_items_but_two() -> None:
    s = _parsed()
    sold = {r.sku for r in s.rows if r.category is Category.PRODUCT_SALE}
    assert sold == {*DEMO_SKUS, NEW_SKU, BUNDLE_SKU}
    for sku, price in DEMO_SKUS.items():  # the demo's Sku and its sales price
        assert sku in SEED_SKUS and SEED_SKUS[sku][1] == price, sku
    assert NEW_SKU not in SEED_SKUS and BUNDLE_SKU not in SEED_SKUS
    assert all(sku in SEED_SKUS for sku, _qty, _pct in BUNDLE_COMPONENTS)
    assert sum(pct for _sku, _qty, pct in BUNDLE_COMPONENTS) == 100


def test_demo_settlement__dated_after_the_items_as_of_date_and_within_the_purchase_history() -> None:
    s = _parsed()
    days = {r.date for r in s.rows} | {s.start, s.end, s.deposit_date}
    assert min(days) > INV_START and max(days) < dt.date(2026, 11, 30)


def test_demo_settlement__refunds_with_blank_quantity_and_fees_of_several_kinds() -> None:
    s = _parsed()
    refunds = [r for r in s.rows if r.category is Category.PRODUCT_REFUND]
    assert len({r.order_id for r in refunds}) == 4 and all(r.quantity is None for r in refunds)
    assert BUNDLE_SKU in {r.sku for r in refunds}
    kinds = {r.fee_kind.value for r in s.rows if r.category is Category.FEE and r.fee_kind is not None}
    assert kinds >= {"commission", "fulfilment", "storage", "advertising", "subscription"}
    present = {r.category for r in s.rows}
    assert present >= {Category.SHIPPING, Category.GIFT_WRAP, Category.TAX_COLLECTED, Category.TAX_WITHHELD,
                       Category.PROMOTION, Category.REIMBURSEMENT, Category.RESERVE}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_cli_demo_settlement__writes_the_page_s_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.txt"
    code, payload = _cli(capsys, "demo-settlement", "--out", str(out))
    assert code == 0 and out.read_bytes() == demo_settlement()[1]
    assert payload["settlement_id"] == SETTLEMENT_ID and payload["total"] == summarize(_parsed())["total"]
    assert payload["new_sku"] == NEW_SKU and payload["bundle_sku"] == BUNDLE_SKU
    code, payload = _cli(capsys, "demo-settlement", "--out", str(tmp_path / "no-such-dir" / "demo.txt"))
    assert code == 2 and "cannot write the file" in payload["error"]


def test_demo_settlement__the_whole_journey_on_the_demo_books(sandbox: Any, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from services.mapping import ItemIndex, suggest_mappings
    from services.qbo.gateway import QboGateway
    from services.routing import create_defaults
    from services.storage import clients as clients_repo
    from services.storage import open_database

    db = f"sqlite:///{tmp_path / 'journey.sqlite3'}"
    c, i = "Demo Company", "Amazon US"
    file = str(tmp_path / "demo.txt")
    assert _cli(capsys, "--db", db, "clients", "add", c, "--sandbox-url", sandbox.url, "--realm", sandbox.realm)[0] == 0
    assert _cli(capsys, "--db", db, "integrations", "add", c, i, "--channel", "amazon",
                "--inventory-tracking", "on")[0] == 0
    assert _cli(capsys, "--db", db, "demo-settlement", "--out", file)[0] == 0

    code, out = _cli(capsys, "--db", db, "import", c, i, file)
    assert code == 1 and out["status"] == "mapping_not_found"
    assert sorted(u["sku"] for u in out["unmapped"]) == sorted({*DEMO_SKUS, NEW_SKU, BUNDLE_SKU})

    database = open_database(db)
    client = clients_repo.get_client(database, c)
    index = ItemIndex.of(QboGateway.for_client(database, client).list_items())
    suggested = {s.sku: s.item.name for s in suggest_mappings(sorted({*DEMO_SKUS, NEW_SKU, BUNDLE_SKU}), {}, index)}
    assert suggested == {sku: SEED_SKUS[sku][0] for sku in DEMO_SKUS}

    for sku, item in suggested.items():
        assert _cli(capsys, "--db", db, "mappings", "set", c, i, sku, "--item", item)[0] == 0
    assert _cli(capsys, "--db", db, "items", "create", c, "--name", "Leather Journal A5 Brown", "--sku", NEW_SKU,
                "--qty-on-hand", "20", "--as-of", "2026-02-28", "--cost", "11.50")[0] == 0
    assert _cli(capsys, "--db", db, "mappings", "set", c, i, NEW_SKU, "--item", "Leather Journal A5 Brown")[0] == 0
    components = [a for sku, qty, pct in BUNDLE_COMPONENTS for a in ("--component", f"{SEED_SKUS[sku][0]}:{qty}:{pct}")]
    assert _cli(capsys, "--db", db, "mappings", "set-bundle", c, i, BUNDLE_SKU, *components)[0] == 0
    create_defaults(database, client, clients_repo.get_integration(database, client, i))  # the page's button
    database.engine.dispose()

    assert _cli(capsys, "--db", db, "retry", c, i, SETTLEMENT_ID)[0] == 0
    code, out = _cli(capsys, "--db", db, "preview", c, i, SETTLEMENT_ID)
    assert code == 0 and out["tie_out"]["difference"] == "0.00"
    assert out["tie_out"]["settlement_total"] == summarize(_parsed())["total"]
    code, out = _cli(capsys, "--db", db, "post", c, i, SETTLEMENT_ID)
    assert code == 0 and (out["created"], out["failed"]) == (4, 0)
    code, out = _cli(capsys, "--db", db, "verify", c, i, SETTLEMENT_ID)
    assert code == 0 and out["ok"] is True, [ch for ch in out["checks"] if not ch["ok"]]
