"""Amazon settlement flat file V2: tab-separated, one amount per line.

Columns (24; files before the promotion-id column have 23)::

    settlement-id settlement-start-date settlement-end-date deposit-date total-amount currency
    transaction-type order-id merchant-order-id adjustment-id shipment-id marketplace-name
    amount-type amount-description amount fulfillment-id posted-date posted-date-time
    order-item-code merchant-order-item-id merchant-adjustment-item-id sku quantity-purchased
    promotion-id

The first data line is the summary (settlement id, period, deposit date, total, currency). US and
CA files write ``2026-03-14`` / ``2026-03-14 08:49:04 UTC`` and ``.`` decimals; EU files write
``03.05.2018 09:10:07 UTC`` and decimal commas (``1.234,56``), sometimes in Windows-1252.

Files reach a million lines, so this parser is vectorised: pyarrow reads the needed columns as
strings, each column is dictionary-encoded, and amounts, dates, quantities and classifications
are computed once per *distinct* value, then spread over the rows by index into the columns of
:class:`~services.records.SettlementRows` (no per-row object is made).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from services.bulk import gc_paused
from services.records import Category, Channel, Issue, ParseResult, Settlement, SettlementRows, error, warning
from services.settlements import amazon_types
from services.settlements.common import (
    FormatError,
    fail,
    has_header,
    parse_amount,
    parse_date,
)

FORMAT = "amazon_v2"
CHANNEL = Channel.AMAZON

COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id",
    "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
    "merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id",
)
REQUIRED = ("settlement-id", "total-amount", "transaction-type", "amount-type", "amount-description",
            "amount", "posted-date")
# columns read for every row; the summary's own fields are read from its line, posted-date-time
# only when a posted-date is blank (it is the costliest column: one distinct value per order)
USED = ("total-amount", "transaction-type", "order-id", "marketplace-name", "amount-type", "amount-description",
        "amount", "posted-date", "order-item-code", "sku", "quantity-purchased")
SUMMARY = ("settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
           "currency")
MAX_ROW_ISSUES = 20
_DICT = pa.dictionary(pa.int32(), pa.string())
_SIMPLE_DOT = re.compile(r"-?\d+\.\d\d\Z")
_SIMPLE_COMMA = re.compile(r"-?\d+,\d\d\Z")


def identify(head: bytes) -> bool:
    """A tab-separated header with Amazon's V2 names (amount-type / amount-description / amount)."""
    return has_header(head, "\t", REQUIRED, within=1)


def parse(name: str, data: bytes) -> ParseResult:
    """Parse one V2 settlement file; never raises for bad data."""
    try:
        with gc_paused():
            return _parse(name, data)
    except FormatError as exc:
        return fail(name, exc.message, exc.row)


class _Col:
    """One dictionary-encoded string column: ``idx`` (numpy ints) into ``values`` (distinct strings)."""

    __slots__ = ("idx", "values")

    def __init__(self, arr: pa.ChunkedArray | None, n: int) -> None:
        if arr is None:
            self.idx = np.zeros(n, dtype=np.int32)
            self.values: list[str] = [""]
            return
        if not pa.types.is_dictionary(arr.type):
            arr = pa.chunked_array([pc.dictionary_encode(arr.combine_chunks())])
        arr = arr.unify_dictionaries()
        if arr.num_chunks == 0:
            self.idx = np.zeros(0, dtype=np.int32)
            self.values = [""]
            return
        self.idx = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in arr.chunks])
        self.values = pc.utf8_trim_whitespace(arr.chunk(0).dictionary).to_pylist()

    def take(self, mapped: list[Any], rows: np.ndarray) -> tuple[Any, ...]:
        """``mapped[i]`` is the value for distinct string i; returns it per row in ``rows``."""
        return _spread(mapped, self.idx[rows])

    def text(self, rows: np.ndarray) -> tuple[str, ...]:
        return self.take(self.values, rows)

    def at(self, i: int) -> str:
        return self.values[self.idx[i]]


def _read_utf8(data: bytes, names: list[str], columns: tuple[str, ...] = USED) -> tuple[pa.Table, int]:
    bad = [0]

    def on_invalid(invalid: Any) -> str:  # counted here, located by _line_info
        bad[0] += 1
        return "skip"

    include = [c for c in columns if c in names]
    table = pcsv.read_csv(
        io.BytesIO(data),
        read_options=pcsv.ReadOptions(skip_rows=1, column_names=names, block_size=32 << 20),
        parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False, invalid_row_handler=on_invalid,
                                        ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(include, _DICT), include_columns=include,
                                            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return table, bad[0]


def _read(data: bytes, header: list[str]) -> tuple[pa.Table, int, bytes]:
    """The needed columns, dictionary-encoded; the number of malformed lines skipped; and the
    data as UTF-8 (Windows-1252 files, as older EU files are, are transcoded first)."""
    names = [h.strip().lower() for h in header]
    if not data.isascii():  # fast in C; most files are plain ASCII
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data = data.decode("cp1252").encode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start + 1} cannot "
                                  "be read); save it again as UTF-8 text") from None
    try:
        table, bad = _read_utf8(data, names)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise FormatError(f"the file cannot be read as a tab-separated report ({exc})") from None
    return table, bad, data


def _summary_fields(data: bytes, line: int, names: list[str]) -> dict[str, str]:
    """The summary line's cells by header name (the line is found by its 1-based number)."""
    pos = 0
    for _ in range(line - 1):
        pos = data.find(b"\n", pos) + 1
        if pos == 0:
            return {}
    end = data.find(b"\n", pos)
    cells = data[pos: end if end >= 0 else len(data)].decode("utf-8", errors="replace").rstrip("\r").split("\t")
    return {name: cell.strip() for name, cell in zip(names, cells, strict=False)}


def _line_info(data: bytes, ncols: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Slow path for files with blank or malformed lines, where the record index is not the line
    number: the 1-based line of every record the reader kept, and (line, columns) of every line
    it skipped for having the wrong number of columns."""
    keep: list[int] = []
    bad: list[tuple[int, int]] = []
    for i, line in enumerate(data.split(b"\n")):
        if i == 0 or not line.strip(b"\r"):
            continue
        columns = line.count(b"\t") + 1
        if columns == ncols:
            keep.append(i + 1)
        else:
            bad.append((i + 1, columns))
    return np.asarray(keep, dtype=np.int64), bad


def _parse(name: str, data: bytes) -> ParseResult:
    issues: list[Issue] = []
    first_nl = data.find(b"\n")
    header_bytes = data[: first_nl if first_nl >= 0 else len(data)]
    header = header_bytes.decode("utf-8-sig", errors="replace").rstrip("\r").split("\t")
    lower = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in lower]
    if missing:
        raise FormatError(f"the Amazon V2 header lacks {', '.join(missing)}", row=1)
    table, bad_count, data = _read(data, header)
    n = table.num_rows
    if n == 0:
        raise FormatError("the settlement has no summary line and no rows (is the file cut short?)", row=2)

    # blank lines are read as one-column records and skipped like malformed ones, so when none
    # was skipped every record is one line and its index gives the line number
    if not bad_count:
        lines = np.arange(2, n + 2, dtype=np.int64)
    else:
        lines, bad = _line_info(data, len(header))
        if len(lines) != n:
            raise FormatError("the lines of the file cannot be matched to its records (stray line breaks?)")
        for line, actual in bad[:MAX_ROW_ISSUES]:
            issues.append(error(f"this line has {actual} columns, the header has {len(header)} "
                                "(is the file cut short or edited?)", name, line, code="bad_row"))
        if len(bad) > MAX_ROW_ISSUES:
            issues.append(error(f"{len(bad) - MAX_ROW_ISSUES} more lines have the wrong number of columns", name))

    cols = {c: _Col(table.column(c) if c in table.column_names else None, n) for c in USED}
    total_col = cols["total-amount"]
    summary_rows = np.flatnonzero(np.asarray([v != "" for v in total_col.values])[total_col.idx])
    if len(summary_rows) == 0:
        raise FormatError("no summary line with the settlement total (total-amount is blank everywhere)", row=2)
    s = int(summary_rows[0])
    summary_line = int(lines[s])
    if len(summary_rows) > 1:
        issues.append(error("more than one summary line with a total-amount; is this several settlements "
                            "joined together?", name, int(lines[summary_rows[1]])))

    amount_col = cols["amount"]
    decimal_comma = _decimal_comma([*amount_col.values[:5000], total_col.at(s)])

    try:
        stated = parse_amount(total_col.at(s), decimal_comma=decimal_comma)
    except ValueError as exc:
        stated = None
        issues.append(error(f"total-amount: {exc}", name, summary_line, code="bad_amount"))
    head = _summary_fields(data, summary_line, lower)
    settlement_id = head.get("settlement-id", "")
    currency = head.get("currency", "")
    start = parse_date(head.get("settlement-start-date", ""))
    end = parse_date(head.get("settlement-end-date", ""))
    deposit = parse_date(head.get("deposit-date", ""))
    for label, value, text in (("settlement-start-date", start, head.get("settlement-start-date", "")),
                               ("settlement-end-date", end, head.get("settlement-end-date", ""))):
        if value is None:
            issues.append(error(f"{label} is not a date: {text!r}", name, summary_line, code="bad_date"))

    rows_idx = np.delete(np.arange(n), summary_rows)
    # lines that are only tabs (some exports end with one) carry nothing: not rows, not errors
    empty = [(amount_col, ""), (cols["transaction-type"], ""), (cols["amount-type"], "")]
    codes = [col.values.index(v) if v in col.values else -1 for col, v in empty]
    if all(c >= 0 for c in codes):
        hollow = np.ones(len(rows_idx), dtype=bool)
        for (col, _), code in zip(empty, codes, strict=True):
            hollow &= col.idx[rows_idx] == code
        rows_idx = rows_idx[~hollow]
    m = len(rows_idx)

    # amounts, once per distinct text
    amount_by_value: list[Decimal | None] = []
    bad_amounts: set[int] = set()
    simple = _SIMPLE_COMMA if decimal_comma else _SIMPLE_DOT
    for k, text in enumerate(amount_col.values):
        if simple.match(text):  # the usual "-12.34" / "-12,34": no symbols, no thousands
            amount_by_value.append(Decimal(text.replace(",", ".") if decimal_comma else text))
            continue
        try:
            amount_by_value.append(parse_amount(text, decimal_comma=decimal_comma))
        except ValueError:
            amount_by_value.append(None)
            bad_amounts.add(k)
    row_amount_idx = amount_col.idx[rows_idx]
    blank = {k for k, v in enumerate(amount_by_value) if v is None}
    if blank:
        where = np.flatnonzero(np.isin(row_amount_idx, np.fromiter(blank, dtype=np.int64)))
        for w in where[:MAX_ROW_ISSUES]:
            text = amount_col.values[row_amount_idx[w]]
            what = f"amount is not an amount: {text!r}" if row_amount_idx[w] in bad_amounts else "amount is blank"
            issues.append(error(what, name, int(lines[rows_idx[w]]), code="bad_amount"))
        if len(where) > MAX_ROW_ISSUES:
            issues.append(error(f"{len(where) - MAX_ROW_ISSUES} more lines have no usable amount", name))
        amount_by_value = [Decimal("0.00") if v is None else v for v in amount_by_value]

    # dates: posted-date, else the date part of posted-date-time
    posted = cols["posted-date"]
    date_by_value = [parse_date(v) for v in posted.values]
    dates = posted.take(date_by_value, rows_idx)
    used_dates = np.flatnonzero(np.bincount(posted.idx[rows_idx], minlength=len(posted.values))).tolist()
    if any(date_by_value[k] is None for k in used_dates):
        # a blank posted-date falls back to posted-date-time; a posted-date that is not a date is an error
        extra, _ = _read_utf8(data, lower, ("posted-date-time",))
        posted_dt = _Col(extra.column("posted-date-time") if extra.num_columns else None, n)
        fallback = posted_dt.take([parse_date(v) for v in posted_dt.values], rows_idx)
        bad_dates = 0
        filled = list(dates)
        for i, d in enumerate(dates):
            if d is not None:
                continue
            text = posted.values[posted.idx[rows_idx[i]]]
            filled[i] = (fallback[i] if not text else None) or deposit or end or start
            if text or fallback[i] is None:
                bad_dates += 1
                if bad_dates <= MAX_ROW_ISSUES:
                    issues.append(error(f"posted-date is not a date: {text!r}", name, int(lines[rows_idx[i]]),
                                        code="bad_date"))
        if bad_dates > MAX_ROW_ISSUES:
            issues.append(error(f"{bad_dates - MAX_ROW_ISSUES} more lines have no usable posted-date", name))
        if any(d is None for d in filled):
            raise FormatError("no usable dates in the file", row=int(lines[rows_idx[0]]))
        dates = tuple(filled)

    # classification, once per distinct (transaction-type, amount-type, amount-description)
    tt, at, ad = cols["transaction-type"], cols["amount-type"], cols["amount-description"]
    key = ((tt.idx[rows_idx].astype(np.int64) * len(at.values) + at.idx[rows_idx]) * len(ad.values)
           + ad.idx[rows_idx])
    uniq, inverse = _unique(key)
    cats: list[Any] = []
    kinds: list[Any] = []
    refunds: list[Any] = []
    raws: list[Any] = []
    for u in uniq.tolist():
        ti, rest = divmod(u, len(at.values) * len(ad.values))
        ai, di = divmod(rest, len(ad.values))
        t, a, d = tt.values[ti], at.values[ai], ad.values[di]
        cat, kind, is_refund = amazon_types.classify(t, a, d)
        cats.append(cat)
        kinds.append(kind)
        refunds.append(is_refund)
        raws.append(f"{t} / {a} / {d}")
        if cat is Category.UNCLASSIFIED:
            hits = np.flatnonzero(inverse == len(cats) - 1)
            more = f" (and {len(hits) - 1} more lines)" if len(hits) > 1 else ""
            issues.append(warning(f"amount type {raws[-1]!r} is not known; kept as unclassified{more}",
                                  name, int(lines[rows_idx[hits[0]]]), code="unclassified"))

    def spread(values: list[Any]) -> tuple[Any, ...]:
        return _spread(values, inverse)

    quantity_by_value: list[int | None] = []
    for text in cols["quantity-purchased"].values:
        try:
            quantity_by_value.append(int(text) if text else None)
        except ValueError:
            quantity_by_value.append(None)
            issues.append(error(f"quantity-purchased is not a whole number: {text!r}", name, code="bad_quantity"))

    rows = SettlementRows.of(m, {
        "source_row": _source_rows(lines, rows_idx),
        "category": spread(cats),
        "amount": amount_col.take(amount_by_value, rows_idx),
        "date": dates,
        "order_id": cols["order-id"].text(rows_idx),
        "order_item": cols["order-item-code"].text(rows_idx),
        "sku": cols["sku"].text(rows_idx),
        "quantity": _quantities(cols["quantity-purchased"], quantity_by_value, rows_idx, cats, inverse),
        "fee_kind": spread(kinds),
        "is_refund": spread(refunds),
        "raw_type": spread(raws),
    }, source_file=name)

    # exact sum over distinct amounts weighted by their counts
    counts = np.bincount(row_amount_idx, minlength=len(amount_by_value)).tolist()
    lines_total = Decimal("0.00")
    for amt, count in zip(amount_by_value, counts, strict=True):
        if count and amt is not None:
            lines_total += amt * count
    if stated is not None and lines_total != stated:
        issues.append(error(f"the rows sum to {lines_total:.2f} but the report states total-amount {stated:.2f} "
                            f"(difference {lines_total - stated:.2f})", name, summary_line, code="total_mismatch"))

    if not settlement_id:
        issues.append(error("the summary line has no settlement-id", name, summary_line))
    market = cols["marketplace-name"]
    market_counts = np.bincount(market.idx[rows_idx], minlength=len(market.values))
    named = [(int(c), v) for v, c in zip(market.values, market_counts, strict=True) if v]
    marketplace = max(named)[1] if named else ""
    row_dates = [d for d in date_by_value if d is not None]
    start = start or (min(row_dates) if row_dates else None)
    end = end or (max(row_dates) if row_dates else None)
    if start is None or end is None:
        raise FormatError("the settlement has no dates", row=summary_line)
    settlement = Settlement(
        settlement_id=settlement_id,
        channel=CHANNEL,
        format=FORMAT,
        marketplace=marketplace,
        currency=currency or "USD",
        start=start,
        end=end,
        deposit_date=deposit or end,
        total=stated if stated is not None else lines_total,
        rows=rows,
        stated_total=stated,
        source_files=(name,),
    )
    return ParseResult(settlement, tuple(issues))


_UNIT_CATEGORIES = (Category.PRODUCT_SALE, Category.PRODUCT_REFUND, Category.REIMBURSEMENT)


def _quantities(col: _Col, by_value: list[int | None], rows_idx: np.ndarray, cats: list[Any],
                inverse: np.ndarray) -> tuple[Any, ...]:
    """quantity-purchased, kept on the rows that move units (V2 repeats it on every fee line)."""
    per_row = _objects(by_value)[col.idx[rows_idx]]
    keeps = np.asarray([c in _UNIT_CATEGORIES for c in cats], dtype=bool)[inverse]
    per_row[~keeps] = None
    return tuple(per_row.tolist())


def _source_rows(lines: np.ndarray, rows_idx: np.ndarray) -> tuple[int, ...]:
    """The source line of each row, as Python ints."""
    return tuple(lines[rows_idx].tolist())


def _objects(values: list[Any]) -> np.ndarray:
    """``values`` as a numpy object array (to index by a million positions at once)."""
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


def _spread(values: list[Any], index: np.ndarray) -> tuple[Any, ...]:
    """``values[i]`` for every ``i`` in ``index``, as a tuple (a settlement column)."""
    return tuple(_objects(values)[index].tolist())


def _unique(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for small non-negative keys, in linear time (a
    count per possible key instead of a sort of a million)."""
    if not len(key):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp)
    if int(key.max()) > 4 * len(key) + 1_000_000:  # a sparse key space: sorting is cheaper
        return np.unique(key, return_inverse=True)  # type: ignore[no-any-return]
    present = np.bincount(key) > 0
    uniq = np.flatnonzero(present)
    code = np.cumsum(present) - 1
    return uniq, code[key]


def _decimal_comma(values: list[str]) -> bool:
    comma = dot = 0
    for v in values:
        if len(v) > 2:
            if v[-3] == "," or v[-2] == ",":
                comma += 1
            elif v[-3] == "." or v[-2] == ".":
                dot += 1
    return comma > dot
