"""Bad input: every unusable or damaged file gets a clear error naming the file (and row), never an
exception, and a damaged report never passes as a good one."""

from __future__ import annotations

import io
import random
from pathlib import Path

import openpyxl
import pytest

from services.records import ParseResult, Severity
from services.settlements import parse_file, parse_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V2 = (FIXTURES / "amazon_v2_us.txt").read_bytes()


def _errors(res: ParseResult) -> list[str]:
    return [str(i) for i in res.issues if i.severity is Severity.ERROR]


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["settlement-id", "amount-type", "amount"])
    ws.append(["1", "ItemPrice", 12.5])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _garbage() -> bytes:
    return random.Random(3).randbytes(50_000)


@pytest.mark.parametrize(("data", "words"), [
    (b"", "the file is empty"),
    (b"\r\n \t\r\n", "the file is empty"),
    (_xlsx(), "Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel (.xls)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    (b'<?xml version="1.0"?><AmazonEnvelope></AmazonEnvelope>', "XML"),
    (b"Date,Description,Debit,Credit\n2026-03-01,Coffee,3.50,\n", "not an Amazon settlement flat file"),
    (_garbage(), "binary data"),
    (b"\x00\x01\x02garbage\x00" * 100, "binary data"),
])
def test_unusable_file__clear_error_naming_it(data: bytes, words: str) -> None:
    [res] = parse_upload([("upload.dat", data)])
    assert res.settlement is None
    [issue] = res.issues
    assert issue.severity is Severity.ERROR and issue.file == "upload.dat"
    assert words in issue.message


def test_too_large__refused_before_reading() -> None:
    [res] = parse_upload([("big.txt", V2)], max_bytes=1_000)
    assert res.settlement is None
    assert res.issues[0].code == "too_large"
    assert "the file is 5.9 kB, more than the 1.0 kB" in res.issues[0].message
    assert res.issues[0].file == "big.txt"


def test_truncated_v2__row_and_total_errors() -> None:
    cut = V2[: int(len(V2) * 0.6)]
    assert not cut.endswith(b"\n")
    res = parse_file("cut.txt", cut)
    codes = {i.code for i in res.issues if i.severity is Severity.ERROR}
    assert codes == {"bad_row", "total_mismatch"}
    [bad_row] = [i for i in res.issues if i.code == "bad_row"]
    assert bad_row.file == "cut.txt" and bad_row.row == cut.count(b"\n") + 1
    assert "cut short" in bad_row.message


def test_truncated_v2__rows_after_a_short_line_keep_their_line_numbers() -> None:
    lines = V2.split(b"\n")
    lines[5] = lines[5][:20]  # a damaged line in the middle
    res = parse_file("damaged.txt", b"\n".join(lines))
    assert res.settlement is not None
    assert [i.row for i in res.issues if i.code == "bad_row"] == [6]
    assert {r.source_row for r in res.settlement.rows} == set(range(3, 34)) - {6}
    assert "total_mismatch" in {i.code for i in res.issues}


def test_truncated_v2__header_only() -> None:
    res = parse_file("head.txt", V2.split(b"\n")[0] + b"\n")
    assert res.settlement is None
    assert "no summary line" in _errors(res)[0] and "head.txt" in _errors(res)[0]


def test_v2__blank_lines_keep_line_numbers() -> None:
    lines = V2.split(b"\n")
    data = b"\n".join([*lines[:4], b"", *lines[4:]])
    res = parse_file("blank.txt", data)
    assert res.settlement is not None and not _errors(res)
    assert [r.source_row for r in res.settlement.rows[:3]] == [3, 4, 6]


def test_v2__total_mismatch_shows_both_figures() -> None:
    data = V2.replace(b"\t731.70\tUSD", b"\t731.07\tUSD", 1)
    res = parse_file("off.txt", data)
    [err] = _errors(res)
    assert "731.70" in err and "731.07" in err and "off.txt, row 2" in err


def test_v2__bad_amount_and_bad_date_name_their_rows() -> None:
    lines = V2.split(b"\n")
    lines[3] = lines[3].replace(b"\t4.99\t", b"\t4.9x9\t")
    lines[6] = lines[6].replace(b"\t2026-03-03\t", b"\t2026-13-45\t")
    res = parse_file("bad.txt", b"\n".join(lines))
    errors = _errors(res)
    assert any("row 4" in e and "4.9x9" in e for e in errors)
    assert any("row 7" in e and "posted-date" in e for e in errors)


def test_wrong_encoding__neither_utf8_nor_cp1252() -> None:
    data = V2.replace(b"MUG-BLU-12", b"MUG-\x81\x8d-12")
    res = parse_file("enc.txt", data)
    assert res.settlement is None
    assert "UTF-8" in _errors(res)[0] and "Windows-1252" in _errors(res)[0]


def test_wrong_encoding__csv_report() -> None:
    data = (FIXTURES / "walmart_recon.csv").read_bytes().replace(b"BANDAGE", b"BAND\x81\x8dGE")
    res = parse_file("w.csv", data)
    assert res.settlement is None
    assert "neither UTF-8 nor Windows-1252" in _errors(res)[0]


def test_utf16_export__read_like_utf8() -> None:
    text = V2.decode("utf-8")
    res16 = parse_file("u16.txt", text.encode("utf-16"))
    res8 = parse_file("u16.txt", V2)
    assert res16.settlement == res8.settlement


def test_truncated_walmart__errors_not_exceptions() -> None:
    data = (FIXTURES / "walmart_recon.csv").read_bytes()
    res = parse_file("w.csv", data[: len(data) // 2])
    assert "total_mismatch" in {i.code for i in res.issues}
    assert "line_count" in {i.code for i in res.issues}


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".txt", ".csv")))
def test_every_fixture_cut_anywhere__never_raises(fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 40)):
        for res in parse_upload([(fixture, data[:cut])]):
            assert res.settlement is not None or any(i.severity is Severity.ERROR for i in res.issues)
            for issue in res.issues:
                assert issue.file == fixture


def test_v2__line_of_tabs_only_is_ignored() -> None:
    res = parse_file("tabs.txt", V2 + b"\t" * 23 + b"\n")
    assert res.settlement is not None and not _errors(res)
    assert len(res.settlement.rows) == 31


def test_v2__blank_posted_date_falls_back_to_posted_date_time() -> None:
    lines = V2.split(b"\n")
    lines[3] = lines[3].replace(b"\t2026-03-03\t2026-03-03 14:22:05 UTC\t", b"\t\t2026-03-04 14:22:05 UTC\t")
    res = parse_file("dt.txt", b"\n".join(lines))
    assert res.settlement is not None and not _errors(res)
    assert [r.date.day for r in res.settlement.rows[:3]] == [3, 4, 3]


def test_v1_wrong_on_every_line__capped_messages() -> None:
    text = (FIXTURES / "amazon_v1_ca.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    body = [line.replace("2026-02-", "2026-13-") for line in lines[2:]] * 10
    res = parse_file("v1.txt", "\n".join([*lines[:2], *body]).encode())
    bad_dates = [i for i in res.issues if i.code == "bad_date"]
    assert len(bad_dates) == 21 and bad_dates[-1].message == "130 more lines have the same problem (bad_date)"
    assert bad_dates[0].row == 3
