"""Walmart reconciliation report (v1): CSV, one line per amount, 43 columns.

The header is followed by a junk line ``Number of Lines in file N`` (kept as a check: a file
holding fewer lines than it announces was cut short). The ``PaymentSummary`` line states the
period and the ``Total Payable`` (what was deposited); every other line is one amount whose
meaning is given by ``Transaction Type`` (Sale, Refund, Adjustment, Service Fee, ...) and
``Amount Type`` (Product Price, Commission on Product, Product tax withheld, ...). Dates are
``MM/DD/YYYY``. The report has no payout id: the settlement id is derived from the period.
"""

from __future__ import annotations

import re
from decimal import Decimal

from services.records import Category, Channel, FeeKind, Issue, ParseResult, SettlementRow, error, warning
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

FORMAT = "walmart_recon"
CHANNEL = Channel.WALMART
C, K = Category, FeeKind

COLUMNS = (
    "Period Start Date", "Period End Date", "Total Payable", "Currency", "Transaction Key",
    "Transaction Posted Timestamp", "Transaction Type", "Transaction Description", "Customer Order #",
    "Customer Order line #", "Purchase Order #", "Purchase Order line #", "Amount", "Amount Type", "Ship Qty",
    "Partner Item Id", "Partner Item Name",
)
REQUIRED = ("Period Start Date", "Total Payable", "Transaction Type", "Amount", "Amount Type")

# Amount Type -> category (product price turns into a refund on Refund lines)
AMOUNT_TYPES: dict[str, tuple[Category, FeeKind | None]] = {
    "product price": (C.PRODUCT_SALE, None),
    "shipping price": (C.SHIPPING, None),
    "gift wrap price": (C.GIFT_WRAP, None),
    "product tax": (C.TAX_COLLECTED, None),
    "shipping tax": (C.TAX_COLLECTED, None),
    "gift wrap tax": (C.TAX_COLLECTED, None),
    "other tax (fees)": (C.TAX_COLLECTED, None),
    "fee tax": (C.TAX_COLLECTED, None),
    "product tax withheld": (C.TAX_WITHHELD, None),
    "shipping tax withheld": (C.TAX_WITHHELD, None),
    "gift wrap tax withheld": (C.TAX_WITHHELD, None),
    "other tax withheld": (C.TAX_WITHHELD, None),
    "commission on product": (C.FEE, K.COMMISSION),
    "commission on shipping": (C.FEE, K.COMMISSION),
    "commission on gift wrap": (C.FEE, K.COMMISSION),
    "commission incentive": (C.FEE, K.COMMISSION),
    "promo code": (C.PROMOTION, None),
    "total walmart funded savings": (C.PROMOTION, None),
    "walmart funded savings": (C.PROMOTION, None),
    "discount": (C.PROMOTION, None),
}
# descriptions of fee / reimbursement lines, matched in order
DESCRIPTIONS: tuple[tuple[str, tuple[Category, FeeKind | None]], ...] = (
    (r"storage", (C.FEE, K.STORAGE)),
    (r"lost|damage|found|reimburs|missing", (C.REIMBURSEMENT, None)),
    (r"advertis|walmart connect|sponsored|campaign", (C.FEE, K.ADVERTISING)),
    (r"subscription", (C.FEE, K.SUBSCRIPTION)),
    (r"reserve", (C.RESERVE, None)),
    (r"fulfil|fulfill|return processing|disposal|removal|inbound|prep|label|shipping", (C.FEE, K.FULFILMENT)),
    (r"fee", (C.FEE, K.OTHER)),
)
REFUND_TYPES = {"refund", "return refund", "chargeback"}


def identify(head: bytes) -> bool:
    """A CSV header with Walmart's Period Start Date / Total Payable / Amount Type."""
    return has_header(head, ",", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """Parse one Walmart reconciliation report; never raises for bad data."""
    try:
        return _parse(name, data)
    except FormatError as exc:
        return fail(name, exc.message, exc.row)


def classify(ttype: str, amount_type: str, description: str) -> tuple[Category, FeeKind | None, bool]:
    """(category, fee kind, is_refund) of one Walmart amount."""
    t, a, d = ttype.lower(), amount_type.lower(), description.lower()
    is_refund = t in REFUND_TYPES
    cat_kind = AMOUNT_TYPES.get(a)
    if cat_kind is None:
        cat_kind = next((ck for pattern, ck in DESCRIPTIONS if re.search(pattern, d)), None)
    if cat_kind is None:
        return C.UNCLASSIFIED, None, is_refund
    cat, kind = cat_kind
    if cat is C.PRODUCT_SALE and is_refund:
        cat = C.PRODUCT_REFUND
    return cat, kind, is_refund


def _parse(name: str, data: bytes) -> ParseResult:
    text, _ = decode(data)
    table = find_table(text, ",", REQUIRED, within=1)
    g = {c: table.getter(c) for c in COLUMNS}
    issues: list[Issue] = []
    rows: list[SettlementRow] = []
    summary: list[str] | None = None
    summary_line: int | None = None
    announced: tuple[int, int] | None = None
    amount_lines = 0
    for line, rec in table.rows:
        first = rec[0].strip() if rec else ""
        m = re.match(r"number of lines in file\s+(\d+)", first, re.I)
        if m:
            announced = (int(m[1]), line)
            continue
        ttype = g["Transaction Type"](rec)
        if ttype.lower() == "paymentsummary":
            if summary is not None:
                issues.append(error("a second PaymentSummary line; is this several reports joined together?",
                                    name, line))
            summary, summary_line = rec, line
            continue
        amount_lines += 1
        date = parse_date(g["Transaction Posted Timestamp"](rec))
        if date is None:
            issues.append(error(f"Transaction Posted Timestamp is not a date: "
                                f"{g['Transaction Posted Timestamp'](rec)!r}", name, line, code="bad_date"))
            continue
        try:
            amount = parse_amount(g["Amount"](rec))
        except ValueError as exc:
            issues.append(error(f"Amount: {exc}", name, line, code="bad_amount"))
            continue
        if amount is None:
            issues.append(warning("the line has no Amount; skipped", name, line, code="no_amount"))
            continue
        amount_type, desc = g["Amount Type"](rec), g["Transaction Description"](rec)
        cat, kind, is_refund = classify(ttype, amount_type, desc)
        qty_text = g["Ship Qty"](rec)
        qty = int(qty_text) if qty_text.isdigit() and cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND) else None
        order_line = g["Customer Order line #"](rec)
        rows.append(SettlementRow(
            line, cat, amount, date, g["Customer Order #"](rec),
            f"{g['Purchase Order #'](rec)}-{g['Purchase Order line #'](rec)}" if order_line else "",
            g["Partner Item Id"](rec), g["Partner Item Name"](rec), qty, kind, is_refund,
            f"{ttype} / {desc} / {amount_type}", name))
    if summary is None:
        raise FormatError("no PaymentSummary line with the Total Payable (is the file cut short?)")
    if announced is not None and announced[0] != amount_lines + 1:
        issues.append(warning(f"the file announces {announced[0]} lines but holds {amount_lines + 1} "
                              "(is it cut short or an excerpt?)", name, announced[1], code="line_count"))
    try:
        stated: Decimal | None = parse_amount(g["Total Payable"](summary))
    except ValueError as exc:
        stated = None
        issues.append(error(f"Total Payable: {exc}", name, summary_line, code="bad_amount"))
    start = parse_date(g["Period Start Date"](summary))
    end = parse_date(g["Period End Date"](summary))
    deposit = parse_date(g["Transaction Posted Timestamp"](summary)) or end
    sid = f"walmart-{start:%Y%m%d}-{end:%Y%m%d}" if start and end else f"walmart-{name}"
    return finish(name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues, settlement_id=sid,
                  currency=g["Currency"](summary) or "USD", marketplace="Walmart.com", start=start, end=end,
                  deposit=deposit, stated=stated, stated_label="Total Payable", stated_row=summary_line)
