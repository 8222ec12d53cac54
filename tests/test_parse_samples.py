"""Conformance: the real public sample reports (../shared/samples, skipped when absent).

Totals are checked against figures computed here independently with the csv module (or stated
in the samples' SOURCES.md), counts against what the files hold.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

from services.records import Category, Severity
from services.settlements import parse_upload, summarize


def _parse(samples: Path, *names: str) -> list:  # type: ignore[type-arg]
    return parse_upload([(n, (samples / n).read_bytes()) for n in names])


def _codes(res: object) -> set[str]:
    return {i.code for i in res.issues}  # type: ignore[attr-defined]


def test_sample__amazon_v1_ca_negative_settlement_sums_exactly(samples: Path) -> None:
    [res] = _parse(samples, "Amazon-Settlement-Transformer__50018020314.txt")
    assert res.issues == ()
    s = res.settlement
    assert (s.format, s.settlement_id, s.currency, s.marketplace) == ("amazon_v1", "23874397121", "CAD", "Amazon.ca")
    assert s.total == s.stated_total == s.lines_total == Decimal("-62.31")
    assert (s.start.isoformat(), s.end.isoformat(), s.deposit_date.isoformat()) == (
        "2025-07-31", "2025-08-14", "2025-08-16")
    summary = summarize(s)
    assert summary["rows"] == 15 and summary["orders"] == 1 and summary["refunds"] == 1
    assert summary["skus"]["SALTT15-ALLT"]["sold"] == 1
    assert summary["skus"]["SALTT30-MELN"]["refunded"] == 1
    assert summary["by_category"]["fee:subscription"] == "-32.09"
    assert summary["by_category"]["fee:advertising"] == "-1.16"
    assert summary["by_category"]["promotion"] == "-6.99"
    assert summary["by_category"]["transfer"] == "0.00"  # Payable to Amazon and Successful charge
    assert all(r.is_refund for r in s.rows if r.order_id == "702-1278184-4976266")
    assert {r.source_row for r in s.rows} == set(range(4, 18))  # line 3 holds the quantity only


def test_sample__amazon_us_v1_snippet_is_an_excerpt(samples: Path) -> None:
    [res] = _parse(samples, "mws-rs__amazon_us_v1_settlement_snippet.txt")
    s = res.settlement
    assert s.lines_total == Decimal("26.99") and s.stated_total == Decimal("16630.13")
    [mismatch] = [i for i in res.issues if i.code == "total_mismatch"]
    assert mismatch.severity is Severity.ERROR and "26.99" in mismatch.message and "16630.13" in mismatch.message
    assert summarize(s)["skus"] == {"edifier-p270-gold": {"sold": 1, "refunded": 0, "title": ""}}


def test_sample__amazon_de_v2_decimal_comma_and_blank_refund_quantity(samples: Path) -> None:
    [res] = _parse(samples, "utils_py_scripts__amazon_de_v2_settlement_snippet.txt")
    s = res.settlement
    assert (s.format, s.currency, s.marketplace) == ("amazon_v2", "EUR", "Amazon.de")
    assert s.total == s.lines_total == Decimal("53.44")
    assert [str(r.amount) for r in s.rows] == ["179.99", "-32.40", "-109.99", "19.80", "-3.96"]
    assert s.start.isoformat() == "2018-05-03" and s.deposit_date.isoformat() == "2018-05-06"
    refund = [r for r in s.rows if r.category is Category.PRODUCT_REFUND]
    assert len(refund) == 1 and refund[0].quantity is None and refund[0].is_refund
    assert summarize(s)["skus"]["3700546702082-180124-jpn-131N28-6"]["refunded"] == 1


def test_sample__amazon_unified_portuguese(samples: Path) -> None:
    name = "ERP-AMAZON__2026MarMonthlyUnifiedTransaction.csv"
    [res] = _parse(samples, name)
    assert res.issues == ()
    s = res.settlement
    with (samples / name).open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))[10:]
    expected = sum((Decimal(r[22].replace(".", "").replace(",", ".")) for r in records), Decimal("0.00"))
    assert s.total == s.lines_total == expected == Decimal("-1056.15")
    assert (s.currency, s.marketplace) == ("BRL", "amazon.com.br")
    assert s.settlement_id == "unified-amazon.com.br-20260228-20260331"
    sold = sum(int(r[6]) for r in records if r[2] == "Pedido")
    summary = summarize(s)
    assert sum(v["sold"] for v in summary["skus"].values()) == sold
    assert summary["by_category"]["transfer"] == "-13751.06"
    assert Category.UNCLASSIFIED not in {r.category for r in s.rows}


def test_sample__walmart_excerpt_reports_both_figures(samples: Path) -> None:
    name = "Walmart-Payments-API__walmart_recon_report_v1_EXCERPT.csv"
    [res] = _parse(samples, name)
    s = res.settlement
    with (samples / name).open(newline="") as fh:
        records = [r for r in csv.reader(fh)][2:]
    amounts = [Decimal(r[12]) for r in records if len(r) > 12 and r[6] != "PaymentSummary" and r[12]]
    assert s.lines_total == sum(amounts, Decimal("0.00")) == Decimal("1277.52")
    assert s.stated_total == Decimal("8805.63") and len(s.rows) == len(amounts) == 958
    assert _codes(res) == {"total_mismatch", "line_count"}
    [mismatch] = [i for i in res.issues if i.code == "total_mismatch"]
    assert "1277.52" in mismatch.message and "8805.63" in mismatch.message and mismatch.row == 3
    assert (s.start.isoformat(), s.end.isoformat()) == ("2026-07-11", "2026-07-25")
    assert Category.UNCLASSIFIED not in {r.category for r in s.rows}


def test_sample__shopify_payouts_alone(samples: Path) -> None:
    name = "shopifyAPIv6__payment_transactions_export_1.csv"
    [res] = _parse(samples, name)
    s = res.settlement
    with (samples / name).open(newline="") as fh:
        records = list(csv.DictReader(fh))
    assert s.total == s.lines_total == sum((Decimal(r["Net"]) for r in records), Decimal("0.00"))
    counts = Counter(r["Type"] for r in records)
    summary = summarize(s)
    assert summary["refunds"] == len({r["Order"] for r in records if r["Type"] == "refund"})
    assert counts["refund"] == 17
    assert _codes(res) == {"no_orders_export"}
    assert s.deposit_date.isoformat() == "2025-07-03"


def test_sample__shopify_orders_export_alone_is_refused(samples: Path) -> None:
    [res] = _parse(samples, "kidsliving-api__orders_export_REDACTED.csv")
    assert res.settlement is None
    [issue] = res.issues
    assert issue.code == "companion_alone" and "Upload both files together" in issue.message


def test_sample__shopify_orders_of_another_shop_are_not_joined(samples: Path) -> None:
    [res] = _parse(samples, "shopifyAPIv6__payment_transactions_export_1.csv",
                   "kidsliving-api__orders_export_REDACTED.csv")
    assert res.settlement is not None and "order_not_found" in _codes(res)
    assert res.settlement.source_files[1] == "kidsliving-api__orders_export_REDACTED.csv"


def test_sample__etsy_statement(samples: Path) -> None:
    name = "tjs-software-project__etsy_statement_2025_12.csv"
    [res] = _parse(samples, name)
    s = res.settlement
    with (samples / name).open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    nets = [Decimal(r["Net"].replace("$", "").replace(",", "")) for r in records if r["Net"] != "--"]
    assert s.total == s.lines_total == sum(nets, Decimal("0.00"))
    assert s.settlement_id == "etsy-2025-12" and s.currency == "USD"
    summary = summarize(s)
    assert summary["by_category"]["tax_collected"] == "372.23"
    assert summary["by_category"]["tax_withheld"] == "-372.23"
    assert summary["orders"] >= sum(1 for r in records if r["Type"] == "Sale")
    assert Category.UNCLASSIFIED not in {r.category for r in s.rows}
