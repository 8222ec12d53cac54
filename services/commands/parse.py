"""``parse FILE...``: detect and parse settlement reports and print their summary (no database)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.cli import EXIT_BAD_INPUT, EXIT_OK, Context, Outcome, command
from services.records import Severity, has_errors


def register(sub: Any) -> None:
    p = command(sub, "parse", parse_command, "detect and parse settlement reports; print the summary")
    p.add_argument("files", nargs="+", metavar="FILE", help="report files (companion exports together)")


def _issue_json(issue: Any) -> dict[str, Any]:
    return {"severity": issue.severity.value, "message": issue.message, "file": issue.file, "row": issue.row,
            "code": issue.code}


def parse_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Parse the files and print one JSON object: the settlement's summary (DESIGN §9) with its
    issues, or ``settlements`` when the files hold several. Exit 2 when any file is unusable or
    any error was found (a total that does not tie, a bad row)."""
    from services.settlements import parse_upload, summarize

    files: list[tuple[str, bytes]] = []
    issues: list[Any] = []
    for f in args.files:
        path = Path(f)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            issues.append({"severity": "error", "message": f"cannot read the file ({exc.strerror})",
                           "file": str(f), "row": None, "code": "unreadable"})
    results = parse_upload(files)
    summaries = []
    for res in results:
        issues.extend(_issue_json(i) for i in res.issues)
        if res.settlement is not None:
            summaries.append(summarize(res.settlement))
    bad = any(i["severity"] == Severity.ERROR.value for i in issues) or not summaries
    payload: dict[str, Any] = dict(summaries[0]) if len(summaries) == 1 else {}
    payload["settlements"] = summaries
    payload["issues"] = issues
    payload["status"] = "error" if bad else "ok"
    errors = [i for i in issues if i["severity"] == "error"]
    if bad:
        payload["error"] = "; ".join(_issue_text(i) for i in errors[:5]) or "nothing could be read"
    lines = [_summary_text(s) for s in summaries]
    lines += [f"{i['severity']}: {_issue_text(i)}" for i in issues]
    return Outcome(payload, text="\n".join(lines), status=EXIT_BAD_INPUT if bad else EXIT_OK)


def _issue_text(i: dict[str, Any]) -> str:
    where = i["file"] + (f", row {i['row']}" if i["row"] is not None else "")
    return f"{where}: {i['message']}" if where else i["message"]


def _summary_text(s: dict[str, Any]) -> str:
    head = (f"{s['format']} settlement {s['settlement_id']} {s['start']}..{s['end']} deposit {s['deposit_date']}: "
            f"total {s['total']} {s['currency']} (rows sum to {s['lines_total']}), {s['rows']} rows, "
            f"{s['orders']} orders, {s['refunds']} refunds")
    cats = ", ".join(f"{k} {v}" for k, v in s["by_category"].items())
    units = ", ".join(f"{k} {v['sold']}/-{v['refunded']}" for k, v in list(s["skus"].items())[:20])
    return "\n".join(x for x in (head, f"  {cats}", f"  units: {units}" if units else "") if x)


__all__ = ["has_errors", "parse_command", "register"]
