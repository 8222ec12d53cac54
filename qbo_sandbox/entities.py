"""What QBO checks and computes for each entity on create and update.

:func:`prepare` validates a request body against the company and returns the body to store
(defaults filled, lines numbered, ``TotalAmt`` computed) or raises the Fault QBO would raise.
:func:`after_save` and :func:`after_delete` keep each inventory item's ``QtyOnHand`` in step with
the documents: quantity is a plain sum, so it is kept incrementally, while costs (FIFO) are
replayed by :mod:`qbo_sandbox.ledger` when the books are read.

Line amounts: QBO requires ``Amount == Qty × UnitPrice`` rounded half-up to cents when both are
given (fault 6070); an inventory line must carry a quantity.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from qbo_sandbox.faults import (
    QboFault,
    business,
    duplicate_doc_number,
    duplicate_name,
    invalid,
    not_found,
    required,
)

if TYPE_CHECKING:
    from qbo_sandbox.company import Company

CENT = Decimal("0.01")
ZERO = Decimal("0")
PRIVATE = "_sb"

ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset", "Other Current Asset": "Asset", "Fixed Asset": "Asset", "Other Asset": "Asset",
    "Accounts Receivable": "Asset", "Equity": "Equity", "Expense": "Expense",
    "Other Expense": "Expense", "Cost of Goods Sold": "Expense", "Accounts Payable": "Liability",
    "Credit Card": "Liability", "Long Term Liability": "Liability",
    "Other Current Liability": "Liability", "Income": "Revenue", "Other Income": "Revenue",
}
DEFAULT_SUBTYPE = {
    "Bank": "Checking", "Other Current Asset": "OtherCurrentAssets", "Fixed Asset": "OtherFixedAssets",
    "Other Asset": "OtherLongTermAssets", "Accounts Receivable": "AccountsReceivable",
    "Equity": "OwnersEquity", "Expense": "OtherMiscellaneousServiceCost",
    "Other Expense": "OtherMiscellaneousExpense", "Cost of Goods Sold": "SuppliesMaterialsCogs",
    "Accounts Payable": "AccountsPayable", "Credit Card": "CreditCard",
    "Long Term Liability": "OtherLongTermLiabilities",
    "Other Current Liability": "OtherCurrentLiabilities", "Income": "SalesOfProductIncome",
    "Other Income": "OtherMiscellaneousIncome",
}
ITEM_TYPES = ("Inventory", "NonInventory", "Service")
SALES_FORMS = ("SalesReceipt", "RefundReceipt")


# -- values ---------------------------------------------------------------------------------------


def dec(value: Any, field: str) -> Decimal | None:
    """A number from a request: JSON number, or the string python-quickbooks sends for a Decimal."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(f"{field} must be a number, not {value!r}", field)
    try:
        out = Decimal(value) if not isinstance(value, float) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise invalid(f"{field} must be a number, not {value!r}", field) from None
    if not out.is_finite():
        raise invalid(f"{field} must be a finite number", field)
    return out


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def today() -> str:
    from qbo_sandbox.company import PACIFIC

    return datetime.now(PACIFIC).date().isoformat()


def txn_date(body: dict[str, Any], field: str = "TxnDate") -> str:
    raw = body.get(field)
    if raw in (None, ""):
        return today()
    text = str(raw)[:10]
    try:
        date.fromisoformat(text)
    except ValueError:
        raise invalid(f"{field} {raw!r} is not a date (YYYY-MM-DD)", field) from None
    return text


def ref_id(ref: Any) -> str | None:
    if isinstance(ref, dict):
        value = ref.get("value")
        return None if value in (None, "") else str(value)
    if ref in (None, ""):
        return None
    return str(ref)


def _ref(company: Company, type_: str, ref: Any, field: str, *, need: bool = True,
         active: bool = True) -> dict[str, Any] | None:
    id_ = ref_id(ref)
    if id_ is None:
        if need:
            raise required(field)
        return None
    body = company.data[type_].get(id_)
    if body is None:
        raise QboFault(2500, "Invalid Reference Id",
                       f"Invalid Reference Id : {type_} element id {id_} not found ({field})", element=field)
    if active and body.get("Active") is False:
        raise not_found(type_, id_)
    return body


def _name_ref(body: dict[str, Any], name_field: str) -> dict[str, str]:
    return {"value": body["Id"], "name": str(body.get(name_field, ""))}


def _clean(body: dict[str, Any]) -> None:
    for key in ("Id", "SyncToken", "MetaData", "domain", "sparse", "time"):
        body.pop(key, None)


# -- entry points -------------------------------------------------------------------------------


def prepare(company: Company, type_: str, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``body`` for a create (``current`` None) or an update and fill what QBO fills."""
    private = body.pop(PRIVATE, None) if current is not None else None
    _clean(body)
    if private is not None:
        body[PRIVATE] = private
    else:
        body.pop(PRIVATE, None)
    fn = _PREPARE.get(type_)
    if fn is None:
        return body
    return fn(company, body, current)


def after_save(company: Company, type_: str, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Move item quantities by what the document changed."""
    if type_ in _QTY_TYPES:
        _apply_qty(company, _qty_effects(company, type_, old), _qty_effects(company, type_, new))


def after_delete(company: Company, type_: str, old: dict[str, Any]) -> None:
    if type_ in _QTY_TYPES:
        _apply_qty(company, _qty_effects(company, type_, old), {})


def voided(current: dict[str, Any]) -> dict[str, Any]:
    """The body QBO keeps for a voided transaction: zero amounts, the note ``Voided``."""
    body = {k: v for k, v in current.items() if k not in ("MetaData",)}
    lines = []
    for line in current.get("Line", []):
        line = dict(line)
        line["Amount"] = ZERO
        for key, detail in list(line.items()):
            if key.endswith("LineDetail") and isinstance(detail, dict):
                detail = dict(detail)
                if "Qty" in detail:
                    detail["Qty"] = ZERO
                line[key] = detail
        lines.append(line)
    body["Line"] = lines
    note = str(current.get("PrivateNote") or "")
    body["PrivateNote"] = f"Voided {note}".strip() if not note.startswith("Voided") else note
    body[PRIVATE] = {**current.get(PRIVATE, {}), "voided": True}
    return body


# -- list entities --------------------------------------------------------------------------------


def _unique(company: Company, types: tuple[str, ...], field: str, name: str, own_id: str | None,
            entity: str) -> None:
    key = name.strip().lower()
    for t in types:
        for other in company.data[t].values():
            same = other["Id"] == own_id and t == entity
            if not same and str(other.get(field, "")).strip().lower() == key:
                raise duplicate_name(entity, name, other["Id"])


def _deactivate_name(body: dict[str, Any], current: dict[str, Any] | None, field: str) -> None:
    """QBO renames a list entity that is made inactive, so its name can be used again."""
    if current is not None and current.get("Active", True) and body.get("Active") is False:
        name = str(body.get(field, ""))
        if not name.endswith("(deleted)"):
            body[field] = f"{name} (deleted)"


def _account(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = str(body.get("Name") or "").strip()
    if not name:
        raise required("Name")
    if ":" in name or '"' in name:
        raise invalid("Account names may not contain a colon or a double quote", "Name")
    body["Name"] = name
    atype = body.get("AccountType") or (current or {}).get("AccountType")
    if not atype:
        raise required("AccountType")
    if atype not in ACCOUNT_CLASSIFICATION:
        raise invalid(f"AccountType {atype!r} is not a QuickBooks account type", "AccountType")
    body["AccountType"] = atype
    body["AccountSubType"] = body.get("AccountSubType") or DEFAULT_SUBTYPE[atype]
    body["Classification"] = ACCOUNT_CLASSIFICATION[atype]
    body.setdefault("Active", True)
    _deactivate_name(body, current, "Name")
    if body["Active"] is not False:
        _unique(company, ("Account",), "Name", body["Name"], (current or {}).get("Id"), "Account")
    body["FullyQualifiedName"] = body["Name"]
    body["SubAccount"] = bool(body.get("SubAccount", False))
    body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    for ro in ("CurrentBalance", "CurrentBalanceWithSubAccounts"):
        body.pop(ro, None)
    return body


def _item(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = str(body.get("Name") or "").strip()
    if not name:
        raise required("Name")
    body["Name"] = name
    type_ = body.get("Type") or (current or {}).get("Type") or "Service"
    if type_ not in ITEM_TYPES:
        raise invalid(f"Item Type {type_!r} is not supported (Inventory, NonInventory, Service)", "Type")
    if current is not None and current.get("Type") == "Inventory" and type_ != "Inventory":
        raise business("An inventory item cannot be changed to another type")
    body["Type"] = type_
    body.setdefault("Active", True)
    _deactivate_name(body, current, "Name")
    if body["Active"] is not False:
        _unique(company, ("Item",), "Name", body["Name"], (current or {}).get("Id"), "Item")
    body["FullyQualifiedName"] = body["Name"]
    for field in ("UnitPrice", "PurchaseCost"):
        value = dec(body.get(field), field)
        body[field] = value if value is not None else ZERO
    if body.get("Sku") in ("", None):
        body.pop("Sku", None)
    income = _ref(company, "Account", body.get("IncomeAccountRef"), "IncomeAccountRef", need=type_ != "NonInventory"
                  or body.get("IncomeAccountRef") is not None)
    if income is not None:
        body["IncomeAccountRef"] = _name_ref(income, "Name")
    expense = _ref(company, "Account", body.get("ExpenseAccountRef"), "ExpenseAccountRef",
                   need=type_ == "Inventory")
    if expense is not None:
        body["ExpenseAccountRef"] = _name_ref(expense, "Name")
    private = body.setdefault(PRIVATE, {})
    if type_ == "Inventory":
        prefs = company.preferences().get("ProductAndServicesPrefs", {})
        if current is None and prefs.get("QuantityOnHand") is False:
            raise business("Inventory tracking is off: turn on Track inventory quantity on hand "
                           "(Settings → Account and Settings → Sales) to create inventory items")
        asset = _ref(company, "Account", body.get("AssetAccountRef"), "AssetAccountRef")
        assert asset is not None
        body["AssetAccountRef"] = _name_ref(asset, "Name")
        if body.get("InvStartDate") in (None, ""):
            raise required("InvStartDate")
        body["InvStartDate"] = txn_date(body, "InvStartDate")
        body["TrackQtyOnHand"] = True
        if current is None:
            qty = dec(body.get("QtyOnHand"), "QtyOnHand")
            if qty is None:
                raise required("QtyOnHand")
            if qty < 0:
                raise invalid("QtyOnHand must not be negative when an item is created", "QtyOnHand")
            private["opening_qty"] = qty
            private["opening_cost"] = body["PurchaseCost"]
            private["moved"] = ZERO
            body["QtyOnHand"] = qty
        else:
            cur_priv = current.get(PRIVATE, {})
            body["QtyOnHand"] = current.get("QtyOnHand", ZERO)
            for key in ("opening_qty", "opening_cost", "moved"):
                if key in cur_priv:
                    private[key] = cur_priv[key]
    else:
        body["TrackQtyOnHand"] = False
        for key in ("QtyOnHand", "InvStartDate", "AssetAccountRef"):
            body.pop(key, None)
    return body


def _party(kind: str) -> Any:
    def prepare_party(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        name = str(body.get("DisplayName") or "").strip()
        if not name:
            parts = [str(body.get(k) or "").strip() for k in ("GivenName", "MiddleName", "FamilyName")]
            name = " ".join(p for p in parts if p) or str(body.get("CompanyName") or "").strip()
        if not name:
            raise required("DisplayName")
        body["DisplayName"] = name
        body.setdefault("Active", True)
        _deactivate_name(body, current, "DisplayName")
        if body["Active"] is not False:
            _unique(company, ("Customer", "Vendor"), "DisplayName", name, (current or {}).get("Id"), kind)
        body["PrintOnCheckName"] = body.get("PrintOnCheckName") or name
        if kind == "Customer":
            body["FullyQualifiedName"] = name
        body["Balance"] = (current or {}).get("Balance", ZERO)
        return body
    return prepare_party


# -- transactions ---------------------------------------------------------------------------------


def _doc_number(company: Company, type_: str, body: dict[str, Any], current: dict[str, Any] | None) -> None:
    number = body.get("DocNumber")
    if number in (None, ""):
        body.pop("DocNumber", None)
        return
    number = str(number)
    if len(number) > 21:
        raise QboFault(2050, "Invalid String",
                       f"String length is either shorter or longer than supported by specification. "
                       f"Min:0 Max:21 supported. Supplied length:{len(number)}", element="DocNumber")
    body["DocNumber"] = number
    prefs = company.preferences().get("SalesFormsPrefs", {})
    if type_ in SALES_FORMS and prefs.get("CustomTxnNumbers"):
        taken = company.doc_numbers.get(number)
        if taken is not None and not (current is not None and taken == (type_, current["Id"])):
            raise duplicate_doc_number(number, taken[0], taken[1])


def _item_line(company: Company, line: dict[str, Any], detail_key: str, when: str, n: int) -> Decimal:
    detail = line.get(detail_key)
    if not isinstance(detail, dict):
        raise required(f"Line.{detail_key}")
    amount = dec(line.get("Amount"), "Amount")
    if amount is None:
        raise required("Line.Amount")
    item = _ref(company, "Item", detail.get("ItemRef"), "ItemRef")
    assert item is not None
    detail["ItemRef"] = _name_ref(item, "Name")
    qty = dec(detail.get("Qty"), "Qty")
    price = dec(detail.get("UnitPrice"), "UnitPrice")
    inventory = item.get("Type") == "Inventory"
    if inventory:
        if (qty is None or qty == 0) and amount != 0:
            raise QboFault(6000, "A business validation error has occurred while processing your request",
                           f"Business Validation Error: Line {n}: a quantity is required for the "
                           f"inventory item {item['Name']} (Qty is missing or zero).", element="Qty")
        if price is not None and price < 0:
            raise business(f"Line {n}: the inventory item {item['Name']} cannot have a negative rate "
                           f"({price}); return units with a negative quantity instead")
        start = item.get("InvStartDate")
        if start and when < start:
            raise QboFault(6270, "Transaction date is prior to start date for inventory item",
                           f"Transaction date is prior to start date for inventory item. Details: Item: "
                           f"{item['Name']}, start date {start}, transaction date {when}.")
    if qty is not None and qty != 0 and price is not None and price != 0:
        if money(qty * price) != money(amount):
            raise QboFault(6070, "Amount is not equal to UnitPrice * Qty",
                           f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount} "
                           f"(Qty {qty} × UnitPrice {price} = {money(qty * price)}); line {n}",
                           element="Amount")
    elif qty is not None and qty != 0:
        price = amount / qty
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    line["Amount"] = money(amount)
    if detail_key == "ItemBasedExpenseLineDetail":
        detail.setdefault("BillableStatus", "NotBillable")
    return money(amount)


def _account_line(company: Company, line: dict[str, Any], detail_key: str) -> Decimal:
    detail = line.get(detail_key)
    if not isinstance(detail, dict):
        raise required(f"Line.{detail_key}")
    amount = dec(line.get("Amount"), "Amount")
    if amount is None:
        raise required("Line.Amount")
    account = _ref(company, "Account", detail.get("AccountRef"), "AccountRef")
    assert account is not None
    detail["AccountRef"] = _name_ref(account, "Name")
    line["Amount"] = money(amount)
    return money(amount)


def _lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    lines = body.get("Line")
    if not isinstance(lines, list) or not [ln for ln in lines if isinstance(ln, dict)]:
        raise required("Line")
    return [ln for ln in lines if isinstance(ln, dict)]


def _number_lines(lines: list[dict[str, Any]]) -> None:
    n = 0
    for line in lines:
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        n += 1
        line["Id"] = str(n)
        line["LineNum"] = n
        for key in ("LinkedTxn", "CustomField"):
            if line.get(key) == []:
                line.pop(key)


def _tidy(body: dict[str, Any]) -> None:
    """Drop the empty strings python-quickbooks sends for unset fields."""
    for key in [k for k, v in body.items() if v == "" or v == []]:
        if key not in ("Line",):
            body.pop(key)


def _sales_form(type_: str) -> Any:
    def prepare_sales(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        _tidy(body)
        when = txn_date(body)
        body["TxnDate"] = when
        _doc_number(company, type_, body, current)
        if body.get("CustomerRef") not in (None, ""):
            cust = _ref(company, "Customer", body.get("CustomerRef"), "CustomerRef")
            assert cust is not None
            body["CustomerRef"] = _name_ref(cust, "DisplayName")
        if type_ == "RefundReceipt" and ref_id(body.get("DepositToAccountRef")) is None:
            raise required("DepositToAccountRef")
        if ref_id(body.get("DepositToAccountRef")) is None:
            body["DepositToAccountRef"] = _system_ref(company, "UndepositedFunds")
        acct = _ref(company, "Account", body.get("DepositToAccountRef"), "DepositToAccountRef")
        assert acct is not None
        body["DepositToAccountRef"] = _name_ref(acct, "Name")
        lines = _lines(body)
        total = ZERO
        discount = ZERO
        subtotal = ZERO
        voided = bool(body.get(PRIVATE, {}).get("voided"))
        kept = []
        for n, line in enumerate(lines, 1):
            kind = line.get("DetailType")
            if kind == "SalesItemLineDetail":
                if voided:
                    line["Amount"] = ZERO
                    subtotal += ZERO
                else:
                    subtotal += _item_line(company, line, "SalesItemLineDetail", when, n)
            elif kind == "DiscountLineDetail":
                amount = dec(line.get("Amount"), "Amount") or ZERO
                line["Amount"] = money(amount)
                discount += money(amount)
            elif kind == "SubTotalLineDetail":
                continue
            elif kind == "DescriptionOnly":
                line["Amount"] = ZERO
            else:
                raise invalid(f"Line {n}: DetailType {kind!r} is not supported on a {type_}", "DetailType")
            kept.append(line)
        _number_lines(kept)
        tax = ZERO
        if isinstance(body.get("TxnTaxDetail"), dict):
            tax = money(dec(body["TxnTaxDetail"].get("TotalTax"), "TotalTax") or ZERO)
            body["TxnTaxDetail"]["TotalTax"] = tax
        total = subtotal - discount + tax
        kept.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        body["Line"] = kept
        if total < 0:
            raise QboFault(6000, "A business validation error has occurred while processing your request",
                           f"Business Validation Error: Transaction amount must be positive. "
                           f"The {type_} total would be {total}.")
        body["TotalAmt"] = total
        body["Balance"] = ZERO
        body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        if type_ == "RefundReceipt":
            body.setdefault("PaymentType", "Other")
        return body
    return prepare_sales


def _expense_lines(company: Company, body: dict[str, Any], when: str) -> Decimal:
    lines = _lines(body)
    total = ZERO
    for n, line in enumerate(lines, 1):
        kind = line.get("DetailType")
        if kind == "ItemBasedExpenseLineDetail":
            total += _item_line(company, line, "ItemBasedExpenseLineDetail", when, n)
        elif kind == "AccountBasedExpenseLineDetail":
            total += _account_line(company, line, "AccountBasedExpenseLineDetail")
        else:
            raise invalid(f"Line {n}: DetailType {kind!r} is not supported here", "DetailType")
    _number_lines(lines)
    body["Line"] = lines
    return total


def _bill(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    _tidy(body)
    when = txn_date(body)
    body["TxnDate"] = when
    vendor = _ref(company, "Vendor", body.get("VendorRef"), "VendorRef")
    assert vendor is not None
    body["VendorRef"] = _name_ref(vendor, "DisplayName")
    if ref_id(body.get("APAccountRef")) is None:
        body["APAccountRef"] = _system_ref(company, "AccountsPayable")
    ap = _ref(company, "Account", body.get("APAccountRef"), "APAccountRef")
    assert ap is not None
    body["APAccountRef"] = _name_ref(ap, "Name")
    if body.get("DocNumber") not in (None, ""):
        body["DocNumber"] = str(body["DocNumber"])[:21]
    total = _expense_lines(company, body, when)
    if total < 0:
        raise business(f"Transaction amount must be positive. The Bill total would be {total}.")
    body["TotalAmt"] = total
    body["Balance"] = total
    body["DueDate"] = txn_date(body, "DueDate") if body.get("DueDate") else when
    body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    return body


def _purchase(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    _tidy(body)
    when = txn_date(body)
    body["TxnDate"] = when
    payment_type = body.get("PaymentType")
    if payment_type not in ("Cash", "Check", "CreditCard"):
        if payment_type in (None, ""):
            raise required("PaymentType")
        raise invalid(f"PaymentType {payment_type!r} must be Cash, Check or CreditCard", "PaymentType")
    acct = _ref(company, "Account", body.get("AccountRef"), "AccountRef")
    assert acct is not None
    body["AccountRef"] = _name_ref(acct, "Name")
    if body.get("EntityRef") not in (None, ""):
        entity = body["EntityRef"]
        kind = entity.get("type", "Vendor") if isinstance(entity, dict) else "Vendor"
        kind = kind if kind in ("Vendor", "Customer") else "Vendor"
        party = _ref(company, kind, entity, "EntityRef")
        assert party is not None
        body["EntityRef"] = {**_name_ref(party, "DisplayName"), "type": kind}
    _doc_number(company, "Purchase", body, current)
    total = _expense_lines(company, body, when)
    if total < 0:
        raise business(f"Transaction amount must be positive. The Purchase total would be {total}.")
    body["TotalAmt"] = total
    body["Credit"] = bool(body.get("Credit", False))
    body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    return body


def _deposit(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    _tidy(body)
    when = txn_date(body)
    body["TxnDate"] = when
    acct = _ref(company, "Account", body.get("DepositToAccountRef"), "DepositToAccountRef")
    assert acct is not None
    body["DepositToAccountRef"] = _name_ref(acct, "Name")
    lines = _lines(body)
    total = ZERO
    for n, line in enumerate(lines, 1):
        if line.get("DetailType") != "DepositLineDetail":
            raise invalid(f"Line {n}: DetailType {line.get('DetailType')!r} is not supported on a Deposit",
                          "DetailType")
        total += _account_line(company, line, "DepositLineDetail")
    _number_lines(lines)
    body["Line"] = lines
    if total < 0:
        raise business(f"Transaction amount must be positive. The Deposit total would be {total}.")
    body["TotalAmt"] = total
    body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    return body


def _passthrough(company: Company, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    return body


def _system_ref(company: Company, subtype: str) -> dict[str, str]:
    for acct in company.data["Account"].values():
        if acct.get("AccountSubType") == subtype and acct.get("Active", True):
            return _name_ref(acct, "Name")
    raise business(f"The company has no active account of subtype {subtype}")


_PREPARE: dict[str, Any] = {
    "Account": _account,
    "Item": _item,
    "Vendor": _party("Vendor"),
    "Customer": _party("Customer"),
    "SalesReceipt": _sales_form("SalesReceipt"),
    "RefundReceipt": _sales_form("RefundReceipt"),
    "Bill": _bill,
    "Purchase": _purchase,
    "Deposit": _deposit,
    "CompanyInfo": _passthrough,
    "Preferences": _passthrough,
}


# -- quantities -----------------------------------------------------------------------------------

_QTY_TYPES = {"SalesReceipt": -1, "RefundReceipt": 1, "Bill": 1, "Purchase": 1}
_DETAIL = {"SalesReceipt": "SalesItemLineDetail", "RefundReceipt": "SalesItemLineDetail",
           "Bill": "ItemBasedExpenseLineDetail", "Purchase": "ItemBasedExpenseLineDetail"}


def _qty_effects(company: Company, type_: str, doc: dict[str, Any] | None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if doc is None or doc.get(PRIVATE, {}).get("voided"):
        return out
    sign = _QTY_TYPES[type_]
    if type_ == "Purchase" and doc.get("Credit"):
        sign = -1
    key = _DETAIL[type_]
    for line in doc.get("Line", []):
        detail = line.get(key)
        if not isinstance(detail, dict):
            continue
        item_id = ref_id(detail.get("ItemRef"))
        item = company.data["Item"].get(item_id or "")
        if item is None or item.get("Type") != "Inventory":
            continue
        qty = detail.get("Qty")
        if isinstance(qty, Decimal | int) and qty:
            out[item["Id"]] += sign * Decimal(qty)
    return out


def _apply_qty(company: Company, before: dict[str, Decimal], after: dict[str, Decimal]) -> None:
    for item_id in set(before) | set(after):
        delta = after.get(item_id, ZERO) - before.get(item_id, ZERO)
        if delta == 0:
            continue
        item = company.data["Item"][item_id]
        item = dict(item)
        private = dict(item.get(PRIVATE, {}))
        private["moved"] = Decimal(private.get("moved", ZERO)) + delta
        item[PRIVATE] = private
        item["QtyOnHand"] = Decimal(private.get("opening_qty", ZERO)) + private["moved"]
        company.save("Item", item)
