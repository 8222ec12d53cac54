"""Settlement records built directly, for storage and import tests that do not need a parser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.records import Category, Channel, FeeKind, Settlement, SettlementRow

D = dt.date(2026, 3, 14)


def sample_rows() -> tuple[SettlementRow, ...]:
    """Rows with every awkward value: cents, large amounts, blank quantity, tabs and unicode."""
    return (
        SettlementRow(2, Category.PRODUCT_SALE, Decimal("35.00"), D, "702-1101758-6751437", "135844999381281",
                      "SALTT15-ALLT", "Salt lamp, 15 cm", 1, raw_type="Order / ItemPrice / Principal",
                      source_file="s.txt"),
        SettlementRow(3, Category.SHIPPING, Decimal("6.99"), D, "702-1101758-6751437", "135844999381281",
                      "SALTT15-ALLT", "", None, raw_type="Order / ItemPrice / Shipping", source_file="s.txt"),
        SettlementRow(4, Category.FEE, Decimal("-5.25"), D, "702-1101758-6751437", "135844999381281",
                      "SALTT15-ALLT", fee_kind=FeeKind.COMMISSION, raw_type="Order / ItemFees / Commission",
                      source_file="s.txt"),
        SettlementRow(5, Category.PRODUCT_REFUND, Decimal("-0.01"), D + dt.timedelta(days=1), "702-9",
                      "77", "SKU\twith tab", 'Größe "XL"\nzweite Zeile \\ backslash', None, is_refund=True,
                      raw_type="Refund / ItemPrice / Principal", source_file="s.txt"),
        SettlementRow(6, Category.REIMBURSEMENT, Decimal("1234567.89"), D, raw_type="other-transaction",
                      source_file="s.txt"),
        SettlementRow(7, Category.FEE, Decimal("-99999999.99"), D, fee_kind=FeeKind.STORAGE,
                      raw_type="Storage Fee", source_file="s.txt"),
        SettlementRow(8, Category.UNCLASSIFIED, Decimal("0.10"), D, quantity=0, raw_type="Mystery",
                      source_file="s.txt"),
    )


def make_settlement(settlement_id: str = "23874397121", rows: tuple[SettlementRow, ...] | None = None,
                    *, stated: bool = True, source_files: tuple[str, ...] = ("s.txt",)) -> Settlement:
    rows = sample_rows() if rows is None else rows
    lines = sum((r.amount for r in rows), Decimal("0.00"))
    return Settlement(
        settlement_id=settlement_id, channel=Channel.AMAZON, format="amazon_v2", marketplace="Amazon.ca",
        currency="CAD", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 15), deposit_date=dt.date(2026, 3, 17),
        total=lines, rows=rows, stated_total=lines if stated else None, source_files=source_files)


def many_rows(n: int) -> tuple[SettlementRow, ...]:
    """``n`` plain sale rows with distinct amounts (for chunking and volume)."""
    return tuple(
        SettlementRow(i + 2, Category.PRODUCT_SALE, Decimal(i % 100_000) / 100 - Decimal("250.00"),
                      D + dt.timedelta(days=i % 14), f"111-{i:07d}", str(i), f"SKU-{i % 50}", "", 1,
                      raw_type="Order / ItemPrice / Principal", source_file="big.txt")
        for i in range(n))
