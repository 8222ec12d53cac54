"""Settlements, mappings and items built directly, for the document engine's tests and bench."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.records import (
    BundleComponent,
    Category,
    Channel,
    FeeKind,
    ItemRef,
    Mapping,
    MappingType,
    QboItem,
    Settlement,
    SettlementRow,
    SettlementRows,
)

D = dt.date(2026, 3, 14)
C = Category


def money(text: str) -> Decimal:
    return Decimal(text)


def row(n: int, category: Category, amount: str, *, date: dt.date = D, order: str = "111-0000001-0000001",
        item: str = "", sku: str = "", qty: int | None = None, refund: bool = False,
        fee: FeeKind | None = None, raw: str = "", title: str = "") -> SettlementRow:
    return SettlementRow(n, category, Decimal(amount), date, order, item, sku, title, qty, fee, refund,
                         raw or f"{category.value}", "test.txt")


def settlement(rows: list[SettlementRow] | tuple[SettlementRow, ...], *, sid: str = "50018020314",
               total: Decimal | None = None, start: dt.date = dt.date(2026, 3, 1),
               end: dt.date = dt.date(2026, 3, 15)) -> Settlement:
    rows = tuple(rows)
    lines = sum((r.amount for r in rows), Decimal("0.00"))
    return Settlement(settlement_id=sid, channel=Channel.AMAZON, format="test", marketplace="Amazon.com",
                      currency="USD", start=start, end=end, deposit_date=end + dt.timedelta(days=2),
                      total=lines if total is None else total, rows=SettlementRows.from_rows(rows),
                      stated_total=lines if total is None else total, source_files=("test.txt",))


WIDGET = ItemRef("11", "Widget")
GADGET = ItemRef("12", "Gadget")
GIZMO = ItemRef("13", "Gizmo")


def item_mapping(sku: str, ref: ItemRef = WIDGET) -> Mapping:
    return Mapping(sku, MappingType.ITEM, ref)


def bundle_mapping(sku: str, *parts: tuple[ItemRef, str, str]) -> Mapping:
    return Mapping(sku, MappingType.BUNDLE, None,
                   tuple(BundleComponent(ref, Decimal(q), Decimal(p)) for ref, q, p in parts))


def qbo_items(start: dt.date = dt.date(2026, 1, 1)) -> dict[str, QboItem]:
    out = {}
    for ref, price, cost in ((WIDGET, "20.00", "8.00"), (GADGET, "15.00", "5.00"), (GIZMO, "9.99", "3.00")):
        out[ref.id] = QboItem(ref.id, ref.name, "Inventory", sku=ref.name.upper(), qty_on_hand=Decimal(100),
                              inv_start_date=start, purchase_cost=Decimal(cost), unit_price=Decimal(price),
                              income_account="Sales of Product Income", expense_account="Cost of Goods Sold",
                              asset_account="Inventory Asset")
    out["1"] = QboItem("1", "Product", "NonInventory", income_account="Sales of Product Income")
    return out


def amazon_order(start: int, order: str, sku: str, qty: int, price: str, *, date: dt.date = D,
                 item: str = "1") -> list[SettlementRow]:
    """An Amazon order: principal, shipping, tax collected and withheld, promotion, two fees."""
    return [
        row(start, C.PRODUCT_SALE, price, order=order, item=item, sku=sku, qty=qty, date=date,
            raw="Order / ItemPrice / Principal", title=f"Title of {sku}"),
        row(start + 1, C.SHIPPING, "4.99", order=order, item=item, sku=sku, date=date),
        row(start + 2, C.TAX_COLLECTED, "1.60", order=order, item=item, sku=sku, date=date),
        row(start + 3, C.TAX_WITHHELD, "-1.60", order=order, item=item, sku=sku, date=date),
        row(start + 4, C.PROMOTION, "-2.00", order=order, item=item, sku=sku, date=date),
        row(start + 5, C.FEE, "-3.00", order=order, item=item, sku=sku, fee=FeeKind.COMMISSION, date=date),
        row(start + 6, C.FEE, "-3.22", order=order, item=item, sku=sku, fee=FeeKind.FULFILMENT, date=date),
    ]


def amazon_refund(start: int, order: str, sku: str, amount: str, *, date: dt.date = D,
                  item: str = "1") -> list[SettlementRow]:
    """An Amazon refund: principal without quantity, shipping, tax, commission back, refund fee."""
    return [
        row(start, C.PRODUCT_REFUND, f"-{amount}", order=order, item=item, sku=sku, refund=True, date=date,
            raw="Refund / ItemPrice / Principal"),
        row(start + 1, C.SHIPPING, "-4.99", order=order, item=item, sku=sku, refund=True, date=date),
        row(start + 2, C.TAX_COLLECTED, "-1.60", order=order, item=item, sku=sku, refund=True, date=date),
        row(start + 3, C.TAX_WITHHELD, "1.60", order=order, item=item, sku=sku, refund=True, date=date),
        row(start + 4, C.FEE, "2.40", order=order, item=item, sku=sku, refund=True, fee=FeeKind.COMMISSION,
            date=date),
        row(start + 5, C.FEE, "-0.60", order=order, item=item, sku=sku, refund=True, fee=FeeKind.COMMISSION,
            date=date),
    ]
