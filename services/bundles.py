"""Bundles and multipacks: splitting a bundle's money and quantities over its components.

A bundle maps one channel SKU to several QBO inventory items. Each component carries a quantity
per bundle and a *percentage of the bundle's total sales price* (not of a unit price): a
component at 50 % gets half of the bundle's amount whatever its quantity. A multipack is a bundle
with one component at 100 %.

The rounding rule is the largest remainder (Hamilton's method), in cents:

1. work on the absolute amount in whole cents; each component's exact share is
   ``cents × percent / 100``;
2. every component first gets the floor of its share;
3. the cents left over (fewer than the number of components) go one each to the components with
   the largest fractional remainders; equal remainders go to the earlier component (a fixed,
   deterministic tie-break);
4. the sign of the amount is put back, so a refund (a negative amount) splits exactly as the
   sale did, mirrored.

The parts therefore always sum to the amount exactly; :func:`split_amount` asserts it (the
residual check) and so does the document engine before posting. "Suggest split" uses the same
rule in hundredths of a percent so that suggested percentages sum to exactly 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from services.money import CENT, to_money
from services.records import BundleComponent, Issue, error

HUNDRED = Decimal(100)
PERCENT_STEP = Decimal("0.01")


def _largest_remainder(total_units: int, weights: Sequence[Decimal]) -> list[int]:
    """Split ``total_units`` (≥ 0) in proportion to ``weights`` (≥ 0, not all zero) into integers.

    Floors first, then one unit each to the largest fractional remainders, earlier index first
    on ties. The result sums to ``total_units`` exactly.
    """
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    shares = [Decimal(total_units) * w / weight_sum for w in weights]
    floors = [int(s) for s in shares]  # shares are ≥ 0, so int() is the floor
    left = total_units - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def split_amount(amount: Decimal, components: Sequence[BundleComponent]) -> list[Decimal]:
    """Split a bundle's ``amount`` over its ``components`` by percentage, to the cent, exactly.

    Why: the SalesReceipt must carry one line per component, and the lines must add up to what
    the channel paid for the bundle, to the cent (the settlement's tie-out depends on it).

    Args:
        amount: the bundle line's money (negative for refunds); must be whole cents.
        components: the bundle's components; their percentages must sum to exactly 100.

    Returns:
        One amount per component, in order, summing exactly to ``amount``.

    Raises:
        ValueError: when there are no components, a percentage is negative, the percentages do
            not sum to 100, or ``amount`` has a fraction of a cent (validate bundles first with
            :func:`validate_bundle`; this is a programming error, not bad data).
    """
    if not components:
        raise ValueError("a bundle needs at least one component")
    percents = [c.percent for c in components]
    if any(p < 0 for p in percents):
        raise ValueError("a component percentage is negative")
    if sum(percents, Decimal(0)) != HUNDRED:
        raise ValueError(f"bundle percentages sum to {sum(percents, Decimal(0))}, not 100")
    money = Decimal(amount)
    if money != to_money(money):
        raise ValueError(f"{amount} has a fraction of a cent")
    cents = int(abs(money) * 100)
    sign = -1 if money < 0 else 1
    parts = [(Decimal(sign * c) / 100).quantize(CENT) for c in _largest_remainder(cents, percents)]
    residual = sum(parts, Decimal(0)) - money
    assert residual == 0, f"bundle split of {amount} leaves a residual of {residual}"
    return parts


def component_quantities(bundle_qty: Decimal | int, components: Sequence[BundleComponent]) -> list[Decimal]:
    """Units of each component moved by ``bundle_qty`` bundles (bundle quantity × quantity per bundle).

    Why: QBO lowers quantity on hand per component item; a 3-pack sold twice moves 6 units.
    A refunded bundle (negative or positive quantity) moves the same units back.
    """
    qty = Decimal(bundle_qty)
    return [qty * c.qty for c in components]


def suggest_split(components: Sequence[BundleComponent],
                  unit_values: Sequence[Decimal | None]) -> list[Decimal]:
    """Percentages in proportion to each component's unit value × quantity per bundle.

    Why: "Suggest split" fills the bundle editor from the components' QBO unit costs (or sales
    prices) so the accountant starts from a sensible allocation of the bundle's price.

    Args:
        components: the bundle's components (their quantities are used, percentages ignored).
        unit_values: one unit cost or price per component, ``None`` when QBO has none.

    Returns:
        One percentage per component with at most two decimals, summing to exactly 100
        (largest remainder in hundredths of a percent). A missing or negative value counts as
        zero; when every weight is zero the split is by quantity, and when quantities are also
        zero it is equal.
    """
    if not components:
        return []
    if len(unit_values) != len(components):
        raise ValueError("one unit value per component is needed")
    weights = [max(Decimal(0), (v or Decimal(0)) * c.qty) for c, v in zip(components, unit_values, strict=True)]
    if sum(weights, Decimal(0)) <= 0:
        weights = [max(Decimal(0), c.qty) for c in components]
    if sum(weights, Decimal(0)) <= 0:
        weights = [Decimal(1)] * len(components)
    hundredths = _largest_remainder(10_000, weights)
    percents = [(Decimal(h) / 100).quantize(PERCENT_STEP) for h in hundredths]
    assert sum(percents, Decimal(0)) == HUNDRED
    return percents


def validate_bundle(components: Sequence[BundleComponent], *, sku: str = "", file: str = "",
                    row: int | None = None) -> list[Issue]:
    """Every problem of one bundle, as issues (empty when it can be saved).

    Why: a bundle whose percentages do not sum to exactly 100 cannot be split to the cent, and a
    zero quantity would sell nothing; both must be caught when the bundle is edited, not when a
    settlement is posted.

    Checks: at least one component; every quantity per bundle positive; no negative
    percentage; percentages summing to exactly 100 (exact decimals, 99.99 is refused); no item
    twice.
    """
    where = f"Bundle {sku}: " if sku else ""
    issues: list[Issue] = []
    if not components:
        return [error(f"{where}a bundle needs at least one component.", file, row, "bundle_empty")]
    seen: set[str] = set()
    for n, c in enumerate(components, start=1):
        name = c.item.name or f"component {n}"
        if not c.item.id:
            issues.append(error(f"{where}component {n} has no QBO item.", file, row, "bundle_no_item"))
        if not c.qty.is_finite() or c.qty <= 0:
            issues.append(error(f"{where}the quantity per bundle of {name} must be a positive number, "
                                f"not {c.qty}.", file, row, "bundle_qty"))
        if not c.percent.is_finite() or c.percent < 0:
            issues.append(error(f"{where}the percentage of {name} must not be negative ({c.percent}).",
                                file, row, "bundle_percent"))
        if c.item.id and c.item.id in seen:
            issues.append(error(f"{where}{name} is a component twice; list it once with its total "
                                "quantity.", file, row, "bundle_duplicate"))
        seen.add(c.item.id)
    total = sum((c.percent for c in components if c.percent.is_finite()), Decimal(0))
    if total != HUNDRED:
        issues.append(error(f"{where}the percentages sum to {total.normalize():f}, not exactly 100.",
                            file, row, "bundle_sum"))
    return issues


def percent_total(components: Sequence[BundleComponent]) -> Decimal:
    """The running sum of the percentages (shown in the bundle editor)."""
    return sum((c.percent for c in components if c.percent.is_finite()), Decimal(0))
