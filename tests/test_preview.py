"""The preview's readiness checks and expected COGS: hand-computed FIFO scenarios (before / event /
after), the As-of-date block, below-zero warnings, margins per SKU and bundle; and the whole preview
against the local QBO sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from services.preview import expected_cogs, history_events, margins, readiness_issues
from services.records import Category, DocLine, DocType, Document, ItemRef, QboItem, Severity

W = ItemRef("11", "Widget")
G = ItemRef("12", "Gadget")


def item(ref: ItemRef, on_hand: str, cost: str, start: dt.date = dt.date(2026, 1, 1)) -> QboItem:
    return QboItem(ref.id, ref.name, "Inventory", qty_on_hand=Decimal(on_hand), inv_start_date=start,
                   purchase_cost=Decimal(cost), unit_price=Decimal("20.00"))


def bill(id_: str, date: str, ref: ItemRef, qty: str, unit: str) -> tuple[str, dict[str, Any]]:
    return ("Bill", {"Id": id_, "TxnDate": date, "Line": [
        {"Id": "1", "DetailType": "ItemBasedExpenseLineDetail", "Amount": Decimal(qty) * Decimal(unit),
         "ItemBasedExpenseLineDetail": {"ItemRef": {"value": ref.id}, "Qty": Decimal(qty),
                                        "UnitPrice": Decimal(unit)}},
        {"Id": "2", "DetailType": "AccountBasedExpenseLineDetail", "Amount": Decimal("15.00"),
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "9"}}}]})


def sale(entity: str, id_: str, date: str, ref: ItemRef, qty: str) -> tuple[str, dict[str, Any]]:
    return (entity, {"Id": id_, "TxnDate": date, "Line": [
        {"Id": "1", "DetailType": "SalesItemLineDetail", "Amount": Decimal(qty) * 20,
         "SalesItemLineDetail": {"ItemRef": {"value": ref.id}, "Qty": Decimal(qty), "UnitPrice": Decimal(20)}}]})


def line(ref: ItemRef, qty: str, amount: str, sku: str = "W-1", bundle: str = "") -> DocLine:
    unit = (Decimal(amount) / Decimal(qty)) if Decimal(qty) else Decimal(0)
    return DocLine(Decimal(amount), sku, Category.PRODUCT_SALE, ref, Decimal(qty), unit, sku=sku, bundle_sku=bundle,
                   source_rows=(1,))


def doc(key: str, date: dt.date, *lines: DocLine, doc_type: DocType = DocType.SALES_RECEIPT) -> Document:
    return Document(key, doc_type, date, key[-10:], tuple(lines), key, "Clearing")


MARCH = dt.date(2026, 3, 5)

FIFO = [
    # (case, items (ref, on hand now, purchase cost), history, planned sales (date, qty), expected costs, short)
    ("intuit_example", [(W, "50", "6.00")], [bill("7", "2026-02-01", W, "30", "7.00")],
     [(MARCH, "15"), (MARCH + dt.timedelta(days=1), "20")], ["90.00", "135.00"], ["0", "0"]),
    ("earlier_sale_draws_first", [(W, "40", "6.00")],
     [bill("7", "2026-02-01", W, "30", "7.00"), sale("SalesReceipt", "8", "2026-02-15", W, "10")],
     [(MARCH, "15")], ["95.00"], ["0"]),
    # opening 22 - (-3 + 1 + 5) = 19 at 6; the sale takes 3, the refund brings 1 back at the oldest
    # layer's cost (6); then 5 at 9: selling 20 costs 16×6 + 1×6 + 3×9 = 129
    ("earlier_refund_comes_back_at_oldest_cost", [(W, "22", "6.00")],
     [sale("SalesReceipt", "8", "2026-02-15", W, "3"), sale("RefundReceipt", "9", "2026-02-20", W, "1"),
      bill("7", "2026-02-25", W, "5", "9.00")], [(MARCH, "20")], ["129.00"], ["0"]),
    ("below_zero_costs_last_known", [(W, "5", "6.00")], [], [(MARCH, "8")], ["48.00"], ["3"]),
    ("nothing_on_hand_ever_costs_the_purchase_cost", [(W, "0", "5.00")], [], [(MARCH, "2")], ["10.00"], ["2"]),
    # 30 on hand today, but 20 of them arrive on March 20: a sale of 12 on March 5 has only the 10
    # opening units, so 2 go below zero (costed at the last known 6.00)
    ("backdated_sale_before_a_bill_goes_below_zero", [(W, "30", "6.00")],
     [bill("7", "2026-03-20", W, "20", "7.00")], [(MARCH, "12")], ["72.00"], ["2"]),
]


@pytest.mark.parametrize(("case", "items", "history", "planned", "costs", "short"), FIFO, ids=[f[0] for f in FIFO])
def test_expected_cogs__fifo_scenarios(case, items, history, planned, costs, short) -> None:
    by_id = {ref.id: item(ref, on_hand, cost) for ref, on_hand, cost in items}
    docs = [doc(f"1/2/S/sales/all/p{i}", date, line(W, qty, str(Decimal(qty) * 20)))
            for i, (date, qty) in enumerate(planned)]
    got, _, issues = expected_cogs(docs, by_id, history)
    assert [str(c.cost) for c in got] == costs
    assert [c.below_zero for c in got] == [Decimal(s) for s in short]
    assert bool([i for i in issues if i.code == "below_zero"]) == any(s != "0" for s in short)


def test_history_events__opening_is_today_less_the_history() -> None:
    events = history_events({W.id: item(W, "40", "6.00")}, [bill("7", "2026-02-01", W, "30", "7.00"),
                                                            sale("SalesReceipt", "8", "2026-02-15", W, "10")])
    opening = [e for e in events if e.ref.endswith(":open")]
    assert [(e.qty, e.unit_cost, e.date) for e in opening] == [(Decimal(20), Decimal("6.00"), dt.date(2026, 1, 1))]
    assert len(events) == 3  # the account line of the bill is not inventory


def test_expected_cogs__a_planned_refund_returns_at_the_oldest_layer() -> None:
    by_id = {W.id: item(W, "10", "6.00")}
    docs = [doc("k/refunds/1", MARCH, line(W, "2", "40.00"), doc_type=DocType.REFUND_RECEIPT)]
    costs, rows, _ = expected_cogs(docs, by_id, [])
    assert [(c.refund, str(c.cost)) for c in costs] == [(True, "12.00")]
    assert [(m.sku, m.revenue, m.cogs, m.units_refunded, m.margin_percent) for m in rows] == [
        ("W-1", Decimal("-40.00"), Decimal("-12.00"), Decimal(2), None)]


def test_margins__per_sku_and_per_bundle() -> None:
    by_id = {W.id: item(W, "100", "6.00"), G.id: item(G, "100", "2.50")}
    docs = [doc("k/sales/1", MARCH, line(W, "2", "40.00"),
                line(W, "1", "12.00", sku="B-1", bundle="B-1"),
                DocLine(Decimal("8.00"), "B-1 part", Category.PRODUCT_SALE, G, Decimal(2), Decimal(4), sku="B-1",
                        bundle_sku="B-1"),
                DocLine(Decimal("4.99"), "Shipping", Category.SHIPPING, ItemRef("5", "Shipping")))]
    _costs, rows, _ = expected_cogs(docs, by_id, [])
    by_sku = {m.sku: m for m in rows}
    assert set(by_sku) == {"W-1", "B-1"}
    assert (by_sku["W-1"].kind, by_sku["W-1"].cogs, by_sku["W-1"].margin) == ("item", Decimal("12.00"),
                                                                               Decimal("28.00"))
    b = by_sku["B-1"]
    assert (b.kind, b.revenue, b.cogs, b.margin, b.margin_percent) == (
        "bundle", Decimal("20.00"), Decimal("11.00"), Decimal("9.00"), Decimal("45.0"))
    assert b.units_sold == 1  # counted once, on the component line that carries the rows


def test_margins__without_inventory_items_cost_is_unknown() -> None:
    product = ItemRef("1", "Product")
    docs = [doc("k/sales/1", MARCH, line(product, "2", "40.00"))]
    (m,) = margins(docs, [])
    assert (m.kind, m.revenue, m.cogs, m.margin) == ("product", Decimal("40.00"), None, None)


def test_readiness__as_of_date_after_the_document_blocks_it() -> None:
    late = item(W, "10", "6.00", start=dt.date(2026, 3, 10))
    docs = [doc("k/sales/a", MARCH, line(W, "1", "20.00")), doc("k/sales/b", dt.date(2026, 3, 12), line(W, "1", "20.00")),
            doc("k/fees/c", MARCH, DocLine(Decimal("3.00"), "fees", Category.FEE, account="Fees"),
                doc_type=DocType.PURCHASE)]
    issues, blocked = readiness_issues(docs, {W.id: late}, tracking=True)
    assert blocked == ["k/sales/a"]
    (e,) = issues
    assert e.severity is Severity.ERROR and "6270" in e.message and "2026-03-04" in e.message
    assert "SalesReceipt k/sales/a of 2026-03-05" in e.message and "/sales/b" not in e.message  # names the document


def test_readiness__an_item_missing_from_qbo_blocks_its_document() -> None:
    gift = ItemRef("", "Gift Wrap")
    ship = ItemRef("5", "Shipping")
    docs = [doc("k/sales/a", MARCH, DocLine(Decimal("3.00"), "Gift wrap", Category.GIFT_WRAP, gift)),
            doc("k/sales/b", MARCH, DocLine(Decimal("4.99"), "Shipping", Category.SHIPPING, ship))]
    items = {"5": QboItem("5", "Shipping", "Service"), "6": QboItem("6", "Gift Wrap", "Service")}
    issues, blocked = readiness_issues(docs, items, tracking=False)
    assert blocked == ["k/sales/a"] and [i.code for i in issues] == ["item_unresolved"]
    issues, blocked = readiness_issues(docs, {"5": items["5"]}, tracking=False)
    assert blocked == ["k/sales/a"] and [i.code for i in issues] == ["item_missing"]


def test_readiness__an_account_missing_from_qbo_blocks_its_documents() -> None:
    fees = Document("k/fees/1", DocType.PURCHASE, MARCH, "F1", (
        DocLine(Decimal("3.00"), "fees", Category.FEE, account="Marketplace Storage Fees"),
        DocLine(Decimal("1.00"), "fees", Category.FEE, account="Bank Fees")), "k/fees/1", "Amazon Clearing")
    sales = doc("k/sales/1", MARCH, line(W, "1", "20.00"))  # deposits to "Clearing"
    issues, blocked = readiness_issues([fees, sales], {W.id: item(W, "9", "1.00")}, tracking=False,
                                       accounts=["Amazon Clearing", "bank fees", "Clearing"])
    assert [(i.code, "Marketplace Storage Fees" in i.message) for i in issues] == [("account_missing", True)]
    assert "used by Purchase F1 of 2026-03-05" in issues[0].message
    assert blocked == ["k/fees/1"]


def test_readiness__a_document_blocked_twice_is_listed_once() -> None:
    late = item(W, "10", "6.00", start=dt.date(2026, 3, 10))
    sales = doc("k/sales/1", MARCH, line(W, "1", "20.00"), line(W, "2", "40.00"))  # deposits to "Clearing"
    issues, blocked = readiness_issues([sales], {W.id: late}, tracking=True, accounts=[])
    assert sorted(i.code for i in issues) == ["account_missing", "inv_start_date"]
    assert blocked == ["k/sales/1"]
    assert all("SalesReceipt k/sales/1 of 2026-03-05" in i.message for i in issues)
    assert issues[1].message.count("/sales/1") == 1  # the document once, though two of its lines are late


def test_below_zero__names_the_item_the_document_and_what_to_do() -> None:
    docs = [doc("k/sales/1", MARCH, line(W, "8", "160.00"))]
    _costs, _rows, issues = expected_cogs(docs, {W.id: item(W, "5", "6.00")}, [])
    (w,) = issues
    assert w.code == "below_zero" and "'Widget'" in w.message and "SalesReceipt k/sales/1 of 2026-03-05" in w.message
    assert " 3 unit(s) more" in w.message and "record the purchase (bill)" in w.message


def test_margin_total__sums_and_unknown_cost_stays_unknown() -> None:
    from services.preview import Margin, margin_total

    a = Margin("A", "item", Decimal("30.00"), Decimal("12.00"), Decimal(3), Decimal(1))
    b = Margin("B", "bundle", Decimal("10.00"), Decimal("4.50"), Decimal(1), Decimal(0))
    t = margin_total([a, b])
    assert (t.sku, t.revenue, t.cogs, t.margin, t.margin_percent, t.units_sold, t.units_refunded) == (
        "Total", Decimal("40.00"), Decimal("16.50"), Decimal("23.50"), Decimal("58.8"), 4, 1)
    unknown = margin_total([a, Margin("P", "product", Decimal("5.00"), None, Decimal(1), Decimal(0))])
    assert (unknown.revenue, unknown.cogs, unknown.margin) == (Decimal("35.00"), None, None)


def test_readiness__tracking_problems_are_errors_only_when_tracking() -> None:
    problems = ["Turn on “Track inventory quantity on hand” in QuickBooks → Settings → Account and Settings → Sales."]
    on, _ = readiness_issues([], {}, tracking=True, tracking_problems=problems)
    off, _ = readiness_issues([], {}, tracking=False, tracking_problems=problems)
    assert [i.code for i in on] == ["tracking_not_ready"] and "Account and Settings → Sales" in on[0].message
    assert off == []


def test_preview__against_the_sandbox(db: Any, sandbox: Any) -> None:
    from services.preview import preview
    from services.qbo.gateway import QboGateway
    from services.records import Channel, Grouping, Mapping, MappingType
    from services.routing import create_defaults
    from services.storage import clients as repo
    from services.storage import settlements as settlements_repo
    from services.storage.mappings import mapping_version, save_mappings
    from tests.documents_factory import amazon_order, settlement

    client = repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url)
    integ = repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=True,
                                 grouping=Grouping.DAY)
    integ, _ = create_defaults(db, client, integ)  # every sales-side item exists in QuickBooks
    items = {i.sku: i for i in QboGateway.for_client(db, client).list_items()}
    mug = items["MUG-11OZ-WHT"]
    save_mappings(db, integ, {"MUG": Mapping("MUG", MappingType.ITEM, mug.ref)}, who="t",
                  expected_version=mapping_version(db, integ))
    late = dt.date(2025, 12, 30)  # before the demo items' As of date (2025-12-31)
    settlements_repo.save_settlement(db, integ, settlement(
        amazon_order(2, "o1", "MUG", 3, "44.97") + amazon_order(10, "o2", "MUG", 1, "14.99", date=late),
        start=late, end=dt.date(2026, 3, 15)), who="t")
    result = preview(db, client, integ, "50018020314")
    assert result.checked and result.tie_out.ok
    assert not [i for i in result.readiness if i.code in ("item_missing", "item_unresolved")]
    assert result.blocked == tuple(d.key for d in result.documents
                                   if d.date == late and d.type is DocType.SALES_RECEIPT)
    assert len(result.blocked) == 1
    assert any(i.code == "inv_start_date" and mug.name in i.message for i in result.readiness)
    (m,) = result.margins
    assert m.sku == "MUG" and m.cogs is not None and m.revenue == Decimal("59.96") and m.cogs > 0
    assert m.units_sold == 4 and str(m.units_sold) == "4"
    data = result.as_json()
    assert data["documents"][0]["lines"][0]["expected_cogs"] is not None

    # QuickBooks's preferences turned off after tracking was enabled: every check says what to change
    g = QboGateway.for_client(db, client)
    prefs = g.preferences()
    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityOnHand": False}})
    again = preview(db, client, integ, "50018020314")
    (off,) = [i for i in again.readiness if i.code == "tracking_not_ready"]
    assert off.severity is Severity.ERROR and "Inventory tracking is on for this integration" in off.message
    assert 'Account and Settings → Sales → "Track quantity and price/rate" and "Track inventory quantity on hand"' \
        in off.message
