"""Property: a generated Amazon V2 settlement, written to bytes in any of its real forms (US or EU
numbers and dates, UTF-8 or Windows-1252, 23 or 24 columns, LF or CRLF), parses back to exactly
the amounts, SKUs and lines it was built from, and its rows sum to the stated total."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlements import parse_file

HEADER = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
)
KINDS = [
    ("Order", "ItemPrice", "Principal"), ("Order", "ItemPrice", "Shipping"), ("Order", "ItemFees", "Commission"),
    ("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal"), ("Order", "Promotion", "Principal"),
    ("Refund", "ItemPrice", "Principal"), ("Refund", "ItemFees", "RefundCommission"),
    ("other-transaction", "other-transaction", "Storage Fee"),
    ("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_LOST"),
    ("other-transaction", "other-transaction", "Something Amazon invents next year"),
]
SKU_CHARS = "ABCDEFXYZabcxyz0123456789-_.ÄÖÜßéñ"

row_strategy = st.tuples(
    st.sampled_from(KINDS),
    st.integers(min_value=-10**9, max_value=10**9),  # cents, up to ten million
    st.text(alphabet=SKU_CHARS, min_size=1, max_size=20),
    st.one_of(st.none(), st.integers(min_value=1, max_value=500)),
    st.integers(min_value=1, max_value=28),
)


def _money(cents: int, eu: bool) -> str:
    sign = "-" if cents < 0 else ""
    units, frac = divmod(abs(cents), 100)
    if not eu:
        return f"{sign}{units}.{frac:02d}"
    return f"{sign}{units:,}".replace(",", ".") + f",{frac:02d}"


def _date(day: int, eu: bool, with_time: bool) -> str:
    d = f"{day:02d}.03.2026" if eu else f"2026-03-{day:02d}"
    return f"{d} 08:49:04 UTC" if with_time else d


def _write(rows: list, eu: bool, cp1252: bool, columns: int, crlf: bool) -> bytes:  # type: ignore[type-arg]
    header = HEADER[:columns]
    total = sum(cents for _, cents, *_ in rows)
    summary = ["4242", _date(1, eu, True), _date(28, eu, True), _date(28, eu, True), _money(total, eu), "EUR" if eu else "USD"]
    lines = ["\t".join(header), "\t".join(summary + [""] * (columns - 6))]
    for k, ((ttype, atype, desc), cents, sku, qty, day) in enumerate(rows):
        order = f"111-{k:07d}-0000001" if ttype != "other-transaction" else ""
        cells = ["4242", "", "", "", "", "", ttype, order, "", "", "", "Amazon.de" if eu else "Amazon.com", atype, desc,
                 _money(cents, eu), "AFN", _date(day, eu, False), _date(day, eu, True), str(9000 + k) if order else "",
                 "", "", sku, "" if qty is None else str(qty), ""]
        lines.append("\t".join(cells[:columns]))
    text = ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")
    return text.encode("cp1252" if cp1252 else "utf-8")


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row_strategy, min_size=1, max_size=40), eu=st.booleans(), cp1252=st.booleans(),
       columns=st.sampled_from([23, 24]), crlf=st.booleans())
def test_property__generated_v2_parses_back_exactly(rows: list, eu: bool, cp1252: bool, columns: int,  # type: ignore[type-arg]
                                                    crlf: bool) -> None:
    data = _write(rows, eu, cp1252, columns, crlf)
    res = parse_file("gen.txt", data)
    assert [i for i in res.issues if i.severity.value == "error"] == []
    s = res.settlement
    assert s is not None
    assert [r.amount for r in s.rows] == [Decimal(cents) / 100 for _, cents, *_ in rows]
    assert [r.sku for r in s.rows] == [sku for _, _, sku, _, _ in rows]
    assert [r.source_row for r in s.rows] == list(range(3, 3 + len(rows)))
    assert [r.date.day for r in s.rows] == [day for *_, day in rows]
    assert s.total == s.lines_total == Decimal(sum(cents for _, cents, *_ in rows)) / 100
    assert s.currency == ("EUR" if eu else "USD")
    for r, (kind, _, _, qty, _) in zip(s.rows, rows, strict=True):
        assert r.is_refund == (kind[0] == "Refund")
        if kind[1] == "ItemPrice" and kind[2] == "Principal":
            assert r.quantity == qty
