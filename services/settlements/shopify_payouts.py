"""Shopify Payments payout transactions export, joined with the Shopify orders export.

The payout export has one line per money movement (``charge``, ``refund``, ``adjustment``,
``chargeback``, ``payout`` ...) with ``Amount``, ``Fee`` (positive, deducted) and ``Net``; it
knows orders by name (``#43033``) but not what was in them. The orders export, uploaded with it,
gives line items (SKU, quantity, unit price), shipping, taxes and discounts. A charge equal to its
order's total is split into those parts (a product sale per line item with its SKU and quantity,
shipping, tax, a negative promotion for discounts); a charge that does not match (partial
payment, gift cards, no orders export) stays one product sale without SKU, with a warning.
Refunds of the whole order mirror the split; partial refunds keep the SKU when the order has one.

One export is one settlement (its period is the span of its transactions, the deposit date the
latest payout date); the settlement id is ``shopify-<first>-<last payout date>``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal

from services.records import Category, Channel, FeeKind, ParseResult, SettlementRow, error, warning
from services.settlements import shopify_orders
from services.settlements.common import (
    FormatError,
    decode,
    fail,
    find_table,
    finish,
    has_header,
    parse_amount,
    parse_date,
    read_companions,
)
from services.settlements.shopify_orders import LineItem, Order

FORMAT = "shopify_payouts"
CHANNEL = Channel.SHOPIFY
C, K = Category, FeeKind
COLUMNS = ("Transaction Date", "Type", "Order", "Payout Status", "Payout Date", "Amount", "Fee", "Net", "Currency",
           "Checkout", "Card Source")
REQUIRED = ("Transaction Date", "Type", "Order", "Payout Date", "Amount", "Fee", "Net")

TYPES: dict[str, tuple[Category, FeeKind | None, bool]] = {
    "charge": (C.PRODUCT_SALE, None, False),
    "refund": (C.PRODUCT_REFUND, None, True),
    "chargeback": (C.PRODUCT_REFUND, None, True),
    "dispute": (C.PRODUCT_REFUND, None, True),
    "chargeback_won": (C.PRODUCT_SALE, None, False),
    "chargeback won": (C.PRODUCT_SALE, None, False),
    "adjustment": (C.REIMBURSEMENT, None, False),
    "refund_failure": (C.REIMBURSEMENT, None, False),
    "reserve": (C.RESERVE, None, False),
    "reserved_funds": (C.RESERVE, None, False),
    "payout": (C.TRANSFER, None, False),
    "transfer": (C.TRANSFER, None, False),
    "shopify_collective_credit": (C.REIMBURSEMENT, None, False),
    "application_fee_refund": (C.FEE, K.OTHER, False),
    "tax_adjustment": (C.FEE, K.OTHER, False),
}


def identify(head: bytes) -> bool:
    """A CSV header with Shopify's Transaction Date / Payout Date / Amount / Fee / Net."""
    return has_header(head, ",", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """Parse a payout export alone (no SKUs; a warning says to add the orders export)."""
    return parse_many(name, data, ())[0]


def parse_many(name: str, data: bytes, companions: list[tuple[str, bytes]] | tuple[()] = ()) -> list[ParseResult]:
    """Parse a payout export with the orders exports uploaded with it; never raises for bad data."""
    try:
        return [_parse(name, data, list(companions))]
    except FormatError as exc:
        return [fail(name, exc.message, exc.row)]


def _split_order(order: Order, line: int, date: dt.date, sign: int, is_refund: bool, name: str,
                 raw: str) -> list[SettlementRow]:
    """The parts of a whole order (sale, or full refund when ``sign`` is -1).

    When prices include tax (VAT), the order's tax is taken out of its parts in proportion to
    them (largest remainder, so the parts still sum to the order's total to the cent) and shown
    as ``tax_collected``.
    """
    product = C.PRODUCT_REFUND if is_refund else C.PRODUCT_SALE
    parts: list[tuple[Category, Decimal, int, LineItem | None]] = [
        (product, item.price * item.quantity, k, item) for k, item in enumerate(order.items, start=1)]
    if order.discount:
        parts.append((C.PROMOTION, -order.discount, 0, None))
    if order.shipping:
        parts.append((C.SHIPPING, order.shipping, 0, None))
    if order.taxes and order.taxes_included:
        shares = _allocate(order.taxes, [amount for _, amount, _, _ in parts])
        parts = [(cat, amount - share, k, item) for (cat, amount, k, item), share in zip(parts, shares, strict=True)]
    out: list[SettlementRow] = []
    for cat, amount, k, item in parts:
        if item is not None:
            out.append(SettlementRow(line, cat, sign * amount, date, order.name, str(k), item.sku, item.title,
                                     item.quantity, None, is_refund, f"{raw} / line item", name))
        else:
            what = "discount" if cat is C.PROMOTION else "shipping"
            out.append(SettlementRow(line, cat, sign * amount, date, order.name, "", "", "", None, None, is_refund,
                                     f"{raw} / {what}", name))
    if order.taxes:
        out.append(SettlementRow(line, C.TAX_COLLECTED, sign * order.taxes, date, order.name, "", "", "", None,
                                 None, is_refund, f"{raw} / taxes" + (" (included in prices)" if order.taxes_included
                                                                     else ""), name))
    return out


def _allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` split over ``weights`` in proportion, to the cent, by largest remainder (the
    shares sum to ``total`` exactly)."""
    whole = sum(weights, Decimal("0.00"))
    if not whole:
        return [total, *([Decimal("0.00")] * (len(weights) - 1))] if weights else []
    cents = int(total * 100)
    exact = [Decimal(cents) * w / whole for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(c) / 100).quantize(Decimal("0.01")) for c in floors]


def _parts_total(order: Order) -> Decimal:
    total = sum((i.price * i.quantity for i in order.items), Decimal("0.00")) - order.discount + order.shipping
    return total + (Decimal("0.00") if order.taxes_included else order.taxes)


def _parse(name: str, data: bytes, companions: list[tuple[str, bytes]]) -> ParseResult:
    text, _ = decode(data)
    table = find_table(text, ",", REQUIRED, within=1)
    g = {c: table.getter(c) for c in COLUMNS}
    orders, issues = read_companions(
        name, companions, shopify_orders.read_orders, code="no_orders_export",
        missing="no Shopify orders export was uploaded with this payout export, so sales carry no "
                 "SKUs or quantities; upload both files together")
    rows: list[SettlementRow] = []
    payout_dates = []
    currencies: set[str] = set()
    unpaid = 0
    refunded_whole: set[str] = set()
    missing: list[tuple[int, str]] = []
    partial: list[tuple[int, str]] = []
    for line, rec in table.rows:
        ttype = g["Type"](rec).lower()
        date = parse_date(g["Transaction Date"](rec))
        if date is None:
            issues.append(error(f"Transaction Date is not a date: {g['Transaction Date'](rec)!r}", name, line,
                                code="bad_date"))
            continue
        try:
            amount = parse_amount(g["Amount"](rec)) or Decimal("0.00")
            fee = parse_amount(g["Fee"](rec)) or Decimal("0.00")
            net = parse_amount(g["Net"](rec))
        except ValueError as exc:
            issues.append(error(str(exc), name, line, code="bad_amount"))
            continue
        if net is not None and amount - fee != net:
            issues.append(error(f"Amount {amount:.2f} minus Fee {fee:.2f} is not the Net {net:.2f}", name, line,
                                code="line_total_mismatch"))
        payout = parse_date(g["Payout Date"](rec))
        if payout:
            payout_dates.append(payout)
        if g["Payout Status"](rec).lower() not in ("", "paid"):
            unpaid += 1
        if g["Currency"](rec):
            currencies.add(g["Currency"](rec))
        order_name = g["Order"](rec)
        raw = f"{ttype}"
        cat, kind, is_refund = TYPES.get(ttype, (C.UNCLASSIFIED, None, False))
        order = orders.get(order_name)
        if cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND) and order is not None and order.items:
            sign = -1 if amount < 0 else 1
            whole = _parts_total(order)
            if abs(amount) == whole and not (is_refund and order_name in refunded_whole):
                rows.extend(_split_order(order, line, date, sign, is_refund, name, raw))
                if is_refund:
                    refunded_whole.add(order_name)
            else:
                skus = {i.sku for i in order.items}
                single = next(iter(order.items)) if len(skus) == 1 else None
                if not is_refund:
                    partial.append((line, f"{order_name} ({amount:.2f} of {whole:.2f})"))
                rows.append(SettlementRow(line, cat, amount, date, order_name, "",
                                          single.sku if single and is_refund else "",
                                          single.title if single and is_refund else "", None, None, is_refund,
                                          f"{raw} / partial", name))
        else:
            if cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND) and companions and order_name:
                missing.append((line, order_name))
            rows.append(SettlementRow(line, cat, amount, date, order_name, "", "", "", None, kind, is_refund, raw,
                                      name))
        if fee:
            rows.append(SettlementRow(line, C.FEE, -fee, date, order_name, "", "", "", None, K.OTHER, is_refund,
                                      f"{ttype} / fee", name))
    if missing:
        issues.append(warning(f"{len(missing)} charges or refunds are for orders not in the orders export "
                              f"({_some(missing)}); they are kept without SKUs. Is the orders export for the same "
                              "shop and period?", name, missing[0][0], code="order_not_found"))
    if partial:
        issues.append(warning(f"{len(partial)} charges differ from their order's total in the orders export "
                              f"({_some(partial)}); each is kept as one sale without SKUs", name, partial[0][0],
                              code="partial_charge"))
    if unpaid:
        issues.append(warning(f"{unpaid} transactions are in payouts that are not paid yet", name,
                              code="unpaid_payout"))
    if len(currencies) > 1:
        issues.append(error(f"the export mixes currencies ({', '.join(sorted(currencies))})", name))
    dates = [r.date for r in rows]
    if not dates:
        raise FormatError("the export has no transactions", row=table.header_line + 1)
    first = min(payout_dates) if payout_dates else min(dates)
    last = max(payout_dates) if payout_dates else max(dates)
    sid = f"shopify-{first:%Y%m%d}" if first == last else f"shopify-{first:%Y%m%d}-{last:%Y%m%d}"
    return finish(name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues, settlement_id=sid,
                  currency=next(iter(currencies), "USD"), marketplace="Shopify", deposit=last,
                  source_files=(name, *(c[0] for c in companions)))


def _some(items: list[tuple[int, str]], n: int = 5) -> str:
    names = ", ".join(f"row {line}: {what}" for line, what in items[:n])
    return names + (f" and {len(items) - n} more" if len(items) > n else "")
