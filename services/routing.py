"""Integration settings: where each kind of settlement money goes in QuickBooks Online.

An integration's settings are stored as a flat ``dict[str, str]`` (``Integration.settings``); this
module is the one place that knows their keys, their defaults and their rules, and turns them into
a :class:`Routing` record that the pure document engine reads.

What goes where (DESIGN §3):

* sales-side money (product sales, shipping, gift wrap, promotions, tax collected and, when it is
  recorded, marketplace facilitator tax) becomes SalesReceipt / RefundReceipt *item* lines, because
  QBO's sales forms only take items; each such item posts to its own income (or liability) account;
* product sales go to the mapped inventory items (inventory tracking on) or to the generic
  non-inventory item "Product" (off);
* fees, reimbursements, reserves, transfers and unclassified amounts become Purchase / Deposit
  *account* lines; an unknown amount type goes to a suspense account that the preview shows;
* every document deposits to, or pays from, the integration's clearing account (a Bank-type account
  named "<integration> Clearing" by default, which the bank deposit of the payout clears).

Account and item *names* are stored; QBO ids of the items are stored beside them (``<key>_id``)
when the defaults are created from the app, and are otherwise resolved by name before posting.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from services.records import (
    Category,
    FeeKind,
    Grouping,
    Integration,
    Issue,
    ItemRef,
    QboAccount,
    QboItem,
    error,
    warning,
)

if TYPE_CHECKING:
    from services.records import Client
    from services.storage import Database


class FacilitatorTax(StrEnum):
    """What to do with marketplace facilitator tax (collected by the marketplace and withheld again)."""

    EXCLUDE = "exclude"  # left out: the collected and withheld amounts net to zero (the default)
    RECORD = "record"  # both sides recorded on the receipts, through the facilitator tax item


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One setting: its key, what the user sees, and the default QBO object it names.

    ``kind`` is ``"item"`` (a sales-form line: the item posts to ``account``) or ``"account"``.
    """

    key: str
    label: str
    kind: str
    default: str
    account: str  # for an item: its income/liability account; for an account: the account itself
    account_type: str
    sub_type: str
    help: str = ""


ITEM_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("shipping_item", "Shipping charged to customers", "item", "Shipping",
              "Shipping Income", "Income", "OtherPrimaryIncome"),
    RouteSpec("gift_wrap_item", "Gift wrap charged to customers", "item", "Gift Wrap",
              "Gift Wrap Income", "Income", "OtherPrimaryIncome"),
    RouteSpec("promotion_item", "Promotions and discounts (negative lines)", "item", "Marketplace Promotions",
              "Promotional Discounts", "Income", "DiscountsRefundsGiven"),
    RouteSpec("tax_item", "Sales tax collected", "item", "Sales Tax Collected",
              "Marketplace Sales Tax Payable", "Other Current Liability", "OtherCurrentLiabilities"),
    RouteSpec("facilitator_item", "Marketplace facilitator tax (when recorded)", "item",
              "Marketplace Facilitator Tax", "Marketplace Facilitator Tax", "Other Current Liability",
              "OtherCurrentLiabilities"),
)

ACCOUNT_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("fee_commission_account", "Fees: commission / referral", "account", "Marketplace Commission Fees",
              "Marketplace Commission Fees", "Expense", "OtherBusinessExpenses"),
    RouteSpec("fee_fulfilment_account", "Fees: fulfilment and shipping", "account", "Marketplace Fulfilment Fees",
              "Marketplace Fulfilment Fees", "Expense", "ShippingFreightDelivery"),
    RouteSpec("fee_storage_account", "Fees: storage", "account", "Marketplace Storage Fees",
              "Marketplace Storage Fees", "Expense", "OtherBusinessExpenses"),
    RouteSpec("fee_advertising_account", "Fees: advertising", "account", "Marketplace Advertising",
              "Marketplace Advertising", "Expense", "AdvertisingPromotional"),
    RouteSpec("fee_subscription_account", "Fees: subscription", "account", "Marketplace Subscription Fees",
              "Marketplace Subscription Fees", "Expense", "DuesSubscriptions"),
    RouteSpec("fee_other_account", "Fees: other", "account", "Marketplace Other Fees",
              "Marketplace Other Fees", "Expense", "OtherBusinessExpenses"),
    RouteSpec("reimbursement_account", "Reimbursements", "account", "Marketplace Reimbursements",
              "Marketplace Reimbursements", "Other Income", "OtherMiscellaneousIncome"),
    RouteSpec("reserve_account", "Reserves held by the marketplace", "account", "Marketplace Reserve",
              "Marketplace Reserve", "Other Current Asset", "OtherCurrentAssets"),
    RouteSpec("transfer_account", "Transfers and card charges", "account", "Marketplace Transfers",
              "Marketplace Transfers", "Other Current Asset", "OtherCurrentAssets"),
    RouteSpec("suspense_account", "Unclassified amounts (suspense)", "account", "Marketplace Suspense",
              "Marketplace Suspense", "Other Current Asset", "OtherCurrentAssets",
              "Amounts of a type Settlebridge does not know; the preview lists them. Reclassify them in QBO."),
)

FEE_KEYS: dict[FeeKind, str] = {
    FeeKind.COMMISSION: "fee_commission_account",
    FeeKind.FULFILMENT: "fee_fulfilment_account",
    FeeKind.STORAGE: "fee_storage_account",
    FeeKind.ADVERTISING: "fee_advertising_account",
    FeeKind.SUBSCRIPTION: "fee_subscription_account",
    FeeKind.OTHER: "fee_other_account",
}

# The item a sales-side category goes to (product sales go to mapped items or "Product").
ITEM_KEYS: dict[Category, str] = {
    Category.SHIPPING: "shipping_item",
    Category.GIFT_WRAP: "gift_wrap_item",
    Category.PROMOTION: "promotion_item",
    Category.TAX_COLLECTED: "tax_item",
    Category.TAX_WITHHELD: "facilitator_item",
}

ACCOUNT_KEYS: dict[Category, str] = {
    Category.REIMBURSEMENT: "reimbursement_account",
    Category.RESERVE: "reserve_account",
    Category.TRANSFER: "transfer_account",
    Category.UNCLASSIFIED: "suspense_account",
}

CLEARING_KEY = "clearing_account"
PRODUCT_KEY = "product_item"
FACILITATOR_KEY = "facilitator_tax"
PRODUCT_ITEM = "Product"
CLEARING_TYPE = ("Bank", "CashOnHand")
PRODUCT_REF = ItemRef("", PRODUCT_ITEM)

SPECS: dict[str, RouteSpec] = {s.key: s for s in (*ITEM_ROUTES, *ACCOUNT_ROUTES)}

# Account types a clearing account may have: QBO's sales receipts and deposits deposit to them and
# expenses are paid from them.
CLEARING_TYPES = frozenset({"Bank", "Other Current Asset", "Credit Card"})


def clearing_default(integration_name: str) -> str:
    """The default clearing account's name: "<integration> Clearing"."""
    return f"{integration_name.strip() or 'Marketplace'} Clearing"


@dataclass(frozen=True, slots=True)
class Routing:
    """An integration's settings as the document engine reads them (immutable, complete)."""

    clearing_account: str
    grouping: Grouping = Grouping.SETTLEMENT
    facilitator_tax: FacilitatorTax = FacilitatorTax.EXCLUDE
    product_item: ItemRef = PRODUCT_REF
    items: tuple[tuple[str, ItemRef], ...] = ()  # setting key -> item
    accounts: tuple[tuple[str, str], ...] = ()  # setting key -> account name

    def item(self, category: Category) -> ItemRef:
        """The item a sales-side ``category`` goes to."""
        key = ITEM_KEYS[category]
        found = dict(self.items).get(key)
        return found if found is not None else ItemRef("", SPECS[key].default)

    def item_account(self, category: Category) -> str:
        """The account the item of ``category`` posts to by default (shown in the preview)."""
        return SPECS[ITEM_KEYS[category]].account

    def account(self, category: Category, fee_kind: FeeKind | None = None) -> str:
        """The account of an account-side ``category`` (a fee by its kind)."""
        key = FEE_KEYS[fee_kind or FeeKind.OTHER] if category is Category.FEE else ACCOUNT_KEYS[category]
        return dict(self.accounts).get(key) or SPECS[key].default


def default_settings(integration_name: str) -> dict[str, str]:
    """Every setting with its default value (what "Create sensible defaults" proposes)."""
    out = {CLEARING_KEY: clearing_default(integration_name), PRODUCT_KEY: PRODUCT_ITEM,
           FACILITATOR_KEY: FacilitatorTax.EXCLUDE.value}
    out.update({s.key: s.default for s in (*ITEM_ROUTES, *ACCOUNT_ROUTES)})
    return out


def effective_settings(integration: Integration) -> dict[str, str]:
    """The integration's stored settings over the defaults (what is in force)."""
    merged = default_settings(integration.name)
    merged.update({k: v for k, v in integration.settings if v != "" or k.endswith("_id")})
    return merged


def routing_for(integration: Integration) -> Routing:
    """The :class:`Routing` in force for ``integration`` (stored settings over the defaults).

    Why: the document engine is pure and must not know how settings are stored; this is the one
    translation from the stored flat dict.
    """
    return routing_from_settings(effective_settings(integration), grouping=integration.grouping,
                                 integration_name=integration.name)


def routing_from_settings(settings: MappingABC[str, str], *, grouping: Grouping = Grouping.SETTLEMENT,
                          integration_name: str = "") -> Routing:
    """A :class:`Routing` from a flat settings dict (missing keys take their defaults)."""
    merged = default_settings(integration_name)
    merged.update({k: v for k, v in settings.items() if v != "" or k.endswith("_id")})
    try:
        facilitator = FacilitatorTax(merged[FACILITATOR_KEY])
    except ValueError:
        facilitator = FacilitatorTax.EXCLUDE
    items = tuple((s.key, ItemRef(merged.get(s.key + "_id", ""), merged[s.key])) for s in ITEM_ROUTES)
    accounts = tuple((s.key, merged[s.key]) for s in ACCOUNT_ROUTES)
    return Routing(clearing_account=merged[CLEARING_KEY], grouping=grouping, facilitator_tax=facilitator,
                   product_item=ItemRef(merged.get(PRODUCT_KEY + "_id", ""), merged[PRODUCT_KEY]),
                   items=items, accounts=accounts)


def route_of(routing: Routing, category: Category, fee_kind: FeeKind | None = None, *,
             amount_sign: int = 1, is_refund: bool = False, tracking: bool = False) -> tuple[str, str]:
    """Where one amount goes: ``(document type, item or account name)``.

    The same rules the document engine applies, for one amount, so that they can be shown in the
    settings tab and checked in a table of cases. ``amount_sign`` is the sign of the amount as the
    channel paid it (positive is money to the seller).
    """
    if category in (Category.PRODUCT_SALE, Category.PRODUCT_REFUND):
        doc = "RefundReceipt" if is_refund or category is Category.PRODUCT_REFUND else "SalesReceipt"
        return doc, ("mapped inventory item" if tracking else routing.product_item.name)
    if category in ITEM_KEYS:
        if category is Category.TAX_WITHHELD and routing.facilitator_tax is FacilitatorTax.EXCLUDE:
            return "left out", "nets to zero with the tax collected"
        return ("RefundReceipt" if is_refund else "SalesReceipt"), routing.item(category).name
    doc = "Purchase" if amount_sign < 0 or (amount_sign == 0 and category is Category.FEE) else "Deposit"
    return doc, routing.account(category, fee_kind)


def validate_settings(settings: MappingABC[str, str], *, accounts: Sequence[QboAccount] | None = None,
                      items: Sequence[QboItem] | None = None) -> list[Issue]:
    """Every problem of a settings dict, as issues (empty when it can be saved and used).

    Why: a misspelt account only shows up when QBO refuses the posting; checking names against the
    company's chart of accounts and item list (when given) catches it at the settings tab.

    Errors: an empty clearing account, an unknown facilitator-tax mode, a clearing account that
    exists with a type deposits cannot use. Warnings: a named account or item missing from QBO
    (it can still be created with "Create sensible defaults").
    """
    merged = default_settings("")
    merged.update(settings)
    issues: list[Issue] = []
    if not str(settings.get(CLEARING_KEY, "")).strip():
        issues.append(error("Name the clearing account the payouts go through.", code="clearing_missing"))
    if merged[FACILITATOR_KEY] not in {f.value for f in FacilitatorTax}:
        issues.append(error(f"Facilitator tax must be 'exclude' or 'record', not {merged[FACILITATOR_KEY]!r}.",
                            code="facilitator_mode"))
    for key in (PRODUCT_KEY, *SPECS):
        if not str(merged.get(key, "")).strip():
            label = SPECS[key].label if key in SPECS else "Product item"
            issues.append(error(f"{label}: choose an item or account.", code="route_missing"))
    if accounts is not None:
        by_name = {a.name.lower(): a for a in accounts if a.active}
        clearing = by_name.get(str(settings.get(CLEARING_KEY, "")).strip().lower())
        if settings.get(CLEARING_KEY) and clearing is None:
            issues.append(warning(f"QuickBooks has no account named {settings[CLEARING_KEY]!r}: create it "
                                  "(\"Create the clearing account\").", code="clearing_absent"))
        elif clearing is not None and clearing.account_type not in CLEARING_TYPES:
            issues.append(error(f"The clearing account {clearing.name!r} is of type {clearing.account_type}; "
                                "QuickBooks deposits only to Bank or Other Current Asset accounts.",
                                code="clearing_type"))
        for spec in ACCOUNT_ROUTES:
            name = merged[spec.key]
            if name and name.lower() not in by_name:
                issues.append(warning(f"{spec.label}: QuickBooks has no account named {name!r}.",
                                      code="account_absent"))
    if items is not None:
        names = {i.name.lower() for i in items if i.active}
        for spec in ITEM_ROUTES:
            if spec.key == "facilitator_item" and merged[FACILITATOR_KEY] == FacilitatorTax.EXCLUDE.value:
                continue
            name = merged[spec.key]
            if name and name.lower() not in names:
                issues.append(warning(f"{spec.label}: QuickBooks has no item named {name!r}.",
                                      code="item_absent"))
    return issues


# Example amounts for the settings tab's "where each kind of money goes" table:
# (label, category, sign of the amount, is a refund, fee kind).
ROUTE_EXAMPLES: tuple[tuple[str, Category, int, bool, FeeKind | None], ...] = (
    ("Product sale", Category.PRODUCT_SALE, 1, False, None),
    ("Product refund", Category.PRODUCT_REFUND, -1, True, None),
    ("Shipping charged", Category.SHIPPING, 1, False, None),
    ("Shipping refunded", Category.SHIPPING, -1, True, None),
    ("Gift wrap", Category.GIFT_WRAP, 1, False, None),
    ("Promotion", Category.PROMOTION, -1, False, None),
    ("Sales tax collected", Category.TAX_COLLECTED, 1, False, None),
    ("Marketplace facilitator tax", Category.TAX_WITHHELD, -1, False, None),
    *((f"Fee: {k.value}", Category.FEE, -1, False, k) for k in FeeKind),
    ("Fee refunded", Category.FEE, 1, True, FeeKind.COMMISSION),
    ("Reimbursement", Category.REIMBURSEMENT, 1, False, None),
    ("Reserve held", Category.RESERVE, -1, False, None),
    ("Reserve released", Category.RESERVE, 1, False, None),
    ("Transfer / card charge", Category.TRANSFER, 1, False, None),
    ("Unknown amount type", Category.UNCLASSIFIED, 1, False, None),
)


# --- Effects on QBO (through the gateway) ----------------------------------------------------


def qbo_lists(db: Database, client: Client) -> tuple[list[QboAccount], list[QboItem]]:
    """The company's accounts and items (the settings tab offers their names)."""
    from services.qbo.gateway import QboGateway

    gateway = QboGateway.for_client(db, client)
    return gateway.list_accounts(), gateway.list_items()


@dataclass(frozen=True, slots=True)
class Created:
    """What "Create sensible defaults" did: names created and names that were already there."""

    created: tuple[str, ...]
    existing: tuple[str, ...]
    settings: tuple[tuple[str, str], ...]
    created_accounts: tuple[str, ...] = ()
    created_items: tuple[str, ...] = ()

    def summary(self) -> str:
        """In words, accounts and items apart (an item and its account may share a name)."""
        if not self.created:
            return f"Nothing to create: all {len(self.existing)} accounts and items were already in QuickBooks."
        parts = []
        if self.created_accounts:
            parts.append(f"{len(self.created_accounts)} account(s): {', '.join(self.created_accounts)}")
        if self.created_items:
            parts.append(f"{len(self.created_items)} item(s): {', '.join(self.created_items)}")
        return f"Created in QuickBooks {'; '.join(parts)}. Already there: {len(self.existing)}."


def ensure_clearing_account(db: Database, client: Client, integration: Integration) -> Integration:
    """Create the integration's clearing account in QBO when missing and store its name.

    Why: every document deposits to or pays from it; the bank deposit of the payout clears it.
    """
    from services.qbo.gateway import QboGateway
    from services.storage import clients as repo

    settings = dict(effective_settings(integration))
    name = settings[CLEARING_KEY]
    QboGateway.for_client(db, client).ensure_account(name, *CLEARING_TYPE)
    stored = dict(integration.settings)
    stored[CLEARING_KEY] = name
    return repo.update_integration(db, integration, settings=stored)


def create_defaults(db: Database, client: Client, integration: Integration) -> tuple[Integration, Created]:
    """Create in QBO every account and item the settings name and that is missing; store the ids.

    Why: a new integration should post without the accountant building a chart of accounts first;
    existing accounts and items of the same name are reused, never duplicated.

    Returns the updated integration and what was created or found.
    """
    from services.qbo.gateway import QboGateway
    from services.storage import clients as repo

    gateway = QboGateway.for_client(db, client)
    settings = effective_settings(integration)
    accounts = {a.name.lower(): a for a in gateway.list_accounts()}
    items = {i.name.lower(): i for i in gateway.list_items(include_inactive=True)}
    created: list[str] = []
    created_accounts: list[str] = []
    created_items: list[str] = []
    existing: list[str] = []

    def account(name: str, account_type: str, sub_type: str) -> QboAccount:
        found = accounts.get(name.lower())
        if found is not None:
            existing.append(name)
            return found
        made = gateway.ensure_account(name, account_type, sub_type)
        accounts[name.lower()] = made
        created.append(name)
        created_accounts.append(name)
        return made

    account(settings[CLEARING_KEY], *CLEARING_TYPE)
    for spec in ACCOUNT_ROUTES:
        account(settings[spec.key], spec.account_type, spec.sub_type)
    stored = dict(integration.settings)
    for spec in ITEM_ROUTES:
        name = settings[spec.key]
        found = items.get(name.lower())
        if found is None:
            income = account(spec.account, spec.account_type, spec.sub_type)
            found = gateway.create_item(name=name, item_type="Service", income_account=income)
            created.append(name)
            created_items.append(name)
        else:
            existing.append(name)
        stored[spec.key] = name
        stored[spec.key + "_id"] = found.id
    product = gateway.ensure_product_item()
    stored[PRODUCT_KEY] = product.name
    stored[PRODUCT_KEY + "_id"] = product.id
    for key in (CLEARING_KEY, FACILITATOR_KEY, *(s.key for s in ACCOUNT_ROUTES)):
        stored[key] = settings[key]
    updated = repo.update_integration(db, integration, settings=stored)
    return updated, Created(tuple(created), tuple(existing), tuple(sorted(stored.items())),
                            tuple(created_accounts), tuple(created_items))


def save_settings(db: Database, integration: Integration, values: MappingABC[str, str], *,
                  grouping: Grouping | None = None) -> Integration:
    """Store changed settings (over what is stored), refusing values with errors.

    Raises:
        BadInput: when :func:`validate_settings` finds an error (the message lists them all).
    """
    from services.errors import BadInput
    from services.records import has_errors
    from services.storage import clients as repo

    stored = dict(integration.settings)
    for key, value in values.items():
        stored[key] = str(value).strip()
        if key in SPECS or key == PRODUCT_KEY:
            stored.pop(key + "_id", None)  # a renamed item is resolved again by name
    problems = validate_settings(stored | {CLEARING_KEY: stored.get(CLEARING_KEY)
                                           or clearing_default(integration.name)})
    if has_errors(problems):
        raise BadInput("; ".join(str(p) for p in problems if p.severity.value == "error"))
    return repo.update_integration(db, integration, settings=stored, grouping=grouping)


def tracking_problems(db: Database, client: Client) -> list[str]:
    """What stops inventory tracking for ``client``, in words saying what to change and where.

    Delegates to :func:`services.readiness.check_inventory_tracking` (QBO plan, the workspace plan
    and QBO's preferences).
    """
    from services.readiness import check_inventory_tracking

    return list(check_inventory_tracking(db, client))


def enable_tracking(db: Database, client: Client, integration: Integration, on: bool) -> tuple[Integration, list[str]]:
    """Turn inventory tracking on (only when nothing stops it) or off.

    Returns the integration (unchanged when refused) and the problems found (empty when done).
    """
    from services.storage import clients as repo

    if on:
        problems = tracking_problems(db, client)
        if problems:
            return integration, problems
    return repo.update_integration(db, integration, inventory_tracking=on), []
