"""Clients (QBO companies) and their integrations (sales-channel accounts)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from services.errors import BadInput, NotFound
from services.records import Channel, Client, Grouping, Integration
from services.storage.db import Database, clients, integrations, workspace


def _client(row: sa.Row) -> Client:
    return Client(id=row.id, name=row.name, kind=row.kind, realm_id=row.realm_id,
                  sandbox_url=row.sandbox_url, company_name=row.company_name, plan=row.plan)


def _integration(row: sa.Row) -> Integration:
    settings = json.loads(row.settings or "{}")
    return Integration(
        id=row.id, client_id=row.client_id, name=row.name, channel=Channel(row.channel),
        inventory_tracking=bool(row.inventory_tracking), grouping=Grouping(row.grouping),
        settings=tuple(sorted((str(k), str(v)) for k, v in settings.items())), version=row.version,
    )


def add_client(db: Database, name: str, *, kind: str, realm_id: str = "", sandbox_url: str = "",
               company_name: str = "", plan: str = "") -> Client:
    """Create a client. Raises :class:`BadInput` when the name is empty or taken."""
    name = name.strip()
    if not name:
        raise BadInput("A client needs a name.")
    with db.begin() as conn:
        if conn.execute(sa.select(clients.c.id).where(clients.c.name == name)).first():
            raise BadInput(f"A client named {name!r} already exists.")
        conn.execute(clients.insert().values(
            name=name, kind=kind, realm_id=realm_id, sandbox_url=sandbox_url,
            company_name=company_name, plan=plan, tokens=""))
    return get_client(db, name=name)


def update_client(db: Database, client_id: int, **values: str) -> None:
    """Update stored fields of a client (``company_name``, ``plan``, ``tokens``, ``realm_id``...)."""
    with db.begin() as conn:
        conn.execute(clients.update().where(clients.c.id == client_id).values(**values))


def get_client_tokens(db: Database, client_id: int) -> str:
    with db.connect() as conn:
        return conn.execute(sa.select(clients.c.tokens).where(clients.c.id == client_id)).scalar_one()


def get_client(db: Database, name: str | None = None, client_id: int | None = None) -> Client:
    """A client by name or id. Raises :class:`NotFound`."""
    q = sa.select(clients)
    q = q.where(clients.c.name == name) if name is not None else q.where(clients.c.id == client_id)
    with db.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        raise NotFound(f"No client named {name!r}." if name is not None else f"No client #{client_id}.")
    return _client(row)


def list_clients(db: Database) -> list[Client]:
    with db.connect() as conn:
        return [_client(r) for r in conn.execute(sa.select(clients).order_by(clients.c.name))]


def add_integration(db: Database, client: Client, name: str, channel: Channel, *,
                    inventory_tracking: bool = False,
                    grouping: Grouping = Grouping.SETTLEMENT) -> Integration:
    """Create an integration of ``client``. Raises :class:`BadInput` when the name is taken."""
    name = name.strip()
    if not name:
        raise BadInput("An integration needs a name.")
    with db.begin() as conn:
        exists = conn.execute(sa.select(integrations.c.id).where(
            integrations.c.client_id == client.id, integrations.c.name == name)).first()
        if exists:
            raise BadInput(f"Client {client.name!r} already has an integration named {name!r}.")
        conn.execute(integrations.insert().values(
            client_id=client.id, name=name, channel=channel.value,
            inventory_tracking=inventory_tracking, grouping=grouping.value, settings="{}", version=1))
    return get_integration(db, client, name)


def get_integration(db: Database, client: Client, name: str) -> Integration:
    """An integration of ``client`` by name. Raises :class:`NotFound`."""
    with db.connect() as conn:
        row = conn.execute(sa.select(integrations).where(
            integrations.c.client_id == client.id, integrations.c.name == name)).first()
    if row is None:
        raise NotFound(f"Client {client.name!r} has no integration named {name!r}.")
    return _integration(row)


def get_integration_by_id(db: Database, integration_id: int) -> Integration:
    with db.connect() as conn:
        row = conn.execute(sa.select(integrations).where(integrations.c.id == integration_id)).first()
    if row is None:
        raise NotFound(f"No integration #{integration_id}.")
    return _integration(row)


def list_integrations(db: Database, client: Client) -> list[Integration]:
    with db.connect() as conn:
        rows = conn.execute(sa.select(integrations).where(integrations.c.client_id == client.id)
                            .order_by(integrations.c.name))
        return [_integration(r) for r in rows]


def update_integration(db: Database, integration: Integration, *,
                       inventory_tracking: bool | None = None, grouping: Grouping | None = None,
                       settings: dict[str, str] | None = None) -> Integration:
    """Change an integration's settings; bumps its version."""
    values: dict[str, object] = {"version": integrations.c.version + 1}
    if inventory_tracking is not None:
        values["inventory_tracking"] = inventory_tracking
    if grouping is not None:
        values["grouping"] = grouping.value
    if settings is not None:
        values["settings"] = json.dumps(settings, sort_keys=True)
    with db.begin() as conn:
        conn.execute(integrations.update().where(integrations.c.id == integration.id).values(**values))
    return get_integration_by_id(db, integration.id)


def get_workspace_setting(db: Database, key: str, default: str = "") -> str:
    with db.connect() as conn:
        value = conn.execute(sa.select(workspace.c.value).where(workspace.c.key == key)).scalar()
    return default if value is None else str(value)


def set_workspace_setting(db: Database, key: str, value: str) -> None:
    with db.begin() as conn:
        if conn.execute(sa.select(workspace.c.key).where(workspace.c.key == key)).first():
            conn.execute(workspace.update().where(workspace.c.key == key).values(value=value))
        else:
            conn.execute(workspace.insert().values(key=key, value=value))
