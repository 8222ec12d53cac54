"""The document step of an import and Retry import: stored settlement → stored planned documents,
on real databases; with inventory tracking, against the local QBO sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from services.cli import main
from services.documents import document_from_json, document_to_json
from services.errors import MappingNotFound, TieOutError
from services.pipeline import AlreadyPosted, after_import, prepare
from services.records import Channel, ItemRef, Mapping, MappingType, SettlementStatus
from services.storage import Database
from services.storage import clients as clients_repo
from services.storage import documents as docs_repo
from services.storage import settlements as settlements_repo
from services.storage.mappings import mapping_version, save_mappings
from tests.documents_factory import C, amazon_order, amazon_refund, row, settlement


def _world(db: Database, *, tracking: bool = False, sandbox: Any = None, total: Decimal | None = None,
           rows: list | None = None) -> tuple[Any, Any]:
    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id=getattr(sandbox, "realm", "9130"),
                                     sandbox_url=getattr(sandbox, "url", "http://127.0.0.1:9/v3"))
    integ = clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=tracking)
    rows = rows if rows is not None else (amazon_order(2, "o1", "MUG-11OZ-WHT", 2, "29.98")
                                          + amazon_order(10, "o2", "TOTE-COT-NAT", 1, "16.50")
                                          + amazon_refund(20, "o1", "MUG-11OZ-WHT", "14.99"))
    settlements_repo.save_settlement(db, integ, settlement(rows, total=total), who="test")
    return client, integ


def test_prepare__stores_ready_documents_that_round_trip(db: Database) -> None:
    client, integ = _world(db)
    prepared = prepare(db, client, integ, "50018020314", who="alice", read_qbo=False)
    assert prepared.status is SettlementStatus.READY and prepared.tie_out.ok
    stored = docs_repo.load_documents(db, integ, "50018020314")
    assert stored == list(prepared.documents)
    assert [d.type.value for d in stored] == ["SalesReceipt", "RefundReceipt", "Purchase", "Deposit"]
    assert all(d.key.startswith(f"{client.id}/{integ.id}/50018020314/") for d in stored)
    info = settlements_repo.get_settlement_info(db, integ, "50018020314")
    assert info.status is SettlementStatus.READY
    assert json.loads(info.status_detail)["documents"] == 4
    assert [e.what for e in settlements_repo.list_events(db, integ)][-1] == "4 document(s) built, ready to post"


def test_document_json__round_trips_exactly() -> None:
    from services.documents import build_documents
    from services.routing import routing_from_settings

    s = settlement(amazon_order(2, "o1", "A", 3, "10.00"))
    docs, _ = build_documents(s, {}, routing_from_settings({}), tracking=False)
    for d in docs:
        assert document_from_json(json.loads(json.dumps(document_to_json(d)))) == d


def test_prepare__tie_out_failure_fails_the_settlement_and_readies_nothing(db: Database) -> None:
    client, integ = _world(db, total=Decimal("999.99"))
    with pytest.raises(TieOutError) as info:
        prepare(db, client, integ, "50018020314", read_qbo=False)
    assert info.value.details["tie_out"]["settlement_total"] == "999.99"
    settlement_info = settlements_repo.get_settlement_info(db, integ, "50018020314")
    assert settlement_info.status is SettlementStatus.FAILED
    assert "difference" in json.loads(settlement_info.status_detail)["error"]
    assert docs_repo.count_documents(db, integ, "50018020314") == 0
    assert after_import(db, client, integ, "50018020314", read_qbo=False) is SettlementStatus.FAILED


def test_prepare__refused_once_documents_were_sent(db: Database) -> None:
    from services.storage import postings

    client, integ = _world(db)
    prepared = prepare(db, client, integ, "50018020314", read_qbo=False)
    first = prepared.documents[0]
    postings.register_planned(db, client.id, integ.id, "50018020314", [postings.PlannedPosting(
        first.key, first.type.value, first.doc_number, first.date, first.total, "r" * 32)])
    postings.mark_sent(db, [first.key], "b" * 32)
    with pytest.raises(AlreadyPosted):
        prepare(db, client, integ, "50018020314", read_qbo=False)
    assert docs_repo.count_documents(db, integ, "50018020314") == 4


def test_mapping_not_found_then_retry_with_mappings(db: Database, sandbox: Any) -> None:
    client, integ = _world(db, tracking=True, sandbox=sandbox)
    with pytest.raises(MappingNotFound) as info:
        prepare(db, client, integ, "50018020314")
    unmapped = info.value.details["unmapped"]
    assert [u["sku"] for u in unmapped] == ["MUG-11OZ-WHT", "TOTE-COT-NAT"]
    assert (unmapped[0]["quantity"], unmapped[0]["first_date"]) == (2, "2026-03-14")
    stored = settlements_repo.get_settlement_info(db, integ, "50018020314")
    assert stored.status is SettlementStatus.MAPPING_NOT_FOUND
    assert json.loads(stored.status_detail)["unmapped"] == unmapped
    assert docs_repo.count_documents(db, integ, "50018020314") == 0

    # the CLI says the same, exit 1
    url = db.url
    code = main(["--db", url, "--json", "retry", "Acme", "Amazon US", "50018020314"])
    assert code == 1

    from services.qbo.gateway import QboGateway

    items = {i.sku: i for i in QboGateway.for_client(db, client).list_items()}
    mug, tote, tee = items["MUG-11OZ-WHT"], items["TOTE-COT-NAT"], items["TEE-ORG-M-WHT"]
    from services.records import BundleComponent

    save_mappings(db, integ, {
        "MUG-11OZ-WHT": Mapping("MUG-11OZ-WHT", MappingType.ITEM, mug.ref),
        "TOTE-COT-NAT": Mapping("TOTE-COT-NAT", MappingType.BUNDLE, None, (
            BundleComponent(ItemRef(tote.id, tote.name), Decimal(1), Decimal(60)),
            BundleComponent(ItemRef(tee.id, tee.name), Decimal(2), Decimal(40)))),
    }, who="test", expected_version=mapping_version(db, integ))
    code = main(["--db", url, "--json", "retry", "Acme", "Amazon US", "50018020314"])
    assert code == 0
    docs = docs_repo.load_documents(db, integ, "50018020314")
    sales = docs[0]
    assert [(ln.item.name, ln.qty, ln.amount) for ln in sales.lines if ln.qty is not None] == [
        (mug.name, 2, Decimal("29.98")), (tote.name, 1, Decimal("9.90")), (tee.name, 2, Decimal("6.60"))]
    assert settlements_repo.get_settlement_info(db, integ, "50018020314").status is SettlementStatus.READY


def test_cli_preview__json_documents_and_tie_out(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    _world(db)
    code = main(["--db", db.url, "--json", "preview", "Acme", "Amazon US", "50018020314", "--offline"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["tie_out"] == {"settlement_total": "21.84", "documents_total": "21.84", "difference": "0.00",
                              "ok": True}
    sales = out["documents"][0]
    assert (sales["type"], sales["date"], sales["total"]) == ("SalesReceipt", "2026-03-15", "52.46")
    assert set(sales) >= {"type", "date", "total", "lines", "key", "doc_number"}
    assert sales["lines"][0] == {**sales["lines"][0], "amount": "29.98", "qty": "2", "unit_price": "14.99"}
    assert any(w["code"] == "facilitator_left_out" for w in out["warnings"])


def test_cli_retry__unknown_settlement_is_bad_input(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    _world(db)
    assert main(["--db", db.url, "--json", "retry", "Acme", "Amazon US", "nope"]) == 2
    assert "nope" in json.loads(capsys.readouterr().out)["error"]


def test_prepare__rebuild_replaces_the_documents(db: Database) -> None:
    rows = [row(2, C.PRODUCT_SALE, "10.00", sku="A", qty=1, date=dt.date(2026, 3, 2)),
            row(3, C.PRODUCT_SALE, "12.00", sku="A", qty=1, date=dt.date(2026, 3, 3))]
    client, integ = _world(db, rows=rows)
    assert len(prepare(db, client, integ, "50018020314", read_qbo=False).documents) == 1
    from services.records import Grouping

    integ = clients_repo.update_integration(db, integ, grouping=Grouping.DAY)
    assert len(prepare(db, client, integ, "50018020314", read_qbo=False).documents) == 2
    assert docs_repo.count_documents(db, integ, "50018020314") == 2


def test_prepare__resolves_item_ids_and_creates_product(db: Database, sandbox: Any) -> None:
    from services.qbo.gateway import QboGateway

    client, integ = _world(db, sandbox=sandbox)
    gateway = QboGateway.for_client(db, client)
    assert gateway.find_item("Product") is None
    prepared = prepare(db, client, integ, "50018020314")
    product = gateway.find_item("Product")
    assert product is not None and product.type == "NonInventory"
    sales = prepared.documents[0]
    refs = {ln.item.name: ln.item.id for ln in sales.lines if ln.item}
    assert refs["Product"] == product.id and refs["Shipping"] == gateway.find_item("Shipping").id
    missing = [i for i in prepared.issues if i.code == "item_missing"]
    assert [("Marketplace Promotions" in i.message) for i in missing] == [True]


def test_cli_import__mapping_not_found_lists_the_skus(db: Database, tmp_path: Any,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from tests.settlement_factory import amazon_v2_file

    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id="1", sandbox_url="http://127.0.0.1:9/v3")
    clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=True)
    report = tmp_path / "march.txt"
    report.write_bytes(amazon_v2_file())
    code = main(["--db", db.url, "--json", "import", "Acme", "Amazon US", str(report)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["status"] == "mapping_not_found"
    assert [u["sku"] for u in out["unmapped"]] == sorted(u["sku"] for u in out["unmapped"])
    assert "MUG-BLUE" in {u["sku"] for u in out["unmapped"]}
    assert set(out["unmapped"][0]) >= {"sku", "title", "quantity", "first_date", "last_date"}
    assert out["settlements"][0]["status"] == "mapping_not_found"
