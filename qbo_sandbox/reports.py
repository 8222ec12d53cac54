"""QBO's reports from the sandbox's ledger: ProfitAndLoss, BalanceSheet, InventoryValuationSummary.

The JSON follows Intuit's report shape: ``Header`` (ReportName, StartPeriod, EndPeriod, DateMacro,
ReportBasis, Currency, Option), ``Columns.Column`` and nested ``Rows.Row`` sections, each with a
``Header``, ``Rows``, ``Summary`` and ``group``; data rows carry ``ColData`` values as strings.
Dates come from ``start_date``/``end_date`` (``report_date`` as-of for the inventory report) or
``date_macro`` (default: this fiscal year to date). The balance sheet's Net Income is the
fiscal year's to the report date; Retained Earnings collects earlier years.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from qbo_sandbox.faults import QboFault

if TYPE_CHECKING:
    from qbo_sandbox.company import Company
    from qbo_sandbox.ledger import Ledger

ZERO = Decimal("0.00")
REPORTS = ("ProfitAndLoss", "BalanceSheet", "InventoryValuationSummary")


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def _today() -> dt.date:
    from qbo_sandbox.company import PACIFIC

    return dt.datetime.now(PACIFIC).date()


def _quarter_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _month_end(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def macro_range(macro: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates of one of QBO's ``date_macro`` values (fiscal year = calendar year here)."""
    key = macro.strip().lower().replace("_", " ")
    year_start = dt.date(today.year, 1, 1)
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    week_start = today - dt.timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    q_start = _quarter_start(today)
    last_q_end = q_start - dt.timedelta(days=1)
    table = {
        "today": (today, today),
        "yesterday": (today - dt.timedelta(days=1),) * 2,
        "this week": (week_start, week_start + dt.timedelta(days=6)),
        "this week-to-date": (week_start, today),
        "last week": (week_start - dt.timedelta(days=7), week_start - dt.timedelta(days=1)),
        "this month": (month_start, _month_end(today)),
        "this month-to-date": (month_start, today),
        "last month": (last_month_end.replace(day=1), last_month_end),
        "last month-to-date": (last_month_end.replace(day=1), min(last_month_end, today - dt.timedelta(days=31))),
        "this fiscal quarter": (q_start, _month_end(dt.date(q_start.year, q_start.month + 2, 1))),
        "this fiscal quarter-to-date": (q_start, today),
        "last fiscal quarter": (_quarter_start(last_q_end), last_q_end),
        "this fiscal year": (year_start, dt.date(today.year, 12, 31)),
        "this fiscal year-to-date": (year_start, today),
        "last fiscal year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
        "this calendar year": (year_start, dt.date(today.year, 12, 31)),
        "this calendar year-to-date": (year_start, today),
        "last calendar year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
        "all": (dt.date(1900, 1, 1), today),
    }
    if key not in table:
        raise QboFault(2030, "Invalid parameter",
                       f"date_macro '{macro}' is not one of: {', '.join(sorted(table))}", element="date_macro")
    start, end = table[key]
    return start, end


def _date(params: dict[str, str], key: str) -> dt.date | None:
    raw = params.get(key)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise QboFault(2030, "Invalid parameter", f"{key} '{raw}' is not a date (YYYY-MM-DD)",
                       element=key) from None


def period(params: dict[str, str]) -> tuple[dt.date, dt.date, str]:
    """(start, end, macro) from a report's query parameters."""
    start, end = _date(params, "start_date"), _date(params, "end_date") or _date(params, "report_date")
    macro = params.get("date_macro", "")
    if start is None and end is None:
        macro = macro or "This Fiscal Year-to-date"
        start, end = macro_range(macro, _today())
    elif macro and (start is None or end is None):
        m_start, m_end = macro_range(macro, _today())
        start, end = start or m_start, end or m_end
    if start is None:
        start = dt.date(end.year, 1, 1) if end is not None else dt.date(_today().year, 1, 1)
    if end is None:
        end = _today()
    if end < start:
        raise QboFault(2030, "Invalid parameter", f"end_date {end} is before start_date {start}")
    return start, end, macro


def report(company: Company, name: str, params: dict[str, str]) -> dict[str, Any]:
    """One report as QBO's JSON."""
    canonical = {r.lower(): r for r in REPORTS}.get(name.lower())
    if canonical is None:
        raise QboFault(5020, "Permission Denied Error",
                       f"The sandbox offers the reports {', '.join(REPORTS)}, not {name}", status=400)
    start, end, macro = period(params)
    with company.lock:
        ledger = company.ledger()
        if canonical == "ProfitAndLoss":
            rows = _profit_and_loss(ledger, start.isoformat(), end.isoformat())
            columns = _money_columns()
        elif canonical == "BalanceSheet":
            rows = _balance_sheet(ledger, end)
            columns = _money_columns()
        else:
            rows = _inventory(company, ledger, end.isoformat())
            columns = {"Column": [
                {"ColTitle": "", "ColType": "ProductsAndService"},
                {"ColTitle": "SKU", "ColType": "String"},
                {"ColTitle": "Qty", "ColType": "Quantity"},
                {"ColTitle": "Asset Value", "ColType": "Money"},
                {"ColTitle": "Calc. Avg", "ColType": "Money"},
            ]}
    from qbo_sandbox.company import now_text

    header: dict[str, Any] = {
        "Time": now_text(), "ReportName": canonical, "ReportBasis": params.get("accounting_method", "Accrual"),
        "StartPeriod": start.isoformat(), "EndPeriod": end.isoformat(), "SummarizeColumnsBy": "Total",
        "Currency": "USD",
        "Option": [{"Name": "AccountingStandard", "Value": "GAAP"},
                   {"Name": "NoReportData", "Value": "false" if rows else "true"}],
    }
    if macro:
        header["DateMacro"] = macro.lower()
    return {"Header": header, "Columns": columns, "Rows": {"Row": rows}}


def _money_columns() -> dict[str, Any]:
    return {"Column": [
        {"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
        {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]},
    ]}


def _data(name: str, value: Decimal, id_: str | None = None) -> dict[str, Any]:
    first: dict[str, Any] = {"value": name}
    if id_ is not None:
        first["id"] = id_
    return {"ColData": [first, {"value": _fmt(value)}], "type": "Data"}


def _section(title: str, group: str, rows: list[dict[str, Any]], total_label: str, total: Decimal) -> dict[str, Any]:
    return {"Header": {"ColData": [{"value": title}, {"value": ""}]}, "Rows": {"Row": rows},
            "Summary": {"ColData": [{"value": total_label}, {"value": _fmt(total)}]},
            "type": "Section", "group": group}


def _summary(label: str, group: str, total: Decimal) -> dict[str, Any]:
    return {"Summary": {"ColData": [{"value": label}, {"value": _fmt(total)}]}, "type": "Section", "group": group}


def _accounts(ledger: Ledger, types: tuple[str, ...], balances: dict[str, Decimal], sign: int,
              ) -> tuple[list[dict[str, Any]], Decimal]:
    rows = []
    total = ZERO
    for acct in sorted(ledger.accounts.values(), key=lambda a: (a.get("Name", ""), a["Id"])):
        if acct.get("AccountType") not in types:
            continue
        value = sign * balances.get(acct["Id"], ZERO)
        if value == 0:
            continue
        rows.append(_data(acct["Name"], value, acct["Id"]))
        total += value
    return rows, total


def net_income(ledger: Ledger, start: str | None, end: str) -> Decimal:
    """Income − expenses over postings dated within [start, end]."""
    balances = ledger.balances(start, end)
    total = ZERO
    for acct in ledger.accounts.values():
        if acct.get("Classification") in ("Revenue", "Expense"):
            total -= balances.get(acct["Id"], ZERO)
    return total


def _profit_and_loss(ledger: Ledger, start: str, end: str) -> list[dict[str, Any]]:
    b = ledger.balances(start, end)
    income_rows, income = _accounts(ledger, ("Income",), b, -1)
    cogs_rows, cogs = _accounts(ledger, ("Cost of Goods Sold",), b, 1)
    expense_rows, expenses = _accounts(ledger, ("Expense",), b, 1)
    other_income_rows, other_income = _accounts(ledger, ("Other Income",), b, -1)
    other_expense_rows, other_expenses = _accounts(ledger, ("Other Expense",), b, 1)
    gross = income - cogs
    operating = gross - expenses
    other = other_income - other_expenses
    return [
        _section("Income", "Income", income_rows, "Total Income", income),
        _section("Cost of Goods Sold", "COGS", cogs_rows, "Total Cost of Goods Sold", cogs),
        _summary("Gross Profit", "GrossProfit", gross),
        _section("Expenses", "Expenses", expense_rows, "Total Expenses", expenses),
        _summary("Net Operating Income", "NetOperatingIncome", operating),
        _section("Other Income", "OtherIncome", other_income_rows, "Total Other Income", other_income),
        _section("Other Expenses", "OtherExpenses", other_expense_rows, "Total Other Expenses", other_expenses),
        _summary("Net Other Income", "NetOtherIncome", other),
        _summary("Net Income", "NetIncome", operating + other),
    ]


def _balance_sheet(ledger: Ledger, end: dt.date) -> list[dict[str, Any]]:
    b = ledger.balances(None, end.isoformat())
    year_start = dt.date(end.year, 1, 1).isoformat()
    bank, bank_total = _accounts(ledger, ("Bank",), b, 1)
    ar, ar_total = _accounts(ledger, ("Accounts Receivable",), b, 1)
    oca, oca_total = _accounts(ledger, ("Other Current Asset",), b, 1)
    fixed, fixed_total = _accounts(ledger, ("Fixed Asset",), b, 1)
    other_assets, other_assets_total = _accounts(ledger, ("Other Asset",), b, 1)
    current = bank_total + ar_total + oca_total
    assets = current + fixed_total + other_assets_total
    ap, ap_total = _accounts(ledger, ("Accounts Payable",), b, -1)
    cards, cards_total = _accounts(ledger, ("Credit Card",), b, -1)
    ocl, ocl_total = _accounts(ledger, ("Other Current Liability",), b, -1)
    tax_pseudo = -b.get("tax", ZERO)
    if tax_pseudo:
        ocl.append(_data("Sales Tax Payable", tax_pseudo))
        ocl_total += tax_pseudo
    ltl, ltl_total = _accounts(ledger, ("Long Term Liability",), b, -1)
    current_liabilities = ap_total + cards_total + ocl_total
    liabilities = current_liabilities + ltl_total
    equity_rows, equity_total = _accounts(ledger, ("Equity",), b, -1)
    prior = net_income(ledger, None, (dt.date.fromisoformat(year_start) - dt.timedelta(days=1)).isoformat())
    this_year = net_income(ledger, year_start, end.isoformat())
    if prior:
        retained = next((a for a in ledger.accounts.values() if a.get("AccountSubType") == "RetainedEarnings"), None)
        label, id_ = ("Retained Earnings", retained["Id"]) if retained else ("Retained Earnings", None)
        equity_rows.append(_data(label, prior, id_))
    equity_rows.append(_data("Net Income", this_year))
    equity = equity_total + prior + this_year
    assets_rows = [
        _section("Current Assets", "CurrentAssets", [
            _section("Bank Accounts", "BankAccounts", bank, "Total Bank Accounts", bank_total),
            _section("Accounts Receivable", "AR", ar, "Total Accounts Receivable", ar_total),
            _section("Other Current Assets", "OtherCurrentAssets", oca, "Total Other Current Assets", oca_total),
        ], "Total Current Assets", current),
        _section("Fixed Assets", "FixedAssets", fixed, "Total Fixed Assets", fixed_total),
        _section("Other Assets", "OtherAssets", other_assets, "Total Other Assets", other_assets_total),
    ]
    liab_rows = [
        _section("Liabilities", "Liabilities", [
            _section("Current Liabilities", "CurrentLiabilities", [
                _section("Accounts Payable", "AP", ap, "Total Accounts Payable", ap_total),
                _section("Credit Cards", "CreditCards", cards, "Total Credit Cards", cards_total),
                _section("Other Current Liabilities", "OtherCurrentLiabilities", ocl,
                         "Total Other Current Liabilities", ocl_total),
            ], "Total Current Liabilities", current_liabilities),
            _section("Long-Term Liabilities", "LongTermLiabilities", ltl, "Total Long-Term Liabilities", ltl_total),
        ], "Total Liabilities", liabilities),
        _section("Equity", "Equity", equity_rows, "Total Equity", equity),
    ]
    return [
        _section("ASSETS", "TotalAssets", assets_rows, "TOTAL ASSETS", assets),
        _section("LIABILITIES AND EQUITY", "TotalLiabilitiesAndEquity", liab_rows,
                 "TOTAL LIABILITIES AND EQUITY", liabilities + equity),
    ]


def _inventory(company: Company, ledger: Ledger, end: str) -> list[dict[str, Any]]:
    on_hand = ledger.inventory(end)
    rows: list[dict[str, Any]] = []
    total_qty = Decimal(0)
    total_value = ZERO
    items = sorted((i for i in company.data["Item"].values() if i.get("Type") == "Inventory"),
                   key=lambda i: (i.get("Name", ""), i["Id"]))
    for item in items:
        if item.get("InvStartDate", "") > end:
            continue
        qty, value = on_hand.get(item["Id"], (Decimal(0), ZERO))
        avg = (value / qty) if qty else ZERO
        rows.append({"ColData": [{"value": item["Name"], "id": item["Id"]}, {"value": str(item.get("Sku", ""))},
                                 {"value": _qty(qty)}, {"value": _fmt(value)}, {"value": _fmt(avg)}],
                     "type": "Data"})
        total_qty += qty
        total_value += value
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}, {"value": ""}, {"value": _qty(total_qty)},
                                         {"value": _fmt(total_value)}, {"value": ""}]},
                 "type": "Section", "group": "GrandTotal"})
    return rows


def _qty(value: Decimal) -> str:
    return f"{value:.2f}"
