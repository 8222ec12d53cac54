"""A sample Amazon settlement (flat file V2) for the Demo Company: our own re-creation.

Why: a new user lands on the Demo Company (the local QuickBooks sandbox) with the integration
"Amazon US" and no settlement to import. This file lets them walk the whole journey on the demo
books: import, "mapping not found", map (most SKUs are proposed by the demo items' Sku), a bundle,
preview, post and verify.

What it holds, built deterministically (the same bytes every time):

- period 1–15 Mar 2026, deposit 17 Mar 2026: after the demo items' "As of" date (31 Dec 2025) and
  inside the demo's purchase history (bills January to November 2026);
- sales of :data:`DEMO_SKUS` (the Demo Company's inventory items' Sku, so mapping suggestions
  find them), of :data:`NEW_SKU` (no item has it: create one from the app) and of
  :data:`BUNDLE_SKU` (a gift set: map it as a bundle of :data:`BUNDLE_COMPONENTS`);
- shipping, gift wrap, tax collected and withheld again by Amazon (marketplace facilitator),
  a promotion;
- refunds with a blank quantity (Amazon writes none), one of them of an order of an earlier
  settlement (its quantity comes from the amount over the unit price);
- fees of several kinds: commission, variable closing, FBA fulfilment, refund commission,
  storage, subscription, advertising; an FBA reimbursement; the reserve held and released.

The stated total is the exact sum of the rows, so the file ties out to the cent.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

FILE_NAME = "demo-amazon-settlement-2026-03-15.txt"
SETTLEMENT_ID = "27182818284"
START = dt.date(2026, 3, 1)
END = dt.date(2026, 3, 15)
DEPOSIT = dt.date(2026, 3, 17)

#: SKU → unit price: the Demo Company's inventory items (qbo_sandbox seed "demo"), same Sku.
DEMO_SKUS: dict[str, Decimal] = {
    "MUG-11OZ-WHT": Decimal("14.99"),
    "MUG-11OZ-BLK": Decimal("14.99"),
    "TUM-20OZ-STL": Decimal("24.99"),
    "BTL-500-GLS": Decimal("19.99"),
    "TOTE-COT-NAT": Decimal("16.50"),
    "TEE-ORG-M-WHT": Decimal("22.00"),
    "CDL-LAV-8OZ": Decimal("19.50"),
    "STK-PCK-10": Decimal("7.99"),
    "CBL-USBC-1M": Decimal("11.99"),
    "NTB-A5-DOT": Decimal("12.00"),
}
#: A product the demo books do not have: create the QBO item from the app.
NEW_SKU = "JRN-LTH-A5-BRN"
NEW_SKU_PRICE = Decimal("34.00")
#: A gift set: map it as a bundle.
BUNDLE_SKU = "GIFT-MUG-DUO"
BUNDLE_PRICE = Decimal("32.00")
#: A fitting bundle for :data:`BUNDLE_SKU`: (demo item Sku, quantity per bundle, percent of the price).
BUNDLE_COMPONENTS: tuple[tuple[str, int, Decimal], ...] = (
    ("MUG-11OZ-WHT", 1, Decimal("45")),
    ("MUG-11OZ-BLK", 1, Decimal("45")),
    ("GFT-BOX-SM", 1, Decimal("10")),
)

HEADER = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
          "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
          "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
          "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
          "quantity-purchased", "promotion-id")

_CENT = Decimal("0.01")
_TAX_RATE = Decimal("0.0725")


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def _stamp(day: dt.date, seconds: int) -> str:
    t = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return f"{t:%Y-%m-%d %H:%M:%S} UTC"


class _Rows:
    """The rows of the file, each a dict by header name; ``total`` is their exact sum."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self.total = Decimal(0)

    def add(self, amount: Decimal, **cells: str) -> None:
        self.rows.append({**cells, "amount": _money(amount)})
        self.total += amount.quantize(_CENT)


def _order_rows(out: _Rows, rng: random.Random, number: int, day: dt.date, sku: str, price: Decimal,
                qty: int) -> dict[str, str]:
    order_id = f"113-{rng.randint(1000000, 9999999)}-{rng.randint(1000000, 9999999)}"
    fba = rng.random() < 0.75
    base = {"transaction-type": "Order", "order-id": order_id, "merchant-order-id": order_id,
            "shipment-id": f"Dm{number:03d}{rng.randint(100, 999)}", "marketplace-name": "Amazon.com",
            "fulfillment-id": "AFN" if fba else "MFN", "posted-date": day.isoformat(),
            "posted-date-time": _stamp(day, rng.randint(6 * 3600, 22 * 3600)),
            "order-item-code": str(rng.randint(10**13, 10**14 - 1)), "sku": sku, "quantity-purchased": str(qty)}
    principal = price * qty
    tax = (principal * _TAX_RATE).quantize(_CENT)
    out.add(principal, **base, **{"amount-type": "ItemPrice", "amount-description": "Principal"})
    out.add(tax, **base, **{"amount-type": "ItemPrice", "amount-description": "Tax"})
    out.add(-tax, **base, **{"amount-type": "ItemWithheldTax",
                             "amount-description": "MarketplaceFacilitatorTax-Principal"})
    if not fba:
        shipping = Decimal("4.99")
        out.add(shipping, **base, **{"amount-type": "ItemPrice", "amount-description": "Shipping"})
        if number % 3 == 0:
            out.add(-shipping, **base, **{"amount-type": "Promotion", "amount-description": "Shipping",
                                          "promotion-id": f"Free shipping {day:%b}"})
    if sku == BUNDLE_SKU and number % 2 == 0:
        out.add(Decimal("3.99"), **base, **{"amount-type": "ItemPrice", "amount-description": "GiftWrap"})
        out.add(Decimal("-3.99"), **base, **{"amount-type": "ItemFees", "amount-description": "GiftwrapChargeback"})
    commission = -(principal * Decimal("0.15")).quantize(_CENT)
    out.add(commission, **base, **{"amount-type": "ItemFees", "amount-description": "Commission"})
    if fba:
        out.add(-Decimal("3.22") * qty, **base, **{"amount-type": "ItemFees",
                                                   "amount-description": "FBAPerUnitFulfillmentFee"})
    else:
        out.add(Decimal("-1.80"), **base, **{"amount-type": "ItemFees", "amount-description": "VariableClosingFee"})
    return {**base, "principal": _money(principal), "tax": _money(tax), "commission": _money(commission)}


def _refund_rows(out: _Rows, rng: random.Random, order: dict[str, str], day: dt.date) -> None:
    """A refund as Amazon writes it: the order's amounts back, negative, with a blank quantity."""
    base = {key: order[key] for key in ("order-id", "merchant-order-id", "marketplace-name", "fulfillment-id",
                                        "order-item-code", "sku")}
    base.update({"transaction-type": "Refund", "adjustment-id": f"amzn1:crow:Dm{rng.randint(10**8, 10**9 - 1)}",
                 "posted-date": day.isoformat(), "posted-date-time": _stamp(day, rng.randint(6 * 3600, 22 * 3600)),
                 "merchant-adjustment-item-id": str(rng.randint(10**7, 10**8 - 1)), "quantity-purchased": ""})
    principal, tax, commission = (Decimal(order[k]) for k in ("principal", "tax", "commission"))
    out.add(-principal, **base, **{"amount-type": "ItemPrice", "amount-description": "Principal"})
    out.add(-tax, **base, **{"amount-type": "ItemPrice", "amount-description": "Tax"})
    out.add(tax, **base, **{"amount-type": "ItemWithheldTax", "amount-description": "MarketplaceFacilitatorTax-Principal"})
    out.add(-commission, **base, **{"amount-type": "ItemFees", "amount-description": "Commission"})
    refund_commission = -min(Decimal("5.00"), (-commission * Decimal("0.2")).quantize(_CENT))
    out.add(refund_commission, **base, **{"amount-type": "ItemFees", "amount-description": "RefundCommission"})


def _other(out: _Rows, day: dt.date, amount_type: str, description: str, amount: Decimal, *, sku: str = "",
           qty: str = "", transaction_type: str = "other-transaction") -> None:
    out.add(amount, **{"transaction-type": transaction_type, "amount-type": amount_type,
                       "amount-description": description, "posted-date": day.isoformat(),
                       "posted-date-time": _stamp(day, 3 * 3600), "sku": sku, "quantity-purchased": qty})


def demo_settlement_rows() -> tuple[list[dict[str, str]], Decimal]:
    """The rows of the sample settlement (by header name) and their exact total."""
    rng = random.Random(20260315)
    out = _Rows()
    catalogue = [*DEMO_SKUS.items(), (NEW_SKU, NEW_SKU_PRICE), (BUNDLE_SKU, BUNDLE_PRICE)]
    orders: list[tuple[dt.date, dict[str, str]]] = []
    days = (END - START).days + 1
    for number in range(1, 37):
        day = START + dt.timedelta(days=(number - 1) * days // 36)
        # every product once, then a random mix in which the gift set sells often
        sku, price = (catalogue[number - 1] if number <= len(catalogue)
                      else rng.choice([*catalogue, catalogue[-1], catalogue[-1]]))
        qty = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        orders.append((day, _order_rows(out, rng, number, day, sku, price, qty)))
    # refunds of this period's orders (their quantity is in the order item), one per kind of product
    for index in (2, 5, 11):
        day, order = orders[index]
        _refund_rows(out, rng, order, min(END, day + dt.timedelta(days=3)))
    # a refund of an order of the previous settlement: the quantity is the amount over the unit price
    earlier = {"order-id": "113-5550142-8803317", "merchant-order-id": "113-5550142-8803317",
               "marketplace-name": "Amazon.com", "fulfillment-id": "AFN", "order-item-code": "55501428803317",
               "sku": "TUM-20OZ-STL", "principal": _money(DEMO_SKUS["TUM-20OZ-STL"] * 2),
               "tax": _money(DEMO_SKUS["TUM-20OZ-STL"] * 2 * _TAX_RATE),
               "commission": _money(-(DEMO_SKUS["TUM-20OZ-STL"] * 2 * Decimal("0.15")))}
    _refund_rows(out, rng, earlier, dt.date(2026, 3, 6))
    _other(out, dt.date(2026, 3, 1), "other-transaction", "Previous Reserve Amount Balance", Decimal("85.00"))
    _other(out, dt.date(2026, 3, 2), "other-transaction", "Subscription Fee", Decimal("-39.99"))
    _other(out, dt.date(2026, 3, 8), "other-transaction", "Storage Fee", Decimal("-18.42"))
    _other(out, dt.date(2026, 3, 9), "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", Decimal("8.20"),
           sku="CDL-LAV-8OZ", qty="1")
    _other(out, dt.date(2026, 3, 12), "Cost of Advertising", "TransactionTotalAmount", Decimal("-57.36"),
           transaction_type="ServiceFee")
    _other(out, dt.date(2026, 3, 15), "other-transaction", "Current Reserve Amount", Decimal("-92.50"))
    return out.rows, out.total


def demo_settlement() -> tuple[str, bytes]:
    """The sample settlement as a file: ``(file name, bytes)`` of an Amazon V2 flat file (US form,
    UTF-8, tab-separated), the summary line first with the total the rows sum to.

    Why: the Demo Company has no settlement; this one fits its items, dates and accounts so a new
    user can try every step on the demo books (see the module docstring)."""
    rows, total = demo_settlement_rows()
    summary = {"settlement-start-date": _stamp(START, 8 * 3600), "settlement-end-date": _stamp(END, 8 * 3600),
               "deposit-date": _stamp(DEPOSIT, 8 * 3600), "total-amount": _money(total), "currency": "USD"}
    lines = ["\t".join(HEADER)]
    for cells in (summary, *rows):
        full = {**cells, "settlement-id": SETTLEMENT_ID}
        lines.append("\t".join(full.get(column, "") for column in HEADER))
    return FILE_NAME, ("\n".join(lines) + "\n").encode("utf-8")


__all__ = ["BUNDLE_COMPONENTS", "BUNDLE_SKU", "DEMO_SKUS", "FILE_NAME", "NEW_SKU", "SETTLEMENT_ID",
           "demo_settlement", "demo_settlement_rows"]
