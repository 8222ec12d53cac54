"""Property tests of the document engine: for any settlement and any valid mappings, the rules of
DESIGN §3 hold (tie-out to the cent, exact bundle splits, no negative document, every row in
exactly one line, Amount == round(Qty × UnitPrice, 2), DocNumber ≤ 21)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.documents import DOC_NUMBER_MAX, MAX_LINES, build_documents, tie_out
from services.records import (
    BundleComponent,
    Category,
    DocType,
    FeeKind,
    Grouping,
    ItemRef,
    Mapping,
    MappingType,
    Settlement,
    SettlementRow,
    Severity,
)
from services.routing import FacilitatorTax, routing_from_settings
from tests.documents_factory import qbo_items, settlement

SKUS = ["A", "B", "C", "D"]
ORDERS = ["o1", "o2", "o3", ""]
ITEMS = [ItemRef("11", "Widget"), ItemRef("12", "Gadget"), ItemRef("13", "Gizmo")]
START = dt.date(2026, 3, 28)

amounts = st.integers(min_value=-50_000, max_value=50_000).map(lambda c: Decimal(c) / 100)


@st.composite
def rows(draw: st.DrawFn) -> list[SettlementRow]:
    n = draw(st.integers(min_value=1, max_value=40))
    out = []
    for i in range(n):
        cat = draw(st.sampled_from(list(Category)))
        amount = draw(amounts)
        date = START + dt.timedelta(days=draw(st.integers(min_value=0, max_value=6)))
        refund = draw(st.booleans())
        product = cat in (Category.PRODUCT_SALE, Category.PRODUCT_REFUND)
        qty = draw(st.one_of(st.none(), st.integers(min_value=-3, max_value=6))) if product else None
        out.append(SettlementRow(
            source_row=i + 2, category=cat, amount=amount, date=date, order_id=draw(st.sampled_from(ORDERS)),
            order_item=draw(st.sampled_from(["", "1", "2"])), sku=draw(st.sampled_from(SKUS)), title="",
            quantity=qty, fee_kind=draw(st.sampled_from(list(FeeKind))) if cat is Category.FEE else None,
            is_refund=refund, raw_type=cat.value, source_file="gen.txt"))
    return out


@st.composite
def percents(draw: st.DrawFn, k: int) -> list[Decimal]:
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, 10_000]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(k)]


@st.composite
def mappings(draw: st.DrawFn) -> dict[str, Mapping]:
    out = {}
    for sku in SKUS:
        if draw(st.booleans()):
            out[sku] = Mapping(sku, MappingType.ITEM, draw(st.sampled_from(ITEMS)))
        else:
            k = draw(st.integers(min_value=1, max_value=3))
            ps = draw(percents(k))
            qs = draw(st.lists(st.sampled_from(["1", "2", "3", "0.5"]), min_size=k, max_size=k))
            out[sku] = Mapping(sku, MappingType.BUNDLE, None, tuple(
                BundleComponent(ITEMS[i], Decimal(q), p) for i, (q, p) in enumerate(zip(qs, ps, strict=True))))
    return out


SIGN = {DocType.SALES_RECEIPT: 1, DocType.DEPOSIT: 1, DocType.REFUND_RECEIPT: -1, DocType.PURCHASE: -1}


def check(s: Settlement, maps: dict[str, Mapping], grouping: Grouping, facilitator: FacilitatorTax,
          tracking: bool) -> None:
    routing = routing_from_settings({"facilitator_tax": facilitator.value}, grouping=grouping)
    docs, issues = build_documents(s, maps, routing, tracking=tracking, items=qbo_items(), key_prefix="1/2")
    by_row = {r.source_row: r for r in s.rows}

    # tie-out to the cent
    assert tie_out(s, docs).ok
    assert not [i for i in issues if i.severity is Severity.ERROR], issues

    seen: list[int] = []
    for d in docs:
        assert d.total >= 0, d
        assert len(d.doc_number) <= DOC_NUMBER_MAX
        assert d.private_note == d.key and d.key.startswith(f"1/2/{s.settlement_id}/")
        assert len(d.lines) <= MAX_LINES
        assert d.date.strftime("%Y-%m") == d.key.rsplit("/", 1)[1][:7]
        if d.type in (DocType.PURCHASE, DocType.DEPOSIT):
            assert all(ln.amount >= 0 and ln.account for ln in d.lines)
        else:
            assert all(ln.item is not None for ln in d.lines)
        block_amount, block_rows = Decimal(0), ()
        blocks = []
        for ln in d.lines:
            if ln.qty is not None:
                assert ln.unit_price is not None
                assert (ln.qty * ln.unit_price).quantize(Decimal("0.01")) == ln.amount
                assert ln.qty >= 0
            if ln.source_rows:
                if block_rows:
                    blocks.append((block_amount, block_rows))
                block_amount, block_rows = Decimal(0), ln.source_rows
            block_amount += ln.amount
            seen.extend(ln.source_rows)
        if block_rows:
            blocks.append((block_amount, block_rows))
        # a line and its bundle components / split parts carry exactly the money of their rows
        for amount, rws in blocks:
            assert SIGN[d.type] * amount == sum(by_row[n].amount for n in rws)
    assert len(seen) == len(set(seen)), "a row landed in two lines"
    missing = set(by_row) - set(seen)
    # only facilitator tax that nets to zero may be left out
    assert all(by_row[n].category in (Category.TAX_COLLECTED, Category.TAX_WITHHELD) for n in missing)
    assert sum((by_row[n].amount for n in missing), Decimal(0)) == 0
    if facilitator is FacilitatorTax.RECORD:
        assert not missing


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), mappings(), st.sampled_from(list(Grouping)), st.sampled_from(list(FacilitatorTax)),
       st.booleans())
def test_properties__every_rule_holds(rs, maps, grouping, facilitator, tracking) -> None:
    check(settlement(rs, start=START, end=START + dt.timedelta(days=6)), maps, grouping, facilitator, tracking)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=MAX_LINES - 5, max_value=MAX_LINES + 80), st.integers(min_value=0, max_value=30))
def test_properties__long_documents_are_cut_without_negatives(n_skus, n_negative) -> None:
    rs = [SettlementRow(i + 2, Category.PRODUCT_SALE, Decimal(100 + i) / 100, START, "o", "", f"S{i}", "", 1)
          for i in range(n_skus)]
    rs += [SettlementRow(1000 + i, Category.PROMOTION, Decimal(-(50 + i)) / 100, START, "o", "", "", "", None,
                         raw_type=f"promo {i}") for i in range(n_negative)]
    check(settlement(rs, start=START, end=START), {}, Grouping.SETTLEMENT, FacilitatorTax.EXCLUDE, False)
