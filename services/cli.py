"""The command-line twin of the app (DESIGN.md §9): ``python -m services ...``.

Every command takes ``--json`` and then prints exactly one JSON object; money is a string with
two decimals. Exit status: 0 success, 1 a failure the user must act on (mapping not found, a QBO
refusal), 2 bad input. Global option ``--db URL`` (else ``DATABASE_URL``, else the SQLite file).

Each area registers its commands from a module of ``services.commands``; a handler takes the
parsed arguments and a :class:`Context` and returns an :class:`Outcome`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.errors import BadInput, MappingNotFound, NotFound, QboError, SettlebridgeError

EXIT_OK = 0
EXIT_ACTION = 1
EXIT_BAD_INPUT = 2


@dataclass
class Outcome:
    """What a command did: its JSON payload, a human rendering, and the exit status."""

    payload: dict[str, Any]
    text: str = ""
    status: int = EXIT_OK


@dataclass
class Context:
    """Lazily opened resources shared by the commands of one invocation."""

    db_url: str | None = None
    _db: Any = field(default=None, repr=False)

    @property
    def db(self) -> Any:
        if self._db is None:
            from services.storage import open_database

            self._db = open_database(self.db_url)
        return self._db


Handler = Callable[[argparse.Namespace, Context], Outcome]


def build_parser() -> argparse.ArgumentParser:
    from services.commands import register_all

    parser = argparse.ArgumentParser(prog="python -m services",
                                     description="Settlebridge: marketplace settlements into QuickBooks Online.")
    parser.add_argument("--db", dest="db_url", help="database URL (else DATABASE_URL, else data/settlebridge.sqlite3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    sub = parser.add_subparsers(dest="command", required=True)
    register_all(sub)
    return parser


def _add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object")
    parser.add_argument("--db", dest="db_url", default=argparse.SUPPRESS, help="database URL")


def command(sub: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """Add a sub-command whose handler is ``handler``; it accepts ``--json`` and ``--db`` anywhere."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    _add_json_flag(p)
    p.set_defaults(handler=handler)
    return p


def _error_outcome(exc: SettlebridgeError) -> Outcome:
    status = EXIT_BAD_INPUT if isinstance(exc, BadInput | NotFound) else EXIT_ACTION
    payload: dict[str, Any] = {"status": "error", "error": exc.message, "kind": type(exc).__name__}
    if isinstance(exc, MappingNotFound):
        payload["status"] = "mapping_not_found"
    if isinstance(exc, QboError):
        payload.update({"code": exc.code, "detail": exc.detail})
    if isinstance(exc.details, dict):
        payload.update(exc.details)
    return Outcome(payload, text=f"error: {exc.message}", status=status)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: bad usage is bad input
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    ctx = Context(db_url=getattr(args, "db_url", None))
    try:
        outcome = args.handler(args, ctx)
    except SettlebridgeError as exc:
        outcome = _error_outcome(exc)
    try:
        if getattr(args, "json", False):
            print(json.dumps(outcome.payload, ensure_ascii=False, default=str))
        else:
            print(outcome.text or json.dumps(outcome.payload, indent=2, ensure_ascii=False, default=str))
        sys.stdout.flush()
    except BrokenPipeError:  # `... | head`: the reader left; what was done is done
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush is quiet
    return outcome.status
