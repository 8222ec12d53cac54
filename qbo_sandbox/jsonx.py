"""Exact JSON for money: decimals in and out as JSON numbers, never through float.

The standard encoder cannot write a :class:`~decimal.Decimal` as a number, so each decimal is
first written as a marked string and the marks are then stripped with one regular expression.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\x00D"
_MARKED = re.compile(r'"\\u0000D(-?[0-9.E+-]+)"')


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON text with every Decimal written as an exact JSON number."""
    text = json.dumps(_mark(value), separators=(",", ":"), default=_default)
    return _MARKED.sub(r"\1", text)


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping every fractional number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)
