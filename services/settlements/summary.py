"""The summary of one settlement that ``parse --json`` prints and the Settlements page shows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from services.money import ZERO, money_str
from services.records import Category, FeeKind, Settlement, SettlementRow


def category_key(row: SettlementRow) -> str:
    """The by-category key of a row: its category, fees split by kind (``fee:commission``)."""
    return _key(row.category, row.fee_kind)


def _key(category: Category, fee_kind: FeeKind | None) -> str:
    if category is Category.FEE:
        return f"fee:{(fee_kind.value if fee_kind else 'other')}"
    return category.value


def refund_quantities(settlement: Settlement) -> dict[int, int]:
    """Units refunded per product-refund row (by index in ``settlement.rows``).

    Amazon leaves a refund's quantity blank. When the original sale of the order item is in the
    same settlement, the units are the refunded amount over the sale's unit price (rounded, at
    least one, at most the units sold); otherwise one unit per refunded order item. The document
    engine makes the final call (it also knows earlier settlements).
    """
    rows = settlement.rows
    PS, PR = Category.PRODUCT_SALE, Category.PRODUCT_REFUND
    sold: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for c, order_id, order_item, quantity, amount in zip(rows.category, rows.order_id, rows.order_item,
                                                         rows.quantity, rows.amount, strict=True):
        if c is PS and order_item and quantity:
            qty, money = sold.get((order_id, order_item), (0, ZERO))
            sold[(order_id, order_item)] = (qty + quantity, money + amount)
    out: dict[int, int] = {}
    seen: set[tuple[str, str, str]] = set()
    for i, (c, order_id, order_item, quantity, amount) in enumerate(zip(
            rows.category, rows.order_id, rows.order_item, rows.quantity, rows.amount, strict=True)):
        if c is not PR or amount > 0:
            continue
        if quantity is not None:
            out[i] = abs(quantity)
            continue
        key = (order_id, order_item or str(rows.source_row[i]), rows.sku[i])
        if key in seen:  # one count per refunded order item
            continue
        seen.add(key)
        qty, money = sold.get((order_id, order_item), (0, ZERO))
        if qty and money:
            units = int((abs(amount) * qty / money).to_integral_value())
            out[i] = min(max(units, 1), qty)
        else:
            out[i] = 1
    return out


def summarize(settlement: Settlement) -> dict[str, Any]:
    """Exactly the JSON of DESIGN §9 for ``parse --json``: money as two-decimal strings, ISO dates.

    ``orders`` counts distinct orders with a sale amount, ``refunds`` distinct orders with a
    refund; ``skus`` gives units sold and refunded per SKU (with its title when the report has
    one); ``by_category`` sums money per category with fees split by kind.
    """
    rows = settlement.rows
    PS, PR = Category.PRODUCT_SALE, Category.PRODUCT_REFUND
    orders: set[str] = set()
    refunded_orders: set[str] = set()
    sold: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    titles: dict[str, str] = {}
    by_category: dict[tuple[Category, FeeKind | None], Decimal] = defaultdict(lambda: ZERO)
    refund_qty = refund_quantities(settlement)
    for i, (c, kind, amount, order_id, is_refund, sku, title, quantity) in enumerate(zip(
            rows.category, rows.fee_kind, rows.amount, rows.order_id, rows.is_refund, rows.sku, rows.title,
            rows.quantity, strict=True)):
        by_category[(c, kind)] += amount
        if order_id:
            (refunded_orders if is_refund else orders).add(order_id)
        if sku and title and sku not in titles:
            titles[sku] = title
        if c is PS and sku:
            sold[sku] += quantity or 0
        elif c is PR and sku:
            refunded[sku] += refund_qty.get(i, 0)
    categories: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (c, kind), amount in by_category.items():
        categories[_key(c, kind)] += amount
    lines_total = sum(by_category.values(), ZERO)
    skus = sorted(set(sold) | set(refunded))
    return {
        "format": settlement.format,
        "settlement_id": settlement.settlement_id,
        "currency": settlement.currency,
        "start": settlement.start.isoformat(),
        "end": settlement.end.isoformat(),
        "deposit_date": settlement.deposit_date.isoformat(),
        "total": money_str(settlement.total),
        "lines_total": money_str(lines_total),
        "rows": len(settlement.rows),
        "orders": len(orders),
        "refunds": len(refunded_orders),
        "skus": {s: {"sold": sold.get(s, 0), "refunded": refunded.get(s, 0), "title": titles.get(s, "")}
                 for s in skus},
        "by_category": {k: money_str(v) for k, v in sorted(categories.items())},
    }
