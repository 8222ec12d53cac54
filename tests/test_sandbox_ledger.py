"""The sandbox's books through python-quickbooks: FIFO scenarios (before / event / after) and
reports that tie to the ledger (assets = liabilities + equity; P&L COGS = Σ FIFO draws)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from quickbooks.objects.item import Item
from quickbooks.objects.vendor import Vendor

from services.fifo import IN, OUT, InventoryEvent, replay
from tests.sandbox_docs import (
    account_named,
    bill,
    inventory_item,
    refund_receipt,
    report_rows,
    report_total,
    sale_line,
    sales_receipt,
)

D = Decimal


def cogs_on(qb: Any, start: str, end: str | None = None) -> Decimal:
    """The 'Cost of Goods Sold' account's line in the P&L over [start, end]."""
    report = qb.get_report("ProfitAndLoss", {"start_date": start, "end_date": end or start})
    return D(report_rows(report).get("Cost of Goods Sold", ["0.00"])[0])


def sell(qb: Any, item_id: str, date: str, qty: int, price: str = "10.00") -> None:
    sales_receipt(date, [sale_line(item_id, qty, price)]).save(qb=qb)


def vendor_id(qb: Any) -> str:
    return str(Vendor.all(qb=qb)[0].Id)


def test_fifo__intuits_example(qb_client: Any) -> None:
    # before: no stock; buy 20 at $6, then 30 at $7
    item = inventory_item(qb_client, "Example Widget", 0, "0", start="2026-01-01")
    bill(qb_client, vendor_id(qb_client), "2026-01-02", [(item.Id, 20, "6.00")])
    bill(qb_client, vendor_id(qb_client), "2026-01-03", [(item.Id, 30, "7.00")])
    # event: sell 15, then 20 more
    sell(qb_client, item.Id, "2026-01-05", 15)
    sell(qb_client, item.Id, "2026-01-06", 20)
    # after: $90, then 5×6 + 15×7 = $135; 15 left worth $105
    assert cogs_on(qb_client, "2026-01-05") == D("90.00")
    assert cogs_on(qb_client, "2026-01-06") == D("135.00")
    assert Item.get(item.Id, qb=qb_client).QtyOnHand == 15
    valuation = report_rows(qb_client.get_report("InventoryValuationSummary", {"report_date": "2026-01-31"}))
    assert valuation["Example Widget"][1:3] == ["15.00", "105.00"]


def test_fifo__one_sale_draws_from_several_layers(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Layered Widget", 2, "1.00", start="2026-01-01")
    bill(qb_client, vendor_id(qb_client), "2026-01-02", [(item.Id, 3, "2.00")])
    bill(qb_client, vendor_id(qb_client), "2026-01-03", [(item.Id, 10, "3.50")])
    sell(qb_client, item.Id, "2026-01-04", 7)
    assert cogs_on(qb_client, "2026-01-04") == D("15.00")  # 2×1 + 3×2 + 2×3.5


def test_fifo__backdated_bill_recosts_later_sales(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Backdated Widget", 10, "5.00", start="2026-01-01")
    sell(qb_client, item.Id, "2026-03-01", 10)
    bill(qb_client, vendor_id(qb_client), "2026-03-05", [(item.Id, 10, "9.00")])
    sell(qb_client, item.Id, "2026-03-10", 5)
    # before: the second sale takes the $9 layer
    assert cogs_on(qb_client, "2026-03-10") == D("45.00")
    # event: a bill dated February is entered now
    bill(qb_client, vendor_id(qb_client), "2026-02-01", [(item.Id, 10, "4.00")])
    # after: the replay re-costs: the first sale still takes the opening layer, the second the $4 one
    assert cogs_on(qb_client, "2026-03-01") == D("50.00")
    assert cogs_on(qb_client, "2026-03-10") == D("20.00")
    assert Item.get(item.Id, qb=qb_client).QtyOnHand == 15


def test_fifo__refund_returns_units_to_stock(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Returned Widget", 5, "3.00", start="2026-01-01")
    bill(qb_client, vendor_id(qb_client), "2026-01-02", [(item.Id, 5, "8.00")])
    sell(qb_client, item.Id, "2026-01-03", 6)  # 5×3 + 1×8 = 23
    clearing = account_named(qb_client, "Amazon Clearing")
    before = Item.get(item.Id, qb=qb_client).QtyOnHand
    refund_receipt("2026-01-04", [sale_line(item.Id, 2, "10.00")], clearing).save(qb=qb_client)
    # the 2 units come back at the oldest layer's cost ($8: the sale is not linked) and leave COGS
    assert Item.get(item.Id, qb=qb_client).QtyOnHand == before + 2
    assert cogs_on(qb_client, "2026-01-04") == D("-16.00")
    valuation = report_rows(qb_client.get_report("InventoryValuationSummary", {"report_date": "2026-01-31"}))
    assert valuation["Returned Widget"][1:3] == ["6.00", "48.00"]


def test_fifo__refund_linked_to_its_sale_returns_at_the_sale_cost(qb_client: Any) -> None:
    from quickbooks.objects.base import LinkedTxn

    item = inventory_item(qb_client, "Linked Widget", 5, "3.00", start="2026-01-01")
    bill(qb_client, vendor_id(qb_client), "2026-01-02", [(item.Id, 5, "8.00")])
    sale = sales_receipt("2026-01-03", [sale_line(item.Id, 5, "10.00")]).save(qb=qb_client)  # all the $3 units
    refund = refund_receipt("2026-01-04", [sale_line(item.Id, 2, "10.00")], account_named(qb_client, "Amazon Clearing"))
    link = LinkedTxn()
    link.TxnId = sale.Id
    link.TxnType = "SalesReceipt"
    link.TxnLineId = 1
    refund.LinkedTxn = [link]
    refund.save(qb=qb_client)
    # the units come back at the $3 they left with (unlinked: at the oldest layer's $8)
    assert cogs_on(qb_client, "2026-01-04") == D("-6.00")


def test_fifo__stock_below_zero_is_trued_up(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Oversold Widget", 2, "4.00", start="2026-01-01")
    sell(qb_client, item.Id, "2026-03-01", 5)
    # before the stock arrives: 2 at $4 and 3 below zero at the last known $4
    assert Item.get(item.Id, qb=qb_client).QtyOnHand == -3
    assert cogs_on(qb_client, "2026-03-01") == D("20.00")
    bill(qb_client, vendor_id(qb_client), "2026-03-05", [(item.Id, 10, "6.00")])
    # after: the 3 units are trued up to $6 on the bill's date
    assert cogs_on(qb_client, "2026-03-05") == D("6.00")
    assert Item.get(item.Id, qb=qb_client).QtyOnHand == 7
    valuation = report_rows(qb_client.get_report("InventoryValuationSummary", {"report_date": "2026-03-31"}))
    assert valuation["Oversold Widget"][1:3] == ["7.00", "42.00"]


def test_reports__balance_and_tie_to_fifo(qb_client: Any) -> None:
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)[0]
    pen = Item.filter(Sku="PEN-GEL-6", qb=qb_client)[0]
    shipping = Item.filter(Name="Shipping", qb=qb_client)[0]
    clearing = account_named(qb_client, "Amazon Clearing")
    oversell = int(mug.QtyOnHand) - 30 + 5  # the last sale takes the mugs 5 below zero
    sales = [("2026-12-01", mug.Id, 30), ("2026-12-01", pen.Id, 12), ("2026-12-02", mug.Id, oversell)]
    for date, item_id, qty in sales:
        sales_receipt(date, [sale_line(item_id, qty, "9.00"), sale_line(shipping.Id, None, "4.00")],
                      deposit_to=clearing).save(qb=qb_client)
    refund_receipt("2026-12-03", [sale_line(pen.Id, 1, "9.00")], clearing).save(qb=qb_client)

    # the expected COGS from the pure engine, over the history read back through the API
    events = []
    for item in (mug, pen):
        events.append(InventoryEvent(item.Id, dt.date.fromisoformat(item.InvStartDate), 0, IN,
                                     D(_opening(qb_client, item)), D(item.PurchaseCost), f"open{item.Id}"))
    from quickbooks.objects.bill import Bill

    for n, b in enumerate(Bill.all(max_results=1000, qb=qb_client), 1):
        for line in b.Line:
            detail = getattr(line, "ItemBasedExpenseLineDetail", None)
            if detail is not None and detail.ItemRef.value in (mug.Id, pen.Id):
                events.append(InventoryEvent(detail.ItemRef.value, dt.date.fromisoformat(b.TxnDate), n, IN,
                                             D(detail.Qty), D(line.Amount) / D(detail.Qty), f"b{b.Id}.{line.Id}"))
    for n, (date, item_id, qty) in enumerate(sales, 10_000):
        events.append(InventoryEvent(item_id, dt.date.fromisoformat(date), n, OUT, D(qty), None, f"s{n}"))
    events.append(InventoryEvent(pen.Id, dt.date(2026, 12, 3), 20_000, IN, D(1), None, "r1"))
    fifo = replay(events)
    expected = sum((d.cost for d in fifo.draws if d.date.month == 12), D(0)) - sum(
        (r.qty * r.unit_cost).quantize(D("0.01")) for r in fifo.returns)
    expected += sum((t.delta for t in fifo.trueups if t.date.month == 12), D(0))
    assert cogs_on(qb_client, "2026-12-01", "2026-12-31") == expected
    assert [d.short for d in fifo.draws if d.short] == [D(5)]

    sheet = qb_client.get_report("BalanceSheet", {"end_date": "2026-12-31"})
    assert report_total(sheet, "TotalAssets") == report_total(sheet, "TotalLiabilitiesAndEquity")
    inventory = qb_client.get_report("InventoryValuationSummary", {"report_date": "2026-12-31"})
    grand = inventory["Rows"]["Row"][-1]["Summary"]["ColData"]
    assert D(report_rows(sheet)["Inventory Asset"][0]) == D(grand[3]["value"])
    pnl = qb_client.get_report("ProfitAndLoss", {"start_date": "2026-01-01", "end_date": "2026-12-31"})
    assert D(report_rows(sheet)["Net Income"][0]) == report_total(pnl, "NetIncome")
    assert report_total(pnl, "GrossProfit") == report_total(pnl, "Income") - report_total(pnl, "COGS")


def test_reports__date_macro_and_header(qb_client: Any) -> None:
    report = qb_client.get_report("ProfitAndLoss", {"date_macro": "Last Calendar Year"})
    header = report["Header"]
    assert header["ReportName"] == "ProfitAndLoss" and header["DateMacro"] == "last calendar year"
    assert header["StartPeriod"].endswith("-01-01") and header["EndPeriod"].endswith("-12-31")
    assert [c["ColType"] for c in report["Columns"]["Column"]] == ["Account", "Money"]
    groups = [row.get("group") for row in report["Rows"]["Row"]]
    assert groups == ["Income", "COGS", "GrossProfit", "Expenses", "NetOperatingIncome", "OtherIncome",
                      "OtherExpenses", "NetOtherIncome", "NetIncome"]


def test_reports__opening_stock_is_in_opening_balance_equity(qb_client: Any) -> None:
    sheet = qb_client.get_report("BalanceSheet", {"end_date": "2025-12-31"})
    rows = report_rows(sheet)
    assert D(rows["Inventory Asset"][0]) == D(rows["Opening Balance Equity"][0]) > 0


def _opening(qb: Any, item: Item) -> Decimal:
    """Opening quantity = on hand − bought + sold so far (no sales before this test)."""
    from quickbooks.objects.bill import Bill

    bought = D(0)
    for b in Bill.all(max_results=1000, qb=qb):
        for line in b.Line:
            detail = getattr(line, "ItemBasedExpenseLineDetail", None)
            if detail is not None and detail.ItemRef.value == item.Id:
                bought += D(detail.Qty)
    return D(item.QtyOnHand) - bought
