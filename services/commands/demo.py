"""``demo-settlement --out FILE``: write the sample Amazon settlement made for the Demo Company."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.cli import EXIT_BAD_INPUT, EXIT_OK, Context, Outcome, command


def register(sub: Any) -> None:
    p = command(sub, "demo-settlement", demo_settlement_command,
                "write a sample Amazon settlement (V2 flat file) that fits the Demo Company's items")
    p.add_argument("--out", required=True, metavar="FILE", help="where to write the file")


def demo_settlement_command(args: argparse.Namespace, ctx: Context) -> Outcome:
    """Write the sample settlement (the same bytes the Settlements page offers) and say how to
    try it: import it into the Demo Company's "Amazon US". Exit 2 when the file cannot be written."""
    from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
    from services.settlements import parse_file, summarize
    from services.settlements.demo import BUNDLE_SKU, NEW_SKU, demo_settlement

    _name, data = demo_settlement()
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        message = f"{out}: cannot write the file ({exc.strerror})"
        return Outcome({"status": "error", "error": message}, text=message, status=EXIT_BAD_INPUT)
    settlement = parse_file(out.name, data).settlement
    assert settlement is not None  # our own file: a failure here is a bug, not bad input
    summary = summarize(settlement)
    payload = {"status": "ok", "file": str(out), "settlement_id": summary["settlement_id"],
               "start": summary["start"], "end": summary["end"], "deposit_date": summary["deposit_date"],
               "total": summary["total"], "currency": summary["currency"], "rows": summary["rows"],
               "skus": sorted(summary["skus"]), "new_sku": NEW_SKU, "bundle_sku": BUNDLE_SKU}
    text = (f"Wrote {out}: Amazon settlement {summary['settlement_id']}, {summary['start']}..{summary['end']}, "
            f"total {summary['total']} {summary['currency']}, {summary['rows']} rows.\n"
            f"Try it: python -m services import \"{DEMO_CLIENT}\" \"{DEMO_INTEGRATION}\" {out}\n"
            f"{NEW_SKU} matches no Demo Company item (create one); {BUNDLE_SKU} is a gift set (map it as a bundle).")
    return Outcome(payload, text=text, status=EXIT_OK)
