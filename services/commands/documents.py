"""``retry CLIENT INTEGRATION SETTLEMENT`` and ``preview CLIENT INTEGRATION SETTLEMENT``."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli import EXIT_ACTION, EXIT_OK, Context, Outcome, command
from services.money import ZERO, format_money, money_str
from services.storage import clients as clients_repo


def register(sub: Any) -> None:
    p = command(sub, "retry", retry_command,
                "rebuild a settlement's documents with the current mappings and settings (Retry import)")
    p.add_argument("client")
    p.add_argument("integration")
    p.add_argument("settlement")

    p = command(sub, "preview", preview_command,
                "show a settlement's documents, the tie-out, readiness warnings and expected margins")
    p.add_argument("client")
    p.add_argument("integration")
    p.add_argument("settlement")
    p.add_argument("--offline", action="store_true", help="do not read QuickBooks (no readiness checks or COGS)")


def _who() -> str:
    from services.commands.importing import who

    return who()


def retry_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Rebuild the documents; prints ``status`` ("ready"), ``documents`` (count), ``tie_out`` and
    ``warnings``. Mapping not found: ``status`` "mapping_not_found", ``unmapped``, exit 1."""
    from services.pipeline import prepare

    client = clients_repo.get_client(ctx.db, args.client)
    integration = clients_repo.get_integration(ctx.db, client, args.integration)
    prepared = prepare(ctx.db, client, integration, args.settlement, who=_who())
    warnings = [str(i) for i in prepared.issues if i.severity.value == "warning"]
    payload = {"status": prepared.status.value, "settlement_id": args.settlement,
               "documents": len(prepared.documents), "tie_out": prepared.tie_out.as_json(), "warnings": warnings}
    text = (f"Settlement {args.settlement}: {len(prepared.documents)} document(s) ready to post; tie-out "
            f"{money_str(prepared.tie_out.documents_total)} = {money_str(prepared.tie_out.settlement_total)}.")
    if warnings:
        text += "\n" + "\n".join(f"warning: {w}" for w in warnings)
    return Outcome(payload, text=text, status=EXIT_OK)


def preview_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Print the preview: ``documents`` (each with type, date, total, lines, key, doc_number),
    ``tie_out`` (settlement_total, documents_total, difference), ``warnings``, ``blocked`` and
    ``margins``. Exit 1 when mapping not found, when the tie-out fails or a document is blocked."""
    from services.preview import preview

    client = clients_repo.get_client(ctx.db, args.client)
    integration = clients_repo.get_integration(ctx.db, client, args.integration)
    result = preview(ctx.db, client, integration, args.settlement, who=_who(), check_qbo=not args.offline)
    payload = result.as_json()
    lines = [f"Settlement {result.settlement_id} ({result.status}), {len(result.documents)} document(s):"]
    for d in result.documents:
        lines.append(f"  {d.type.value:<13} {d.date} {d.doc_number:<21} {format_money(d.total):>14}  "
                     f"{len(d.lines)} line(s)" + ("  BLOCKED" if d.key in result.blocked else ""))
    t = result.tie_out
    lines.append(f"Tie-out: settlement {format_money(t.settlement_total)}, documents "
                 f"{format_money(t.documents_total)}, difference {format_money(t.difference)}")
    lines += [f"{i.severity.value}: {i}" for i in result.warnings]
    for m in result.margins:
        lines.append(f"  margin {m.sku} ({m.kind}): revenue {format_money(m.revenue)}"
                     + ("" if m.margin is None else f", COGS {format_money(m.cogs or ZERO)}, margin "
                        f"{format_money(m.margin)} ({m.margin_percent}%)"))
    ok = t.ok and not result.blocked and not any(i.severity.value == "error" for i in result.warnings)
    return Outcome(payload, text="\n".join(lines), status=EXIT_OK if ok else EXIT_ACTION)
