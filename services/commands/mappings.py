"""``mappings list|export|import|set|set-bundle|clear`` and ``items create`` (DESIGN §9)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from pathlib import Path
from typing import Any

from services.cli import EXIT_BAD_INPUT, Context, Outcome, command
from services.errors import BadInput
from services.mapping import (
    ItemIndex,
    NewItem,
    bundle_mapping,
    channel_rows,
    current_name,
    exact_decimal,
    item_mapping,
    mapping_status,
)
from services.records import (
    BundleComponent,
    Client,
    Integration,
    Issue,
    MappingType,
    QboItem,
    Severity,
    error,
)


def register(sub: Any) -> None:
    p = command(sub, "mappings", _no_action, "map channel SKUs to QBO inventory items and bundles")
    msub = p.add_subparsers(dest="action", required=True)

    def with_target(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        q = command(msub, name, handler, help_text)
        q.add_argument("client")
        q.add_argument("integration")
        return q

    with_target("list", mappings_list, "list every channel product with its mapping and status")
    s = with_target("set", mappings_set, "map a SKU to one QBO inventory item")
    s.add_argument("sku")
    s.add_argument("--item", required=True, help="the QBO item's name")
    b = with_target("set-bundle", mappings_set_bundle, "map a SKU to a bundle of QBO inventory items")
    b.add_argument("sku")
    b.add_argument("--component", action="append", required=True, metavar="ITEM:QTY:PERCENT",
                   help='"QBO item name:quantity per bundle:percentage of sales price" (repeat it)')
    c = with_target("clear", mappings_clear, "remove a SKU's mapping")
    c.add_argument("sku")
    e = with_target("export", mappings_export, "write the mapping workbook (.xlsx)")
    e.add_argument("--out", required=True, help="FILE.xlsx")
    i = with_target("import", mappings_import, "read an edited mapping workbook back, all or nothing")
    i.add_argument("file")
    h = with_target("history", mappings_history, "the latest mapping changes")
    h.add_argument("--sku", default=None)

    p = command(sub, "items", _no_action, "QBO items")
    isub = p.add_subparsers(dest="action", required=True)
    ic = command(isub, "create", items_create, "create a QBO inventory item")
    ic.add_argument("client")
    ic.add_argument("--name", required=True)
    ic.add_argument("--sku", default="")
    ic.add_argument("--qty-on-hand", required=True)
    ic.add_argument("--as-of", required=True, help="YYYY-MM-DD, before the SKU's first sale")
    ic.add_argument("--cost", required=True, help="unit cost")
    ic.add_argument("--integration", default=None, help="map a SKU of this integration to the new item")
    ic.add_argument("--map-sku", default=None, help="the channel SKU to map (default: --sku)")
    ic.add_argument("--income-account", default="Sales of Product Income")
    ic.add_argument("--expense-account", default="Cost of Goods Sold")
    ic.add_argument("--asset-account", default="Inventory Asset")


def _no_action(args: argparse.Namespace, ctx: Context) -> Outcome:
    raise BadInput("Name an action.")


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _target(args: argparse.Namespace, ctx: Context) -> tuple[Client, Integration]:
    from services.storage import clients as repo

    client = repo.get_client(ctx.db, args.client)
    return client, repo.get_integration(ctx.db, client, args.integration)


def _items(ctx: Context, client: Client) -> list[QboItem]:
    from services.qbo.gateway import QboGateway

    return QboGateway.for_client(ctx.db, client).list_items(include_inactive=True)


def _bad(issues: list[Issue], what: str) -> Outcome:
    errors = [i for i in issues if i.severity is Severity.ERROR]
    return Outcome({"status": "error", "error": what, "problems": [str(i) for i in errors]},
                   text=f"error: {what}\n- " + "\n- ".join(str(i) for i in errors), status=EXIT_BAD_INPUT)


def _entry(row: Any, index: ItemIndex) -> dict[str, Any]:
    m = row.mapping
    by_id = index.by_id
    status, why = mapping_status(m, index)
    mtype = MappingType.NONE if m is None else m.type
    return {
        "sku": row.sku, "title": row.title, "type": mtype.value,
        "item": current_name(m.item, by_id) if m is not None and m.type is MappingType.ITEM and m.item else None,
        "item_id": m.item.id if m is not None and m.type is MappingType.ITEM and m.item else None,
        "components": [{"item": current_name(c.item, by_id), "item_id": c.item.id, "qty": str(c.qty),
                        "percent": str(c.percent)} for c in (m.components if m is not None else ())],
        "status": status.value, "problem": why, "units_sold": row.units_sold,
        "first_sale": row.first_date.isoformat() if row.first_date else None,
        "last_sale": row.last_date.isoformat() if row.last_date else None,
    }


def mappings_list(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.storage.mappings import list_channel_products, load_mappings, mapping_version

    client, integ = _target(args, ctx)
    index = ItemIndex.of(_items(ctx, client))
    rows = channel_rows(list_channel_products(ctx.db, integ), load_mappings(ctx.db, integ))
    entries = [_entry(r, index) for r in rows]
    lines = []
    for e in entries:
        target = e["item"] or " + ".join(f"{c['qty']}×{c['item']} {c['percent']}%" for c in e["components"])
        lines.append(f"{e['sku']}\t{e['status']}\t{target or '-'}")
    return Outcome({"client": client.name, "integration": integ.name, "version": mapping_version(ctx.db, integ),
                    "mappings": entries}, text="\n".join(lines) or "No channel products yet.")


def _save(ctx: Context, integ: Integration, changes: dict[str, Any], verb: str) -> Outcome:
    from services.storage.mappings import mapping_version, save_mappings

    version = save_mappings(ctx.db, integ, changes, who=_who(), expected_version=mapping_version(ctx.db, integ))
    skus = sorted(changes)
    return Outcome({"status": "ok", "changed": skus, "version": version}, text=f"{verb} {', '.join(skus)}.")


def _title(ctx: Context, integ: Integration, sku: str) -> str:
    from services.storage.mappings import list_channel_products

    return next((p.title for p in list_channel_products(ctx.db, integ) if p.sku == sku), "")


def mappings_set(args: argparse.Namespace, ctx: Context) -> Outcome:
    client, integ = _target(args, ctx)
    sku = args.sku if args.sku.strip() else ""  # SKUs are exact: reports have some with spaces
    if not sku:
        return _bad([error("A SKU is required.")], "bad input")
    index = ItemIndex.of(_items(ctx, client))
    item = index.find(args.item)
    if item is None:
        return _bad([error(f"{args.item!r} is not an active QBO inventory item of {client.name}.")],
                    "unknown item")
    return _save(ctx, integ, {sku: item_mapping(sku, item, _title(ctx, integ, sku))}, f"Mapped to {item.name}:")


def parse_component(text: str, n: int, index: ItemIndex) -> tuple[BundleComponent | None, list[Issue]]:
    """``"Item name:QTY:PERCENT"`` as a component (the item name may itself contain ':')."""
    parts = text.rsplit(":", 2)
    where = f"--component {n} ({text!r})"
    if len(parts) != 3:
        return None, [error(f"{where}: write it as \"QBO item name:QTY:PERCENT\".")]
    name, qty_text, pct_text = (p.strip() for p in parts)
    issues = []
    item = index.find(name)
    if item is None:
        issues.append(error(f"{where}: {name!r} is not an active QBO inventory item."))
    qty, pct = exact_decimal(qty_text), exact_decimal(pct_text)
    if qty is None or qty <= 0:
        issues.append(error(f"{where}: the quantity per bundle must be a positive number, not {qty_text!r}."))
    if pct is None or pct < 0:
        issues.append(error(f"{where}: the percentage must be a number from 0 to 100, not {pct_text!r}."))
    if issues:
        return None, issues
    assert item is not None and qty is not None and pct is not None
    return BundleComponent(item.ref, qty, pct), []


def mappings_set_bundle(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.bundles import validate_bundle

    client, integ = _target(args, ctx)
    sku = args.sku if args.sku.strip() else ""  # SKUs are exact: reports have some with spaces
    index = ItemIndex.of(_items(ctx, client))
    comps: list[BundleComponent] = []
    issues: list[Issue] = []
    for n, text in enumerate(args.component, start=1):
        comp, problems = parse_component(text, n, index)
        issues.extend(problems)
        if comp is not None:
            comps.append(comp)
    if not issues:
        issues.extend(validate_bundle(comps, sku=sku))
    if not sku:
        issues.append(error("A SKU is required."))
    if issues:
        return _bad(issues, "the bundle cannot be saved")
    return _save(ctx, integ, {sku: bundle_mapping(sku, comps, _title(ctx, integ, sku))}, "Bundle saved:")


def mappings_clear(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.storage.mappings import load_mappings

    _client, integ = _target(args, ctx)
    if args.sku not in load_mappings(ctx.db, integ):
        return _bad([error(f"SKU {args.sku} has no mapping in {integ.name}.")], "nothing to clear")
    return _save(ctx, integ, {args.sku: None}, "Cleared")


def mappings_export(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.excel import export_workbook
    from services.storage.mappings import list_channel_products, load_mappings

    client, integ = _target(args, ctx)
    rows = channel_rows(list_channel_products(ctx.db, integ), load_mappings(ctx.db, integ))
    data = export_workbook(rows, _items(ctx, client))
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise BadInput(f"Cannot write {out}: {exc.strerror}.") from None
    return Outcome({"status": "ok", "file": str(out), "rows": len(rows)}, text=f"Wrote {len(rows)} SKUs to {out}.")


def mappings_import(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.excel import import_workbook
    from services.storage.mappings import load_mappings, mapping_version, save_mappings

    client, integ = _target(args, ctx)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"Cannot read {path}: {exc.strerror}.") from None
    version = mapping_version(ctx.db, integ)
    result = import_workbook(data, current=load_mappings(ctx.db, integ), items=_items(ctx, client),
                             file_name=path.name)
    warnings = [str(i) for i in result.issues if i.severity is not Severity.ERROR]
    if not result.ok:
        out = _bad(list(result.issues), f"{path.name} was not imported; nothing changed")
        out.payload["warnings"] = warnings
        return out
    new_version = save_mappings(ctx.db, integ, result.changes, who=_who(), expected_version=version) \
        if result.changes else version
    changed = sorted(result.changes)
    return Outcome({"status": "ok", "changed": changed, "version": new_version, "warnings": warnings},
                   text=f"Imported {path.name}: {len(changed)} mapping(s) changed."
                   + "".join(f"\nwarning: {w}" for w in warnings))


def mappings_history(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.storage.mappings import list_history

    _client, integ = _target(args, ctx)
    entries = list_history(ctx.db, integ, sku=args.sku)
    payload = [{"at": e.at.isoformat(timespec="seconds"), "who": e.who, "sku": e.sku, "before": e.before,
                "after": e.after} for e in entries]
    from services.mapping import describe

    lines = [f"{e.at.isoformat(timespec='seconds')}\t{e.who}\t{e.sku}\t{describe(e.before)} → {describe(e.after)}"
             for e in entries]
    return Outcome({"history": payload}, text="\n".join(lines) or "No changes yet.")


def items_create(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.item_creation import create_items
    from services.storage import clients as repo

    client = repo.get_client(ctx.db, args.client)
    issues: list[Issue] = []
    qty, cost = exact_decimal(args.qty_on_hand), exact_decimal(args.cost)
    if qty is None:
        issues.append(error(f"--qty-on-hand must be a number, not {args.qty_on_hand!r}."))
    if cost is None:
        issues.append(error(f"--cost must be an amount, not {args.cost!r}."))
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        issues.append(error(f"--as-of must be a date YYYY-MM-DD, not {args.as_of!r}."))
    integ = repo.get_integration(ctx.db, client, args.integration) if args.integration else None
    map_sku = (args.map_sku or args.sku or "").strip() if integ is not None else ""
    if issues:
        return _bad(issues, "the item cannot be created")
    assert qty is not None and cost is not None
    new = NewItem(name=args.name, sku=args.sku, qty_on_hand=qty, as_of=as_of, unit_cost=cost, map_sku=map_sku,
                  income_account=args.income_account, expense_account=args.expense_account,
                  asset_account=args.asset_account)
    result = create_items(ctx.db, client, [new], who=_who(), integration=integ)
    if not result.created:
        refused = any(i.code == "qbo_refused" for i in result.issues)
        out = _bad(list(result.issues), "the item was not created")
        if refused:
            out.status = 1
        return out
    item = result.created[0]
    return Outcome({"status": "ok", "item": {"id": item.id, "name": item.name, "sku": item.sku,
                                             "qty_on_hand": str(item.qty_on_hand),
                                             "as_of": item.inv_start_date.isoformat() if item.inv_start_date else None},
                    "mapped": list(result.mapped)},
                   text=f"Created {item.name} (Id {item.id})."
                   + (f" Mapped {', '.join(result.mapped)}." if result.mapped else ""))
