"""Readiness: pure checks as tables of cases, then read from the real sandbox through the gateway
(the demo company is ready; turning QBO's preferences off names the exact menu path)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.cli import main as cli
from services.qbo.connect import add_sandbox_client
from services.qbo.gateway import QboGateway
from services.readiness import (
    AccountNeed,
    Readiness,
    account_needs,
    check_inventory_tracking,
    inventory_prefs,
    inventory_problems,
    plan_supports_inventory,
    readiness_for,
)
from services.records import QboAccount
from services.storage import Database
from services.storage import clients as repo

MENU_PATH = ('QuickBooks → Settings → Account and Settings → Sales → "Track quantity and price/rate" and '
             '"Track inventory quantity on hand"')

PLAN_CASES = [
    ("plus", "QuickBooks Online Plus", True),
    ("advanced", "QuickBooks Online Advanced", True),
    ("essentials", "QuickBooks Online Essentials", False),
    ("simple_start", "QuickBooks Online Simple Start", False),
    ("sku_code", "QBO_PLUS", True),
    ("unknown", "", False),
]


@pytest.mark.parametrize(("case", "plan", "ok"), PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_plan_supports_inventory__case(case: str, plan: str, ok: bool) -> None:
    assert plan_supports_inventory(plan) is ok


PREF_CASES = [
    ("both_on", {"ProductAndServicesPrefs": {"QuantityWithPriceAndRate": True, "QuantityOnHand": True}}, (True, True)),
    ("text_true", {"ProductAndServicesPrefs": {"QuantityWithPriceAndRate": "true", "QuantityOnHand": "false"}},
     (True, False)),
    ("missing", {}, (False, False)),
]


@pytest.mark.parametrize(("case", "prefs", "expected"), PREF_CASES, ids=[c[0] for c in PREF_CASES])
def test_inventory_prefs__case(case: str, prefs: dict[str, Any], expected: tuple[bool, bool]) -> None:
    assert inventory_prefs(prefs) == expected


ALL_ACCOUNTS = [QboAccount("1", "Sales", "Income", "SalesOfProductIncome"),
                QboAccount("2", "Fees", "Expense", "OtherMiscellaneousServiceCost"),
                QboAccount("3", "COGS", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
                QboAccount("4", "Inventory Asset", "Other Current Asset", "Inventory")]


def _ready(plan: str = "QuickBooks Online Plus", prefs: tuple[bool, bool] = (True, True),
           accounts: list[QboAccount] | None = None) -> Readiness:
    return Readiness("Co", plan, prefs[0], prefs[1], account_needs(ALL_ACCOUNTS if accounts is None else accounts))


PROBLEM_CASES: list[tuple[str, Readiness, str, list[str]]] = [
    ("all_ready", _ready(), "Professional", []),
    ("essentials", _ready(plan="QuickBooks Online Essentials"), "Professional", ["needs QuickBooks Online Plus"]),
    ("workspace_plan", _ready(), "Starter", ["needs the Professional plan"]),
    ("qty_on_hand_off", _ready(prefs=(True, False)), "Professional",
     ['"Track inventory quantity on hand" is off', MENU_PATH]),
    ("both_off", _ready(prefs=(False, False)), "Professional",
     ['"Track quantity and price/rate" is off and "Track inventory quantity on hand" is off']),
    ("no_asset_account", _ready(accounts=ALL_ACCOUNTS[:3]), "Professional", ["no inventory asset account"]),
    ("inactive_cogs", _ready(accounts=[*ALL_ACCOUNTS[:2], QboAccount("3", "COGS", "Cost of Goods Sold", "", False),
                                       ALL_ACCOUNTS[3]]), "Professional", ["no cost of goods sold account"]),
]


@pytest.mark.parametrize(("case", "readiness", "workspace", "expected"), PROBLEM_CASES,
                         ids=[c[0] for c in PROBLEM_CASES])
def test_inventory_problems__case(case: str, readiness: Readiness, workspace: str, expected: list[str]) -> None:
    problems = inventory_problems(readiness, workspace)
    if not expected:
        assert problems == []
    text = "\n".join(problems)
    for phrase in expected:
        assert phrase in text
    assert len(problems) == (1 if expected else 0)


def test_account_needs__finds_each_kind() -> None:
    needs = account_needs(ALL_ACCOUNTS)
    assert all(isinstance(n, AccountNeed) and n.present for n in needs)
    assert [n.found for n in needs] == ["Sales", "Fees", "COGS", "Inventory Asset"]
    assert not any(n.present for n in account_needs([]))


# --- against the sandbox ----------------------------------------------------------------------


def _gateway(sandbox: Any) -> QboGateway:
    return QboGateway.for_sandbox(sandbox.url, sandbox.realm)


def test_readiness__demo_company_is_ready(db: Database, sandbox: Any) -> None:
    client = add_sandbox_client(db, "Demo", sandbox.url)
    readiness = readiness_for(db, client)
    assert readiness.plan == "QuickBooks Online Plus"
    assert readiness.prefs_on and readiness.plan_supports_inventory
    assert readiness.missing_accounts == ()
    assert check_inventory_tracking(db, client) == []


def test_readiness__prefs_off_name_the_exact_menu_path(db: Database, sandbox: Any) -> None:
    g = _gateway(sandbox)
    prefs = g.preferences()
    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityWithPriceAndRate": False, "QuantityOnHand": False}})
    client = add_sandbox_client(db, "Demo", sandbox.url)
    problems = check_inventory_tracking(db, client)
    assert len(problems) == 1
    assert MENU_PATH in problems[0]


def test_readiness__essentials_and_workspace_plan_refused(db: Database, sandbox: Any) -> None:
    g = _gateway(sandbox)
    info = g.company_info()
    names = [dict(p, Value="QuickBooks Online Essentials") if p["Name"] == "OfferingSku" else p
             for p in info["NameValue"]]
    g.update("CompanyInfo", {"Id": info["Id"], "SyncToken": info["SyncToken"], "sparse": True, "NameValue": names})
    repo.set_workspace_setting(db, "plan", "Starter")
    client = add_sandbox_client(db, "Demo", sandbox.url)
    problems = "\n".join(check_inventory_tracking(db, client))
    assert "QuickBooks Online Essentials" in problems and "Plus or Advanced" in problems
    assert "Starter plan" in problems and "Professional plan" in problems


def test_readiness__cli_refuses_to_enable_tracking_with_prefs_off(
        db: Database, sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    g = _gateway(sandbox)
    prefs = g.preferences()
    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityOnHand": False}})
    base = ["--db", db.url, "--json"]
    assert cli([*base, "clients", "add", "Demo", "--sandbox-url", sandbox.url]) == 0
    assert cli([*base, "integrations", "add", "Demo", "Amazon US", "--channel", "amazon"]) == 0
    capsys.readouterr()
    assert cli([*base, "integrations", "set", "Demo", "Amazon US", "--inventory-tracking", "on"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "not_ready"
    assert any(MENU_PATH in p for p in payload["problems"])
    integration = repo.get_integration(db, repo.get_client(db, "Demo"), "Amazon US")
    assert integration.inventory_tracking is False


def test_readiness__cli_enables_tracking_and_sets_grouping_when_ready(
        db: Database, sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--db", db.url, "--json"]
    assert cli([*base, "clients", "add", "Demo", "--sandbox-url", sandbox.url]) == 0
    assert cli([*base, "integrations", "add", "Demo", "Amazon US", "--channel", "amazon"]) == 0
    capsys.readouterr()
    assert cli([*base, "integrations", "set", "Demo", "Amazon US", "--inventory-tracking", "on",
                "--grouping", "day"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "ok"
    integration = repo.get_integration(db, repo.get_client(db, "Demo"), "Amazon US")
    assert integration.inventory_tracking is True and integration.grouping.value == "day"
    assert cli([*base, "integrations", "set", "Demo", "Amazon US", "--inventory-tracking", "off"]) == 0
    assert repo.get_integration(db, repo.get_client(db, "Demo"), "Amazon US").inventory_tracking is False
