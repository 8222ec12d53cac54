"""Settlement reports in, canonical settlements out.

One parser module per report format (``amazon_v2``, ``amazon_v1``, ...), each declaring its
columns, mapping them by header name, recognising its format from the first bytes
(``identify``) and returning a :class:`~services.records.ParseResult`. :mod:`.detect` picks the
parser; this module is the public entry point:

- :func:`parse_upload` for what a user uploads at once (one or several files; companion files
  such as the Shopify orders export are joined to the report they belong to);
- :func:`parse_file` for one file;
- :func:`summarize` for the summary that ``parse --json`` prints.

Bad data never raises: every problem is an :class:`~services.records.Issue` naming the file
(and the row where there is one).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from services.records import Issue, ParseResult, error
from services.settlements.common import MAX_BYTES
from services.settlements.detect import HEAD_BYTES, detect, sniff
from services.settlements.summary import category_key, refund_quantities, summarize

__all__ = ["category_key", "detect_format", "parse_file", "parse_upload", "refund_quantities", "summarize"]


def detect_format(data: bytes) -> str | None:
    """The format name of a file (``amazon_v2``, ``shopify_orders``, ...), or ``None``."""
    module = detect(data[:HEAD_BYTES])
    return None if module is None else str(module.FORMAT)


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def _refusal(name: str, data: bytes, max_bytes: int) -> ParseResult | None:
    if len(data) > max_bytes:
        return ParseResult(None, (error(f"the file is {_size(len(data))}, more than the {_size(max_bytes)} "
                                        "a settlement report can be; is it the right file?", name,
                                        code="too_large"),))
    if not data[:4096].strip() and not data.strip():
        return ParseResult(None, (error("the file is empty", name, code="empty"),))
    return None


def _run(module: ModuleType, name: str, data: bytes,
         companions: Sequence[tuple[str, bytes]] = ()) -> list[ParseResult]:
    """Call a parser; a bug in it becomes an error naming the file, not a traceback for the user."""
    try:
        if hasattr(module, "parse_many"):
            return list(module.parse_many(name, data, companions))
        return [module.parse(name, data)]
    except Exception as exc:  # pragma: no cover - a parser bug; the user still gets a message
        return [ParseResult(None, (error(f"the {module.FORMAT} report could not be read ({type(exc).__name__}: "
                                         f"{exc})", name, code="parser_failed"),))]


def parse_file(name: str, data: bytes) -> ParseResult:
    """Detect the format of one file and parse it.

    Args:
        name: the file's name, used in every issue so the user knows which file is meant.
        data: the file's bytes exactly as uploaded (any encoding the channel uses).

    Returns:
        The parse result; ``settlement`` is ``None`` when nothing usable was read, with an error
        issue saying why. When a file holds several settlements, the first is returned with a
        note; use :func:`parse_upload` to get all of them.
    """
    results = parse_upload([(name, data)])
    if len(results) <= 1:
        return results[0] if results else ParseResult(None, (error("nothing was read", name),))
    first = results[0]
    note = error(f"the file holds {len(results)} settlements; only the first is returned here", name,
                 code="several_settlements")
    return ParseResult(first.settlement, (*first.issues, note))


def _utf16_to_utf8(data: bytes) -> bytes | None:
    """Some exports (spreadsheet "Unicode text") are UTF-16 with a BOM: read them as UTF-8."""
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_upload(files: Sequence[tuple[str, bytes]], *, max_bytes: int = MAX_BYTES) -> list[ParseResult]:
    """Parse what a user uploaded at once: one result per settlement found.

    Each file's format is detected from its bytes. Companion files (a Shopify orders export next
    to a Shopify payout transactions export; an Etsy sold-order-items export next to an Etsy
    statement) are joined to the report they complete and give no result of their own. A file
    that cannot be used gives ``ParseResult(None, (error naming the file,))``; so does a file
    larger than ``max_bytes``. Never raises for bad data.
    """
    results: list[ParseResult] = []
    primaries: list[tuple[ModuleType, str, bytes]] = []
    companions: dict[str, list[tuple[str, bytes, ModuleType]]] = {}
    for name, data in files:
        refusal = _refusal(name, data, max_bytes)
        if refusal is not None:
            results.append(refusal)
            continue
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            utf8 = _utf16_to_utf8(data)
            if utf8 is None:
                results.append(ParseResult(None, (error("the file starts like UTF-16 text but is not valid UTF-16 "
                                                        "(is it damaged?)", name, code="bad_encoding"),)))
                continue
            data = utf8
        module = detect(data[:HEAD_BYTES])
        if module is None:
            results.append(ParseResult(None, (error(sniff(data), name, code="unknown_format"),)))
        elif getattr(module, "COMPANION_OF", None):
            companions.setdefault(module.COMPANION_OF, []).append((name, data, module))
        else:
            primaries.append((module, name, data))
    used: set[str] = set()
    for module, name, data in primaries:
        mine = companions.get(module.FORMAT, [])
        used.update(c[0] for c in mine)
        results.extend(_run(module, name, data, [(c[0], c[1]) for c in mine]))
    for fmt, items in companions.items():
        for name, _data, module in items:
            if name not in used:
                results.append(ParseResult(None, (_lonely(name, module, fmt),)))
    return results


def _lonely(name: str, module: ModuleType, primary: str) -> Issue:
    what = getattr(module, "DESCRIPTION", module.FORMAT)
    wants = getattr(module, "NEEDS", primary)
    return error(f"this is {what}; it adds SKUs and quantities to {wants}. Upload both files together.",
                 name, code="companion_alone")
