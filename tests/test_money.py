from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from services.money import format_money, from_cents, money_str, to_cents, to_money


@pytest.mark.parametrize(("value", "expected"), [
    ("12.345", Decimal("12.35")),
    (Decimal("-0.005"), Decimal("-0.01")),
    (3, Decimal("3.00")),
    (" 1.10 ", Decimal("1.10")),
])
def test_to_money__cases(value: object, expected: Decimal) -> None:
    assert to_money(value) == expected  # type: ignore[arg-type]


def test_to_money__refuses_float() -> None:
    with pytest.raises(TypeError):
        to_money(0.1)  # type: ignore[arg-type]


def test_to_money__names_its_rounding() -> None:
    assert to_money("0.125", rounding=ROUND_HALF_EVEN) == Decimal("0.12")


def test_to_money__refuses_text() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        to_money("12,34")


def test_cents__round_trip_and_refusal() -> None:
    assert to_cents(Decimal("-62.31")) == -6231
    assert from_cents(-6231) == Decimal("-62.31")
    with pytest.raises(ValueError):
        to_cents(Decimal("0.001"))


def test_format__for_people_and_json() -> None:
    assert format_money(Decimal("-1234.5"), "USD") == "-1,234.50 USD"
    assert money_str(Decimal("7")) == "7.00"
