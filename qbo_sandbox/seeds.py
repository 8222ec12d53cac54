"""New companies: ``demo`` (the embedded Demo Company) and ``empty`` (the minimal chart).

A seed is applied once, to a new data directory, through the same operations the API uses, so
the seeded documents pass QBO's checks and are booked like any other. The demo's purchase
history is generated from a fixed random seed: the same every time.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from qbo_sandbox.company import Company
from qbo_sandbox.store import Store

SEEDS = ("demo", "empty")

# (name, AccountType, AccountSubType)
MINIMAL_CHART: tuple[tuple[str, str, str], ...] = (
    ("Checking", "Bank", "Checking"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Uncategorized Expense", "Expense", "OtherMiscellaneousServiceCost"),
)

DEMO_CHART: tuple[tuple[str, str, str], ...] = (
    ("Business Checking", "Bank", "Checking"),
    ("Savings", "Bank", "Savings"),
    ("Amazon Clearing", "Bank", "CashOnHand"),
    ("Shopify Clearing", "Bank", "CashOnHand"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Prepaid Expenses", "Other Current Asset", "PrepaidExpenses"),
    ("Amazon Reserve", "Other Current Asset", "OtherCurrentAssets"),
    ("Equipment", "Fixed Asset", "MachineryAndEquipment"),
    ("Business Credit Card", "Credit Card", "CreditCard"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
    ("Loan Payable", "Long Term Liability", "NotesPayable"),
    ("Owner's Investment", "Equity", "OwnersEquity"),
    ("Shipping Income", "Income", "OtherPrimaryIncome"),
    ("Gift Wrap Income", "Income", "OtherPrimaryIncome"),
    ("Discounts Given", "Income", "DiscountsRefundsGiven"),
    ("Refunds Given", "Income", "DiscountsRefundsGiven"),
    ("Marketplace Reimbursements", "Other Income", "OtherMiscellaneousIncome"),
    ("Freight In", "Cost of Goods Sold", "ShippingFreightDeliveryCos"),
    ("Merchant Fees", "Expense", "BankCharges"),
    ("Marketplace Commissions", "Expense", "OtherMiscellaneousServiceCost"),
    ("Fulfillment Fees", "Expense", "ShippingFreightDelivery"),
    ("Storage Fees", "Expense", "OtherMiscellaneousServiceCost"),
    ("Advertising", "Expense", "AdvertisingPromotional"),
    ("Subscriptions", "Expense", "DuesSubscriptions"),
    ("Office Supplies", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Suspense", "Other Expense", "OtherMiscellaneousExpense"),
)

# (name, sku, unit price, opening qty, opening unit cost)
DEMO_ITEMS: tuple[tuple[str, str, str, int, str], ...] = (
    ("Ceramic Mug 11oz White", "MUG-11OZ-WHT", "14.99", 120, "4.10"),
    ("Ceramic Mug 11oz Black", "MUG-11OZ-BLK", "14.99", 90, "4.25"),
    ("Ceramic Mug 15oz White", "MUG-15OZ-WHT", "17.99", 80, "5.05"),
    ("Travel Tumbler 20oz Steel", "TUM-20OZ-STL", "24.99", 60, "7.80"),
    ("Travel Tumbler 20oz Matte Black", "TUM-20OZ-BLK", "24.99", 55, "8.10"),
    ("Glass Water Bottle 500ml", "BTL-500-GLS", "19.99", 70, "5.60"),
    ("Cotton Tote Bag Natural", "TOTE-COT-NAT", "16.50", 150, "3.20"),
    ("Cotton Tote Bag Navy", "TOTE-COT-NVY", "16.50", 110, "3.35"),
    ("Organic Tee Unisex S White", "TEE-ORG-S-WHT", "22.00", 40, "6.40"),
    ("Organic Tee Unisex M White", "TEE-ORG-M-WHT", "22.00", 65, "6.40"),
    ("Organic Tee Unisex L White", "TEE-ORG-L-WHT", "22.00", 60, "6.40"),
    ("Organic Tee Unisex M Heather", "TEE-ORG-M-HTR", "23.00", 45, "6.90"),
    ("Crewneck Sweatshirt M Grey", "SWT-CRW-M-GRY", "44.00", 30, "14.75"),
    ("Crewneck Sweatshirt L Grey", "SWT-CRW-L-GRY", "44.00", 28, "14.75"),
    ("Beanie Knit Charcoal", "BNE-KNT-CHR", "18.00", 75, "4.90"),
    ("Baseball Cap Khaki", "CAP-BSB-KHK", "21.00", 50, "5.80"),
    ("Sticker Pack Assorted 10", "STK-PCK-10", "7.99", 400, "0.95"),
    ("Enamel Pin Mountain", "PIN-ENM-MTN", "9.50", 220, "1.35"),
    ("Notebook A5 Dotted", "NTB-A5-DOT", "12.00", 130, "2.85"),
    ("Notebook A5 Lined", "NTB-A5-LIN", "12.00", 120, "2.85"),
    ("Gel Pen Set 6", "PEN-GEL-6", "8.50", 200, "1.90"),
    ("Desk Organizer Bamboo", "ORG-BMB-DSK", "29.99", 35, "9.40"),
    ("Phone Stand Aluminum", "STD-PHN-ALU", "15.99", 85, "3.95"),
    ("USB-C Cable 1m Braided", "CBL-USBC-1M", "11.99", 240, "1.70"),
    ("Wireless Charger Pad 15W", "CHG-WRL-15W", "27.99", 45, "9.60"),
    ("Scented Candle Cedar 8oz", "CDL-CDR-8OZ", "19.50", 95, "5.15"),
    ("Scented Candle Lavender 8oz", "CDL-LAV-8OZ", "19.50", 90, "5.15"),
    ("Linen Tea Towel Set 2", "TWL-LIN-2", "18.99", 70, "5.45"),
    ("Wooden Coaster Set 4", "CST-WD-4", "14.00", 100, "3.10"),
    ("Gift Box Small Kraft", "GFT-BOX-SM", "4.50", 300, "0.80"),
)

DEMO_VENDORS = ("Northwind Ceramics Co.", "Blue Harbor Apparel", "Paper & Pine Supply", "Voltline Electronics",
                "Evergreen Home Goods")


def _prefs(inventory: bool, custom_numbers: bool) -> dict[str, Any]:
    return {
        "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
        "AccountingInfoPrefs": {"TrackDepartments": False, "ClassTrackingPerTxn": False,
                                "FirstMonthOfFiscalYear": "January", "TaxYearMonth": "January",
                                "CustomerTerminology": "Customers"},
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                    "QuantityWithPriceAndRate": inventory, "QuantityOnHand": inventory,
                                    "RevenueRecognition": "Manual"},
        "SalesFormsPrefs": {"AllowDeposit": True, "AllowDiscount": True, "AllowEstimates": True,
                            "CustomTxnNumbers": custom_numbers, "AllowServiceDate": False,
                            "AllowShipping": True, "UsingPriceLevels": False,
                            "ETransactionEnabledStatus": "NotApplicable"},
        "PurchaseFormsPrefs": {"TrackingByCustomer": False, "BillableExpenseTracking": False},
        "TaxPrefs": {"UsingSalesTax": True},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
        "OtherPrefs": {"NameValue": [{"Name": "SalesFormsPrefs.DefaultItem", "Value": ""}]},
        "MetaData": {"CreateTime": "2025-12-31T09:00:00.000-08:00",
                     "LastUpdatedTime": "2025-12-31T09:00:00.000-08:00"},
    }


def _company_info(name: str, sku: str) -> dict[str, Any]:
    addr = {"Id": "1", "Line1": "2700 Coast Ave", "City": "Mountain View", "CountrySubDivisionCode": "CA",
            "PostalCode": "94043", "Country": "US"}
    return {
        "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
        "CompanyName": name, "LegalName": name, "CompanyAddr": addr, "LegalAddr": addr,
        "CustomerCommunicationAddr": addr, "Country": "US", "SupportedLanguages": "en",
        "CompanyStartDate": "2025-12-31", "FiscalYearStartMonth": "January",
        "Email": {"Address": "books@demo-company.example"},
        "WebAddr": {"URI": "https://demo-company.example"},
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Retail Trade: online and mail order"},
            {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
            {"Name": "OfferingSku", "Value": sku},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
            {"Name": "IsQbdtMigrated", "Value": "false"},
            {"Name": "QBOIndustryType", "Value": "Online Retail"},
            {"Name": "Sandbox", "Value": "local stand-in for QuickBooks Online; not Intuit's service"},
        ],
        "MetaData": {"CreateTime": "2025-12-31T09:00:00.000-08:00",
                     "LastUpdatedTime": "2025-12-31T09:00:00.000-08:00"},
    }


def apply(store: Store, seed: str, realm: str) -> None:
    """Create the company ``seed`` in a new store under ``realm``."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; use one of {', '.join(SEEDS)}")
    store.set_meta("realm", realm)
    store.set_meta("seed", seed)
    store.commit()
    company = Company(store, realm)
    demo = seed == "demo"
    company.save("CompanyInfo", _company_info("Demo Company" if demo else "Sandbox Company",
                                              "QuickBooks Online Plus"))
    company.save("Preferences", _prefs(inventory=True, custom_numbers=demo))
    accounts: dict[str, str] = {}
    for name, atype, subtype in MINIMAL_CHART + (DEMO_CHART if demo else ()):
        body = company.create("Account", {"Name": name, "AccountType": atype, "AccountSubType": subtype})
        accounts[name] = body["Account"]["Id"]
    company.commit()
    if demo:
        _demo(company, accounts)


def _demo(company: Company, accounts: dict[str, str]) -> None:
    rng = random.Random(20251231)
    vendors = [company.create("Vendor", {"DisplayName": v, "CompanyName": v})["Vendor"]["Id"] for v in DEMO_VENDORS]
    for name in ("Amazon Customer", "Shopify Customer", "Walk-in Customer"):
        company.create("Customer", {"DisplayName": name})
    company.create("Item", {"Name": "Shipping", "Type": "Service", "UnitPrice": Decimal("0"),
                            "IncomeAccountRef": {"value": accounts["Shipping Income"]}})
    items: list[tuple[str, Decimal, int]] = []
    for name, sku, price, qty, cost in DEMO_ITEMS:
        body = company.create("Item", {
            "Name": name, "Sku": sku, "Type": "Inventory", "TrackQtyOnHand": True, "QtyOnHand": qty,
            "InvStartDate": "2025-12-31", "UnitPrice": Decimal(price), "PurchaseCost": Decimal(cost),
            "Description": name, "PurchaseDesc": name,
            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
            "AssetAccountRef": {"value": accounts["Inventory Asset"]},
        })["Item"]
        items.append((body["Id"], Decimal(cost), qty))
    # one or two bills a month per vendor, January to November 2026, at drifting costs
    by_vendor = {v: items[i::len(vendors)] for i, v in enumerate(vendors)}
    number = 1000
    for month in range(1, 12):
        for vendor, stock in by_vendor.items():
            if rng.random() < 0.35:
                continue
            day = rng.randint(2, 26)
            lines = []
            for item_id, base_cost, qty in rng.sample(stock, k=min(len(stock), rng.randint(2, 4))):
                drift = Decimal(1) + Decimal(rng.randint(-8, 15)) / Decimal(100) + Decimal(month) / Decimal(200)
                unit = (base_cost * drift).quantize(Decimal("0.01"))
                units = max(12, qty // 2 + rng.randint(-10, 30))
                lines.append({"DetailType": "ItemBasedExpenseLineDetail", "Amount": unit * units,
                              "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item_id}, "Qty": units,
                                                             "UnitPrice": unit}})
            if rng.random() < 0.5:
                lines.append({"DetailType": "AccountBasedExpenseLineDetail",
                              "Amount": Decimal(rng.randint(1500, 6000)) / 100,
                              "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts["Freight In"]}}})
            number += 1
            company.create("Bill", {"VendorRef": {"value": vendor}, "TxnDate": f"2026-{month:02d}-{day:02d}",
                                    "DocNumber": f"INV-{number}", "Line": lines})
    company.commit()
