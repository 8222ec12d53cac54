"""Settlement records built directly, for storage and import tests that do not need a parser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.records import Category, Channel, FeeKind, Settlement, SettlementRow, SettlementRows

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
        total=lines, rows=SettlementRows.from_rows(rows), stated_total=lines if stated else None, source_files=source_files)


def many_rows(n: int) -> tuple[SettlementRow, ...]:
    """``n`` plain sale rows with distinct amounts (for chunking and volume)."""
    return tuple(
        SettlementRow(i + 2, Category.PRODUCT_SALE, Decimal(i % 100_000) / 100 - Decimal("250.00"),
                      D + dt.timedelta(days=i % 14), f"111-{i:07d}", str(i), f"SKU-{i % 50}", "", 1,
                      raw_type="Order / ItemPrice / Principal", source_file="big.txt")
        for i in range(n))


V2_COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id",
    "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
    "merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id",
)

# (transaction-type, order-id, amount-type, amount-description, amount, sku, quantity, posted-date)
V2_LINES: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("Order", "112-0000001-0000001", "ItemPrice", "Principal", "59.98", "MUG-BLUE", "2", "2026-03-03"),
    ("Order", "112-0000001-0000001", "ItemPrice", "Shipping", "5.99", "MUG-BLUE", "", "2026-03-03"),
    ("Order", "112-0000001-0000001", "ItemPrice", "Tax", "4.80", "MUG-BLUE", "", "2026-03-03"),
    ("Order", "112-0000001-0000001", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", "-4.80",
     "MUG-BLUE", "", "2026-03-03"),
    ("Order", "112-0000001-0000001", "ItemFees", "Commission", "-9.00", "MUG-BLUE", "", "2026-03-03"),
    ("Order", "112-0000001-0000001", "ItemFees", "FBAPerUnitFulfillmentFee", "-7.34", "MUG-BLUE", "",
     "2026-03-03"),
    ("Order", "112-0000002-0000002", "ItemPrice", "Principal", "24.50", "TEA-GREEN-100", "1", "2026-03-05"),
    ("Order", "112-0000002-0000002", "Promotion", "Principal", "-2.45", "TEA-GREEN-100", "", "2026-03-05"),
    ("Order", "112-0000002-0000002", "ItemFees", "Commission", "-3.68", "TEA-GREEN-100", "", "2026-03-05"),
    ("Order", "112-0000004-0000004", "ItemPrice", "Principal", "74.97", "BOTTLE-STEEL", "3", "2026-03-07"),
    ("Order", "112-0000004-0000004", "ItemFees", "Commission", "-11.25", "BOTTLE-STEEL", "", "2026-03-07"),
    ("Refund", "112-0000003-0000003", "ItemPrice", "Principal", "-29.99", "MUG-BLUE", "", "2026-03-09"),
    ("Refund", "112-0000003-0000003", "ItemFees", "Commission", "3.60", "MUG-BLUE", "", "2026-03-09"),
    ("other-transaction", "", "other-transaction", "Storage Fee", "-12.17", "", "", "2026-03-10"),
    ("other-transaction", "", "other-transaction", "Subscription Fee", "-39.99", "", "", "2026-03-12"),
)


def amazon_v2_file(settlement_id: str = "24688812345", *, total: str | None = None,
                   lines: tuple[tuple[str, str, str, str, str, str, str, str], ...] = V2_LINES) -> bytes:
    """An Amazon V2 flat file (US form) re-created for these tests; ``total`` overrides the stated one."""
    stated = total if total is not None else str(sum((Decimal(line[4]) for line in lines), Decimal("0.00")))
    out = ["\t".join(V2_COLUMNS)]
    summary = dict.fromkeys(V2_COLUMNS, "")
    summary.update({"settlement-id": settlement_id, "settlement-start-date": "2026-03-01 00:00:00 UTC",
                    "settlement-end-date": "2026-03-15 00:00:00 UTC",
                    "deposit-date": "2026-03-17 00:00:00 UTC", "total-amount": stated, "currency": "USD"})
    out.append("\t".join(summary[c] for c in V2_COLUMNS))
    for i, (ttype, order, atype, desc, amount, sku, qty, posted) in enumerate(lines):
        row = dict.fromkeys(V2_COLUMNS, "")
        row.update({"settlement-id": settlement_id, "transaction-type": ttype, "order-id": order,
                    "merchant-order-id": order, "marketplace-name": "Amazon.com" if order else "",
                    "amount-type": atype, "amount-description": desc, "amount": amount,
                    "fulfillment-id": "AFN" if order else "", "posted-date": posted,
                    "posted-date-time": f"{posted} 08:49:04 UTC",
                    "order-item-code": f"{60000000000000 + i // 6}" if order else "", "sku": sku,
                    "quantity-purchased": qty})
        out.append("\t".join(row[c] for c in V2_COLUMNS))
    return ("\n".join(out) + "\n").encode("utf-8")
