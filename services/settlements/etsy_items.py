"""Etsy sold-order-items export (Shop Manager → Settings → Options → Download Data → Order
Items, ``EtsySoldOrderItems<year>.csv``): the companion that gives SKUs and quantities.

One line per item sold; ``Order ID`` links it to the statement's ``Order #N``. ``Price`` is the
unit price, ``Discount Amount`` the item's discount; ``Order Shipping`` and ``Order Sales Tax``
belong to the whole order (repeated on each of its lines). It has no settlement of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.records import Issue, ParseResult, error
from services.settlements.common import FormatError, decode, fail, find_table, has_header, parse_amount

FORMAT = "etsy_items"
COMPANION_OF = "etsy_statement"
DESCRIPTION = "an Etsy sold-order-items export"
NEEDS = "the Etsy monthly statement"
COLUMNS = ("Sale Date", "Item Name", "Quantity", "Price", "Discount Amount", "Order Shipping", "Order Sales Tax",
           "Order ID", "Transaction ID", "Listing ID", "SKU", "Currency")
REQUIRED = ("Item Name", "Quantity", "Price", "Order ID", "Listing ID")


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    title: str
    quantity: int
    price: Decimal  # unit price
    discount: Decimal
    transaction_id: str
    source_row: int


@dataclass(frozen=True, slots=True)
class EtsyOrder:
    order_id: str
    items: tuple[Item, ...]
    shipping: Decimal
    sales_tax: Decimal

    @property
    def goods(self) -> Decimal:
        return sum((i.price * i.quantity - i.discount for i in self.items), Decimal("0.00"))


def identify(head: bytes) -> bool:
    """A CSV header with Etsy's Item Name / Quantity / Price / Order ID / Listing ID."""
    return has_header(head, ",", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """An items export alone is not a settlement: it completes a statement."""
    return fail(name, f"this is {DESCRIPTION}; it adds SKUs and quantities to {NEEDS}. Upload both files together.")


def read_orders(name: str, data: bytes) -> tuple[dict[str, EtsyOrder], list[Issue]]:
    """The export's orders by Etsy order id, and the problems found reading it."""
    issues: list[Issue] = []
    try:
        text, _ = decode(data)
        table = find_table(text, ",", REQUIRED, within=1)
    except FormatError as exc:
        return {}, [error(exc.message, name, exc.row)]
    g = {c: table.getter(c) for c in COLUMNS}
    items: dict[str, list[Item]] = {}
    extras: dict[str, tuple[Decimal, Decimal]] = {}
    for line, rec in table.rows:
        order = g["Order ID"](rec)
        if not order:
            continue
        try:
            qty = int(g["Quantity"](rec) or "0")
            price = parse_amount(g["Price"](rec)) or Decimal("0.00")
            discount = parse_amount(g["Discount Amount"](rec)) or Decimal("0.00")
            shipping = parse_amount(g["Order Shipping"](rec)) or Decimal("0.00")
            tax = parse_amount(g["Order Sales Tax"](rec)) or Decimal("0.00")
        except ValueError as exc:
            issues.append(error(str(exc), name, line, code="bad_amount"))
            continue
        items.setdefault(order, []).append(Item(g["SKU"](rec), g["Item Name"](rec), qty, price, abs(discount),
                                                g["Transaction ID"](rec), line))
        extras.setdefault(order, (shipping, tax))
    orders = {o: EtsyOrder(o, tuple(its), *extras[o]) for o, its in items.items()}
    return orders, issues
