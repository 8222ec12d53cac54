"""Contract tests: every entity and query form through the real python-quickbooks client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    ValidationException,
)
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.customer import Customer
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail
from quickbooks.objects.item import Item
from quickbooks.objects.purchase import Purchase
from quickbooks.objects.refundreceipt import RefundReceipt
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.vendor import Vendor

from tests.sandbox_docs import (
    account_id,
    account_named,
    bill,
    inventory_item,
    ref,
    refund_receipt,
    sale_line,
    sales_receipt,
    vendor,
)


def test_account__create_read_query(qb_client: Any) -> None:
    acct = Account()
    acct.Name = "Etsy Clearing"
    acct.AccountType = "Bank"
    acct.AccountSubType = "CashOnHand"
    saved = acct.save(qb=qb_client)
    assert saved.Id and saved.SyncToken == "0" and saved.Classification == "Asset"
    again = Account.get(saved.Id, qb=qb_client)
    assert (again.Name, again.FullyQualifiedName, again.CurrentBalance) == ("Etsy Clearing", "Etsy Clearing", 0)
    assert [a.Name for a in Account.filter(Name="Etsy Clearing", qb=qb_client)] == ["Etsy Clearing"]


def test_account__duplicate_name_is_6240(qb_client: Any) -> None:
    acct = Account()
    acct.Name = "cost of goods sold"
    acct.AccountType = "Cost of Goods Sold"
    with pytest.raises(QuickbooksException) as err:
        acct.save(qb=qb_client)
    assert err.value.error_code == 6240


def test_item__inventory_fields_round_trip(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Trail Mix 200g", 12, "2.35", start="2026-02-01", sku="TRL-MIX-200")
    got = Item.get(item.Id, qb=qb_client)
    assert (got.Type, got.TrackQtyOnHand, got.QtyOnHand, got.InvStartDate) == ("Inventory", True, 12, "2026-02-01")
    assert (got.PurchaseCost, got.Sku, got.UnitPrice) == (Decimal("2.35"), "TRL-MIX-200", Decimal("10.00"))
    assert got.AssetAccountRef.value == account_id(qb_client, "Inventory")


@pytest.mark.parametrize("kind", ["NonInventory", "Service"])
def test_item__non_inventory_kinds(qb_client: Any, kind: str) -> None:
    item = Item()
    item.Name = f"Product {kind}"
    item.Type = kind
    item.IncomeAccountRef = ref(account_id(qb_client, "SalesOfProductIncome"))
    saved = item.save(qb=qb_client)
    got = Item.get(saved.Id, qb=qb_client)
    assert (got.Type, got.TrackQtyOnHand) == (kind, False)
    assert getattr(got, "QtyOnHand", None) is None


def test_item__missing_inventory_field_is_2020(qb_client: Any) -> None:
    item = Item()
    item.Name = "No start date"
    item.Type = "Inventory"
    item.QtyOnHand = 1
    item.IncomeAccountRef = ref(account_id(qb_client, "SalesOfProductIncome"))
    item.ExpenseAccountRef = ref(account_id(qb_client, "SuppliesMaterialsCogs"))
    item.AssetAccountRef = ref(account_id(qb_client, "Inventory"))
    with pytest.raises(ValidationException) as err:
        item.save(qb=qb_client)
    assert err.value.error_code == 2020 and "InvStartDate" in err.value.detail


def test_item__duplicate_name_is_6240(qb_client: Any) -> None:
    with pytest.raises(QuickbooksException) as err:
        inventory_item(qb_client, "ceramic mug 11oz white", 1, "1.00")
    assert err.value.error_code == 6240


def test_item__delete_makes_inactive(qb_client: Any, sandbox: Any) -> None:
    item = Item.filter(Sku="PIN-ENM-MTN", qb=qb_client)[0]
    before = Item.count(qb=qb_client)
    qb_client.delete_object("Item", f'{{"Id": "{item.Id}", "SyncToken": "{item.SyncToken}"}}')
    assert Item.count(qb=qb_client) == before - 1
    inactive = Item.where("Active = false", qb=qb_client)
    assert [i.Id for i in inactive] == [item.Id]
    assert inactive[0].Name.endswith("(deleted)")
    assert len(Item.where("Active IN (true, false)", max_results=1000, qb=qb_client)) == before
    assert Item.get(item.Id, qb=qb_client).Active is False


def test_item__update_full_and_sparse_with_sync_token(qb_client: Any) -> None:
    item = Item.filter(Sku="MUG-11OZ-BLK", qb=qb_client)[0]
    item.UnitPrice = Decimal("15.49")
    updated = item.save(qb=qb_client)
    assert (updated.SyncToken, updated.UnitPrice) == ("1", Decimal("15.49"))
    qb_client.update_object("Item", f'{{"Id": "{item.Id}", "SyncToken": "1", "sparse": true, '
                                    f'"Description": "Sparse edit"}}')
    got = Item.get(item.Id, qb=qb_client)
    assert (got.SyncToken, got.Description, got.UnitPrice, got.Sku) == ("2", "Sparse edit", Decimal("15.49"),
                                                                        "MUG-11OZ-BLK")


def test_item__stale_sync_token_is_5010(qb_client: Any) -> None:
    item = Item.filter(Sku="MUG-15OZ-WHT", qb=qb_client)[0]
    item.save(qb=qb_client)  # moves SyncToken to 1
    item.Description = "stale"
    with pytest.raises(QuickbooksException) as err:
        item.save(qb=qb_client)  # still carries SyncToken 0
    assert err.value.error_code == 5010


def test_read__unknown_id_is_610(qb_client: Any) -> None:
    with pytest.raises(ObjectNotFoundException) as err:
        Item.get("99999", qb=qb_client)
    assert err.value.error_code == 610


def test_vendor_and_customer__create_and_shared_names(qb_client: Any) -> None:
    v = vendor(qb_client, "Acme Packaging")
    assert Vendor.get(v.Id, qb=qb_client).DisplayName == "Acme Packaging"
    c = Customer()
    c.DisplayName = "Acme Packaging"
    with pytest.raises(QuickbooksException) as err:
        c.save(qb=qb_client)
    assert err.value.error_code == 6240
    c.DisplayName = "Amazon Marketplace"
    assert Customer.get(c.save(qb=qb_client).Id, qb=qb_client).DisplayName == "Amazon Marketplace"


def test_bill__item_and_account_lines(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    vend = Vendor.all(qb=qb_client)[0]
    b = bill(qb_client, vend.Id, "2026-11-28", [(mug.Id, 10, "4.333")],
             [(account_named(qb_client, "Freight In"), "12.50")])
    got = Bill.get(b.Id, qb=qb_client)
    assert got.TotalAmt == Decimal("55.83")  # 43.33 + 12.50
    assert got.Balance == got.TotalAmt
    assert [ln.DetailType for ln in got.Line] == ["ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail"]
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand + 10


def test_purchase__expense_paid_from_clearing(qb_client: Any) -> None:
    p = Purchase()
    p.PaymentType = "Cash"
    p.TxnDate = "2026-11-30"
    p.AccountRef = ref(account_named(qb_client, "Amazon Clearing"))
    from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail

    for name, amount in (("Marketplace Commissions", "31.20"), ("Fulfillment Fees", "18.75")):
        line = AccountBasedExpenseLine()
        line.Amount = Decimal(amount)
        line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
        line.AccountBasedExpenseLineDetail.AccountRef = ref(account_named(qb_client, name))
        p.Line.append(line)
    saved = p.save(qb=qb_client)
    assert Purchase.get(saved.Id, qb=qb_client).TotalAmt == Decimal("49.95")


def test_sales_receipt__create_totals_and_moves_quantity(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    shipping = Item.filter(Name="Shipping", qb=qb_client)[0]
    receipt = sales_receipt("2026-11-30", [sale_line(mug.Id, 3, "4.9966666667", "14.99"),
                                           sale_line(shipping.Id, None, "5.00")],
                            deposit_to=account_named(qb_client, "Amazon Clearing"), doc_number="AMZ-1")
    saved = receipt.save(qb=qb_client)
    got = SalesReceipt.get(saved.Id, qb=qb_client)
    assert got.TotalAmt == Decimal("19.99")
    assert got.DepositToAccountRef.value == account_named(qb_client, "Amazon Clearing")
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand - 3


def test_sales_receipt__default_deposit_is_undeposited_funds(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    saved = sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")]).save(qb=qb_client)
    assert SalesReceipt.get(saved.Id, qb=qb_client).DepositToAccountRef.value == account_id(
        qb_client, "UndepositedFunds")


def test_sales_receipt__void_keeps_it_with_zero_and_returns_stock(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    saved = sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99")]).save(qb=qb_client)
    receipt = SalesReceipt.get(saved.Id, qb=qb_client)
    receipt.void(qb=qb_client)
    voided = SalesReceipt.get(saved.Id, qb=qb_client)
    assert voided.TotalAmt == 0 and voided.PrivateNote.startswith("Voided")
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand


def test_sales_receipt__delete_removes_it(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    saved = sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99")]).save(qb=qb_client)
    answer = SalesReceipt.get(saved.Id, qb=qb_client).delete(qb=qb_client)
    assert answer["SalesReceipt"]["status"] == "Deleted"
    with pytest.raises(ObjectNotFoundException):
        SalesReceipt.get(saved.Id, qb=qb_client)
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand


def test_refund_receipt__needs_deposit_account_and_returns_units(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    with pytest.raises(ValidationException) as err:
        refund_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], None).save(qb=qb_client)
    assert err.value.error_code == 2020 and "DepositToAccountRef" in err.value.detail
    saved = refund_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")],
                           account_named(qb_client, "Amazon Clearing")).save(qb=qb_client)
    assert RefundReceipt.get(saved.Id, qb=qb_client).TotalAmt == Decimal("14.99")
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand + 1


def test_deposit__lines_to_accounts(qb_client: Any) -> None:
    d = Deposit()
    d.TxnDate = "2026-11-30"
    d.DepositToAccountRef = ref(account_named(qb_client, "Amazon Clearing"))
    line = DepositLine()
    line.Amount = Decimal("7.25")
    line.DepositLineDetail = DepositLineDetail()
    line.DepositLineDetail.AccountRef = ref(account_named(qb_client, "Marketplace Reimbursements"))
    d.Line.append(line)
    saved = d.save(qb=qb_client)
    assert Deposit.get(saved.Id, qb=qb_client).TotalAmt == Decimal("7.25")


# -- the query language -----------------------------------------------------------------------


def test_query__all_pages_with_startposition_and_maxresults(qb_client: Any) -> None:
    everything = Item.all(qb=qb_client, max_results=1000)
    page1 = Item.all(qb=qb_client, order_by="Name", start_position=1, max_results=10)
    page2 = Item.all(qb=qb_client, order_by="Name", start_position=11, max_results=10)
    assert len(page1) == len(page2) == 10
    names = sorted(i.Name for i in everything)
    assert [i.Name for i in page1 + page2] == names[:20]
    assert all(i.Sku for i in everything if i.Type == "Inventory")


def test_query__response_shape(qb_client: Any) -> None:
    answer = qb_client.query("SELECT * FROM Item WHERE Type = 'Inventory' STARTPOSITION 3 MAXRESULTS 5")
    response = answer["QueryResponse"]
    assert (response["startPosition"], response["maxResults"], len(response["Item"])) == (3, 5, 5)
    assert qb_client.query("SELECT * FROM Item WHERE Name = 'nothing'")["QueryResponse"] == {}
    assert qb_client.query("select count(*) from item")["QueryResponse"] == {"totalCount": 31}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param("Sku = 'MUG-11OZ-WHT'", {"MUG-11OZ-WHT"}, id="equals"),
        pytest.param("Sku IN ('MUG-11OZ-WHT', 'PEN-GEL-6')", {"MUG-11OZ-WHT", "PEN-GEL-6"}, id="in"),
        pytest.param("Name LIKE 'Ceramic Mug%'", {"MUG-11OZ-WHT", "MUG-11OZ-BLK", "MUG-15OZ-WHT"}, id="like"),
        pytest.param("Name LIKE '%tumbler%' AND UnitPrice >= '24.99'", {"TUM-20OZ-STL", "TUM-20OZ-BLK"},
                     id="like_and_ge"),
        pytest.param("UnitPrice < '5'", {"GFT-BOX-SM"}, id="lt"),
        pytest.param("UnitPrice > '40' AND Type = 'Inventory'", {"SWT-CRW-M-GRY", "SWT-CRW-L-GRY"}, id="gt_and"),
        pytest.param("UnitPrice <= '4.5'", {"GFT-BOX-SM"}, id="le"),
    ],
)
def test_query_where__case(qb_client: Any, where: str, expected: set[str]) -> None:
    assert {i.Sku for i in Item.where(where, qb=qb_client) if i.Sku} == expected


def test_query__filter_choose_count_order(qb_client: Any) -> None:
    chosen = Item.choose(["MUG-11OZ-WHT", "CST-WD-4"], field="Sku", qb=qb_client)
    assert {i.Sku for i in chosen} == {"MUG-11OZ-WHT", "CST-WD-4"}
    assert Item.count("Type = 'Inventory'", qb=qb_client) == 30
    desc = Item.where("Type = 'Inventory'", order_by="UnitPrice DESC", max_results=2, qb=qb_client)
    assert [i.UnitPrice for i in desc] == [Decimal("44.00"), Decimal("44.00")]
    by_order = Item.query("SELECT * FROM Item WHERE Type = 'Inventory' ORDER BY Sku MAXRESULTS 1", qb=qb_client)
    assert by_order[0].Sku == "BNE-KNT-CHR"
    assert len(Bill.filter(TxnDate="2026-01-01", qb=qb_client)) == 0
    assert Bill.count("TxnDate >= '2026-06-01' AND TxnDate < '2026-07-01'", qb=qb_client) > 0
    assert Vendor.count(qb=qb_client) == 5


def test_query__select_fields_and_meta(qb_client: Any) -> None:
    rows = qb_client.query("SELECT Id, Name FROM Item WHERE Sku = 'PEN-GEL-6'")["QueryResponse"]["Item"]
    assert set(rows[0]) <= {"Id", "Name", "SyncToken", "domain", "sparse"} and rows[0]["sparse"] is True
    recent = Item.where("MetaData.CreateTime > '2000-01-01'", qb=qb_client)
    assert len(recent) == 31


def test_query__maxresults_is_capped_at_1000_and_bad_query_is_4000(qb_client: Any) -> None:
    assert len(Bill.all(max_results=5000, qb=qb_client)) == Bill.count(qb=qb_client)
    with pytest.raises(ValidationException) as err:
        qb_client.query("SELECT * FROM Item WHERE")
    assert err.value.error_code == 4000
    with pytest.raises(ValidationException):
        qb_client.query("SELECT * FROM Gadget")


def test_auth__no_bearer_token_is_401(qb_client: Any) -> None:
    qb_client.session.token = {"access_token": " ", "token_type": "Bearer"}  # blank bearer
    with pytest.raises(AuthorizationException) as err:
        Item.all(qb=qb_client)
    assert err.value.error_code == 401


def test_sales_receipt__inactive_item_is_610(qb_client: Any) -> None:
    item = Item.filter(Sku="PIN-ENM-MTN", qb=qb_client)[0]
    qb_client.delete_object("Item", f'{{"Id": "{item.Id}", "SyncToken": "{item.SyncToken}"}}')
    with pytest.raises(ObjectNotFoundException) as err:
        sales_receipt("2026-11-30", [sale_line(item.Id, 1, "9.50")]).save(qb=qb_client)
    assert err.value.error_code == 610


def test_money__exact_decimals_in_and_out(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Precise Widget", 10, "0.3333333333", start="2026-01-01")
    assert Item.get(item.Id, qb=qb_client).PurchaseCost == Decimal("0.3333333333")
    receipt = sales_receipt("2026-11-30", [sale_line(item.Id, 3, "0.1000000001", "0.30"),
                                           sale_line(item.Id, 1, "1234567.89")])
    saved = receipt.save(qb=qb_client)
    got = SalesReceipt.get(saved.Id, qb=qb_client)
    assert got.TotalAmt == Decimal("1234568.19")
    assert got.Line[0].SalesItemLineDetail["UnitPrice"] == Decimal("0.1000000001")


def test_batch__update_and_delete(qb_client: Any) -> None:
    from quickbooks.batch import batch_delete, batch_update

    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    receipts = [sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number=f"U-{n}").save(qb=qb_client)
                for n in range(2)]
    fresh = [SalesReceipt.get(r.Id, qb=qb_client) for r in receipts]
    for r in fresh:
        r.PrivateNote = "edited in a batch"
    updated = batch_update(fresh, qb=qb_client)
    assert [u.SyncToken for u in updated.successes] == ["1", "1"] and updated.faults == []
    stale = batch_update(fresh, qb=qb_client)  # still SyncToken 0
    assert [f.Error[0].code for f in stale.faults] == ["5010", "5010"]
    deleted = batch_delete([SalesReceipt.get(r.Id, qb=qb_client) for r in receipts], qb=qb_client)
    assert len(deleted.faults) == 0
    assert SalesReceipt.count(qb=qb_client) == 0
