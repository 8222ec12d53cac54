"""Builders of python-quickbooks objects for the sandbox contract tests (no sandbox internals)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quickbooks.objects.account import Account
from quickbooks.objects.base import Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.item import Item
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.vendor import Vendor


def ref(value: str, name: str = "") -> Ref:
    r = Ref()
    r.value = value
    r.name = name
    return r


def account_id(qb: Any, subtype: str) -> str:
    return str(Account.where(f"AccountSubType = '{subtype}'", qb=qb)[0].Id)


def account_named(qb: Any, name: str) -> str:
    return str(Account.filter(Name=name, qb=qb)[0].Id)


def inventory_item(qb: Any, name: str, qty: int | str, cost: str, start: str = "2026-01-01",
                   sku: str | None = None, price: str = "10.00") -> Item:
    item = Item()
    item.Name = name
    item.Type = "Inventory"
    item.TrackQtyOnHand = True
    item.QtyOnHand = Decimal(qty)
    item.InvStartDate = start
    item.PurchaseCost = Decimal(cost)
    item.UnitPrice = Decimal(price)
    item.Sku = sku
    item.IncomeAccountRef = ref(account_id(qb, "SalesOfProductIncome"))
    item.ExpenseAccountRef = ref(account_id(qb, "SuppliesMaterialsCogs"))
    item.AssetAccountRef = ref(account_id(qb, "Inventory"))
    return item.save(qb=qb)


def sale_line(item_id: str, qty: int | str | None, price: str, amount: str | None = None) -> SalesItemLine:
    line = SalesItemLine()
    q = Decimal(qty) if qty is not None else None
    line.Amount = Decimal(amount) if amount is not None else (q or Decimal(1)) * Decimal(price)
    detail = SalesItemLineDetail()
    detail.ItemRef = ref(item_id)
    detail.Qty = q
    detail.UnitPrice = Decimal(price)
    line.SalesItemLineDetail = detail
    return line


def sales_receipt(date: str, lines: list[SalesItemLine], deposit_to: str | None = None,
                  doc_number: str = "", note: str = "") -> SalesReceipt:
    receipt = SalesReceipt()
    receipt.TxnDate = date
    receipt.DocNumber = doc_number
    receipt.PrivateNote = note
    receipt.Line = lines
    if deposit_to:
        receipt.DepositToAccountRef = ref(deposit_to)
    return receipt


def refund_receipt(date: str, lines: list[SalesItemLine], deposit_to: str | None) -> RefundReceipt:
    refund = RefundReceipt()
    refund.TxnDate = date
    refund.Line = lines
    if deposit_to:
        refund.DepositToAccountRef = ref(deposit_to)
    return refund


def vendor(qb: Any, name: str) -> Vendor:
    v = Vendor()
    v.DisplayName = name
    return v.save(qb=qb)


def bill(qb: Any, vendor_id: str, date: str, item_lines: list[tuple[str, int, str]],
         account_lines: list[tuple[str, str]] = ()) -> Bill:  # type: ignore[assignment]
    b = Bill()
    b.VendorRef = ref(vendor_id)
    b.TxnDate = date
    for item_id, qty, unit in item_lines:
        line = ItemBasedExpenseLine()
        line.Amount = Decimal(qty) * Decimal(unit)
        detail = ItemBasedExpenseLineDetail()
        detail.ItemRef = ref(item_id)
        detail.Qty = Decimal(qty)
        detail.UnitPrice = Decimal(unit)
        line.ItemBasedExpenseLineDetail = detail
        b.Line.append(line)
    for acct, amount in account_lines:
        aline = AccountBasedExpenseLine()
        aline.Amount = Decimal(amount)
        adetail = AccountBasedExpenseLineDetail()
        adetail.AccountRef = ref(acct)
        aline.AccountBasedExpenseLineDetail = adetail
        b.Line.append(aline)
    return b.save(qb=qb)


def report_total(report: dict[str, Any], group: str) -> Decimal:
    """The Summary amount of the section ``group`` anywhere in a report."""
    def walk(rows: list[dict[str, Any]]) -> Decimal | None:
        for row in rows:
            if row.get("group") == group and "Summary" in row:
                return Decimal(row["Summary"]["ColData"][1]["value"])
            found = walk(row.get("Rows", {}).get("Row", []))
            if found is not None:
                return found
        return None
    found = walk(report["Rows"]["Row"])
    assert found is not None, f"no section {group}"
    return found


def report_rows(report: dict[str, Any]) -> dict[str, list[str]]:
    """Every data row of a report by its first column: the remaining column values."""
    out: dict[str, list[str]] = {}

    def walk(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row.get("type") == "Data":
                cols = [c.get("value", "") for c in row["ColData"]]
                out[cols[0]] = cols[1:]
            walk(row.get("Rows", {}).get("Row", []))
    walk(report["Rows"]["Row"])
    return out
