"""The public parsing API and the ``parse`` command: detection, bad input, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main
from services.records import Severity
from services.settlements import parse_file, parse_upload, summarize

V2_US = (
    "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
    "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
    "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
    "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
    "promotion-id\n"
    "111\t2026-03-01 08:00:00 UTC\t2026-03-15 08:00:00 UTC\t2026-03-17 08:00:00 UTC\t17.50\tUSD"
    + "\t" * 18 + "\n"
    "111\t\t\t\t\t\tOrder\t112-1\t\t\tS1\tAmazon.com\tItemPrice\tPrincipal\t20.00\tAFN\t2026-03-14\t"
    "2026-03-14 08:49:04 UTC\t9001\t\t\tSKU-A\t2\t\n"
    "111\t\t\t\t\t\tOrder\t112-1\t\t\tS1\tAmazon.com\tItemFees\tCommission\t-2.50\tAFN\t2026-03-14\t"
    "2026-03-14 08:49:04 UTC\t9001\t\t\tSKU-A\t2\t\n"
)


def test_parse_file__amazon_v2_minimal() -> None:
    res = parse_file("s.txt", V2_US.encode())
    assert res.issues == ()
    assert res.settlement is not None
    s = summarize(res.settlement)
    assert (s["format"], s["total"], s["lines_total"], s["rows"]) == ("amazon_v2", "17.50", "17.50", 2)
    assert s["skus"] == {"SKU-A": {"sold": 2, "refunded": 0, "title": ""}}
    assert s["by_category"] == {"fee:commission": "-2.50", "product_sale": "20.00"}
    assert [r.source_row for r in res.settlement.rows] == [3, 4]


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel workbook"),
    (bytes(range(256)) * 40, "binary"),
    (b"name,price\nwidget,1.00\n", "not an Amazon settlement"),
])
def test_parse_upload__unusable_file(data: bytes, words: str) -> None:
    [res] = parse_upload([("upload.bin", data)])
    assert res.settlement is None
    [issue] = res.issues
    assert issue.severity is Severity.ERROR and issue.file == "upload.bin"
    assert words in issue.message


def test_cli_parse__json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.txt"
    good.write_text(V2_US)
    assert main(["parse", "--json", str(good)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["settlement_id"] == "111" and out["total"] == "17.50" and out["status"] == "ok"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["parse", "--json", str(empty)]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "error" and "empty.csv" in out["error"] and "empty" in out["error"]
