"""Etsy monthly statement (Shop Manager → Finances → Monthly statements → Download CSV).

Columns: Date, Type, Title, Info, Currency, Amount, "Fees & Taxes", Net, "Tax Details". The file
starts with a BOM; dates read ``"December 31, 2025"``; money reads ``$129.26`` / ``-$6.05``; ``--``
means empty. ``Net`` is each line's money. Lines are typed Sale, Refund, Fee, Shipping (labels),
Tax, Buyer Fee, Marketing, Deposit (no money: the payout to the bank), ...

A ``Sale`` is the buyer's whole payment, sales tax included; Etsy then withholds the tax on
``Tax`` lines ("Sales tax paid by buyer", per order). So the tax is moved out of the sale into
``tax_collected`` and the withholding is ``tax_withheld``: they net to zero. With the sold-order
items export uploaded alongside, a sale that matches its items exactly is split into one product
sale per item (SKU, quantity), shipping and discounts; otherwise it stays one product sale
without SKU, with a warning. The statement states no total; the settlement id is
``etsy-<year>-<month>``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from services.records import Category, Channel, FeeKind, ParseResult, SettlementRow, error, warning
from services.settlements import etsy_items
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
from services.settlements.etsy_items import EtsyOrder

FORMAT = "etsy_statement"
CHANNEL = Channel.ETSY
C, K = Category, FeeKind
COLUMNS = ("Date", "Type", "Title", "Info", "Currency", "Amount", "Fees & Taxes", "Net", "Tax Details")
REQUIRED = ("Date", "Type", "Title", "Info", "Amount", "Fees & Taxes", "Net")
_ORDER = re.compile(r"Order #\s*(\d+)")

# (type, title pattern) -> category, in order; the first match wins
RULES: tuple[tuple[str, str, Category, FeeKind | None], ...] = (
    ("sale", r"", C.PRODUCT_SALE, None),
    ("refund", r"", C.PRODUCT_REFUND, None),
    ("fee", r"processing fee", C.FEE, K.OTHER),
    ("fee", r"transaction fee|listing fee|renew|share & save|offsite", C.FEE, K.COMMISSION),
    ("fee", r"", C.FEE, K.OTHER),
    ("shipping", r"", C.FEE, K.FULFILMENT),
    ("postage", r"", C.FEE, K.FULFILMENT),
    ("tax", r"sales tax|buyer", C.TAX_WITHHELD, None),
    ("tax", r"", C.FEE, K.OTHER),  # tax (VAT/GST) charged on Etsy's own fees
    ("vat", r"", C.FEE, K.OTHER),
    ("buyer fee", r"", C.TAX_WITHHELD, None),  # retail delivery fees: collected from the buyer, remitted by Etsy
    ("marketing", r"", C.FEE, K.ADVERTISING),
    ("subscription", r"", C.FEE, K.SUBSCRIPTION),
    ("reserve", r"", C.RESERVE, None),
    ("payment", r"", C.TRANSFER, None),
    ("deposit", r"", C.TRANSFER, None),
    ("adjustment", r"", C.REIMBURSEMENT, None),
)


def identify(head: bytes) -> bool:
    """A CSV header with Etsy's Date / Type / Title / Info / Amount / Fees & Taxes / Net."""
    return has_header(head, ",", REQUIRED, within=1)


def classify(ttype: str, title: str) -> tuple[Category, FeeKind | None, bool]:
    """(category, fee kind, is_refund) of one statement line."""
    t, ti = ttype.strip().lower(), title.strip().lower()
    is_refund = t == "refund" or ti.startswith("refund to buyer")
    for rtype, pattern, cat, kind in RULES:
        if t == rtype and re.search(pattern, ti):
            return cat, kind, is_refund
    return C.UNCLASSIFIED, None, is_refund


def parse(name: str, data: bytes) -> ParseResult:
    """Parse a statement alone (no SKUs; a warning says to add the sold-order-items export)."""
    return parse_many(name, data, ())[0]


def parse_many(name: str, data: bytes, companions: list[tuple[str, bytes]] | tuple[()] = ()) -> list[ParseResult]:
    """Parse a statement with the sold-order-items exports uploaded with it; never raises."""
    try:
        return [_parse(name, data, list(companions))]
    except FormatError as exc:
        return [fail(name, exc.message, exc.row)]


class _Line:
    __slots__ = ("cat", "date", "is_refund", "kind", "line", "net", "order", "raw", "title")

    def __init__(self, line: int, date: dt.date, net: Decimal, cat: Category, kind: FeeKind | None,
                 is_refund: bool, order: str, title: str, raw: str) -> None:
        self.line, self.date, self.net, self.cat, self.kind = line, date, net, cat, kind
        self.is_refund, self.order, self.title, self.raw = is_refund, order, title, raw


def _parse(name: str, data: bytes, companions: list[tuple[str, bytes]]) -> ParseResult:
    text, _ = decode(data)
    table = find_table(text, ",", REQUIRED, within=1)
    g = {c: table.getter(c) for c in COLUMNS}
    orders, issues = read_companions(
        name, companions, etsy_items.read_orders, code="no_items_export",
        missing="no Etsy sold-order-items export was uploaded with this statement, so sales carry no "
                 "SKUs or quantities; upload both files together")
    lines: list[_Line] = []
    deposits: list[dt.date] = []
    currencies: set[str] = set()
    for line, rec in table.rows:
        ttype, title, info = g["Type"](rec), g["Title"](rec), g["Info"](rec)
        date = parse_date(g["Date"](rec))
        if date is None:
            issues.append(error(f"Date is not a date: {g['Date'](rec)!r}", name, line, code="bad_date"))
            continue
        try:
            net = parse_amount(g["Net"](rec))
            if net is None:
                parts = [parse_amount(g["Amount"](rec)), parse_amount(g["Fees & Taxes"](rec))]
                net = None if all(p is None for p in parts) else sum((p for p in parts if p is not None),
                                                                     Decimal("0.00"))
        except ValueError as exc:
            issues.append(error(str(exc), name, line, code="bad_amount"))
            continue
        if g["Currency"](rec):
            currencies.add(g["Currency"](rec))
        if ttype.lower() == "deposit":
            deposits.append(date)
            if net is None:
                continue
        if net is None:
            if ttype:
                issues.append(warning(f"the {ttype} line has no amount; skipped", name, line, code="no_amount"))
            continue
        cat, kind, is_refund = classify(ttype, title)
        m = _ORDER.search(title) or _ORDER.search(info)
        lines.append(_Line(line, date, net, cat, kind, is_refund, m[1] if m else "", title,
                           f"{ttype} / {title}"[:200]))
    # sales tax withheld per order: moved out of the sale / refund it belongs to
    tax_by_order: dict[tuple[str, bool], Decimal] = {}
    for ln in lines:
        if ln.cat is C.TAX_WITHHELD and ln.order:
            key = (ln.order, ln.is_refund)
            tax_by_order[key] = tax_by_order.get(key, Decimal("0.00")) + ln.net
    rows: list[SettlementRow] = []
    unmatched: list[tuple[int, str]] = []
    for ln in lines:
        if ln.cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND):
            rows.extend(_product_rows(ln, tax_by_order.get((ln.order, ln.is_refund), Decimal("0.00")),
                                      orders.get(ln.order), name, unmatched, bool(companions)))
        else:
            rows.append(SettlementRow(ln.line, ln.cat, ln.net, ln.date, ln.order, "", "", "", None, ln.kind,
                                      ln.is_refund, ln.raw, name))
    if unmatched:
        some = ", ".join(f"row {r}: #{o}" for r, o in unmatched[:5])
        more = f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else ""
        issues.append(warning(f"{len(unmatched)} sales do not match the items export ({some}{more}); each is kept as "
                              "one product sale without SKU", name, unmatched[0][0], code="sale_not_matched"))
    if len(currencies) > 1:
        issues.append(error(f"the statement mixes currencies ({', '.join(sorted(currencies))})", name))
    if not rows:
        raise FormatError("the statement has no amounts", row=table.header_line + 1)
    dates = [r.date for r in rows] + deposits
    start, end = min(dates), max(dates)
    sid = f"etsy-{start:%Y-%m}" if (start.year, start.month) == (end.year, end.month) else \
        f"etsy-{start:%Y%m%d}-{end:%Y%m%d}"
    return finish(name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues, settlement_id=sid,
                  currency=next(iter(currencies), "USD"), marketplace="Etsy", start=start, end=end,
                  deposit=max(deposits) if deposits else end, source_files=(name, *(c[0] for c in companions)))


def _product_rows(ln: _Line, withheld: Decimal, order: EtsyOrder | None, name: str,
                  unmatched: list[tuple[int, str]], have_items: bool) -> list[SettlementRow]:
    """A sale (or refund) split into goods, shipping, discounts and the tax Etsy withholds."""
    tax = -withheld  # the withholding is negative on a sale: the buyer paid that much tax inside the sale
    sign = -1 if ln.is_refund else 1
    out: list[SettlementRow] = []
    if order is not None:
        discount = sum((i.discount for i in order.items), Decimal("0.00"))
        gross = sum((i.price * i.quantity for i in order.items), Decimal("0.00"))
        whole = gross - discount + order.shipping + sign * tax
        if sign * ln.net == whole:
            for k, item in enumerate(order.items, start=1):
                out.append(SettlementRow(ln.line, ln.cat, sign * item.price * item.quantity, ln.date, ln.order,
                                         item.transaction_id or str(k), item.sku, item.title, item.quantity, None,
                                         ln.is_refund, f"{ln.raw} / item", name))
            if discount:
                out.append(SettlementRow(ln.line, C.PROMOTION, -sign * discount, ln.date, ln.order, "", "", "", None,
                                         None, ln.is_refund, f"{ln.raw} / discount", name))
            if order.shipping:
                out.append(SettlementRow(ln.line, C.SHIPPING, sign * order.shipping, ln.date, ln.order, "", "", "",
                                         None, None, ln.is_refund, f"{ln.raw} / shipping", name))
            if tax:
                out.append(SettlementRow(ln.line, C.TAX_COLLECTED, tax, ln.date, ln.order, "", "", "", None, None,
                                         ln.is_refund, f"{ln.raw} / sales tax", name))
            return out
    if have_items and not ln.is_refund:
        unmatched.append((ln.line, ln.order))
    single = order.items[0] if order is not None and len({i.sku for i in order.items}) == 1 else None
    out.append(SettlementRow(ln.line, ln.cat, ln.net - tax, ln.date, ln.order, "",
                             single.sku if single else "", single.title if single else "", None, None, ln.is_refund,
                             ln.raw, name))
    if tax:
        out.append(SettlementRow(ln.line, C.TAX_COLLECTED, tax, ln.date, ln.order, "", "", "", None, None,
                                 ln.is_refund, f"{ln.raw} / sales tax", name))
    return out
