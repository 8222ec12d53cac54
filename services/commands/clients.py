"""``clients add`` and ``integrations add|set|list``."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli import Context, Outcome, command
from services.errors import BadInput
from services.records import Channel, Grouping
from services.storage import clients as repo


def register(sub: Any) -> None:
    p = command(sub, "clients", _no_action, "QBO companies")
    csub = p.add_subparsers(dest="action", required=True)
    add = command(csub, "add", clients_add, "add a client (a QBO company)")
    add.add_argument("name")
    how = add.add_mutually_exclusive_group(required=True)
    how.add_argument("--sandbox-url", help="base URL of a local QBO sandbox (python -m qbo_sandbox)")
    how.add_argument("--oauth", action="store_true", help="connect a real QuickBooks Online company")
    add.add_argument("--realm", default="", help="the company's realm id")
    command(csub, "list", clients_list, "list clients")

    p = command(sub, "integrations", _no_action, "sales-channel accounts of a client")
    isub = p.add_subparsers(dest="action", required=True)
    iadd = command(isub, "add", integrations_add, "add an integration")
    iadd.add_argument("client")
    iadd.add_argument("name")
    iadd.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    iadd.add_argument("--inventory-tracking", choices=["on", "off"], default="off")
    iadd.add_argument("--grouping", choices=[g.value for g in Grouping], default="settlement")
    iset = command(isub, "set", integrations_set, "change an integration's settings")
    iset.add_argument("client")
    iset.add_argument("name")
    iset.add_argument("--inventory-tracking", choices=["on", "off"])
    iset.add_argument("--grouping", choices=[g.value for g in Grouping])
    ilist = command(isub, "list", integrations_list, "list a client's integrations")
    ilist.add_argument("client")
    idef = command(isub, "defaults", integrations_defaults,
                   "create in QBO the clearing account and every account and item the settings name")
    idef.add_argument("client")
    idef.add_argument("name")


def _no_action(args: argparse.Namespace, ctx: Context) -> Outcome:
    raise BadInput("Name an action.")


def _client_json(c: Any) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "kind": c.kind, "realm": c.realm_id, "sandbox_url": c.sandbox_url,
            "company_name": c.company_name, "plan": c.plan}


def _integration_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "name": i.name, "channel": i.channel.value,
            "inventory_tracking": i.inventory_tracking, "grouping": i.grouping.value,
            "settings": dict(i.settings)}


def clients_add(args: argparse.Namespace, ctx: Context) -> Outcome:
    if args.oauth:
        client = repo.add_client(ctx.db, args.name, kind="oauth", realm_id=args.realm)
        note = "Connect it from the app's Connections page (Intuit sign-in)."
    else:
        from services.qbo.connect import describe_sandbox

        realm, company, plan = describe_sandbox(args.sandbox_url, args.realm)
        client = repo.add_client(ctx.db, args.name, kind="sandbox", realm_id=realm,
                                 sandbox_url=args.sandbox_url.rstrip("/"), company_name=company, plan=plan)
        note = f"Connected to {company} ({plan})."
    payload = {"status": "ok", "client": _client_json(client)}
    return Outcome(payload, text=f"Added client {client.name}. {note}")


def clients_list(args: argparse.Namespace, ctx: Context) -> Outcome:
    cs = repo.list_clients(ctx.db)
    return Outcome({"clients": [_client_json(c) for c in cs]},
                   text="\n".join(f"{c.name}\t{c.kind}\t{c.company_name}" for c in cs) or "No clients.")


def integrations_add(args: argparse.Namespace, ctx: Context) -> Outcome:
    client = repo.get_client(ctx.db, args.client)
    if args.inventory_tracking == "on":
        refused = _tracking_refused(ctx, client)
        if refused is not None:
            return refused
    integ = repo.add_integration(ctx.db, client, args.name, Channel(args.channel),
                                 inventory_tracking=args.inventory_tracking == "on",
                                 grouping=Grouping(args.grouping))
    return Outcome({"status": "ok", "integration": _integration_json(integ)},
                   text=f"Added integration {integ.name} ({integ.channel.value}) to {client.name}.")


def integrations_set(args: argparse.Namespace, ctx: Context) -> Outcome:
    client = repo.get_client(ctx.db, args.client)
    integ = repo.get_integration(ctx.db, client, args.name)
    tracking = None if args.inventory_tracking is None else args.inventory_tracking == "on"
    if tracking:
        refused = _tracking_refused(ctx, client)
        if refused is not None:
            return refused
    integ = repo.update_integration(ctx.db, integ, inventory_tracking=tracking,
                                    grouping=Grouping(args.grouping) if args.grouping else None)
    return Outcome({"status": "ok", "integration": _integration_json(integ)},
                   text=f"Updated {integ.name}.")


def _tracking_refused(ctx: Context, client: Any) -> Outcome | None:
    """Inventory tracking needs a QBO plan with inventory, the Professional workspace plan and QBO's
    sales preferences on; when something is missing, say what and where (exit 1)."""
    from services.readiness import check_inventory_tracking

    problems = check_inventory_tracking(ctx.db, client)
    if not problems:
        return None
    return Outcome({"status": "not_ready", "problems": problems},
                   text="Inventory tracking cannot be enabled:\n- " + "\n- ".join(problems), status=1)


def integrations_list(args: argparse.Namespace, ctx: Context) -> Outcome:
    client = repo.get_client(ctx.db, args.client)
    items = repo.list_integrations(ctx.db, client)
    return Outcome({"integrations": [_integration_json(i) for i in items]},
                   text="\n".join(f"{i.name}\t{i.channel.value}" for i in items) or "No integrations.")


def integrations_defaults(args: argparse.Namespace, ctx: Context) -> Outcome:
    """The page's "Create sensible defaults": what is missing in QBO is created, the rest reused."""
    from services.routing import create_defaults

    client = repo.get_client(ctx.db, args.client)
    integ = repo.get_integration(ctx.db, client, args.name)
    integ, created = create_defaults(ctx.db, client, integ)
    return Outcome({"status": "ok", "created": list(created.created), "existing": list(created.existing),
                    "integration": _integration_json(integ)}, text=created.summary())
