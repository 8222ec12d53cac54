"""QuickBooks Online's query language, the subset python-quickbooks and Settlebridge send.

``SELECT * | COUNT(*) | field, ... FROM Entity [WHERE cond [AND cond]...]
[ORDERBY | ORDER BY field [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]``, where a condition
is ``field op value`` with op one of ``= < > <= >= !=``, ``field IN (v, ...)`` or
``field LIKE 'pattern%'``. Keywords and entity names are case-insensitive; string comparison is
case-insensitive as in QBO. A field may be dotted (``MetaData.CreateTime``); a reference field
(``CustomerRef``) compares its ``value``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

DEFAULT_MAX_RESULTS = 100
MAX_MAX_RESULTS = 1000


class QueryError(ValueError):
    """The query text cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str  # = < > <= >= != IN LIKE
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Query:
    entity: str
    count: bool = False
    fields: tuple[str, ...] = ()  # empty: all fields
    where: tuple[Condition, ...] = ()
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS
    extra: dict[str, Any] = field(default_factory=dict)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:\\.|''|[^'\\])*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.:]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"QueryParserError: Encountered \"{text[pos:pos + 20].strip()}\" at column {pos + 1}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, raw: str) -> Any:
    if kind == "str":
        body = raw[1:-1]
        return re.sub(r"\\(.)", r"\1", body.replace("''", "'"))
    if kind == "num":
        try:
            return Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise QueryError(f"bad number {raw}") from None
    if kind == "word" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if kind == "word":
        return raw
    raise QueryError(f"QueryParserError: Encountered \"{raw}\"")


def parse(text: str) -> Query:
    """Parse one query statement.

    Raises:
        QueryError: with a QBO-like ``QueryParserError`` message.
    """
    toks = _tokens(text)
    i = 0

    def peek(offset: int = 0) -> tuple[str, str]:
        return toks[i + offset] if i + offset < len(toks) else ("eof", "")

    def kw(word: str) -> bool:
        k, v = peek()
        return k == "word" and v.upper() == word

    def expect_kw(word: str) -> None:
        nonlocal i
        if not kw(word):
            raise QueryError(f"QueryParserError: Encountered \"{peek()[1]}\", expected {word}")
        i += 1

    expect_kw("SELECT")
    count = False
    fields: list[str] = []
    star = False
    while True:
        k, v = peek()
        if k == "punct" and v == "*":
            star = True
            i += 1
        elif k == "word" and v.upper() == "COUNT" and peek(1) == ("punct", "("):
            if peek(2) != ("punct", "*") or peek(3) != ("punct", ")"):
                raise QueryError("QueryParserError: COUNT takes (*)")
            count = True
            i += 4
        elif k == "word" and v.upper() != "FROM":
            fields.append(v)
            i += 1
        else:
            raise QueryError(f"QueryParserError: Encountered \"{v}\" in the select list")
        if peek() == ("punct", ","):
            i += 1
            continue
        break
    expect_kw("FROM")
    k, entity = peek()
    if k != "word":
        raise QueryError("QueryParserError: an entity name is expected after FROM")
    i += 1
    where: list[Condition] = []
    if kw("WHERE"):
        i += 1
        while True:
            k, fld = peek()
            if k != "word":
                raise QueryError(f"QueryParserError: Encountered \"{fld}\", expected a field name")
            i += 1
            k, op = peek()
            if k == "op":
                i += 1
                vk, vv = peek()
                if vk not in ("str", "num", "word"):
                    raise QueryError(f"QueryParserError: Encountered \"{vv}\", expected a value")
                i += 1
                where.append(Condition(fld, "!=" if op == "<>" else op, (_literal(vk, vv),)))
            elif k == "word" and op.upper() == "IN":
                i += 1
                if peek() != ("punct", "("):
                    raise QueryError("QueryParserError: IN expects (")
                i += 1
                vals: list[Any] = []
                while True:
                    vk, vv = peek()
                    if vk not in ("str", "num", "word"):
                        raise QueryError(f"QueryParserError: Encountered \"{vv}\" in IN list")
                    vals.append(_literal(vk, vv))
                    i += 1
                    if peek() == ("punct", ","):
                        i += 1
                        continue
                    if peek() == ("punct", ")"):
                        i += 1
                        break
                    raise QueryError("QueryParserError: IN list not closed")
                where.append(Condition(fld, "IN", tuple(vals)))
            elif k == "word" and op.upper() == "LIKE":
                i += 1
                vk, vv = peek()
                if vk != "str":
                    raise QueryError("QueryParserError: LIKE expects a quoted pattern")
                i += 1
                where.append(Condition(fld, "LIKE", (_literal(vk, vv),)))
            else:
                raise QueryError(f"QueryParserError: Encountered \"{op}\", expected an operator")
            if kw("AND"):
                i += 1
                continue
            break
    order: list[tuple[str, bool]] = []
    if kw("ORDERBY") or (kw("ORDER") and peek(1)[0] == "word" and peek(1)[1].upper() == "BY"):
        i += 1 if kw("ORDERBY") else 2
        while True:
            k, fld = peek()
            if k != "word":
                raise QueryError("QueryParserError: a field is expected after ORDER BY")
            i += 1
            desc = False
            if kw("DESC"):
                desc = True
                i += 1
            elif kw("ASC"):
                i += 1
            order.append((fld, desc))
            if peek() == ("punct", ","):
                i += 1
                continue
            break
    start = 1
    max_results = DEFAULT_MAX_RESULTS
    while kw("STARTPOSITION") or kw("MAXRESULTS"):
        which = peek()[1].upper()
        i += 1
        k, v = peek()
        if k != "num" or "." in v:
            raise QueryError(f"QueryParserError: {which} expects a whole number")
        i += 1
        if which == "STARTPOSITION":
            start = max(1, int(v))
        else:
            max_results = int(v)
            if max_results > MAX_MAX_RESULTS:
                max_results = MAX_MAX_RESULTS
    if i != len(toks):
        raise QueryError(f"QueryParserError: Encountered \"{peek()[1]}\" at the end of the query")
    shown = () if star else tuple(fields)
    return Query(entity=entity, count=count, fields=shown, where=tuple(where), order=tuple(order),
                 start=start, max_results=max_results)


def field_value(obj: dict[str, Any], name: str) -> Any:
    """The value a condition or an ORDER BY sees for ``name`` in one entity."""
    cur: Any = obj
    for part in name.split("."):
        if not isinstance(cur, dict):
            return None
        found = None
        for key in cur:  # QBO field names are case-insensitive in queries
            if key.lower() == part.lower():
                found = key
                break
        if found is None:
            return None
        cur = cur[found]
    if isinstance(cur, dict) and "value" in cur:
        cur = cur["value"]
    return cur


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                return Decimal(value)
        except InvalidOperation:  # pragma: no cover
            pass
        return value.lower()
    return value


def _cmp(a: Any, b: Any) -> int | None:
    a, b = _norm(a), _norm(b)
    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        if isinstance(b, str):
            b = b == "true"
        if isinstance(a, str):
            a = a == "true"
        return 0 if a == b else 1
    if type(a) is not type(b):
        a, b = str(a), str(b)
    return (a > b) - (a < b)


def _like(value: Any, pattern: str) -> bool:
    if value is None:
        return False
    rx = "".join(".*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.fullmatch(rx, str(value), re.IGNORECASE | re.DOTALL) is not None


def matches(obj: dict[str, Any], cond: Condition) -> bool:
    """Whether one entity satisfies one condition."""
    value = field_value(obj, cond.field)
    if cond.op == "IN":
        return any(_cmp(value, v) == 0 for v in cond.values)
    if cond.op == "LIKE":
        return _like(value, str(cond.values[0]))
    c = _cmp(value, cond.values[0])
    if c is None:
        return cond.op == "!=" and value is not None
    return {"=": c == 0, "!=": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[cond.op]


def sort_key(obj: dict[str, Any], name: str) -> tuple[int, Any]:
    value = _norm(field_value(obj, name))
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, Decimal):
        return (2, value)
    return (3, str(value))
