"""``import CLIENT INTEGRATION FILE...`` and ``settlements list CLIENT INTEGRATION``."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any

from services.cli import EXIT_ACTION, EXIT_BAD_INPUT, EXIT_OK, Context, Outcome, command
from services.importing import DUPLICATE, ImportOutcome, SettlementImport, import_files
from services.money import money_str
from services.records import Issue, SettlementInfo
from services.storage import clients as clients_repo
from services.storage import settlements as repo


def register(sub: Any) -> None:
    p = command(sub, "import", import_command,
                "parse settlement reports, store them and build their documents")
    p.add_argument("client")
    p.add_argument("integration")
    p.add_argument("files", nargs="+", metavar="FILE", help="report files (companion exports together)")
    p.add_argument("--replace", action="store_true",
                   help="replace settlements already imported that have not been posted")

    s = command(sub, "settlements", _no_action, "settlements imported for an integration")
    ssub = s.add_subparsers(dest="action", required=True)
    lst = command(ssub, "list", settlements_list, "list the integration's settlements with status and totals")
    lst.add_argument("client")
    lst.add_argument("integration")


def _no_action(args: argparse.Namespace, ctx: Context) -> Outcome:
    from services.errors import BadInput

    raise BadInput("Name an action: settlements list CLIENT INTEGRATION.")


def who() -> str:
    """The user as recorded in a settlement's history: ``SETTLEBRIDGE_USER`` or the login name."""
    name = os.environ.get("SETTLEBRIDGE_USER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):
            name = "unknown"
    return f"{name} (command line)"


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {"severity": issue.severity.value, "file": issue.file, "row": issue.row, "message": issue.message,
            "code": issue.code}


def _settlement_json(s: SettlementImport) -> dict[str, Any]:
    out: dict[str, Any] = dict(s.summary)
    out.update({"settlement_id": s.settlement_id, "status": s.status, "stored": s.stored,
                "replaced": s.replaced, "files": list(s.files),
                "issues": [_issue_json(i) for i in s.issues]})
    out.setdefault("total", None)
    out.setdefault("rows", 0)
    return out


def _exit_status(outcome: ImportOutcome) -> int:
    status = outcome.status
    if status in ("error", DUPLICATE):
        return EXIT_BAD_INPUT
    return EXIT_OK if status == "ok" else EXIT_ACTION


def import_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Import the files for the integration and print one JSON object: ``status``, ``settlements``
    (each with its summary, status and issues), ``issues`` (all of them) and, when documents could
    not be built for unmapped SKUs, ``unmapped``. Exit 0 when all went in, 1 when the user must act
    (mapping not found), 2 for bad input (an unreadable or unrecognised file, errors, a duplicate)."""
    client = clients_repo.get_client(ctx.db, args.client)
    integration = clients_repo.get_integration(ctx.db, client, args.integration)
    files: list[tuple[str, bytes]] = []
    unreadable: list[Issue] = []
    for f in args.files:
        path = Path(f)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            from services.records import error

            unreadable.append(error(f"cannot read the file ({exc.strerror or exc})", str(f), code="unreadable"))
    outcome = import_files(ctx.db, client, integration, files, who=who(), replace=args.replace) if files \
        else ImportOutcome(())
    settlements = [_settlement_json(s) for s in outcome.settlements]
    issues = [*unreadable, *outcome.issues]
    status = "error" if unreadable else outcome.status
    payload: dict[str, Any] = {"status": status, "settlements": settlements,
                               "issues": [_issue_json(i) for i in issues]}
    unmapped = _unmapped(ctx, integration, outcome)
    if unmapped:
        payload["unmapped"] = unmapped
    errors = [str(i) for i in issues if i.severity.value == "error"]
    if errors:
        payload["error"] = "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
    code = EXIT_BAD_INPUT if unreadable else _exit_status(outcome)
    return Outcome(payload, text=_text(outcome, issues), status=code)


def _unmapped(ctx: Context, integration: Any, outcome: ImportOutcome) -> list[Any]:
    """The unmapped SKUs the document step recorded on the stored settlements (status detail)."""
    import json

    out: list[Any] = []
    for s in outcome.stored:
        info = repo.get_settlement_info(ctx.db, integration, s.settlement_id)
        out.extend(json.loads(info.status_detail or "{}").get("unmapped", []))
    return out


def _text(outcome: ImportOutcome, issues: list[Issue]) -> str:
    lines = []
    for s in outcome.settlements:
        if s.summary:
            sm = s.summary
            lines.append(f"{s.status}: settlement {s.settlement_id} ({sm['format']}) {sm['start']}..{sm['end']}, "
                         f"deposit {sm['deposit_date']}, total {sm['total']} {sm['currency']}, {sm['rows']} rows, "
                         f"{sm['orders']} orders, {sm['refunds']} refunds"
                         + (" (replaced the earlier import)" if s.replaced else ""))
        elif s.settlement_id:
            lines.append(f"{s.status}: settlement {s.settlement_id}")
    lines += [f"{i.severity.value}: {i}" for i in issues]
    return "\n".join(lines) or "Nothing was imported."


def _info_json(i: SettlementInfo) -> dict[str, Any]:
    return {"settlement_id": i.settlement_id, "status": i.status.value, "format": i.format,
            "marketplace": i.marketplace, "currency": i.currency, "start": i.start.isoformat(),
            "end": i.end.isoformat(), "deposit_date": i.deposit_date.isoformat(), "total": money_str(i.total),
            "stated_total": None if i.stated_total is None else money_str(i.stated_total),
            "lines_total": money_str(i.lines_total), "rows": i.row_count, "files": list(i.source_files),
            "imported_at": i.created_at.isoformat(timespec="seconds") if i.created_at else None,
            "imported_by": i.created_by, "version": i.version}


def settlements_list(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Print the integration's settlements, newest first: ``settlements`` with status, dates, totals."""
    client = clients_repo.get_client(ctx.db, args.client)
    integration = clients_repo.get_integration(ctx.db, client, args.integration)
    infos = repo.list_settlements(ctx.db, integration)
    text = "\n".join(f"{i.settlement_id}\t{i.status.value}\t{i.start}..{i.end}\tdeposit {i.deposit_date}\t"
                     f"{money_str(i.total)} {i.currency}\t{i.row_count} rows" for i in infos)
    return Outcome({"status": "ok", "settlements": [_info_json(i) for i in infos]},
                   text=text or f"No settlements imported for {integration.name} yet.")
