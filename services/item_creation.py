"""Creating QBO inventory items for unmapped SKUs, and mapping the SKUs to them at once.

Every item is validated before the first one is sent (names unique in QBO, "As of" dates before
each SKU's first sale, no negative quantity or cost), so a batch with a problem creates nothing.
QBO has no transaction across items: when QBO refuses one item mid-batch, the items already
created stay created and are mapped, and the refusal is reported for the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.errors import QboError
from services.mapping import NewItem, item_mapping, norm, validate_new_items
from services.records import Client, Integration, Issue, QboItem, Sku, error, has_errors
from services.storage import Database

# the default accounts of a new inventory item: (name, QBO AccountType, AccountSubType)
DEFAULT_ACCOUNTS = {
    "Sales of Product Income": ("Income", "SalesOfProductIncome"),
    "Cost of Goods Sold": ("Cost of Goods Sold", "SuppliesMaterialsCogs"),
    "Inventory Asset": ("Other Current Asset", "Inventory"),
}


@dataclass(frozen=True, slots=True)
class CreateResult:
    """What :func:`create_items` did: the items created, the SKUs mapped, the problems."""

    created: tuple[QboItem, ...]
    mapped: tuple[Sku, ...]
    issues: tuple[Issue, ...]
    version: int | None = None  # the mappings version after mapping the new items

    @property
    def ok(self) -> bool:
        return not has_errors(self.issues)


def first_sales(db: Database, integrations: Sequence[Integration]) -> dict[Sku, dt.date | None]:
    """The earliest sale of every SKU over ``integrations`` (the "As of" date must be before it)."""
    from services.storage.mappings import list_channel_products

    out: dict[Sku, dt.date | None] = {}
    for integ in integrations:
        for p in list_channel_products(db, integ):
            if p.first_date is not None and (out.get(p.sku) is None or p.first_date < out[p.sku]):  # type: ignore[operator]
                out[p.sku] = p.first_date
    return out


def create_items(db: Database, client: Client, new_items: Sequence[NewItem], *, who: str,
                 integration: Integration | None = None, gateway: object | None = None) -> CreateResult:
    """Create ``new_items`` in the client's QBO and map each ``map_sku`` of ``integration`` to its item.

    Why: where the channel sells something QBO does not track yet, the accountant creates the
    item from the mapping tab (or ``items create``) with its opening quantity and "As of" date.

    Args:
        new_items: the items; ``map_sku`` names the channel SKU to map (needs ``integration``).
        who: recorded in the mapping history.
        integration: whose SKUs are mapped and whose first sales bound the "As of" dates
            (``None``: the client's every integration bounds them and nothing is mapped).
        gateway: a :class:`services.qbo.gateway.QboGateway` (built from the client when omitted).

    Returns:
        :class:`CreateResult`. Validation problems create nothing.
    """
    from services.qbo.gateway import QboGateway
    from services.storage import clients as clients_repo
    from services.storage.mappings import mapping_version, save_mappings

    gw: QboGateway = gateway if isinstance(gateway, QboGateway) else QboGateway.for_client(db, client)
    existing = gw.list_items(include_inactive=True)
    scope = [integration] if integration is not None else clients_repo.list_integrations(db, client)
    issues = validate_new_items(new_items, existing, first_sales(db, scope))
    accounts = {norm(a.name): a for a in gw.list_accounts()}
    for n, item in enumerate(new_items, start=1):
        for name in (item.income_account, item.expense_account, item.asset_account):
            if norm(name) not in accounts and name not in DEFAULT_ACCOUNTS:
                issues.append(error(f"New item {n}: QuickBooks has no account named {name!r}.", row=n,
                                    code="no_account"))
        if item.map_sku and integration is None:
            issues.append(error(f"New item {n}: choose the integration whose SKU {item.map_sku} is mapped.",
                                row=n, code="no_integration"))
    if has_errors(issues):
        return CreateResult((), (), tuple(issues))
    for name, (atype, sub) in DEFAULT_ACCOUNTS.items():
        if any(name in (i.income_account, i.expense_account, i.asset_account) for i in new_items) \
                and norm(name) not in accounts:
            accounts[norm(name)] = gw.ensure_account(name, atype, sub)

    created: list[QboItem] = []
    for n, item in enumerate(new_items, start=1):
        try:
            created.append(gw.create_item(
                name=item.name.strip(), sku=item.sku.strip(), qty_on_hand=item.qty_on_hand, as_of=item.as_of,
                unit_cost=item.unit_cost, income_account=accounts[norm(item.income_account)],
                expense_account=accounts[norm(item.expense_account)],
                asset_account=accounts[norm(item.asset_account)]))
        except QboError as exc:
            issues.append(error(f"New item {n} ({item.name}): QuickBooks refused it: {exc.message}"
                                + (f" ({exc.detail})" if exc.detail else ""), row=n, code="qbo_refused"))
            break
    mapped: list[Sku] = []
    version = None
    if integration is not None:
        changes = {item.map_sku: item_mapping(item.map_sku, made)
                   for item, made in zip(new_items, created, strict=False) if item.map_sku}
        if changes:
            version = save_mappings(db, integration, changes, who=who,
                                    expected_version=mapping_version(db, integration))
            mapped = list(changes)
    return CreateResult(tuple(created), tuple(mapped), tuple(issues), version)
