"""What a connection is: the company's name and plan, read through the gateway.

Used when a client is added (``clients add --sandbox-url``, the Connections page) and after an
OAuth connection, so that every page can say which QuickBooks company it is talking to.
"""

from __future__ import annotations

import requests

from services.errors import BadInput, QboUnavailable
from services.qbo.gateway import QboGateway
from services.readiness import offering_sku
from services.records import Client
from services.storage import Database
from services.storage import clients as repo


def company_summary(gateway: QboGateway) -> tuple[str, str]:
    """(company name, plan) of the gateway's company."""
    info = gateway.company_info()
    return str(info.get("CompanyName") or info.get("LegalName") or ""), offering_sku(info)


def sandbox_realm(base_url: str) -> str:
    """The realm a local sandbox serves, from its health endpoint (``{base}/_sandbox/health``).
    Raises :class:`QboUnavailable` when nothing answers at ``base_url``."""
    url = base_url.rstrip("/") + "/_sandbox/health"
    try:
        response = requests.get(url, timeout=(5, 15))
    except requests.RequestException as exc:
        raise QboUnavailable(f"No QBO sandbox answers at {base_url}: {type(exc).__name__}.") from exc
    if response.status_code != 200:
        raise QboUnavailable(f"No QBO sandbox answers at {base_url} (HTTP {response.status_code} from "
                             f"{url}).")
    try:
        realm = str(response.json().get("realm") or "")
    except ValueError:
        realm = ""
    if not realm:
        raise BadInput(f"The sandbox at {base_url} did not say which company it serves; give --realm.")
    return realm


def describe_sandbox(base_url: str, realm: str = "") -> tuple[str, str, str]:
    """(realm, company name, plan) of a local QBO sandbox, read through the real client.

    ``realm`` may be empty: the sandbox's own realm is used. Raises :class:`QboUnavailable` when the
    sandbox does not answer, :class:`services.errors.QboError` when it refuses."""
    base = base_url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise BadInput(f"A sandbox URL starts with http:// or https://, not {base_url!r}.")
    realm = realm.strip() or sandbox_realm(base)
    name, plan = company_summary(QboGateway.for_sandbox(base, realm))
    return realm, name, plan


def refresh_company(db: Database, client: Client) -> Client:
    """Read the client's company name and plan from QBO and store them; returns the client as
    stored."""
    name, plan = company_summary(QboGateway.for_client(db, client))
    repo.update_client(db, client.id, company_name=name, plan=plan)
    return repo.get_client(db, client_id=client.id)


def add_sandbox_client(db: Database, name: str, base_url: str, realm: str = "") -> Client:
    """Add a client that talks to a local QBO sandbox, with the company's name and plan read from
    it (so a wrong URL or realm is refused before anything is stored)."""
    realm, company, plan = describe_sandbox(base_url, realm)
    return repo.add_client(db, name, kind="sandbox", realm_id=realm, sandbox_url=base_url.strip().rstrip("/"),
                           company_name=company, plan=plan)


LOCAL_SANDBOX_NOTE = "Local sandbox: a stand-in for QuickBooks Online on this machine, not Intuit's service"


def connection_kind(client: Client, connected: bool = True) -> str:
    """How a client reaches QuickBooks, in words."""
    if client.kind == "sandbox":
        return LOCAL_SANDBOX_NOTE
    return "QuickBooks Online (Intuit sign-in)" + ("" if connected else ", not connected yet")


def clients_overview(db: Database) -> list[dict[str, str]]:
    """One row per client for the Connections page: name, company, plan, connection, realm and
    integrations."""
    rows = []
    for client in repo.list_clients(db):
        connected = client.kind == "sandbox" or bool(repo.get_client_tokens(db, client.id))
        integrations = repo.list_integrations(db, client)
        rows.append({"Client": client.name, "Company": client.company_name, "Plan": client.plan,
                     "Connection": connection_kind(client, connected), "Realm": client.realm_id,
                     "Integrations": ", ".join(f"{i.name} ({i.channel.value})" for i in integrations)})
    return rows
