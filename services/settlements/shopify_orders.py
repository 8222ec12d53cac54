"""Shopify orders export (Orders → Export, CSV): the companion that gives SKUs and quantities.

One line per line item; the first line of an order carries the order's fields (Financial
Status, Currency, Subtotal, Shipping, Taxes, Total, Discount Amount, ...) and continuation lines
leave them blank, repeating only ``Name`` and the ``Lineitem *`` columns. This module reads the
export into :class:`Order` records; it has no settlement of its own (a payout report does), so
:mod:`services.settlements` joins it to the Shopify payout transactions export uploaded with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.records import Issue, ParseResult, error
from services.settlements.common import FormatError, decode, fail, find_table, has_header, parse_amount

FORMAT = "shopify_orders"
COMPANION_OF = "shopify_payouts"
DESCRIPTION = "a Shopify orders export"
NEEDS = "the Shopify Payments payout transactions export"
COLUMNS = ("Name", "Financial Status", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Amount",
           "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Lineitem discount",
           "Refunded Amount", "Created at")
REQUIRED = ("Name", "Lineitem quantity", "Lineitem sku", "Lineitem price", "Total")


@dataclass(frozen=True, slots=True)
class LineItem:
    sku: str
    title: str
    quantity: int
    price: Decimal  # unit price
    discount: Decimal
    source_row: int


@dataclass(frozen=True, slots=True)
class Order:
    """One order of the export with its line items (amounts as the export states them)."""

    name: str
    currency: str
    subtotal: Decimal
    shipping: Decimal
    taxes: Decimal
    total: Decimal
    discount: Decimal
    items: tuple[LineItem, ...]
    source_row: int
    financial_status: str = ""

    @property
    def taxes_included(self) -> bool:
        """True when prices include tax (VAT): the total is subtotal + shipping alone."""
        return self.taxes != 0 and self.subtotal + self.shipping == self.total


def identify(head: bytes) -> bool:
    """A CSV header with Shopify's Name / Lineitem quantity / Lineitem sku columns."""
    return has_header(head, ",", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """An orders export alone is not a settlement: it completes a payout export."""
    return fail(name, f"this is {DESCRIPTION}; it adds SKUs and quantities to {NEEDS}. Upload both files together.")


def read_orders(name: str, data: bytes) -> tuple[dict[str, Order], list[Issue]]:
    """The orders of an export by order name (``#1001``), and the problems found reading it."""
    issues: list[Issue] = []
    try:
        text, _ = decode(data)
        table = find_table(text, ",", REQUIRED, within=1)
    except FormatError as exc:
        return {}, [error(exc.message, name, exc.row)]
    g = {c: table.getter(c) for c in COLUMNS}
    heads: dict[str, tuple[int, list[str]]] = {}
    items: dict[str, list[LineItem]] = {}

    def money(text: str, line: int, column: str) -> Decimal:
        try:
            return parse_amount(text) or Decimal("0.00")
        except ValueError as exc:
            issues.append(error(f"{column}: {exc}", name, line, code="bad_amount"))
            return Decimal("0.00")

    for line, rec in table.rows:
        order = g["Name"](rec)
        if not order:
            continue
        if g["Total"](rec) and order not in heads:
            heads[order] = (line, rec)
        qty_text = g["Lineitem quantity"](rec)
        if not qty_text:
            continue
        try:
            qty = int(qty_text)
        except ValueError:
            issues.append(error(f"Lineitem quantity is not a whole number: {qty_text!r}", name, line))
            continue
        items.setdefault(order, []).append(LineItem(
            g["Lineitem sku"](rec), g["Lineitem name"](rec), qty, money(g["Lineitem price"](rec), line, "Lineitem price"),
            money(g["Lineitem discount"](rec), line, "Lineitem discount"), line))
    orders: dict[str, Order] = {}
    for order, (line, rec) in heads.items():
        orders[order] = Order(
            order, g["Currency"](rec), money(g["Subtotal"](rec), line, "Subtotal"),
            money(g["Shipping"](rec), line, "Shipping"), money(g["Taxes"](rec), line, "Taxes"),
            money(g["Total"](rec), line, "Total"), money(g["Discount Amount"](rec), line, "Discount Amount"),
            tuple(items.get(order, ())), line, g["Financial Status"](rec))
    return orders, issues
