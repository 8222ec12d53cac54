"""Is a client's QuickBooks company ready for what Settlebridge will post?

DESIGN §2 step 1 and §5: inventory tracking needs a QBO Plus or Advanced company (``CompanyInfo``
→ ``NameValue`` ``OfferingSku``), the workspace's Professional plan, and the two sales
preferences "Track quantity and price/rate" and "Track inventory quantity on hand"
(``Preferences.ProductAndServicesPrefs.QuantityWithPriceAndRate`` and ``QuantityOnHand``); and
posting needs a few kinds of account (product income, cost of goods sold, inventory asset, an
expense for the marketplace fees).

The checks are pure functions over what was read (:func:`readiness_from`,
:func:`inventory_problems`); :func:`read_readiness` and :func:`check_inventory_tracking` are the
thin parts that read through the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.records import Client, QboAccount

if TYPE_CHECKING:
    from services.qbo.gateway import QboGateway
    from services.storage import Database

INVENTORY_PLANS = ("Plus", "Advanced")
WORKSPACE_PLAN_FOR_INVENTORY = "Professional"
PREFS_PATH = "QuickBooks → Settings → Account and Settings → Sales"
PREF_QTY_PRICE = "Track quantity and price/rate"
PREF_QTY_ON_HAND = "Track inventory quantity on hand"


@dataclass(frozen=True, slots=True)
class AccountNeed:
    """A kind of account Settlebridge posts to, and whether the company has one."""

    label: str
    account_type: str
    sub_type: str = ""
    for_inventory: bool = False  # needed only with inventory tracking
    found: str = ""  # the name of the first matching account, "" when missing

    @property
    def present(self) -> bool:
        return bool(self.found)


NEEDED_ACCOUNTS: tuple[AccountNeed, ...] = (
    AccountNeed("Product sales income", "Income"),
    AccountNeed("Marketplace fees expense", "Expense"),
    AccountNeed("Cost of goods sold", "Cost of Goods Sold", for_inventory=True),
    AccountNeed("Inventory asset", "Other Current Asset", "Inventory", for_inventory=True),
)


@dataclass(frozen=True, slots=True)
class Readiness:
    """What was read from the company, and what it means."""

    company_name: str
    plan: str  # OfferingSku, e.g. "QuickBooks Online Plus"; "" when QBO does not say
    track_qty_and_price: bool
    track_qty_on_hand: bool
    accounts: tuple[AccountNeed, ...]

    @property
    def plan_supports_inventory(self) -> bool:
        return plan_supports_inventory(self.plan)

    @property
    def prefs_on(self) -> bool:
        return self.track_qty_and_price and self.track_qty_on_hand

    @property
    def missing_accounts(self) -> tuple[AccountNeed, ...]:
        return tuple(a for a in self.accounts if not a.present)


def plan_supports_inventory(plan: str) -> bool:
    """True for QuickBooks Online Plus and Advanced (the plans with inventory)."""
    words = plan.replace("_", " ").split()
    return any(p.lower() in (w.lower() for w in words) for p in INVENTORY_PLANS)


def offering_sku(company_info: dict[str, Any]) -> str:
    """``CompanyInfo.NameValue`` → ``OfferingSku``, or "" when absent."""
    for pair in company_info.get("NameValue") or []:
        if isinstance(pair, dict) and pair.get("Name") == "OfferingSku":
            return str(pair.get("Value") or "")
    return ""


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def inventory_prefs(preferences: dict[str, Any]) -> tuple[bool, bool]:
    """(Track quantity and price/rate, Track inventory quantity on hand) from Preferences."""
    prefs = preferences.get("ProductAndServicesPrefs") or {}
    return _truthy(prefs.get("QuantityWithPriceAndRate")), _truthy(prefs.get("QuantityOnHand"))


def account_needs(accounts: list[QboAccount]) -> tuple[AccountNeed, ...]:
    """Each needed kind of account with the first active account that fits it."""
    out = []
    for need in NEEDED_ACCOUNTS:
        match = next((a for a in accounts if a.active and a.account_type == need.account_type
                      and (not need.sub_type or a.account_sub_type == need.sub_type)), None)
        out.append(AccountNeed(need.label, need.account_type, need.sub_type, need.for_inventory,
                               match.name if match else ""))
    return tuple(out)


def readiness_from(company_info: dict[str, Any], preferences: dict[str, Any],
                   accounts: list[QboAccount]) -> Readiness:
    """The read-out from what the gateway read (pure)."""
    qty_price, qty_on_hand = inventory_prefs(preferences)
    return Readiness(company_name=str(company_info.get("CompanyName") or ""),
                     plan=offering_sku(company_info), track_qty_and_price=qty_price,
                     track_qty_on_hand=qty_on_hand, accounts=account_needs(accounts))


def inventory_problems(readiness: Readiness, workspace_plan: str) -> list[str]:
    """Why inventory tracking cannot be enabled, each in words with where to fix it; empty when
    it can (pure)."""
    problems: list[str] = []
    if not readiness.plan_supports_inventory:
        problems.append(
            f"The QuickBooks company is on {readiness.plan or 'a plan QuickBooks did not name'}; "
            "inventory tracking needs QuickBooks Online Plus or Advanced. Upgrade the subscription in "
            "QuickBooks → Settings → Account and Settings → Billing & Subscription.")
    if workspace_plan.strip().lower() != WORKSPACE_PLAN_FOR_INVENTORY.lower():
        problems.append(
            f"The Settlebridge workspace is on the {workspace_plan or 'unnamed'} plan; inventory tracking "
            f"needs the {WORKSPACE_PLAN_FOR_INVENTORY} plan.")
    off = [name for name, on in ((PREF_QTY_PRICE, readiness.track_qty_and_price),
                                 (PREF_QTY_ON_HAND, readiness.track_qty_on_hand)) if not on]
    if off:
        problems.append(
            "QuickBooks does not track inventory quantities yet (" + " and ".join(f'"{p}" is off' for p in off)
            + f"). Turn both on at {PREFS_PATH} → \"{PREF_QTY_PRICE}\" and \"{PREF_QTY_ON_HAND}\".")
    for need in readiness.missing_accounts:
        if need.for_inventory:
            kind = need.account_type + (f" ({need.sub_type})" if need.sub_type else "")
            problems.append(f"The company has no {need.label.lower()} account (type {kind}); add one in "
                            "QuickBooks → Accounting → Chart of accounts.")
    return problems


def read_readiness(gateway: QboGateway) -> Readiness:
    """Read CompanyInfo, Preferences and the chart of accounts, and say what they mean."""
    return readiness_from(gateway.company_info(), gateway.preferences(), gateway.list_accounts())


def workspace_plan(db: Database) -> str:
    """The workspace's Settlebridge plan (a workspace setting; Professional unless set)."""
    from services.storage.clients import get_workspace_setting

    return get_workspace_setting(db, "plan", WORKSPACE_PLAN_FOR_INVENTORY)


def check_inventory_tracking(db: Database, client: Client) -> list[str]:
    """The problems that stop inventory tracking for ``client``, in words; empty when it can be
    enabled. Reads the company through the gateway (raises :class:`services.errors.QboError` when
    QBO cannot be read)."""
    from services.qbo.gateway import QboGateway

    readiness = read_readiness(QboGateway.for_client(db, client))
    return inventory_problems(readiness, workspace_plan(db))


def readiness_for(db: Database, client: Client) -> Readiness:
    """The read-out for a stored client (one gateway, three reads)."""
    from services.qbo.gateway import QboGateway

    return read_readiness(QboGateway.for_client(db, client))
