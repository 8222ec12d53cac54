"""Golden-file tests: every re-created fixture report, parsed, against its reviewed golden JSON.

A golden file holds the summary (DESIGN §9), every issue in words, and every row in compact form
(source line, category, fee kind, amount, date, order, order item, SKU, quantity, refund flag),
so a change in classification, a lost row or a shifted line number shows as a diff.
Regenerate with ``UPDATE_GOLDEN=1 pytest tests/test_parse_golden.py`` and review the diff by eye.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from services.records import Category, SettlementRow, Severity
from services.settlements import parse_upload, summarize

FIXTURES = Path(__file__).resolve().parent / "fixtures"

CASES: dict[str, tuple[str, ...]] = {
    "amazon_v2_us": ("amazon_v2_us.txt",),
    "amazon_v2_eu_cp1252": ("amazon_v2_eu_cp1252.txt",),
    "amazon_v1_ca": ("amazon_v1_ca.txt",),
    "amazon_v1_no_promotions": ("amazon_v1_no_promotions.txt",),
    "amazon_unified_pt": ("amazon_unified_pt.csv",),
    "amazon_unified_us": ("amazon_unified_us.csv",),
    "walmart_recon": ("walmart_recon.csv",),
    "shopify": ("shopify_payouts.csv", "shopify_orders.csv"),
    "etsy": ("etsy_statement.csv", "etsy_items.csv"),
    "ebay_transactions": ("ebay_transactions.csv",),
}


def _observed(files: tuple[str, ...]) -> dict[str, Any]:
    results = parse_upload([(f, (FIXTURES / f).read_bytes()) for f in files])
    out: dict[str, Any] = {"settlements": [], "issues": []}
    for res in results:
        out["issues"].extend(f"{i.severity.value}: {i}" for i in res.issues)
        s = res.settlement
        if s is None:
            continue
        summary = summarize(s)
        summary["channel"] = s.channel.value
        summary["marketplace"] = s.marketplace
        summary["stated_total"] = None if s.stated_total is None else f"{s.stated_total:.2f}"
        summary["source_files"] = list(s.source_files)
        summary["row_detail"] = [_row_text(r) for r in s.rows]
        out["settlements"].append(summary)
    return out


def _row_text(r: SettlementRow) -> str:
    kind = f":{r.fee_kind.value}" if r.fee_kind else ""
    qty = "" if r.quantity is None else f" qty={r.quantity}"
    refund = " refund" if r.is_refund else ""
    return (f"line {r.source_row}: {r.category.value}{kind} {r.amount:.2f} on {r.date.isoformat()} "
            f"order={r.order_id!r} item={r.order_item!r} sku={r.sku!r}{qty}{refund} [{r.raw_type}]")


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden__fixture_parses_as_reviewed(case: str) -> None:
    observed = _observed(CASES[case])
    golden = FIXTURES / f"{case}.golden.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(observed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file for {case}; run with UPDATE_GOLDEN=1 and review it"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert observed == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden__fixtures_tie_out_and_keep_every_row(case: str) -> None:
    """Our own fixtures are whole reports: rows sum to the total to the cent, no errors, one
    settlement, and every line with money in the file is the source of at least one row."""
    files = CASES[case]
    [res] = parse_upload([(f, (FIXTURES / f).read_bytes()) for f in files])
    assert res.settlement is not None
    assert not [i for i in res.issues if i.severity is Severity.ERROR]
    s = res.settlement
    assert s.lines_total == s.total
    assert all(r.source_file == files[0] for r in s.rows)
    assert all(r.source_row >= 2 for r in s.rows)
    assert any(r.category is Category.PRODUCT_SALE for r in s.rows)
