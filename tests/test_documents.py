"""The document engine: tables of cases for every category's routing and each rule of DESIGN §3."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.documents import (
    DOC_NUMBER_MAX,
    MAX_LINES,
    QTY_ASP,
    QTY_ASSUMED,
    QTY_ITEM_PRICE,
    QTY_ORDER_ITEM,
    build_documents,
    doc_number,
    find_unmapped,
    tie_out,
    unit_price_for,
)
from services.errors import MappingNotFound
from services.records import DocType, Document, FeeKind, Grouping, ItemRef, Mapping, MappingType, Severity
from services.routing import FacilitatorTax, routing_from_settings
from tests.documents_factory import (
    GADGET,
    GIZMO,
    WIDGET,
    C,
    amazon_order,
    amazon_refund,
    bundle_mapping,
    item_mapping,
    qbo_items,
    row,
    settlement,
)

ROUTING = routing_from_settings({}, integration_name="Amazon US")


def build(rows, *, tracking=False, mappings=None, routing=ROUTING, items=None, total=None, **kw):
    s = settlement(rows, total=total, **kw)
    return build_documents(s, mappings or {}, routing, tracking=tracking, items=items, key_prefix="7/9")


def only(docs: tuple[Document, ...], doc_type: DocType) -> Document:
    found = [d for d in docs if d.type is doc_type]
    assert len(found) == 1, [d.type for d in docs]
    return found[0]


# --- where each category goes ---------------------------------------------------------------------

ROUTES = [
    # (case, category, amount, is_refund, fee kind, doc type, item or account, line amount)
    ("product_sale", C.PRODUCT_SALE, "25.00", False, None, DocType.SALES_RECEIPT, "Product", "25.00"),
    ("product_refund", C.PRODUCT_REFUND, "-25.00", True, None, DocType.REFUND_RECEIPT, "Product", "25.00"),
    ("shipping", C.SHIPPING, "4.99", False, None, DocType.SALES_RECEIPT, "Shipping", "4.99"),
    ("shipping_refunded", C.SHIPPING, "-4.99", True, None, DocType.REFUND_RECEIPT, "Shipping", "4.99"),
    ("gift_wrap", C.GIFT_WRAP, "3.49", False, None, DocType.SALES_RECEIPT, "Gift Wrap", "3.49"),
    ("tax_collected", C.TAX_COLLECTED, "1.60", False, None, DocType.SALES_RECEIPT, "Sales Tax Collected", "1.60"),
    ("tax_refunded", C.TAX_COLLECTED, "-1.60", True, None, DocType.REFUND_RECEIPT, "Sales Tax Collected", "1.60"),
    ("promotion_alone_moves_to_refund", C.PROMOTION, "-2.00", False, None, DocType.REFUND_RECEIPT,
     "Marketplace Promotions", "2.00"),
    ("promotion_reversed_in_refund_moves_to_sales", C.PROMOTION, "2.00", True, None, DocType.SALES_RECEIPT,
     "Marketplace Promotions", "2.00"),
    ("fee_commission", C.FEE, "-3.00", False, FeeKind.COMMISSION, DocType.PURCHASE,
     "Marketplace Commission Fees", "3.00"),
    ("fee_fulfilment", C.FEE, "-3.22", False, FeeKind.FULFILMENT, DocType.PURCHASE,
     "Marketplace Fulfilment Fees", "3.22"),
    ("fee_storage", C.FEE, "-10.00", False, FeeKind.STORAGE, DocType.PURCHASE, "Marketplace Storage Fees", "10.00"),
    ("fee_advertising", C.FEE, "-55.10", False, FeeKind.ADVERTISING, DocType.PURCHASE,
     "Marketplace Advertising", "55.10"),
    ("fee_subscription", C.FEE, "-39.99", False, FeeKind.SUBSCRIPTION, DocType.PURCHASE,
     "Marketplace Subscription Fees", "39.99"),
    ("fee_other", C.FEE, "-0.50", False, FeeKind.OTHER, DocType.PURCHASE, "Marketplace Other Fees", "0.50"),
    ("fee_without_kind", C.FEE, "-0.50", False, None, DocType.PURCHASE, "Marketplace Other Fees", "0.50"),
    ("fee_zero", C.FEE, "0.00", False, FeeKind.COMMISSION, DocType.PURCHASE, "Marketplace Commission Fees",
     "0.00"),
    ("fee_refunded_is_a_deposit", C.FEE, "2.40", True, FeeKind.COMMISSION, DocType.DEPOSIT,
     "Marketplace Commission Fees", "2.40"),
    ("reimbursement", C.REIMBURSEMENT, "12.00", False, None, DocType.DEPOSIT, "Marketplace Reimbursements", "12.00"),
    ("reimbursement_clawback", C.REIMBURSEMENT, "-12.00", False, None, DocType.PURCHASE,
     "Marketplace Reimbursements", "12.00"),
    ("reserve_held", C.RESERVE, "-50.00", False, None, DocType.PURCHASE, "Marketplace Reserve", "50.00"),
    ("reserve_released", C.RESERVE, "50.00", False, None, DocType.DEPOSIT, "Marketplace Reserve", "50.00"),
    ("transfer_in", C.TRANSFER, "20.00", False, None, DocType.DEPOSIT, "Marketplace Transfers", "20.00"),
    ("transfer_out", C.TRANSFER, "-20.00", False, None, DocType.PURCHASE, "Marketplace Transfers", "20.00"),
    ("unclassified_credit", C.UNCLASSIFIED, "1.23", False, None, DocType.DEPOSIT, "Marketplace Suspense", "1.23"),
    ("unclassified_debit", C.UNCLASSIFIED, "-1.23", False, None, DocType.PURCHASE, "Marketplace Suspense", "1.23"),
    ("facilitator_alone_recorded", C.TAX_WITHHELD, "-1.60", False, None, DocType.REFUND_RECEIPT,
     "Marketplace Facilitator Tax", "1.60"),
]


@pytest.mark.parametrize(("case", "category", "amount", "refund", "fee", "doc_type", "target", "line_amount"),
                         ROUTES, ids=[r[0] for r in ROUTES])
def test_routing__category_goes_to(case, category, amount, refund, fee, doc_type, target, line_amount) -> None:
    qty = 1 if category is C.PRODUCT_SALE else None
    docs, issues = build([row(2, category, amount, sku="W-1", qty=qty, refund=refund, fee=fee)])
    assert not [i for i in issues if i.severity is Severity.ERROR]
    doc = only(docs, doc_type)
    assert len(docs) == 1
    (line,) = doc.lines
    assert (line.item.name if line.item else line.account) == target
    assert line.amount == Decimal(line_amount)
    assert line.source_rows == (2,)
    assert doc.account == "Amazon US Clearing"


def test_routing__unclassified_is_a_warning_naming_the_type() -> None:
    _, issues = build([row(2, C.UNCLASSIFIED, "1.23", raw="Mystery payout")])
    (w,) = [i for i in issues if i.code == "unclassified"]
    assert w.severity is Severity.WARNING and "Mystery payout" in w.message and w.row == 2


def test_routing__settings_override_the_default_account() -> None:
    routing = routing_from_settings({"fee_commission_account": "Amazon Referral Fees",
                                     "clearing_account": "Amazon Clearing"})
    docs, _ = build([row(2, C.FEE, "-3.00", fee=FeeKind.COMMISSION)], routing=routing)
    assert docs[0].lines[0].account == "Amazon Referral Fees"
    assert docs[0].account == "Amazon Clearing"


# --- marketplace facilitator tax ---------------------------------------------------------------


def test_facilitator__nets_to_zero_and_is_left_out_by_default() -> None:
    docs, issues = build(amazon_order(2, "111-1", "W-1", 1, "20.00"))
    sales = only(docs, DocType.SALES_RECEIPT)
    assert all(ln.category not in (C.TAX_COLLECTED, C.TAX_WITHHELD) for ln in sales.lines)
    (info,) = [i for i in issues if i.code == "facilitator_left_out"]
    assert info.severity is Severity.INFO and "4, 5" in info.message
    assert tie_out(settlement(amazon_order(2, "111-1", "W-1", 1, "20.00")), docs).ok


def test_facilitator__recorded_when_asked() -> None:
    routing = routing_from_settings({"facilitator_tax": FacilitatorTax.RECORD.value})
    docs, issues = build(amazon_order(2, "111-1", "W-1", 1, "20.00"), routing=routing)
    sales = only(docs, DocType.SALES_RECEIPT)
    by_item = {ln.item.name: ln.amount for ln in sales.lines if ln.item}
    assert by_item["Sales Tax Collected"] == Decimal("1.60")
    assert by_item["Marketplace Facilitator Tax"] == Decimal("-1.60")
    assert not [i for i in issues if i.code == "facilitator_left_out"]


def test_facilitator__a_mismatch_keeps_both_with_a_warning() -> None:
    rows = [row(2, C.PRODUCT_SALE, "20.00", sku="W-1", qty=1), row(3, C.TAX_COLLECTED, "2.00"),
            row(4, C.TAX_WITHHELD, "-1.60")]
    docs, issues = build(rows)
    assert [i.code for i in issues] == ["facilitator_mismatch"]
    assert sum(len(ln.source_rows) for d in docs for ln in d.lines) == 3


# --- products, tracking, bundles ---------------------------------------------------------------


def test_products__tracking_off_goes_to_product_with_qty_and_price() -> None:
    docs, _ = build([row(2, C.PRODUCT_SALE, "39.98", sku="W-1", qty=2)])
    (line,) = docs[0].lines
    assert (line.item.name, line.qty, line.unit_price, line.amount) == ("Product", 2, Decimal("19.99"),
                                                                           Decimal("39.98"))


def test_products__tracking_on_goes_to_the_mapped_item() -> None:
    docs, _ = build([row(2, C.PRODUCT_SALE, "39.98", sku="W-1", qty=2)], tracking=True,
                    mappings={"W-1": item_mapping("W-1")}, items=qbo_items())
    (line,) = docs[0].lines
    assert line.item == WIDGET and line.qty == 2 and line.account == "Sales of Product Income"


def test_products__rows_of_one_sku_sum_into_one_line() -> None:
    rows = [row(2, C.PRODUCT_SALE, "10.00", sku="W-1", qty=1, order="a"),
            row(3, C.PRODUCT_SALE, "10.01", sku="W-1", qty=1, order="b"),
            row(4, C.PRODUCT_SALE, "10.00", sku="W-1", qty=1, order="c")]
    docs, _ = build(rows)
    (line,) = docs[0].lines
    assert line.qty == 3 and line.amount == Decimal("30.01") and line.source_rows == (2, 3, 4)
    assert (line.qty * line.unit_price).quantize(Decimal("0.01")) == line.amount


BUNDLE_CASES = [
    # (case, amount, bundle qty, components (item, qty per bundle, percent), expected (amount, qty) each)
    ("half_half", "20.00", 1, [(WIDGET, "1", "50"), (GADGET, "1", "50")], [("10.00", 1), ("10.00", 1)]),
    ("odd_cent_to_largest_remainder", "10.01", 1, [(WIDGET, "1", "50"), (GADGET, "1", "50")],
     [("5.01", 1), ("5.00", 1)]),
    ("thirds", "10.00", 2, [(WIDGET, "1", "33.34"), (GADGET, "2", "33.33"), (GIZMO, "3", "33.33")],
     [("3.34", 2), ("3.33", 4), ("3.33", 6)]),
    ("multipack", "29.97", 3, [(WIDGET, "3", "100")], [("29.97", 9)]),
]


@pytest.mark.parametrize(("case", "amount", "qty", "components", "expected"), BUNDLE_CASES,
                         ids=[c[0] for c in BUNDLE_CASES])
def test_bundles__split(case, amount, qty, components, expected) -> None:
    mapping = bundle_mapping("B-1", *components)
    docs, _ = build([row(2, C.PRODUCT_SALE, amount, sku="B-1", qty=qty)], tracking=True, mappings={"B-1": mapping})
    lines = docs[0].lines
    assert [(str(ln.amount), int(ln.qty or 0)) for ln in lines] == expected
    assert sum(ln.amount for ln in lines) == Decimal(amount)
    assert all(ln.bundle_sku == "B-1" for ln in lines)
    assert [ln.source_rows for ln in lines] == [(2,)] + [()] * (len(lines) - 1)


def test_bundles__refund_splits_the_same_way() -> None:
    mapping = bundle_mapping("B-1", (WIDGET, "1", "60"), (GADGET, "2", "40"))
    rows = [row(2, C.PRODUCT_SALE, "50.00", sku="B-1", qty=2, item="x"),
            row(3, C.PRODUCT_REFUND, "-25.00", sku="B-1", refund=True, item="x")]
    docs, _ = build(rows, tracking=True, mappings={"B-1": mapping})
    refund = only(docs, DocType.REFUND_RECEIPT)
    assert [(ln.item.name, ln.amount, ln.qty) for ln in refund.lines] == [
        ("Widget", Decimal("15.00"), 1), ("Gadget", Decimal("10.00"), 2)]


# --- refund quantities -------------------------------------------------------------------------


QTY_CASES = [
    # (case, sale rows, refund amount, items given, expected qty, how)
    ("full_refund_of_order_item", [("40.00", 2, "o1", "i1")], "40.00", False, 2, QTY_ORDER_ITEM),
    ("half_of_order_item", [("40.00", 2, "o1", "i1")], "20.00", False, 1, QTY_ORDER_ITEM),
    ("never_more_than_sold", [("40.00", 2, "o1", "i1")], "100.00", False, 2, QTY_ORDER_ITEM),
    ("partial_refund_returns_no_unit", [("40.00", 1, "o1", "i1")], "5.00", False, 0, QTY_ORDER_ITEM),
    ("other_order_average_selling_price", [("30.00", 2, "o2", "i2")], "30.00", False, 2, QTY_ASP),
    ("item_price_when_not_sold_here", [], "40.00", True, 2, QTY_ITEM_PRICE),
    ("assumed_one", [], "40.00", False, 1, QTY_ASSUMED),
    ("a_sale_with_negative_units_tells_nothing", [("40.00", -1, "o1", "i1")], "40.00", False, 1, QTY_ASSUMED),
]


@pytest.mark.parametrize(("case", "sales", "refund", "with_items", "qty", "how"), QTY_CASES,
                         ids=[c[0] for c in QTY_CASES])
def test_refund_qty__derived(case, sales, refund, with_items, qty, how) -> None:
    rows = [row(n, C.PRODUCT_SALE, amt, sku="W-1", qty=q, order=o, item=i)
            for n, (amt, q, o, i) in enumerate(sales, start=2)]
    rows.append(row(20, C.PRODUCT_REFUND, f"-{refund}", sku="W-1", refund=True, order="o1", item="i1"))
    docs, _ = build(rows, tracking=with_items, mappings={"W-1": item_mapping("W-1")},
                    items=qbo_items() if with_items else None)
    refund_doc = only(docs, DocType.REFUND_RECEIPT)
    lines = [ln for ln in refund_doc.lines if ln.qty is not None]
    assert sum((ln.qty for ln in lines), Decimal(0)) == qty
    assert how in " ".join(refund_doc.notes)
    assert sum(ln.amount for ln in refund_doc.lines) == Decimal(refund)


def test_refund_qty__given_quantity_is_used_as_is() -> None:
    rows = [row(2, C.PRODUCT_REFUND, "-40.00", sku="W-1", refund=True, qty=-3)]
    docs, _ = build(rows)
    (line,) = docs[0].lines
    assert line.qty == 3 and docs[0].notes == ()


def test_refund_qty__restocking_fee_kept_reduces_the_refund_not_the_units() -> None:
    rows = [row(2, C.PRODUCT_SALE, "40.00", sku="W-1", qty=1, item="i1", order="o1"),
            row(3, C.PRODUCT_REFUND, "-40.00", sku="W-1", refund=True, item="i1", order="o1"),
            row(4, C.PRODUCT_REFUND, "6.00", sku="W-1", refund=True, item="i1", order="o1", raw="RestockingFee")]
    docs, _ = build(rows)
    (line,) = only(docs, DocType.REFUND_RECEIPT).lines
    assert (line.qty, line.amount, line.source_rows) == (1, Decimal("34.00"), (3, 4))


def test_products__money_without_units_is_an_adjustment_line() -> None:
    rows = [row(2, C.PRODUCT_REFUND, "6.00", sku="W-1", refund=True, raw="RestockingFee")]
    docs, _ = build(rows, tracking=True, mappings={"W-1": item_mapping("W-1")})
    (doc,) = docs
    assert doc.type is DocType.SALES_RECEIPT  # a refund receipt may not be negative: moved to sales
    (line,) = doc.lines
    assert line.qty is None and line.item.name == "Product" and line.amount == Decimal("6.00")


# --- mapping not found -------------------------------------------------------------------------


def test_mapping_not_found__lists_every_unmapped_sku_at_once() -> None:
    rows = [row(2, C.PRODUCT_SALE, "10.00", sku="B", qty=2, title="Bee", date=dt.date(2026, 3, 2)),
            row(3, C.PRODUCT_SALE, "10.00", sku="A", qty=1, date=dt.date(2026, 3, 5)),
            row(4, C.PRODUCT_SALE, "10.00", sku="B", qty=1, date=dt.date(2026, 3, 9)),
            row(5, C.PRODUCT_SALE, "10.00", sku="M", qty=1),
            row(6, C.SHIPPING, "1.00", sku="Z")]
    with pytest.raises(MappingNotFound) as info:
        build(rows, tracking=True, mappings={"M": item_mapping("M")})
    unmapped = info.value.details["unmapped"]
    assert [u["sku"] for u in unmapped] == ["A", "B"]
    assert unmapped[1] == {"sku": "B", "title": "Bee", "quantity": 3, "rows": 2, "first_date": "2026-03-02",
                           "last_date": "2026-03-09", "reason": "not mapped"}
    assert "A, B" in info.value.message


def test_mapping_not_found__not_raised_without_tracking() -> None:
    docs, _ = build([row(2, C.PRODUCT_SALE, "10.00", sku="A", qty=1)], tracking=False)
    assert len(docs) == 1


UNUSABLE = [
    ("none_type", Mapping("A", MappingType.NONE), None, "not mapped"),
    ("item_gone_from_qbo", item_mapping("A", ItemRef("999", "Gone")), qbo_items(), "no longer exists"),
    ("bundle_component_without_item", bundle_mapping("A", (ItemRef("", "x"), "1", "100")), None,
     "no QuickBooks item"),
]


@pytest.mark.parametrize(("case", "mapping", "items", "reason"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_find_unmapped__unusable_mappings(case, mapping, items, reason) -> None:
    s = settlement([row(2, C.PRODUCT_SALE, "10.00", sku="A", qty=1)])
    (u,) = find_unmapped(s, {"A": mapping}, items)
    assert reason in u.reason


# --- grouping, month ends, keys, numbers ------------------------------------------------------


def _month_rows() -> list:
    return [row(2, C.PRODUCT_SALE, "10.00", sku="W", qty=1, date=dt.date(2026, 3, 30), order="o1"),
            row(3, C.PRODUCT_SALE, "11.00", sku="W", qty=1, date=dt.date(2026, 3, 31), order="o2"),
            row(4, C.PRODUCT_SALE, "12.00", sku="W", qty=1, date=dt.date(2026, 4, 1), order="o2"),
            row(5, C.FEE, "-1.00", fee=FeeKind.STORAGE, date=dt.date(2026, 4, 2), order="")]


GROUPINGS = [
    # (grouping, expected (type, date, part of key) in order)
    (Grouping.SETTLEMENT, [("SalesReceipt", "2026-03-31", "all/2026-03"), ("SalesReceipt", "2026-04-05", "all/2026-04"),
                           ("Purchase", "2026-04-05", "all/2026-04")]),
    (Grouping.DAY, [("SalesReceipt", "2026-03-30", "2026-03-30/2026-03"), ("SalesReceipt", "2026-03-31", "2026-03-31/2026-03"),
                    ("SalesReceipt", "2026-04-01", "2026-04-01/2026-04"), ("Purchase", "2026-04-02", "2026-04-02/2026-04")]),
    (Grouping.ORDER, [("SalesReceipt", "2026-03-30", "o1/2026-03"), ("SalesReceipt", "2026-03-31", "o2/2026-03"),
                      ("Purchase", "2026-04-02", "no-order/2026-04"), ("SalesReceipt", "2026-04-01", "o2/2026-04")]),
]


@pytest.mark.parametrize(("grouping", "expected"), GROUPINGS, ids=[g[0].value for g in GROUPINGS])
def test_grouping__and_month_end_split(grouping, expected) -> None:
    routing = routing_from_settings({}, grouping=grouping)
    docs, issues = build(_month_rows(), routing=routing, start=dt.date(2026, 3, 25), end=dt.date(2026, 4, 5))
    got = [(d.type.value, d.date.isoformat(), d.key.split("/", 4)[4]) for d in docs]
    assert sorted(got) == sorted(expected)
    assert all(d.key.startswith(f"7/9/50018020314/{'fees' if d.type is DocType.PURCHASE else 'sales'}/")
               for d in docs)
    assert all(d.private_note == d.key for d in docs)
    assert all(len(d.doc_number) <= DOC_NUMBER_MAX for d in docs)
    assert all(d.date.month == int(d.key.rsplit("/", 1)[1][5:7]) for d in docs)
    assert not issues


DOC_NUMBERS = [
    ("short", "1234", "sales", "2603", "S1234-2603"),
    ("amazon_settlement", "50018020314", "refunds", "0315", "R50018020314-0315"),
    ("too_long_is_hashed", "50018020314", "fees", "111-1234567-1234567", None),
]


@pytest.mark.parametrize(("case", "sid", "role", "suffix", "expected"), DOC_NUMBERS, ids=[c[0] for c in DOC_NUMBERS])
def test_doc_number__at_most_21(case, sid, role, suffix, expected) -> None:
    number = doc_number(f"1/2/{sid}/{role}/x/2026-03", sid, role, suffix)
    assert len(number) <= DOC_NUMBER_MAX
    if expected:
        assert number == expected
    else:
        assert number.startswith("F18020314-") and len(number) == 20
        assert number != doc_number(f"1/2/{sid}/{role}/y/2026-03", sid, role, suffix)


# --- unit prices -------------------------------------------------------------------------------

PRICES = [
    ("whole_cents", "39.98", "2", "19.99"),
    ("needs_more_places", "10.00", "3", "3.333"),
    ("one_unit", "0.01", "1", "0.01"),
    ("many_units", "1000.00", "7", "142.857"),
    ("zero_amount", "0.00", "4", "0.00"),
]


@pytest.mark.parametrize(("case", "amount", "qty", "price"), PRICES, ids=[p[0] for p in PRICES])
def test_unit_price_for__shortest_exact(case, amount, qty, price) -> None:
    got = unit_price_for(Decimal(amount), Decimal(qty))
    assert got == Decimal(price)
    assert (Decimal(qty) * got).quantize(Decimal("0.01")) == Decimal(amount)


def test_unit_price__split_in_two_lines_when_no_price_is_exact() -> None:
    # 33,333,337 units for 12,345.67: no price of at most 7 places is exact.
    assert unit_price_for(Decimal("12345.67"), Decimal(33_333_337)) is None
    rows = [row(2, C.PRODUCT_SALE, "12345.67", sku="W", qty=33_333_337)]
    docs, _ = build(rows)
    lines = docs[0].lines
    assert len(lines) == 2 and lines[1].qty == 1 and lines[0].source_rows == (2,)
    assert sum(ln.amount for ln in lines) == Decimal("12345.67")
    assert sum(ln.qty for ln in lines) == 33_333_337
    assert all((ln.qty * ln.unit_price).quantize(Decimal("0.01")) == ln.amount for ln in lines)


# --- no negative documents, chunking, tie-out ---------------------------------------------------


def test_negative__promotions_over_sales_move_to_the_refund_receipt() -> None:
    rows = [row(2, C.PRODUCT_SALE, "5.00", sku="W", qty=1), row(3, C.PROMOTION, "-8.00")]
    docs, issues = build(rows)
    assert all(d.total >= 0 for d in docs)
    assert only(docs, DocType.REFUND_RECEIPT).total == Decimal("8.00")
    assert only(docs, DocType.SALES_RECEIPT).total == Decimal("5.00")
    assert not issues


def test_chunking__many_skus_make_several_documents_none_negative() -> None:
    rows = [row(i, C.PRODUCT_SALE, "10.00", sku=f"S{i:04d}", qty=1) for i in range(2, MAX_LINES + 60)]
    rows += [row(1000 + i, C.SHIPPING, f"-{i}.00") for i in range(1, 4)]
    docs, issues = build(rows)
    sales = [d for d in docs if d.type is DocType.SALES_RECEIPT]
    assert len(sales) == 2 and all(len(d.lines) <= MAX_LINES and d.total >= 0 for d in sales)
    assert sales[1].key.endswith("2026-03.2") and sales[0].doc_number != sales[1].doc_number
    assert not issues


def test_tie_out__a_stated_total_that_differs_is_an_error_with_the_difference() -> None:
    rows = [row(2, C.PRODUCT_SALE, "10.00", sku="W", qty=1)]
    docs, issues = build(rows, total=Decimal("10.05"))
    (e,) = [i for i in issues if i.severity is Severity.ERROR]
    assert e.code == "tie_out" and "-0.05" in e.message and "10.05" in e.message
    assert not tie_out(settlement(rows, total=Decimal("10.05")), docs).ok


def test_tie_out__full_amazon_settlement() -> None:
    rows = (amazon_order(2, "o1", "W-1", 2, "40.00") + amazon_order(10, "o2", "W-2", 1, "19.99")
            + amazon_refund(20, "o1", "W-1", "20.00") + [row(30, C.FEE, "-39.99", fee=FeeKind.SUBSCRIPTION, order="")])
    mappings = {"W-1": item_mapping("W-1"), "W-2": bundle_mapping("W-2", (GADGET, "1", "70"), (GIZMO, "2", "30"))}
    s = settlement(rows)
    for tracking in (False, True):
        docs, issues = build_documents(s, mappings, ROUTING, tracking=tracking, items=qbo_items())
        t = tie_out(s, docs)
        assert t.ok and t.settlement_total == s.total
        assert not [i for i in issues if i.severity is Severity.ERROR]
