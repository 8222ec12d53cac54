"""The summary of one settlement that ``parse --json`` prints and the Settlements page shows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from services.money import ZERO, money_str
from services.records import Category, Settlement, SettlementRow


def category_key(row: SettlementRow) -> str:
    """The by-category key of a row: its category, fees split by kind (``fee:commission``)."""
    if row.category is Category.FEE:
        return f"fee:{(row.fee_kind.value if row.fee_kind else 'other')}"
    return row.category.value


def refund_quantities(settlement: Settlement) -> dict[int, int]:
    """Units refunded per product-refund row (by index in ``settlement.rows``).

    Amazon leaves a refund's quantity blank. When the original sale of the order item is in the
    same settlement, the units are the refunded amount over the sale's unit price (rounded, at
    least one, at most the units sold); otherwise one unit per refunded order item. The document
    engine makes the final call (it also knows earlier settlements).
    """
    sold: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for r in settlement.rows:
        if r.category is Category.PRODUCT_SALE and r.order_item and r.quantity:
            qty, amount = sold.get((r.order_id, r.order_item), (0, ZERO))
            sold[(r.order_id, r.order_item)] = (qty + r.quantity, amount + r.amount)
    out: dict[int, int] = {}
    seen: set[tuple[str, str, str]] = set()
    for i, r in enumerate(settlement.rows):
        if r.category is not Category.PRODUCT_REFUND or r.amount > 0:
            continue
        if r.quantity is not None:
            out[i] = abs(r.quantity)
            continue
        key = (r.order_id, r.order_item or str(r.source_row), r.sku)
        if key in seen:  # one count per refunded order item
            continue
        seen.add(key)
        qty, amount = sold.get((r.order_id, r.order_item), (0, ZERO))
        if qty and amount:
            units = int((abs(r.amount) * qty / amount).to_integral_value())
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
    orders: set[str] = set()
    refunded_orders: set[str] = set()
    sold: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    titles: dict[str, str] = {}
    by_category: dict[str, Decimal] = defaultdict(lambda: ZERO)
    refund_qty = refund_quantities(settlement)
    lines_total = ZERO
    for i, r in enumerate(settlement.rows):
        lines_total += r.amount
        by_category[category_key(r)] += r.amount
        if r.order_id:
            (refunded_orders if r.is_refund else orders).add(r.order_id)
        if r.sku and r.title and r.sku not in titles:
            titles[r.sku] = r.title
        if r.category is Category.PRODUCT_SALE and r.sku:
            sold[r.sku] += r.quantity or 0
        elif r.category is Category.PRODUCT_REFUND and r.sku:
            refunded[r.sku] += refund_qty.get(i, 0)
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
        "by_category": {k: money_str(v) for k, v in sorted(by_category.items())},
    }
