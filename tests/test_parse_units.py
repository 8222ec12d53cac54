"""Tables of cases for the parsers' pure helpers: amounts, dates, Amazon's amount types."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from services.records import Category, FeeKind
from services.settlements import amazon_types, detect_format, parse_file
from services.settlements.common import guess_decimal_comma, parse_amount, parse_date

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize(("text", "comma", "expected"), [
    ("-62.31", False, Decimal("-62.31")),
    ("321.69    ", False, Decimal("321.69")),
    ("1,234.56", False, Decimal("1234.56")),
    ("1.234,56", True, Decimal("1234.56")),
    ("-32,40", True, Decimal("-32.40")),
    ("-$6.05", False, Decimal("-6.05")),
    ("$1,328.38", False, Decimal("1328.38")),
    ("R$ 1.264,70", True, Decimal("1264.70")),
    ("(12.00)", False, Decimal("-12.00")),
    ("12.00-", False, Decimal("-12.00")),
    ("EUR 5,00", True, Decimal("5.00")),
    ("7", False, Decimal("7.00")),
    ("--", False, None),
    ("", False, None),
])
def test_unit__parse_amount(text: str, comma: bool, expected: Decimal | None) -> None:
    assert parse_amount(text, decimal_comma=comma) == expected


@pytest.mark.parametrize("text", ["4.9x9", "abc", "$", "1e5", "12.345", "1.2.3,4,5"])
def test_unit__parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, decimal_comma=text.endswith(",4,5"))


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-14", dt.date(2026, 3, 14)),
    ("2026-03-14 08:49:04 UTC", dt.date(2026, 3, 14)),
    ("2025-08-14T06:23:59+00:00", dt.date(2025, 8, 14)),
    ("2025-06-30 23:32:39 -0400", dt.date(2025, 6, 30)),
    ("03.05.2018 09:10:07 UTC", dt.date(2018, 5, 3)),
    ("03.05.2018", dt.date(2018, 5, 3)),
    ("07/25/2026", dt.date(2026, 7, 25)),
    ("2026/03/14", dt.date(2026, 3, 14)),
    ("December 31, 2025", dt.date(2025, 12, 31)),
    ("Jul 9, 2023", dt.date(2023, 7, 9)),
    ("Mar 1, 2026 12:03:04 AM PST", dt.date(2026, 3, 1)),
    ("28 de fev. de 2026 21:17:51 GMT-8", dt.date(2026, 2, 28)),
    ("8 de mar. de 2026 07:19:19 GMT-7", dt.date(2026, 3, 8)),
    ("1 de set. de 2026", dt.date(2026, 9, 1)),
    ("31.02.2026", None),
    ("tomorrow", None),
    ("", None),
])
def test_unit__parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("values", "expected"), [
    (["-32,40", "179,99", "1.234,56"], True),
    (["-32.40", "179.99", "1,234.56"], False),
    (["0", "--"], False),
])
def test_unit__guess_decimal_comma(values: list[str], expected: bool) -> None:
    assert guess_decimal_comma(values) is expected


C, K = Category, FeeKind


@pytest.mark.parametrize(("triple", "expected"), [
    (("Order", "ItemPrice", "Principal"), (C.PRODUCT_SALE, None, False)),
    (("Refund", "ItemPrice", "Principal"), (C.PRODUCT_REFUND, None, True)),
    (("Refund", "ItemFees", "Commission"), (C.FEE, K.COMMISSION, True)),
    (("Refund", "Promotion", "Shipping"), (C.PROMOTION, None, True)),
    (("Order", "ItemPrice", "Shipping"), (C.SHIPPING, None, False)),
    (("Order", "ItemPrice", "GiftWrap"), (C.GIFT_WRAP, None, False)),
    (("Order", "ItemPrice", "Tax"), (C.TAX_COLLECTED, None, False)),
    (("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Shipping"), (C.TAX_WITHHELD, None, False)),
    (("Order", "ItemFees", "FBAPerUnitFulfillmentFee"), (C.FEE, K.FULFILMENT, False)),
    (("other-transaction", "FBA Inventory Reimbursement", "REVERSAL_REIMBURSEMENT"), (C.REIMBURSEMENT, None, False)),
    (("other-transaction", "other-transaction", "Current Reserve Amount"), (C.RESERVE, None, False)),
    (("other-transaction", "other-transaction", "Previous Reserve Amount Balance"), (C.RESERVE, None, False)),
    (("other-transaction", "other-transaction", "Storage Fee"), (C.FEE, K.STORAGE, False)),
    (("other-transaction", "other-transaction", "StorageRenewalBilling"), (C.FEE, K.STORAGE, False)),
    (("Cost of Advertising", "Cost of Advertising", "TransactionTotalAmount"), (C.FEE, K.ADVERTISING, False)),
    (("other-transaction", "other-transaction", "Subscription Fee"), (C.FEE, K.SUBSCRIPTION, False)),
    (("Subscription Fee", "other-transaction", "Subscription Fee"), (C.FEE, K.SUBSCRIPTION, False)),
    (("Payable to Amazon", "other-transaction", "Payable to Amazon"), (C.TRANSFER, None, False)),
    (("other-transaction", "other-transaction", "Zorblax"), (C.UNCLASSIFIED, None, False)),
])
def test_unit__amazon_classify(triple: tuple[str, str, str], expected: tuple[object, ...]) -> None:
    assert amazon_types.classify(*triple) == expected


@pytest.mark.parametrize(("fixture", "fmt"), [
    ("amazon_v2_us.txt", "amazon_v2"), ("amazon_v2_eu_cp1252.txt", "amazon_v2"), ("amazon_v1_ca.txt", "amazon_v1"),
    ("amazon_unified_pt.csv", "amazon_unified"), ("amazon_unified_us.csv", "amazon_unified"),
    ("walmart_recon.csv", "walmart_recon"), ("shopify_payouts.csv", "shopify_payouts"),
    ("shopify_orders.csv", "shopify_orders"), ("etsy_statement.csv", "etsy_statement"),
    ("etsy_items.csv", "etsy_items"), ("ebay_transactions.csv", "ebay_transactions"),
])
def test_unit__detect_format_from_the_bytes(fixture: str, fmt: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    assert detect_format(data) == fmt
    assert detect_format(data[:1500]) == fmt  # a head cut mid-line is enough


def test_unit__v1_with_decimal_commas_reads_the_same() -> None:
    text = (FIXTURES / "amazon_v1_ca.txt").read_text(encoding="utf-8")
    commas = re.sub(r"(?<=\t)(-?\d+)\.(\d\d)(?=\s*(\t|\n))", r"\1,\2", text)
    assert commas != text
    dot, comma = parse_file("v1.txt", text.encode()), parse_file("v1.txt", commas.encode())
    assert comma.settlement == dot.settlement and comma.issues == dot.issues == ()


def test_unit__settlement_rows_by_column_equal_the_constructed_records() -> None:
    from services.records import SettlementRow, SettlementRows

    table = SettlementRows.of(2, {"source_row": [3, 4], "category": [C.FEE, C.PRODUCT_SALE],
                                  "amount": [Decimal("-1.00"), Decimal("2.50")], "sku": ["A", "B"],
                                  "fee_kind": [K.STORAGE, None]},
                              date=dt.date(2026, 3, 1), source_file="f.txt")
    expected = [
        SettlementRow(3, C.FEE, Decimal("-1.00"), dt.date(2026, 3, 1), sku="A", fee_kind=K.STORAGE, source_file="f.txt"),
        SettlementRow(4, C.PRODUCT_SALE, Decimal("2.50"), dt.date(2026, 3, 1), sku="B", source_file="f.txt"),
    ]
    built = list(table)
    assert built == expected
    assert table[1] == expected[1] and table[-1] == expected[1]
    assert table[1:] == SettlementRows.from_rows(expected[1:])
    assert SettlementRows.from_rows(expected) == table and table.total == Decimal("1.50")
    assert table.amount == (Decimal("-1.00"), Decimal("2.50")) and table.title == ("", "")
    assert hash(built[0]) == hash(expected[0])
    with pytest.raises(AttributeError):
        built[0].sku = "changed"  # type: ignore[misc]
    with pytest.raises(KeyError, match="amount"):
        SettlementRows.of(1, {"source_row": [1], "category": [C.FEE]}, date=dt.date(2026, 3, 1))
    with pytest.raises(ValueError, match="column sku has 1 values"):
        SettlementRows.of(2, {"source_row": [1, 2], "category": [C.FEE] * 2, "amount": [Decimal(0)] * 2,
                              "sku": ["A"]}, date=dt.date(2026, 3, 1))


def test_unit__settlement_rows_iterate_across_chunks_in_order() -> None:
    from services.records import SettlementRow, SettlementRows

    rows = [SettlementRow(i + 2, C.FEE, Decimal(i) / 100, dt.date(2026, 3, 1 + i % 28), sku=f"S{i % 7}")
            for i in range(10_000)]
    table = SettlementRows.from_rows(rows)
    assert list(table) == rows and len(table) == 10_000
    assert table.total == sum((r.amount for r in rows), Decimal("0.00"))


def test_unit__ebay_fees_written_as_positive_charges_read_the_same() -> None:
    text = (FIXTURES / "ebay_transactions.csv").read_text(encoding="utf-8")
    positive = text.replace('"-0.30","-8.91"', '"0.30","8.91"')
    assert positive != text
    as_is, flipped = parse_file("e.csv", text.encode()), parse_file("e.csv", positive.encode())
    assert flipped.issues == as_is.issues == ()
    assert flipped.settlement == as_is.settlement


def test_unit__v2_unique_matches_numpy_dense_and_sparse() -> None:
    import numpy as np

    from services.settlements.amazon_v2 import _unique

    rng = np.random.default_rng(3)
    for key in (rng.integers(0, 50, 10_000), rng.integers(0, 10**12, 1_000), np.array([7, 7, 7]),
                np.zeros(0, dtype=np.int64)):
        uniq, inverse = _unique(key)
        want_uniq, want_inverse = np.unique(key, return_inverse=True)
        assert uniq.tolist() == want_uniq.tolist() and inverse.tolist() == want_inverse.tolist()
