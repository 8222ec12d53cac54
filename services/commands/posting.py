"""``post``, ``verify`` and ``undo`` CLIENT INTEGRATION SETTLEMENT (DESIGN §9).

``post --json`` prints ``created``, ``already_posted`` and ``failed`` (counts) with ``documents``
(each ``key``, ``type``, ``doc_number``, ``status``, ``qbo_id``, ``link``, ``error``,
``what_to_do``); exit 0 when every document is in QuickBooks, 1 otherwise. ``verify --json`` prints
``ok`` and ``checks`` (each ``name``, ``ok``, ``expected``, ``actual``); exit 0 when all pass.
``undo`` deletes (or ``--void``s) the documents Settlebridge created, and needs ``--yes``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.cli import EXIT_ACTION, EXIT_OK, Context, Outcome, command
from services.commands.importing import who
from services.errors import BadInput
from services.money import money_str
from services.storage import clients as clients_repo


def register(sub: Any) -> None:
    p = command(sub, "post", post_command, "post a settlement's documents to QuickBooks (exactly once)")
    _target(p)
    p.add_argument("--progress", action="store_true", help="print progress lines to stderr")
    v = command(sub, "verify", verify_command, "read posted documents back from QuickBooks and check them")
    _target(v)
    u = command(sub, "undo", undo_command,
                "delete (or void) in QuickBooks the documents Settlebridge posted for a settlement")
    _target(u)
    u.add_argument("--void", action="store_true", help="void sales receipts instead of deleting them")
    u.add_argument("--yes", action="store_true", help="confirm: the documents are removed from QuickBooks")


def _target(p: argparse.ArgumentParser) -> None:
    p.add_argument("client")
    p.add_argument("integration")
    p.add_argument("settlement")


def _resolve(args: argparse.Namespace, ctx: Context) -> tuple[Any, Any]:
    client = clients_repo.get_client(ctx.db, args.client)
    integration = clients_repo.get_integration(ctx.db, client, args.integration)
    return client, integration


def _doc_json(o: Any) -> dict[str, Any]:
    return {"key": o.key, "type": o.type, "doc_number": o.doc_number, "date": o.date, "total": money_str(o.total),
            "status": o.status, "qbo_id": o.qbo_id, "link": o.link, "where": o.where, "error": o.error,
            "error_code": o.error_code, "what_to_do": o.what_to_do, "attempts": o.attempts}


def post_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.qbo.posting import Progress, post_settlement

    client, integration = _resolve(args, ctx)

    def show(p: Progress) -> None:
        left = f", about {p.seconds_left:.0f} s left" if p.seconds_left is not None else ""
        print(f"{p.done}/{p.total} documents ({p.rate:.1f}/s{left})", file=sys.stderr, flush=True)

    report = post_settlement(ctx.db, client, integration, args.settlement, who=who(),
                             progress=show if args.progress else None)
    status = "posted" if report.all_posted else ("stopped" if report.stopped else "posted_with_errors")
    payload = {"status": status, "settlement": args.settlement, "created": len(report.created),
               "already_posted": len(report.already_posted), "failed": len(report.failed),
               "pending": len(report.pending), "stopped": report.stopped, "calls": report.calls,
               "seconds": round(report.seconds, 3), "documents": [_doc_json(o) for o in report.documents]}
    lines = [f"Settlement {args.settlement}: {len(report.created)} created, {len(report.already_posted)} already "
             f"posted, {len(report.failed)} failed" + (f", {len(report.pending)} not sent" if report.pending else "")
             + "."]
    for o in report.failed:
        lines.append(f"- {o.type} {o.doc_number or o.key}: {o.error} What to do: {o.what_to_do}")
    if report.stopped:
        lines.append(report.stopped)
    return Outcome(payload, text="\n".join(lines), status=EXIT_OK if report.all_posted else EXIT_ACTION)


def verify_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.qbo.verify_read import verify_settlement
    from services.verify import report_json

    client, integration = _resolve(args, ctx)
    report = verify_settlement(ctx.db, client, integration, args.settlement, who=who())
    payload = {"settlement": args.settlement, **report_json(report)}
    lines = [f"Settlement {args.settlement}: " + ("all checks pass." if report.ok else
                                                  f"{len(report.exceptions)} exception(s).")]
    for c in report.checks:
        lines.append(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: expected {c.expected}, actual {c.actual}"
                     + (f" — {c.detail}" if c.detail and not c.ok else ""))
    return Outcome(payload, text="\n".join(lines), status=EXIT_OK if report.ok else EXIT_ACTION)


def undo_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.qbo.posting import undo_settlement

    if not args.yes:
        raise BadInput("Undo removes the settlement's documents from QuickBooks: add --yes to confirm.")
    client, integration = _resolve(args, ctx)
    out = undo_settlement(ctx.db, client, integration, args.settlement, who=who(),
                          mode="void" if args.void else "delete")
    undone = [o for o in out if o.status == "undone"]
    failed = [o for o in out if o.status == "failed"]
    payload = {"status": "ready" if not failed else "undo_incomplete", "undone": len(undone),
               "failed": len(failed), "documents": [_doc_json(o) for o in out]}
    text = f"Settlement {args.settlement}: {len(undone)} document(s) removed from QuickBooks" + (
        f", {len(failed)} could not be: " + "; ".join(o.error for o in failed) if failed else "; it is ready again.")
    return Outcome(payload, text=text, status=EXIT_OK if not failed else EXIT_ACTION)
