"""What every parser shares: decoding, amounts, dates, tables, and assembling the settlement.

Amounts are read as text and turned into exact :class:`~decimal.Decimal` money; a report's
decimal separator is decided once per file (``1.234,56`` in EU reports, ``1,234.56`` elsewhere).
Dates come in many forms across channels and locales; :func:`parse_date` knows them all and is
cached, because a report repeats the same few dates thousands of times.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from typing import Any, Protocol, TypeVar

from services.records import Category, Issue, ParseResult, SettlementRow, SettlementRows, error, warning

T = TypeVar("T")

MAX_BYTES = 512 * 1024 * 1024  # beyond this a "report" is not one; refuse before reading it


class ParserModule(Protocol):
    """What :mod:`services.settlements.detect` expects of a parser module."""

    FORMAT: str

    def identify(self, head: bytes) -> bool: ...

    def parse(self, name: str, data: bytes) -> ParseResult: ...


class FormatError(Exception):
    """Raised inside a parser for a problem that stops the file; turned into an error Issue."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


# --- text ------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Bytes as text: UTF-8 (with or without BOM) when valid, else Windows-1252 (older Amazon EU
    files), else FormatError. Returns (text, encoding)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start})") from None
    return text, "cp1252"


def head_text(head: bytes) -> str:
    """The first bytes of a file as text for :func:`identify` (tolerates a cut multi-byte char)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    text = head.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def header_cells(line: str, delimiter: str) -> list[str]:
    """Cells of one header line, unquoted and stripped."""
    row = next(csv.reader([line], delimiter=delimiter), [])
    return [c.strip().strip("\ufeff").strip() for c in row]


def first_lines(head: bytes, n: int = 40) -> list[str]:
    return head_text(head).splitlines()[:n]


def has_header(head: bytes, delimiter: str, required: Iterable[str], *, within: int = 40,
               lower: bool = True) -> bool:
    """True when one of the first ``within`` lines is a header holding every ``required`` name."""
    need = {r.lower() if lower else r for r in required}
    for line in first_lines(head, within):
        if delimiter not in line:
            continue
        cells = header_cells(line, delimiter)
        got = {c.lower() if lower else c for c in cells}
        if need <= got:
            return True
    return False


def iter_rows(text: str, delimiter: str = ",", *, quoted: bool = True) -> Iterator[tuple[int, list[str]]]:
    """Every record of a delimited text with the 1-based line where it starts (quoted values
    may span lines unless ``quoted`` is false, as in Amazon's tab-separated files). Blank
    lines are dropped. A generator, so that a large file is not held twice."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
    line = 1
    try:
        for record in reader:
            if record and any(c.strip() for c in record):
                yield line, record
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(f"the file is not valid CSV ({exc})", row=line) from None


def read_rows(text: str, delimiter: str = ",", *, quoted: bool = True) -> list[tuple[int, list[str]]]:
    """:func:`iter_rows` as a list."""
    return list(iter_rows(text, delimiter, quoted=quoted))


@lru_cache(maxsize=4096)
def norm_header(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip("\ufeff").strip('"').strip()).lower()


class Table:
    """Rows of a delimited report keyed by (normalised) header name, with source lines."""

    def __init__(self, header: list[str], rows: Any, header_line: int) -> None:
        self.header = header
        self.index = {norm_header(h): i for i, h in reversed(list(enumerate(header)))}
        self.rows = rows
        self.header_line = header_line

    def has(self, name: str) -> bool:
        return norm_header(name) in self.index

    def getter(self, name: str) -> Any:
        """A function row -> the stripped cell of column ``name`` ('' when absent or short)."""
        i = self.index.get(norm_header(name))
        if i is None:
            return lambda record: ""

        def get(record: list[str]) -> str:
            return record[i].strip() if i < len(record) else ""

        return get


def find_table(text: str, delimiter: str, required: Sequence[str], *, within: int = 60,
               quoted: bool = True, stream: bool = False) -> Table:
    """Locate the header line (after any preamble) holding all ``required`` names; return the table.

    ``table.rows`` is a list, or with ``stream`` an iterator read once (for large files)."""
    records = iter_rows(text, delimiter, quoted=quoted)
    need = {norm_header(r) for r in required}
    for line, record in islice(records, within):
        names = {norm_header(c) for c in record}
        if need <= names:
            rest = records if stream else list(records)
            return Table([c.strip().strip("\ufeff") for c in record], rest, line)
    missing = ", ".join(required)
    raise FormatError(f"no header line with the columns {missing}")


# --- amounts ---------------------------------------------------------------------------------

# currency symbols or codes before or after the number ("$", "R$ ", "EUR", "€"); inside it only
# digits, separators and spaces may appear
_CURRENCY_EDGES = re.compile(r"^[^\d\-+(.,]+|[^\d).,\-]+$")
_CURRENCY_JUNK = re.compile(r"(?<=[-+(])[^\d.,]+")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d*)?$|^[+-]?\.\d+$")


def parse_amount(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """Exact money from a report's text: ``None`` when blank (or ``--``), else a Decimal.

    Handles currency symbols (``-$6.05``, ``R$ 1.234,56``), parentheses for negatives, a
    trailing minus, thousands separators. Raises ValueError for what is not an amount or has
    a fraction of a cent.
    """
    s = text.strip()
    if not s or s in {"--", "-", "—"}:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    s = _CURRENCY_JUNK.sub("", _CURRENCY_EDGES.sub("", s).replace("\u00a0", "").replace(" ", "").replace("'", ""))
    if not s:
        raise ValueError(f"not an amount: {text.strip()!r}")
    if s.endswith("-"):
        negative, s = not negative, s[:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    s = s.replace(".", "").replace(",", ".") if decimal_comma else s.replace(",", "")
    if not _PLAIN.match(s):
        raise ValueError(f"not an amount: {text.strip()!r}")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text.strip()!r}") from None
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"amount has a fraction of a cent: {text.strip()!r}")
    value = value.quantize(Decimal("0.01"))
    return -value if negative else value


def guess_decimal_comma(values: Iterable[str]) -> bool:
    """True when amounts are written with a decimal comma (``-32,40``, ``1.234,56``)."""
    comma = dot = 0
    for v in values:
        v = v.strip()
        if re.search(r",\d{1,2}$", v):
            comma += 1
        elif re.search(r"\.\d{1,2}$", v):
            dot += 1
    return comma > dot


# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    # English
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Portuguese / Spanish / Italian / French / German short forms that differ
    "fev": 2, "abr": 4, "mai": 5, "ago": 8, "set": 9, "out": 10, "dez": 12, "ene": 1, "dic": 12,
    "gen": 1, "mag": 5, "giu": 6, "lug": 7, "ott": 10, "janv": 1, "févr": 2, "fevr": 2, "mars": 3,
    "avr": 4, "juin": 6, "juil": 7, "août": 8, "aout": 8, "déc": 12, "mär": 3, "mrz": 3, "okt": 10,
}

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*(?:UTC|GMT|[A-Z]{3,4}))?$")
_SLASH_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*(?:UTC|GMT|[A-Z]{3,4}|[+-]\d{2}:?\d{2}))?$")
_SLASH_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?(?:\s*(?:UTC|GMT|[A-Z]{3,4}|[+-]\d{2}:?\d{2}))?$", re.I)
_WORDY = re.compile(r"^(?:(\d{1,2})\s+(?:de\s+)?([^\W\d_]+)\.?\s+(?:de\s+)?(\d{4})|([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4}))(?:[\sT,]+.*)?$")


@lru_cache(maxsize=65536)
def parse_date(text: str, *, day_first: bool = False) -> dt.date | None:
    """A report's date or timestamp as the calendar date written in it, or ``None`` if not a date.

    Knows ``2026-03-14``, ``2026-03-14 08:49:04 UTC``, ``2025-08-14T06:23:59+00:00``,
    ``03.05.2018 09:10:07 UTC`` (day first), ``07/25/2026`` (month first unless ``day_first``),
    ``December 31, 2025``, ``Mar 1, 2026 12:03:04 AM PST`` and ``28 de fev. de 2026 21:17:51 GMT-8``.
    The date is taken as written, in the report's own time zone: that is the day the channel
    booked the money.
    """
    s = text.strip().strip('"').strip()
    if not s:
        return None
    try:
        m = _ISO.match(s)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = _DOTTED.match(s)
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        m = _SLASH_YMD.match(s)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = _SLASH_MDY.match(s)
        if m:
            a, b = int(m[1]), int(m[2])
            if day_first or a > 12:
                a, b = b, a
            return dt.date(int(m[3]), a, b)
        m = _WORDY.match(s)
        if m:
            if m[1]:
                day, word, year = int(m[1]), m[2], int(m[3])
            else:
                word, day, year = m[4], int(m[5]), int(m[6])
            month = _MONTHS.get(word.lower()[:4]) or _MONTHS.get(word.lower()[:3])
            if month:
                return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def read_companions(name: str, companions: Sequence[tuple[str, bytes]],
                    reader: Callable[[str, bytes], tuple[dict[str, T], list[Issue]]],
                    *, missing: str, code: str) -> tuple[dict[str, T], list[Issue]]:
    """The orders of the companion exports uploaded with report ``name`` (read by ``reader``), and
    their issues; a warning (``missing``, ``code``) when none came, since sales then carry no SKUs."""
    orders: dict[str, T] = {}
    issues: list[Issue] = []
    for cname, cdata in companions:
        got, problems = reader(cname, cdata)
        orders.update(got)
        issues.extend(problems)
    if not companions:
        issues.append(warning(missing, name, code=code))
    return orders, issues


def fail(name: str, message: str, row: int | None = None) -> ParseResult:
    """A result with nothing usable and one error naming the file (and row)."""
    return ParseResult(None, (error(message, name, row, code="bad_file"),))


def cap_issues(issues: list[Issue], limit: int = 20) -> list[Issue]:
    """At most ``limit`` issues of each kind (code), then one saying how many more there are: a
    file wrong on every line needs one fix, not a million messages."""
    seen: dict[tuple[str, str], int] = {}
    out: list[Issue] = []
    for issue in issues:
        key = (issue.code, issue.severity.value)
        seen[key] = seen.get(key, 0) + 1
        if not issue.code or seen[key] <= limit:
            out.append(issue)
    for (code, severity), count in seen.items():
        if code and count > limit:
            first = next(i for i in issues if i.code == code and i.severity.value == severity)
            more = Issue(first.severity, f"{count - limit} more lines have the same problem ({code})",
                         first.file, None, code)
            out.append(more)
    return out


def unknown_type_warnings(rows: Sequence[SettlementRow], name: str) -> list[Issue]:
    """One warning per unknown amount type, naming its first row and how many rows have it."""
    from services.records import warning

    first: dict[str, tuple[int, int]] = {}
    for r in rows:
        if r.category is Category.UNCLASSIFIED:
            line, count = first.get(r.raw_type, (r.source_row, 0))
            first[r.raw_type] = (line, count + 1)
    out = []
    for raw, (line, count) in first.items():
        more = f" (and {count - 1} more rows)" if count > 1 else ""
        out.append(warning(f"amount type {raw!r} is not known; kept as unclassified{more}", name, line,
                           code="unclassified"))
    return out


def finish(name: str, *, fmt: str, channel: Any, rows: Sequence[SettlementRow], issues: list[Issue],
           settlement_id: str, currency: str, marketplace: str = "", start: dt.date | None = None,
           end: dt.date | None = None, deposit: dt.date | None = None, stated: Decimal | None = None,
           stated_label: str = "total", stated_row: int | None = None,
           source_files: tuple[str, ...] | None = None) -> ParseResult:
    """Assemble the Settlement: period from the rows when the report states none, the stated
    total checked against the rows to the cent (a mismatch is an error showing both figures),
    and a warning per unknown amount type."""
    from services.records import Settlement

    if not rows and stated is None:
        return ParseResult(None, (*issues, error("the report has no amounts", name, code="no_rows")))
    table = SettlementRows.from_rows(rows)
    lines_total = table.total
    if stated is not None and lines_total != stated:
        issues.append(error(f"the rows sum to {lines_total:.2f} but the report states {stated_label} {stated:.2f} "
                            f"(difference {lines_total - stated:.2f})", name, stated_row, code="total_mismatch"))
    dates = table.date
    start = start or (min(dates) if dates else None)
    end = end or (max(dates) if dates else None)
    if start is None or end is None:
        return ParseResult(None, (*issues, error("the report has no dates", name, code="no_dates")))
    issues.extend(unknown_type_warnings(rows, name))
    issues[:] = cap_issues(issues)
    settlement = Settlement(
        settlement_id=settlement_id, channel=channel, format=fmt, marketplace=marketplace,
        currency=currency or "USD", start=start, end=end, deposit_date=deposit or end,
        total=stated if stated is not None else lines_total, rows=table, stated_total=stated,
        source_files=source_files or (name,))
    return ParseResult(settlement, tuple(issues))
