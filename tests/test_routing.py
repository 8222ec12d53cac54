"""Integration settings: defaults, routing rules, validation, saving, and creating defaults in QBO."""

from __future__ import annotations

from typing import Any

import pytest

from services import routing
from services.errors import BadInput
from services.records import Category, Channel, FeeKind, Grouping, QboAccount, QboItem, Severity
from services.storage import Database
from services.storage import clients as repo

C = Category
R = routing.routing_from_settings({}, integration_name="Amazon US")

ROUTE_OF = [
    # (case, category, fee kind, sign, refund, tracking, expected (document, target))
    ("sale_untracked", C.PRODUCT_SALE, None, 1, False, False, ("SalesReceipt", "Product")),
    ("sale_tracked", C.PRODUCT_SALE, None, 1, False, True, ("SalesReceipt", "mapped inventory item")),
    ("refund", C.PRODUCT_REFUND, None, -1, True, False, ("RefundReceipt", "Product")),
    ("shipping", C.SHIPPING, None, 1, False, False, ("SalesReceipt", "Shipping")),
    ("shipping_refunded", C.SHIPPING, None, -1, True, False, ("RefundReceipt", "Shipping")),
    ("gift_wrap", C.GIFT_WRAP, None, 1, False, False, ("SalesReceipt", "Gift Wrap")),
    ("promotion", C.PROMOTION, None, -1, False, False, ("SalesReceipt", "Marketplace Promotions")),
    ("tax", C.TAX_COLLECTED, None, 1, False, False, ("SalesReceipt", "Sales Tax Collected")),
    ("facilitator", C.TAX_WITHHELD, None, -1, False, False, ("left out", "nets to zero with the tax collected")),
    *[(f"fee_{k.value}", C.FEE, k, -1, False, False, ("Purchase", routing.SPECS[routing.FEE_KEYS[k]].default))
      for k in FeeKind],
    ("fee_refund", C.FEE, FeeKind.COMMISSION, 1, True, False, ("Deposit", "Marketplace Commission Fees")),
    ("fee_zero", C.FEE, FeeKind.STORAGE, 0, False, False, ("Purchase", "Marketplace Storage Fees")),
    ("reimbursement", C.REIMBURSEMENT, None, 1, False, False, ("Deposit", "Marketplace Reimbursements")),
    ("reserve_held", C.RESERVE, None, -1, False, False, ("Purchase", "Marketplace Reserve")),
    ("reserve_released", C.RESERVE, None, 1, False, False, ("Deposit", "Marketplace Reserve")),
    ("transfer", C.TRANSFER, None, 1, False, False, ("Deposit", "Marketplace Transfers")),
    ("unclassified", C.UNCLASSIFIED, None, 1, False, False, ("Deposit", "Marketplace Suspense")),
    ("unclassified_zero", C.UNCLASSIFIED, None, 0, False, False, ("Deposit", "Marketplace Suspense")),
]


@pytest.mark.parametrize(("case", "category", "kind", "sign", "refund", "tracking", "expected"), ROUTE_OF,
                         ids=[r[0] for r in ROUTE_OF])
def test_route_of__table(case, category, kind, sign, refund, tracking, expected) -> None:
    assert routing.route_of(R, category, kind, amount_sign=sign, is_refund=refund, tracking=tracking) == expected


def test_route_examples__cover_every_category() -> None:
    assert {e[1] for e in routing.ROUTE_EXAMPLES} == set(Category)


def test_routing_from_settings__defaults_and_overrides() -> None:
    r = routing.routing_from_settings({"shipping_item": "Freight", "shipping_item_id": "77",
                                       "reserve_account": "", "facilitator_tax": "bogus"},
                                      grouping=Grouping.DAY, integration_name="Shopify")
    assert r.clearing_account == "Shopify Clearing" and r.grouping is Grouping.DAY
    assert (r.item(C.SHIPPING).id, r.item(C.SHIPPING).name) == ("77", "Freight")
    assert r.account(C.RESERVE) == "Marketplace Reserve"  # empty means the default
    assert r.facilitator_tax is routing.FacilitatorTax.EXCLUDE
    assert r.account(C.FEE, None) == "Marketplace Other Fees"


ACCOUNTS = [QboAccount("1", "Amazon US Clearing", "Bank"), QboAccount("2", "Sales", "Income"),
            QboAccount("3", "Marketplace Reserve", "Other Current Asset")]

VALIDATE = [
    # (case, settings, accounts, expected codes with severity)
    ("defaults_without_qbo", {"clearing_account": "Amazon US Clearing"}, None, []),
    ("empty_clearing", {"clearing_account": ""}, None, [("error", "clearing_missing")]),
    ("bad_facilitator", {"clearing_account": "X", "facilitator_tax": "maybe"}, None,
     [("error", "facilitator_mode")]),
    ("empty_route", {"clearing_account": "X", "fee_storage_account": " "}, None, [("error", "route_missing")]),
    ("clearing_absent_in_qbo", {"clearing_account": "Nope"}, ACCOUNTS, [("warning", "clearing_absent")]),
    ("clearing_of_wrong_type", {"clearing_account": "Sales"}, ACCOUNTS, [("error", "clearing_type")]),
]


@pytest.mark.parametrize(("case", "settings", "accounts", "expected"), VALIDATE, ids=[v[0] for v in VALIDATE])
def test_validate_settings__table(case, settings, accounts, expected) -> None:
    issues = routing.validate_settings(settings, accounts=accounts)
    got = [(i.severity.value, i.code) for i in issues if i.code != "account_absent"]
    assert got == expected


def test_validate_settings__names_missing_accounts_and_items() -> None:
    issues = routing.validate_settings({"clearing_account": "Amazon US Clearing"}, accounts=ACCOUNTS,
                                       items=[QboItem("5", "Shipping", "Service")])
    missing = {i.message.split("named ")[1].strip(".'\"") for i in issues}
    assert "Marketplace Commission Fees" in missing and "Marketplace Reserve" not in missing
    assert "Gift Wrap" in missing and "Shipping" not in missing
    assert "Marketplace Facilitator Tax" not in missing  # left out by default: not needed
    assert all(i.severity is Severity.WARNING for i in issues)


def test_save_settings__stores_and_forgets_a_renamed_items_id(db: Database) -> None:
    client = repo.add_client(db, "Acme", kind="sandbox", realm_id="1", sandbox_url="http://127.0.0.1:9/v3")
    integ = repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    integ = repo.update_integration(db, integ, settings={"shipping_item": "Shipping", "shipping_item_id": "9"})
    integ = routing.save_settings(db, integ, {"shipping_item": "Freight", "fee_storage_account": "FBA Storage"},
                                  grouping=Grouping.ORDER)
    r = routing.routing_for(integ)
    assert r.item(C.SHIPPING).name == "Freight" and r.item(C.SHIPPING).id == ""
    assert r.account(C.FEE, FeeKind.STORAGE) == "FBA Storage" and r.grouping is Grouping.ORDER
    with pytest.raises(BadInput, match="Facilitator tax"):
        routing.save_settings(db, integ, {"facilitator_tax": "sometimes"})


def test_create_defaults__in_the_sandbox_once(db: Database, sandbox: Any) -> None:
    from services.qbo.gateway import QboGateway

    client = repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url)
    integ = repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    integ, done = routing.create_defaults(db, client, integ)
    assert "Amazon US Clearing" in done.created and "Marketplace Suspense" in done.created
    assert "Shipping" in done.existing  # the demo company has it: reused, not duplicated
    gateway = QboGateway.for_client(db, client)
    accounts = {a.name: a for a in gateway.list_accounts()}
    assert accounts["Amazon US Clearing"].account_type == "Bank"
    items = {i.name: i for i in gateway.list_items()}
    gift = items["Gift Wrap"]
    assert gift.type == "Service" and gift.income_account == "Gift Wrap Income"
    r = routing.routing_for(integ)
    assert r.item(C.GIFT_WRAP).id == gift.id and r.product_item.name == "Product" and r.product_item.id
    assert routing.validate_settings(routing.effective_settings(integ), accounts=list(accounts.values()),
                                     items=list(items.values())) == []
    _, again = routing.create_defaults(db, client, integ)
    assert again.created == ()


def test_enable_tracking__demo_company_is_ready(db: Database, sandbox: Any) -> None:
    client = repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url)
    integ = repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    integ, problems = routing.enable_tracking(db, client, integ, True)
    assert problems == [] and integ.inventory_tracking
    repo.set_workspace_setting(db, "plan", "Starter")
    off, _ = routing.enable_tracking(db, client, integ, False)
    still_off, problems = routing.enable_tracking(db, client, off, True)
    assert not still_off.inventory_tracking and any("Professional" in p for p in problems)
