"""Exact money.

Money is :class:`decimal.Decimal`, never ``float``. :func:`to_money` is the one constructor: it
refuses floats (a float has already lost the cent) and quantizes to cents with a rounding mode
that the caller names, half-up by default because that is how QuickBooks Online rounds line
amounts. Money is formatted only where it is shown (:func:`format_money`) or serialised
(:func:`money_str`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Money = Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str, *, rounding: str = ROUND_HALF_UP) -> Money:
    """Return ``value`` as money quantized to the cent.

    Args:
        value: a Decimal, an int or a plain decimal string such as ``"-12.30"``.
        rounding: the :mod:`decimal` rounding mode used when ``value`` has more than two places.

    Raises:
        TypeError: for a float or a bool, which cannot carry exact money.
        ValueError: for text that is not a plain decimal number.
    """
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be built from {type(value).__name__}: {value!r}")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    dec = Decimal(value)
    if not dec.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return dec.quantize(CENT, rounding=rounding)


def to_cents(value: Money) -> int:
    """Money as an integer number of cents (the database form). Refuses sub-cent values."""
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has a fraction of a cent")
    return int(cents)


def from_cents(cents: int) -> Money:
    """The inverse of :func:`to_cents`."""
    return (Decimal(cents) / 100).quantize(CENT)


def money_str(value: Money) -> str:
    """Money as JSON wants it: a string with exactly two decimals (``"-62.31"``)."""
    return f"{to_money(value):.2f}"


def format_money(value: Money, currency: str = "") -> str:
    """Money for people: thousands separators, two decimals, a leading minus, optional currency."""
    text = f"{to_money(value):,.2f}"
    return f"{text} {currency}".strip()


def sum_money(values: object) -> Money:
    """Exact sum of an iterable of money (``sum`` starts from int 0, which is fine, but this names it)."""
    total = ZERO
    for v in values:  # type: ignore[attr-defined]
        total += v
    return total
