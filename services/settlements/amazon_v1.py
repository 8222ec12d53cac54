"""Amazon settlement flat file V1: tab-separated, several amount columns per line.

Columns (36; files from periods without promotions lack the promotion columns)::

    settlement-id settlement-start-date settlement-end-date deposit-date total-amount currency
    transaction-type order-id merchant-order-id adjustment-id shipment-id marketplace-name
    shipment-fee-type shipment-fee-amount order-fee-type order-fee-amount fulfillment-id
    posted-date order-item-code merchant-order-item-id merchant-adjustment-item-id sku
    quantity-purchased price-type price-amount item-related-fee-type item-related-fee-amount
    misc-fee-amount other-fee-amount other-fee-reason-description promotion-id promotion-type
    promotion-amount direct-payment-type direct-payment-amount other-amount

Each amount column carries its own type column; a line becomes one SettlementRow per non-blank
amount. The quantity sits on a line of its own (no amount): it is folded into the product-sale
row of the same order item. Non-order lines (Payable to Amazon, Successful charge, Subscription
Fee, ServiceFee / Cost of Advertising) carry their amount in ``other-amount`` or the fee columns.
Timestamps are ISO with an offset (``2025-08-14T06:23:59+00:00``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import chain, islice

from services.records import Category, Channel, Issue, ParseResult, SettlementRow, error
from services.settlements import amazon_types
from services.settlements.common import (
    FormatError,
    decode,
    fail,
    find_table,
    finish,
    guess_decimal_comma,
    has_header,
    parse_amount,
    parse_date,
)

FORMAT = "amazon_v1"
CHANNEL = Channel.AMAZON
REQUIRED = ("settlement-id", "total-amount", "transaction-type", "price-type", "price-amount", "posted-date")

# (amount column, its type column, amount-type for the classifier)
AMOUNTS = (
    ("shipment-fee-amount", "shipment-fee-type", "ItemFees"),
    ("order-fee-amount", "order-fee-type", "ItemFees"),
    ("price-amount", "price-type", "ItemPrice"),
    ("item-related-fee-amount", "item-related-fee-type", "ItemFees"),
    ("misc-fee-amount", "", "other-transaction"),
    ("other-fee-amount", "other-fee-reason-description", "other-transaction"),
    ("promotion-amount", "promotion-type", "Promotion"),
    ("direct-payment-amount", "direct-payment-type", "other-transaction"),
    ("other-amount", "", "other-transaction"),
)


def identify(head: bytes) -> bool:
    """A tab-separated header with V1's per-kind amount columns (price-type / price-amount)."""
    return has_header(head, "\t", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """Parse one V1 settlement file; never raises for bad data."""
    try:
        return _parse(name, data)
    except FormatError as exc:
        return fail(name, exc.message, exc.row)


def _parse(name: str, data: bytes) -> ParseResult:
    text, _ = decode(data)
    table = find_table(text, "\t", REQUIRED, within=1, quoted=False, stream=True)
    g = {c: table.getter(c) for c in (
        "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
        "currency", "transaction-type", "order-id", "marketplace-name", "posted-date", "order-item-code",
        "sku", "quantity-purchased", "price-type", *(a for a, _, _ in AMOUNTS), *(t for _, t, _ in AMOUNTS if t))}
    issues: list[Issue] = []
    width = len(table.header)
    summary: list[str] | None = None
    summary_line = None
    rows: list[SettlementRow] = []
    quantities: dict[tuple[str, str], tuple[int, int]] = {}
    first = list(islice(table.rows, 5000))
    decimal_comma = guess_decimal_comma(g[c](rec) for _, rec in first
                                        for c in ("total-amount", *(a for a, _, _ in AMOUNTS)))
    markets: Counter[str] = Counter()
    for line, rec in chain(first, table.rows):
        markets[g["marketplace-name"](rec)] += 1
        if len(rec) < width - 1 and any(c.strip() for c in rec):
            issues.append(error(f"this line has {len(rec)} columns, the header has {width} "
                                "(is the file cut short or edited?)", name, line, code="bad_row"))
        if g["total-amount"](rec):
            if summary is None:
                summary, summary_line = rec, line
            else:
                issues.append(error("a second summary line with a total-amount", name, line))
            continue
        ttype = g["transaction-type"](rec)
        date = parse_date(g["posted-date"](rec))
        if date is None:
            issues.append(error(f"posted-date is not a date: {g['posted-date'](rec)!r}", name, line, code="bad_date"))
            continue
        order_id, item, sku = g["order-id"](rec), g["order-item-code"](rec), g["sku"](rec)
        qty_text = g["quantity-purchased"](rec)
        found = False
        for amount_col, type_col, amount_type in AMOUNTS:
            raw = g[amount_col](rec)
            if not raw:
                continue
            try:
                amount = parse_amount(raw, decimal_comma=decimal_comma)
            except ValueError as exc:
                issues.append(error(f"{amount_col}: {exc}", name, line, code="bad_amount"))
                continue
            if amount is None:
                continue
            found = True
            desc = g[type_col](rec) if type_col else ""
            if not desc:
                desc = ttype if amount_col == "other-amount" else amount_col
            cat, kind, is_refund = amazon_types.classify(ttype, amount_type, desc)
            rows.append(SettlementRow(line, cat, amount, date, order_id, item, sku, "", None, kind, is_refund,
                                      f"{ttype} / {amount_type} / {desc}", name))
        if not found and qty_text:
            try:
                quantities[(order_id, item)] = (int(qty_text), line)
            except ValueError:
                issues.append(error(f"quantity-purchased is not a whole number: {qty_text!r}", name, line))
    if summary is None:
        raise FormatError("no summary line with the settlement total (total-amount is blank everywhere)", row=2)
    rows = _fold_quantities(rows, quantities)
    try:
        stated = parse_amount(g["total-amount"](summary), decimal_comma=decimal_comma)
    except ValueError as exc:
        stated = None
        issues.append(error(f"total-amount: {exc}", name, summary_line, code="bad_amount"))
    markets.pop("", None)
    return finish(
        name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues,
        settlement_id=g["settlement-id"](summary), currency=g["currency"](summary),
        marketplace=markets.most_common(1)[0][0] if markets else "",
        start=parse_date(g["settlement-start-date"](summary)), end=parse_date(g["settlement-end-date"](summary)),
        deposit=parse_date(g["deposit-date"](summary)), stated=stated, stated_label="total-amount",
        stated_row=summary_line)


def _fold_quantities(rows: list[SettlementRow], quantities: dict[tuple[str, str], tuple[int, int]]) -> list[SettlementRow]:
    """Put each quantity line's units on the product-sale row of its order item."""
    if not quantities:
        return rows
    out = []
    for r in rows:
        q = quantities.get((r.order_id, r.order_item))
        if q is not None and r.category is Category.PRODUCT_SALE and not r.is_refund and r.quantity is None:
            r = replace(r, quantity=q[0])
        out.append(r)
    return out

