"""eBay transaction report (Seller Hub → Payments → Reports → Transaction report, CSV).

Layout, as eBay documents it and public parsers read it: an optional preamble of a few quoted
lines, then the header::

    Transaction creation date, Type, Order number, Legacy order ID, Buyer username, Buyer name,
    Ship to city, Ship to province/region/state, Ship to zip, Ship to country, Net amount,
    Payout currency, Payout date, Payout ID, Payout method, Payout status, Reason for hold,
    Item ID, Transaction ID, Item title, Custom label, Quantity, Item subtotal,
    Shipping and handling, Seller collected tax, eBay collected tax, Final Value Fee - fixed,
    Final Value Fee - variable, Regulatory operating fee, Very high "item not as described" fee,
    Below standard performance fee, International fee, Charity donation, Deposit processing fee,
    Gross transaction amount, Transaction currency, Exchange rate, Reference ID, Description

Dates read ``Jul 9, 2023``; ``--`` means empty; fees are negative. An ``Order`` (or ``Refund``)
line spreads its money over the item subtotal, shipping, taxes and fees, and its ``Net amount``
must equal their sum. eBay collects and remits sales tax itself ("eBay collected tax"): it is
``tax_collected`` and ``tax_withheld`` at once, netting to zero. Other lines (Shipping label,
Other fee, Payout, Claim, ...) are one amount each. The report states no payout total for the
whole file; the settlement id is ``ebay-<first>-<last date>``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from services.records import Category, Channel, FeeKind, Issue, ParseResult, SettlementRow, error
from services.settlements.common import (
    FormatError,
    decode,
    fail,
    find_table,
    finish,
    has_header,
    parse_amount,
    parse_date,
)

FORMAT = "ebay_transactions"
CHANNEL = Channel.EBAY
C, K = Category, FeeKind
REQUIRED = ("Transaction creation date", "Type", "Order number", "Net amount", "Item subtotal")
COLUMNS = ("Transaction creation date", "Type", "Order number", "Net amount", "Payout currency", "Payout date",
           "Payout ID", "Item ID", "Transaction ID", "Item title", "Custom label", "Quantity", "Item subtotal",
           "Shipping and handling", "Seller collected tax", "eBay collected tax", "Final Value Fee - fixed",
           "Final Value Fee - variable", "Regulatory operating fee", 'Very high "item not as described" fee',
           "Below standard performance fee", "International fee", "Charity donation", "Deposit processing fee",
           "Gross transaction amount", "Transaction currency", "Description")
# money columns of Order / Refund lines
PARTS: tuple[tuple[str, Category, FeeKind | None], ...] = (
    ("Item subtotal", C.PRODUCT_SALE, None),
    ("Shipping and handling", C.SHIPPING, None),
    ("Seller collected tax", C.TAX_COLLECTED, None),
    ("eBay collected tax", C.TAX_COLLECTED, None),
    ("Final Value Fee - fixed", C.FEE, K.COMMISSION),
    ("Final Value Fee - variable", C.FEE, K.COMMISSION),
    ("Regulatory operating fee", C.FEE, K.OTHER),
    ('Very high "item not as described" fee', C.FEE, K.OTHER),
    ("Below standard performance fee", C.FEE, K.OTHER),
    ("International fee", C.FEE, K.OTHER),
    ("Charity donation", C.FEE, K.OTHER),
    ("Deposit processing fee", C.FEE, K.OTHER),
)
OTHER_TYPES: dict[str, tuple[Category, FeeKind | None, bool]] = {
    "shipping label": (C.FEE, K.FULFILMENT, False),
    "payout": (C.TRANSFER, None, False),
    "transfer": (C.TRANSFER, None, False),
    "hold": (C.RESERVE, None, False),
    "reserve": (C.RESERVE, None, False),
    "claim": (C.PRODUCT_REFUND, None, True),
    "payment dispute": (C.PRODUCT_REFUND, None, True),
    "adjustment": (C.REIMBURSEMENT, None, False),
    "credit": (C.REIMBURSEMENT, None, False),
    "charge": (C.FEE, K.OTHER, False),
}


def identify(head: bytes) -> bool:
    """A CSV header (after an optional preamble) with eBay's transaction report columns."""
    return has_header(head, ",", REQUIRED, within=20)


def parse(name: str, data: bytes) -> ParseResult:
    """Parse one eBay transaction report; never raises for bad data."""
    try:
        return _parse(name, data)
    except FormatError as exc:
        return fail(name, exc.message, exc.row)


def _no_dashes(get: Callable[[list[str]], str]) -> Callable[[list[str]], str]:
    """eBay writes ``--`` for an empty cell."""
    def cell(rec: list[str]) -> str:
        value = get(rec)
        return "" if value == "--" else value
    return cell


Part = tuple[str, Category, FeeKind | None, Decimal | None]


def _fee_signs(parts: list[Part], net: Decimal | None) -> list[Part]:
    """Fees as money to the seller (negative on a sale). Current reports write them negative;
    should a report write them as positive charges, the line's Net amount tells, and they are
    turned around so that the parts still add up to the Net."""
    def total(ps: list[Part]) -> Decimal:
        return sum((a for col, _, _, a in ps if a and col != "eBay collected tax"), Decimal("0.00"))

    if net is None or total(parts) == net:
        return parts
    flipped = [(col, cat, kind, -a if cat is C.FEE and a else a) for col, cat, kind, a in parts]
    return flipped if total(flipped) == net else parts


def _other_fee(description: str) -> tuple[Category, FeeKind | None, bool]:
    d = description.lower()
    if "promoted" in d or "advertis" in d or "ad fee" in d:
        return C.FEE, K.ADVERTISING, False
    if "subscription" in d or "store" in d:
        return C.FEE, K.SUBSCRIPTION, False
    if "final value" in d or "insertion" in d or "listing" in d:
        return C.FEE, K.COMMISSION, False
    return C.FEE, K.OTHER, False


def _parse(name: str, data: bytes) -> ParseResult:
    text, _ = decode(data)
    table = find_table(text, ",", REQUIRED, within=20)
    g = {c: _no_dashes(table.getter(c)) for c in COLUMNS}
    issues: list[Issue] = []
    rows: list[SettlementRow] = []
    payouts = []
    currencies: set[str] = set()
    for line, rec in table.rows:
        ttype = g["Type"](rec)
        t = ttype.lower()
        date = parse_date(g["Transaction creation date"](rec))
        if date is None:
            issues.append(error(f"Transaction creation date is not a date: {g['Transaction creation date'](rec)!r}",
                                name, line, code="bad_date"))
            continue
        try:
            net = parse_amount(g["Net amount"](rec))
            parts = [(col, cat, kind, parse_amount(g[col](rec))) for col, cat, kind in PARTS]
        except ValueError as exc:
            issues.append(error(str(exc), name, line, code="bad_amount"))
            continue
        payout = parse_date(g["Payout date"](rec))
        if payout:
            payouts.append(payout)
        currency = g["Payout currency"](rec) or g["Transaction currency"](rec)
        if currency:
            currencies.add(currency)
        order, sku, title = g["Order number"](rec), g["Custom label"](rec), g["Item title"](rec)
        item = g["Transaction ID"](rec) or g["Item ID"](rec)
        desc = g["Description"](rec)
        qty_text = g["Quantity"](rec)
        qty = int(qty_text) if qty_text.lstrip("-").isdigit() else None
        if t in ("order", "refund") and any(a for *_, a in parts):
            is_refund = t == "refund"
            parts = _fee_signs(parts, net)
            total = Decimal("0.00")
            for col, cat, kind, amount in parts:
                if not amount:
                    continue
                total += amount
                if cat is C.PRODUCT_SALE and is_refund:
                    cat = C.PRODUCT_REFUND
                product = cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND)
                rows.append(SettlementRow(line, cat, amount, date, order, item, sku, title if product else "",
                                          (abs(qty) if qty is not None else None) if product else None, kind,
                                          is_refund, f"{ttype} / {col}", name))
                if col == "eBay collected tax":
                    total -= amount
                    rows.append(SettlementRow(line, C.TAX_WITHHELD, -amount, date, order, item, sku, "", None, None,
                                              is_refund, f"{ttype} / {col} (remitted by eBay)", name))
            if net is not None and total != net:
                issues.append(error(f"the amounts of this line sum to {total:.2f} but its Net amount is {net:.2f}",
                                    name, line, code="line_total_mismatch"))
            continue
        if net is None or not net:
            continue
        if t == "other fee":
            cat, kind, is_refund = _other_fee(desc)
        elif t in ("order", "refund"):
            cat, kind, is_refund = (C.PRODUCT_REFUND, None, True) if t == "refund" else (C.PRODUCT_SALE, None, False)
        else:
            cat, kind, is_refund = OTHER_TYPES.get(t, (C.UNCLASSIFIED, None, False))
        rows.append(SettlementRow(line, cat, net, date, order, item, sku, "", None, kind, is_refund,
                                  f"{ttype} / {desc}"[:200], name))
    if len(currencies) > 1:
        issues.append(error(f"the report mixes currencies ({', '.join(sorted(currencies))})", name))
    if not rows:
        raise FormatError("the report has no amounts", row=table.header_line + 1)
    dates = [r.date for r in rows]
    start, end = min(dates), max(dates)
    return finish(name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues,
                  settlement_id=f"ebay-{start:%Y%m%d}-{end:%Y%m%d}", currency=next(iter(currencies), "USD"),
                  marketplace="eBay", start=start, end=end, deposit=max(payouts) if payouts else end)
