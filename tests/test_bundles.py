"""Bundles: the largest-remainder split, component quantities, "Suggest split" and validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.bundles import component_quantities, split_amount, suggest_split, validate_bundle
from services.records import BundleComponent, ItemRef

D = Decimal


def comps(*spec: tuple[str, str]) -> tuple[BundleComponent, ...]:
    """Components from (qty, percent) pairs, items I1, I2, ..."""
    return tuple(BundleComponent(ItemRef(f"I{n}", f"Item {n}"), D(q), D(p))
                 for n, (q, p) in enumerate(spec, start=1))


SPLIT_CASES = [
    ("even_halves", "10.00", [("1", "50"), ("1", "50")], ["5.00", "5.00"]),
    ("odd_cent_goes_to_first_on_tie", "10.01", [("1", "50"), ("1", "50")], ["5.01", "5.00"]),
    ("thirds", "10.00", [("1", "33.34"), ("1", "33.33"), ("1", "33.33")], ["3.34", "3.33", "3.33"]),
    ("largest_remainder_wins", "1.00", [("1", "33.3"), ("1", "33.3"), ("1", "33.4")], ["0.33", "0.33", "0.34"]),
    ("refund_mirrors_sale", "-10.01", [("1", "50"), ("1", "50")], ["-5.01", "-5.00"]),
    ("multipack", "29.97", [("3", "100")], ["29.97"]),
    ("zero_amount", "0.00", [("1", "60"), ("2", "40")], ["0.00", "0.00"]),
    ("zero_percent_component", "9.99", [("1", "100"), ("1", "0")], ["9.99", "0.00"]),
    ("one_cent_three_ways", "0.01", [("1", "33.33"), ("1", "33.33"), ("1", "33.34")], ["0.00", "0.00", "0.01"]),
    ("exact_decimals", "100.00", [("1", "12.345"), ("1", "87.655")], ["12.35", "87.65"]),
]


@pytest.mark.parametrize(("case", "amount", "spec", "expected"), SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_split_amount__case(case: str, amount: str, spec: list[tuple[str, str]], expected: list[str]) -> None:
    parts = split_amount(D(amount), comps(*spec))
    assert parts == [D(e) for e in expected]
    assert sum(parts, D(0)) == D(amount)


@pytest.mark.parametrize(("case", "amount", "spec"), [
    ("percent_99_99", "10.00", [("1", "50"), ("1", "49.99")]),
    ("no_components", "10.00", []),
    ("sub_cent_amount", "10.001", [("1", "100")]),
    ("negative_percent", "10.00", [("1", "110"), ("1", "-10")]),
])
def test_split_amount__refuses(case: str, amount: str, spec: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        split_amount(D(amount), comps(*spec))


@pytest.mark.parametrize(("case", "bundle_qty", "spec", "expected"), [
    ("pack_of_three", 2, [("3", "100")], ["6"]),
    ("two_components", 3, [("1", "50"), ("2", "50")], ["3", "6"]),
    ("refund_negative", -1, [("2", "100")], ["-2"]),
    ("fractional_per_bundle", 4, [("0.5", "100")], ["2.0"]),
])
def test_component_quantities__case(case: str, bundle_qty: int, spec: list[tuple[str, str]],
                                    expected: list[str]) -> None:
    assert component_quantities(bundle_qty, comps(*spec)) == [D(e) for e in expected]


@pytest.mark.parametrize(("case", "spec", "values", "expected"), [
    ("by_cost", [("1", "0"), ("1", "0")], ["3", "1"], ["75.00", "25.00"]),
    ("cost_times_qty", [("2", "0"), ("1", "0")], ["1", "2"], ["50.00", "50.00"]),
    ("thirds_sum_to_100", [("1", "0"), ("1", "0"), ("1", "0")], ["1", "1", "1"], ["33.34", "33.33", "33.33"]),
    ("missing_cost_is_zero", [("1", "0"), ("1", "0")], ["4", None], ["100.00", "0.00"]),
    ("no_costs_by_quantity", [("1", "0"), ("3", "0")], [None, None], ["25.00", "75.00"]),
    ("single_component", [("6", "0")], ["2.5"], ["100.00"]),
])
def test_suggest_split__case(case: str, spec: list[tuple[str, str]], values: list[str | None],
                             expected: list[str]) -> None:
    got = suggest_split(comps(*spec), [None if v is None else D(v) for v in values])
    assert got == [D(e) for e in expected]
    assert sum(got, D(0)) == 100


@pytest.mark.parametrize(("case", "spec", "codes"), [
    ("valid", [("1", "60"), ("2", "40")], []),
    ("sum_99_99", [("1", "60"), ("2", "39.99")], ["bundle_sum"]),
    ("sum_100_01", [("1", "60"), ("2", "40.01")], ["bundle_sum"]),
    ("zero_qty", [("0", "100")], ["bundle_qty"]),
    ("negative_qty", [("-1", "100")], ["bundle_qty"]),
    ("negative_percent", [("1", "110"), ("1", "-10")], ["bundle_percent"]),
    ("empty", [], ["bundle_empty"]),
])
def test_validate_bundle__case(case: str, spec: list[tuple[str, str]], codes: list[str]) -> None:
    assert [i.code for i in validate_bundle(comps(*spec))] == codes


def test_validate_bundle__duplicate_item() -> None:
    a = BundleComponent(ItemRef("7", "Mug"), D(1), D(50))
    issues = validate_bundle((a, a), sku="MUG-2")
    assert [i.code for i in issues] == ["bundle_duplicate"]
    assert "MUG-2" in issues[0].message and "Mug" in issues[0].message


def test_validate_bundle__message_names_the_sum() -> None:
    (issue,) = validate_bundle(comps(("1", "50"), ("1", "49.99")))
    assert "99.99" in issue.message


# --- properties -------------------------------------------------------------------------------

percents_st = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(
    lambda xs: sum(xs) > 0)


def _to_percents(weights: list[int]) -> list[Decimal]:
    """Arbitrary non-negative weights → percentages with up to 3 decimals summing to exactly 100."""
    total = sum(weights)
    raw = [D(w) * 100000 // total for w in weights]
    raw[0] += 100000 - sum(raw)
    return [D(r) / 1000 for r in raw]


@settings(max_examples=300, deadline=None)
@given(weights=percents_st, cents=st.integers(min_value=-10**9, max_value=10**9))
def test_split_amount__parts_sum_exactly(weights: list[int], cents: int) -> None:
    percents = _to_percents(weights)
    components = tuple(BundleComponent(ItemRef(str(i), f"I{i}"), D(1), p) for i, p in enumerate(percents))
    amount = D(cents) / 100
    parts = split_amount(amount, components)
    residual = sum(parts, D(0)) - amount
    assert residual == 0
    for part, p in zip(parts, percents, strict=True):
        # every part is within a cent of its exact share, and has the amount's sign (or is zero)
        assert abs(part - amount * p / 100) < D("0.01")
        assert part == 0 or (part > 0) == (amount > 0)
    # refunds mirror sales exactly
    assert split_amount(-amount, components) == [-p for p in parts]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.decimals(min_value=0, max_value=100000, places=4)),
                       min_size=1, max_size=8),
       qtys=st.lists(st.integers(min_value=1, max_value=24), min_size=8, max_size=8))
def test_suggest_split__sums_to_100(values: list[Decimal | None], qtys: list[int]) -> None:
    components = tuple(BundleComponent(ItemRef(str(i), f"I{i}"), D(q), D(0))
                       for i, q in zip(range(len(values)), qtys, strict=False))
    percents = suggest_split(components, values)
    assert sum(percents, D(0)) == 100
    assert all(p >= 0 and p == p.quantize(D("0.01")) for p in percents)
    suggested = tuple(BundleComponent(c.item, c.qty, p) for c, p in zip(components, percents, strict=True))
    assert validate_bundle(suggested) == []
    # in proportion to unit value × quantity (to the hundredth of a percent), when any value is known
    weights = [(v or D(0)) * c.qty for c, v in zip(components, values, strict=True)]
    total = sum(weights, D(0))
    if total > 0:
        for p, w in zip(percents, weights, strict=True):
            assert abs(p - w * 100 / total) < D("0.01")
