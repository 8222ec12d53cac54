"""The verification report: the pure checks as tables of cases, then against the sandbox (post,
verify, change QBO behind Settlebridge's back, verify again)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.qbo.gateway import QboGateway
from services.qbo.posting import post_documents
from services.qbo.verify_read import posted_doc, report_accounts, report_cogs, take_snapshot, verify_documents
from services.records import Category, DocLine, DocType, Document, ItemRef
from services.storage import open_database
from services.storage import postings as store
from services.verify import ItemState, Measures, PostedDoc, PostedLine, VerifyReport, report_json, verify
from tests.test_posting_support import demo_items, make_documents, sandbox_client

D = Decimal
MUG, CAP = ItemRef("7", "Mug"), ItemRef("8", "Cap")
PRODUCT = ItemRef("99", "Product")
DAY = dt.date(2026, 3, 5)

SALE = Document("k/s", DocType.SALES_RECEIPT, DAY, "S-1", (
    DocLine(D("30.00"), "mug", Category.PRODUCT_SALE, item=MUG, qty=D(2), unit_price=D("15.00")),
    DocLine(D("10.00"), "cap", Category.PRODUCT_SALE, item=CAP, qty=D(1), unit_price=D("10.00"))),
    account="Clearing")
REFUND = Document("k/r", DocType.REFUND_RECEIPT, DAY, "R-1", (
    DocLine(D("15.00"), "mug", Category.PRODUCT_REFUND, item=MUG, qty=D(1), unit_price=D("15.00")),),
    account="Clearing")
FEES = Document("k/f", DocType.PURCHASE, DAY, "F-1", (DocLine(D("4.00"), "fees", Category.FEE, account="Fees"),),
                account="Clearing")
PLANNED = [SALE, REFUND, FEES]
TOTAL = D("21.00")  # 40 - 15 - 4
FIFO_COGS = D("12.00")

ITEMS = {"7": ItemState("7", "Mug", "Inventory", D(99)), "8": ItemState("8", "Cap", "Inventory", D(49)),
         "99": ItemState("99", "Product", "NonInventory", None)}
MEASURES = Measures(qty_before={"7": D(100), "8": D(50)}, cogs_before=D("100.00"), cogs_now=D("112.00"),
                    asset_before=D("500.00"), asset_now=D("488.00"))


def _as_posted(doc: Document, **changes: Any) -> PostedDoc:
    lines = tuple(PostedLine(ln.amount, ln.item.id if ln.item else "", ln.item.name if ln.item else "", ln.qty)
                  for ln in doc.lines)
    base = PostedDoc(doc.key, doc.type.value, "1" + doc.key[-1], True, doc.total, lines)
    return dataclasses.replace(base, **changes)


GOOD = {d.key: _as_posted(d) for d in PLANNED}
ON_PRODUCT = (PostedLine(D("30.00"), "99", "Product", D(2)), PostedLine(D("10.00"), "8", "Cap", D(1)))


def _run(posted: dict[str, PostedDoc] | None = None, *, items: dict[str, ItemState] | None = None,
         measures: Measures = MEASURES, expected: Decimal | None = FIFO_COGS, tracking: bool = True,
         total: Decimal = TOTAL) -> VerifyReport:
    return verify(PLANNED, posted if posted is not None else GOOD, settlement_total=total, tracking=tracking,
                  items=items or ITEMS, measures=measures, expected_cogs=expected)


def _verify_adjustment() -> VerifyReport:
    """A planned money-only line on "Product" (a partial refund without units), posted as planned."""
    adjusted = dataclasses.replace(REFUND, lines=(*REFUND.lines, DocLine(
        D("2.00"), "partial refund", Category.PRODUCT_REFUND, item=PRODUCT)))
    posted = {**GOOD, "k/r": _as_posted(adjusted)}
    return verify([SALE, adjusted, FEES], posted, settlement_total=TOTAL - D("2.00"), tracking=True,
                  items=ITEMS, measures=MEASURES, expected_cogs=FIFO_COGS)


def _failing(report: VerifyReport) -> list[str]:
    return [c.name for c in report.exceptions]


@pytest.mark.parametrize(("case", "report", "failing"), [
    ("all good", lambda: _run(), []),
    ("a document is missing", lambda: _run({**GOOD, "k/r": PostedDoc("k/r", "RefundReceipt", "", False)}),
     ["Documents in QuickBooks", "Tie-out to the settlement total"]),
    ("a total was edited", lambda: _run({**GOOD, "k/f": _as_posted(FEES, total=D("5.00"))}),
     ["Purchase F-1: total", "Tie-out to the settlement total"]),
    ("a line moved to Product", lambda: _run({**GOOD, "k/s": _as_posted(SALE, lines=ON_PRODUCT)}),
     ["SalesReceipt S-1: line items"]),
    ("a money-only adjustment on Product is fine", lambda: _verify_adjustment(), []),
    ("a line's quantity changed", lambda: _run({**GOOD, "k/s": _as_posted(SALE, lines=(
        PostedLine(D("30.00"), "7", "Mug", D(3)), PostedLine(D("10.00"), "8", "Cap", D(1))))}),
     ["SalesReceipt S-1: line items"]),
    ("a voided receipt", lambda: _run({**GOOD, "k/r": _as_posted(REFUND, voided=True, total=D("0.00"))}),
     ["RefundReceipt R-1: still Settlebridge's", "RefundReceipt R-1: total", "Tie-out to the settlement total"]),
    ("the settlement total differs", lambda: _run(total=D("21.01")), ["Tie-out to the settlement total"]),
    ("an item's quantity was edited", lambda: _run(items={**ITEMS, "7": ItemState("7", "Mug", "Inventory", D(95))}),
     ["Quantity on hand: Mug"]),
    ("a later posting moved the item too", lambda: _run(
        items={**ITEMS, "7": ItemState("7", "Mug", "Inventory", D(95))},
        measures=dataclasses.replace(MEASURES, qty_later={"7": D(-4)})), []),
    ("the item became non-inventory", lambda: _run(items={**ITEMS, "8": ItemState("8", "Cap", "NonInventory", None)}),
     ["SalesReceipt S-1: line items"]),
    ("the COGS differs from FIFO", lambda: _run(expected=D("12.50")), ["Cost of goods sold in Profit and Loss"]),
    ("the asset did not move as much", lambda: _run(measures=dataclasses.replace(MEASURES, asset_now=D("490.00"))),
     ["Inventory asset in the Balance Sheet"]),
    ("nothing measured before posting", lambda: _run(measures=Measures()),
     ["Quantity on hand: Cap", "Quantity on hand: Mug", "Cost of goods sold in Profit and Loss",
      "Inventory asset in the Balance Sheet"]),
    ("tracking off: Product is right, no inventory checks", lambda: _run(
        {**GOOD, "k/s": _as_posted(SALE, lines=ON_PRODUCT)}, tracking=False, measures=Measures()),
     ["SalesReceipt S-1: line items"]),  # the planned lines were on Mug: QBO differs from the plan
])
def test_verify__checks(case: str, report: Any, failing: list[str]) -> None:
    result = report()
    assert sorted(_failing(result)) == sorted(failing), case
    assert result.ok is (not failing)


def test_verify__quantity_check_says_how_far_the_item_moved() -> None:
    edited = _run(items={**ITEMS, "7": ItemState("7", "Mug", "Inventory", D(95))})
    mug = next(c for c in edited.checks if c.name == "Quantity on hand: Mug")
    assert (mug.expected, mug.actual) == ("99 (moved by -1)", "95 (moved by -5)")
    assert "before posting: 100" in mug.detail


def test_verify__json_has_ok_and_checks_with_expected_and_actual() -> None:
    data = report_json(_run(expected=D("12.50")))
    assert data["ok"] is False
    checks: list[dict[str, Any]] = data["checks"]  # type: ignore[assignment]
    cogs = next(c for c in checks if c["name"] == "Cost of goods sold in Profit and Loss")
    assert (cogs["expected"], cogs["actual"], cogs["ok"]) == ("12.50", "12.00", False)
    assert set(checks[0]) >= {"name", "ok", "expected", "actual"}


REPORT = {"Rows": {"Row": [
    {"type": "Section", "group": "Income", "Rows": {"Row": [{"ColData": [{"value": "Sales", "id": "1"},
                                                                         {"value": "100.00"}]}]},
     "Summary": {"ColData": [{"value": "Total Income"}, {"value": "100.00"}]}},
    {"type": "Section", "group": "COGS", "Rows": {"Row": [{"ColData": [{"value": "Cost of Goods Sold", "id": "5"},
                                                                       {"value": "41.30"}]}]},
     "Summary": {"ColData": [{"value": "Total Cost of Goods Sold"}, {"value": "41.30"}]}},
    {"type": "Section", "group": "Assets", "Rows": {"Row": [
        {"ColData": [{"value": "Inventory Asset", "id": "81"}, {"value": "1,000.00".replace(",", "")}]},
        {"ColData": [{"value": "Checking", "id": "2"}, {"value": "5.00"}]}]}},
]}}


@pytest.mark.parametrize(("fn", "expected"), [
    (lambda r: report_cogs(r), D("41.30")),
    (lambda r: report_cogs({"Rows": {"Row": []}}), D("0.00")),
    (lambda r: report_accounts(r, {"inventory asset"}, set()), D("1000.00")),
    (lambda r: report_accounts(r, set(), {"2"}), D("5.00")),
    (lambda r: report_accounts(r, {"Nope"}, set()), D("0.00")),
])
def test_reports__figures_read_from_qbo_shapes(fn: Any, expected: Decimal) -> None:
    assert fn(REPORT) == expected


def test_posted_doc__reads_lines_and_skips_the_subtotal() -> None:
    entity = {"Id": "12", "TotalAmt": D("29.98"), "PrivateNote": "k/s", "Line": [
        {"Amount": D("29.98"), "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "7", "name": "Mug"}, "Qty": 2, "UnitPrice": D("14.99")}},
        {"Amount": D("29.98"), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}]}
    doc = posted_doc("k/s", "SalesReceipt", entity, "12")
    assert doc.found and doc.has_key and not doc.voided and doc.total == D("29.98")
    assert doc.lines == (PostedLine(D("29.98"), "7", "Mug", D(2)),)
    assert not posted_doc("k/s", "SalesReceipt", None, "12").found


# --- against the sandbox ---------------------------------------------------------------------------


@pytest.fixture
def world(sandbox: Any, tmp_path: Path) -> Any:
    db = open_database(f"sqlite:///{tmp_path / 'verify.sqlite3'}")
    gw = QboGateway.for_sandbox(sandbox.url, sandbox.realm)
    client = sandbox_client(sandbox.url, sandbox.realm)
    docs = make_documents("VR", 12, demo_items(gw))
    scope = store.scope_of(client.id, 1, "VR")
    report = post_documents(
        db, gw, client=client, integration_id=1, settlement_id="VR", documents=docs,
        before_send=lambda: take_snapshot(db, gw, client.id, scope, "before", docs, tracking=True))
    assert report.all_posted
    yield db, gw, client, docs
    db.engine.dispose()


def _verify(world: Any) -> VerifyReport:
    db, gw, client, docs = world
    total = sum((d.total if d.type in (DocType.SALES_RECEIPT, DocType.DEPOSIT) else -d.total for d in docs), D(0))
    return verify_documents(db, gw, client=client, integration_id=1, settlement_id="VR", documents=docs,
                            settlement_total=total, tracking=True, expected_cogs=None)


def test_verify_sandbox__passes_after_posting(world: Any) -> None:
    report = _verify(world)
    assert report.ok, [(c.name, c.expected, c.actual, c.detail) for c in report.exceptions]
    names = [c.name for c in report.checks]
    assert "Documents in QuickBooks" in names and "Tie-out to the settlement total" in names
    assert any(n.startswith("Quantity on hand: ") for n in names)
    cogs = next(c for c in report.checks if c.name == "Cost of goods sold in Profit and Loss")
    assert D(cogs.actual) > 0


def test_verify_sandbox__fails_when_a_receipt_is_edited_in_qbo(world: Any, qb_client: Any) -> None:
    from quickbooks.objects.salesreceipt import SalesReceipt

    db, _, _, docs = world
    key = docs[0].key
    qbo_id = store.get_posting(db, key).qbo_id  # type: ignore[union-attr]
    receipt = SalesReceipt.get(qbo_id, qb=qb_client)
    line = receipt.Line[0]
    detail = line.SalesItemLineDetail
    if isinstance(detail, dict):
        detail["Qty"] = D(5)
    else:
        detail.Qty = D(5)
    line.Amount = D("74.95")
    receipt.save(qb=qb_client)
    report = _verify(world)
    assert not report.ok
    failing = {c.name for c in report.exceptions}
    assert f"SalesReceipt {docs[0].doc_number}: total" in failing
    assert f"SalesReceipt {docs[0].doc_number}: line items" in failing
    assert "Tie-out to the settlement total" in failing
    assert any(n.startswith("Quantity on hand: ") for n in failing)


def test_verify_sandbox__fails_when_qbo_moves_the_item_behind_settlebridge(world: Any, qb_client: Any) -> None:
    from quickbooks.objects.base import Ref
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.salesreceipt import SalesReceipt

    db, gw, client, docs = world
    first = _verify(world)
    cogs = D(next(c for c in first.checks if c.name == "Cost of goods sold in Profit and Loss").actual)
    item = docs[0].lines[0].item
    assert item is not None
    receipt = SalesReceipt()
    receipt.TxnDate = DAY.isoformat()
    line, detail, ref = SalesItemLine(), SalesItemLineDetail(), Ref()
    ref.value = item.id
    detail.ItemRef, detail.Qty, detail.UnitPrice = ref, D(3), D("14.99")
    line.Amount, line.SalesItemLineDetail = D("44.97"), detail
    receipt.Line = [line]
    receipt.save(qb=qb_client)  # someone sells 3 units in QuickBooks itself
    total = sum((d.total if d.type in (DocType.SALES_RECEIPT, DocType.DEPOSIT) else -d.total for d in docs), D(0))
    report = verify_documents(db, gw, client=client, integration_id=1, settlement_id="VR", documents=docs,
                              settlement_total=total, tracking=True, expected_cogs=cogs)
    failing = {c.name: c for c in report.exceptions}
    assert set(failing) == {f"Quantity on hand: {item.name}", "Cost of goods sold in Profit and Loss"}
    assert "changed in QuickBooks" in failing[f"Quantity on hand: {item.name}"].detail
