"""The sandbox's books: every document booked as balanced postings, inventory costed by FIFO.

The ledger is rebuilt from the documents whenever the books are read after a change (the
company's ``version`` moved), so a backdated bill re-costs every later sale, as QBO does. Costs
come from :func:`services.fifo.replay` (DESIGN §6) over the events of all inventory items: the
opening quantity at ``InvStartDate`` (valued at the item's ``PurchaseCost``, against Opening
Balance Equity), item lines of bills and purchases, sales receipts and refund receipts.

Postings are (date, account, amount) with debits positive. How each document books:

* SalesReceipt: Dr deposit account (TotalAmt); Cr each line's income account; Cr sales tax;
  Dr discounts; for inventory lines Dr COGS, Cr inventory asset at the FIFO cost.
* RefundReceipt: the mirror image; returned units Dr inventory asset, Cr COGS at their return cost
  (the cost they left with when ``LinkedTxn`` names the SalesReceipt, else the oldest layer's).
* Bill: Cr Accounts Payable; Dr the inventory asset (inventory items), the item's expense
  account, or the line's account. Purchase: the same against the paying account (a credit
  reverses it). Deposit: Dr deposit account, Cr each line's account.
* FIFO true-ups of units sold below zero: Dr COGS, Cr inventory asset on the arrival's date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from services.fifo import IN, OUT, FifoResult, InventoryEvent, replay

if TYPE_CHECKING:
    from qbo_sandbox.company import Company

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PRIVATE = "_sb"
TAX_ACCOUNT = "tax"  # used only when a company has no Sales Tax Payable account


@dataclass(frozen=True, slots=True)
class Posting:
    date: str
    account: str
    amount: Decimal  # debit positive
    doc: str  # "SalesReceipt:12"
    item: str = ""  # the inventory item an inventory-asset posting belongs to


@dataclass
class Ledger:
    version: int
    postings: list[Posting] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    fifo: FifoResult | None = None
    item_qty: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (date, item, signed qty)
    _totals: dict[str, Decimal] | None = None

    @classmethod
    def build(cls, company: Company) -> Ledger:
        """Book every document of ``company`` and cost its inventory."""
        ledger = cls(company.version, accounts=dict(company.data["Account"]))
        _Booker(company, ledger).run()
        return ledger

    # -- read-outs ----------------------------------------------------------------------------

    def balances(self, start: str | None = None, end: str | None = None) -> dict[str, Decimal]:
        """Debit-positive sums per account over postings dated within [start, end]."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for p in self.postings:
            if (start is None or p.date >= start) and (end is None or p.date <= end):
                out[p.account] += p.amount
        return dict(out)

    def account_balance(self, account_id: str) -> Decimal:
        """QBO's CurrentBalance: balance-sheet accounts only, in the account's natural sign."""
        account = self.accounts.get(account_id)
        if account is None or account.get("Classification") not in ("Asset", "Liability", "Equity"):
            return ZERO
        if self._totals is None:
            self._totals = self.balances()
        total = self._totals.get(account_id, ZERO)
        return total if account["Classification"] == "Asset" else -total

    def inventory(self, end: str) -> dict[str, tuple[Decimal, Decimal]]:
        """Per inventory item as of ``end``: (quantity on hand, asset value from the ledger)."""
        qty: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
        value: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for date, item, delta in self.item_qty:
            if date <= end:
                qty[item] += delta
        for p in self.postings:
            if p.item and p.date <= end:
                value[p.item] += p.amount
        return {k: (qty[k], value[k]) for k in set(qty) | set(value)}

    def cogs_from_fifo(self, start: str, end: str) -> Decimal:
        """Σ FIFO draws − returns + true-ups dated within [start, end] (what P&L COGS must show)."""
        assert self.fifo is not None
        total = ZERO
        for d in self.fifo.draws:
            if start <= d.date.isoformat() <= end:
                total += d.cost
        for t in self.fifo.trueups:
            if start <= t.date.isoformat() <= end:
                total += t.delta
        return total


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("value") or "")
    return str(value or "")


class _Booker:
    def __init__(self, company: Company, ledger: Ledger) -> None:
        self.company = company
        self.ledger = ledger
        self.items = company.data["Item"]
        self.events: list[InventoryEvent] = []
        # per inventory event ref: (doc, date, item id) for booking its cost
        self.cost_targets: dict[str, tuple[str, str, str]] = {}
        self.vendor_returns: dict[str, Decimal] = {}
        self.by_subtype: dict[str, str] = {}
        for acct in company.data["Account"].values():
            self.by_subtype.setdefault(str(acct.get("AccountSubType")), acct["Id"])

    def post(self, date: str, account: str, amount: Decimal, doc: str, item: str = "") -> None:
        if amount:
            self.ledger.postings.append(Posting(date, account, amount, doc, item))

    def system(self, subtype: str, fallback: str) -> str:
        return self.by_subtype.get(subtype) or self.by_subtype.get(fallback) or fallback

    def run(self) -> None:
        for item in self.items.values():
            self.opening(item)
        handlers = {"SalesReceipt": self.sales, "RefundReceipt": self.sales, "Bill": self.expense,
                    "Purchase": self.expense, "Deposit": self.deposit}
        for type_, handler in handlers.items():
            for doc in self.company.data[type_].values():
                if not doc.get(PRIVATE, {}).get("voided"):
                    handler(type_, doc)
        self.cost_inventory()

    # -- documents ----------------------------------------------------------------------------

    def opening(self, item: dict[str, Any]) -> None:
        private = item.get(PRIVATE, {})
        qty = Decimal(private.get("opening_qty") or 0)
        if item.get("Type") != "Inventory" or qty <= 0:
            return
        date = str(item["InvStartDate"])
        cost = Decimal(private.get("opening_cost") or 0)
        ref = f"Item:{item['Id']}:open"
        self.events.append(InventoryEvent(item["Id"], dt.date.fromisoformat(date), 0, IN, qty, cost, ref))
        self.ledger.item_qty.append((date, item["Id"], qty))
        value = _money(qty * cost)
        doc = f"Item:{item['Id']}"
        self.post(date, _ref(item.get("AssetAccountRef")), value, doc, item["Id"])
        self.post(date, self.system("OpeningBalanceEquity", "Equity"), -value, doc)

    def _inventory_line(self, type_: str, doc: dict[str, Any], line: dict[str, Any], kind: str,
                        unit_cost: Decimal | None, returns: str = "") -> tuple[str, str] | None:
        """Add the line's inventory event; returns (its ref, its kind) or None."""
        detail = line.get("SalesItemLineDetail") or line.get("ItemBasedExpenseLineDetail") or {}
        item = self.items.get(_ref(detail.get("ItemRef")))
        if item is None or item.get("Type") != "Inventory":
            return None
        qty = Decimal(detail.get("Qty") or 0)
        if qty == 0:
            return None
        date = str(doc["TxnDate"])
        seq = int(doc.get(PRIVATE, {}).get("seq", 0))
        ref = f"{type_}:{doc['Id']}:{line.get('Id', '')}"
        if qty < 0:  # a negative quantity turns the movement around
            kind = OUT if kind == IN else IN
            qty = -qty
            if type_ in ("SalesReceipt", "RefundReceipt"):
                unit_cost = None
        if unit_cost is not None and unit_cost < 0:
            unit_cost = -unit_cost
        self.events.append(InventoryEvent(item["Id"], dt.date.fromisoformat(date), seq, kind, qty, unit_cost, ref,
                                          returns if kind == IN and unit_cost is None else ""))
        self.ledger.item_qty.append((date, item["Id"], qty if kind == IN else -qty))
        self.cost_targets[ref] = (f"{type_}:{doc['Id']}", date, item["Id"])
        return ref, kind

    def sales(self, type_: str, doc: dict[str, Any]) -> None:
        sign = Decimal(1) if type_ == "SalesReceipt" else Decimal(-1)  # credit income on a sale
        date = str(doc["TxnDate"])
        name = f"{type_}:{doc['Id']}"
        self.post(date, _ref(doc.get("DepositToAccountRef")), sign * Decimal(doc.get("TotalAmt") or 0), name)
        sold = self._linked_sale_lines(doc) if type_ == "RefundReceipt" else {}
        for line in doc.get("Line", []):
            kind = line.get("DetailType")
            amount = Decimal(line.get("Amount") or 0)
            if kind == "SalesItemLineDetail":
                detail = line["SalesItemLineDetail"]
                item = self.items.get(_ref(detail.get("ItemRef"))) or {}
                income = _ref(item.get("IncomeAccountRef")) or self.system("SalesOfProductIncome", "Income")
                self.post(date, income, -sign * amount, name)
                self._inventory_line(type_, doc, line, OUT if type_ == "SalesReceipt" else IN, None,
                                     sold.get(_ref(detail.get("ItemRef")), ""))
            elif kind == "DiscountLineDetail":
                detail = line.get("DiscountLineDetail") or {}
                account = _ref(detail.get("DiscountAccountRef")) or self.system(
                    "DiscountsRefundsGiven", "SalesOfProductIncome")
                self.post(date, account, sign * amount, name)
        tax = Decimal((doc.get("TxnTaxDetail") or {}).get("TotalTax") or 0)
        self.post(date, self.system("SalesTaxPayable", TAX_ACCOUNT), -sign * tax, name)

    def _linked_sale_lines(self, refund: dict[str, Any]) -> dict[str, str]:
        """Item id -> the FIFO ref of the sale line a refund names in ``LinkedTxn`` (SalesReceipt)."""
        out: dict[str, str] = {}
        for link in refund.get("LinkedTxn") or []:
            if not isinstance(link, dict) or link.get("TxnType") != "SalesReceipt":
                continue
            sale = self.company.data["SalesReceipt"].get(str(link.get("TxnId")))
            if sale is None:
                continue
            for line in sale.get("Line", []):
                detail = line.get("SalesItemLineDetail")
                if isinstance(detail, dict):
                    out.setdefault(_ref(detail.get("ItemRef")), f"SalesReceipt:{sale['Id']}:{line.get('Id', '')}")
        return out

    def expense(self, type_: str, doc: dict[str, Any]) -> None:
        date = str(doc["TxnDate"])
        name = f"{type_}:{doc['Id']}"
        sign = Decimal(-1) if type_ == "Purchase" and doc.get("Credit") else Decimal(1)
        paying = _ref(doc.get("APAccountRef")) if type_ == "Bill" else _ref(doc.get("AccountRef"))
        self.post(date, paying, -sign * Decimal(doc.get("TotalAmt") or 0), name)
        for line in doc.get("Line", []):
            amount = Decimal(line.get("Amount") or 0)
            if line.get("DetailType") == "ItemBasedExpenseLineDetail":
                detail = line["ItemBasedExpenseLineDetail"]
                item = self.items.get(_ref(detail.get("ItemRef"))) or {}
                if item.get("Type") == "Inventory":
                    qty = Decimal(detail.get("Qty") or 0)
                    unit = amount / qty if qty else Decimal(0)
                    moved = self._inventory_line(type_, doc, line, OUT if sign < 0 else IN, unit)
                    if moved is not None and moved[1] == OUT:
                        # units sent back to the vendor: the line already took its amount off the
                        # asset; the FIFO cost differs from it by what goes to COGS
                        self.vendor_returns[moved[0]] = abs(amount)
                    self.post(date, _ref(item.get("AssetAccountRef")), sign * amount, name, item["Id"])
                else:
                    account = _ref(item.get("ExpenseAccountRef")) or _ref(item.get("IncomeAccountRef")) \
                        or self.system("OtherMiscellaneousServiceCost", "Expense")
                    self.post(date, account, sign * amount, name)
            elif line.get("DetailType") == "AccountBasedExpenseLineDetail":
                account = _ref(line["AccountBasedExpenseLineDetail"].get("AccountRef"))
                self.post(date, account, sign * amount, name)

    def deposit(self, type_: str, doc: dict[str, Any]) -> None:
        date = str(doc["TxnDate"])
        name = f"{type_}:{doc['Id']}"
        self.post(date, _ref(doc.get("DepositToAccountRef")), Decimal(doc.get("TotalAmt") or 0), name)
        for line in doc.get("Line", []):
            detail = line.get("DepositLineDetail") or {}
            self.post(date, _ref(detail.get("AccountRef")), -Decimal(line.get("Amount") or 0), name)

    # -- FIFO ---------------------------------------------------------------------------------

    def cost_inventory(self) -> None:
        known = {i["Id"]: Decimal(i.get("PurchaseCost") or 0) for i in self.items.values()
                 if i.get("Type") == "Inventory" and i.get("PurchaseCost")}
        result = replay(self.events, known)
        self.ledger.fifo = result
        for draw in result.draws:
            doc, date, item_id = self.cost_targets[draw.ref]
            self._cogs(date, item_id, draw.cost - self.vendor_returns.get(draw.ref, ZERO), doc)
        for ret in result.returns:
            doc, date, item_id = self.cost_targets[ret.ref]
            self._cogs(date, item_id, -_money(ret.qty * ret.unit_cost), doc)
        for trueup in result.trueups:
            doc, _, item_id = self.cost_targets[trueup.ref]
            self._cogs(trueup.date.isoformat(), item_id, trueup.delta, doc)

    def _cogs(self, date: str, item_id: str, cost: Decimal, doc: str) -> None:
        item = self.items[item_id]
        cogs = _ref(item.get("ExpenseAccountRef")) or self.system("SuppliesMaterialsCogs", "Cost of Goods Sold")
        self.post(date, cogs, cost, doc)
        self.post(date, _ref(item.get("AssetAccountRef")), -cost, doc, item_id)
