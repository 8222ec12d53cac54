"""FIFO cost of inventory as QuickBooks Online computes it, as a pure replay (DESIGN §6).

Per item, the events are replayed in a fixed order: date, then sequence (QBO's creation order),
then inbound before outbound, then the event's reference. Inbound events (the opening quantity
at ``InvStartDate``, bills and purchases, refunds) add layers; an outbound event (a sale line)
takes units from the oldest layer first and may draw from several layers. Intuit's example: buy
20 at $6, then 30 at $7; selling 15 costs $90; selling 20 more costs 5×6 + 15×7 = $135.

Where QBO's behaviour is undocumented, these stated assumptions hold:

* **Below zero.** Units sold beyond the layers on hand are costed at the item's last known unit
  cost (the cost of the most recent layer seen, even if used up; before any layer, the item's
  known cost such as its ``PurchaseCost`` when the caller gives one, else 0). They wait as a deficit; the
  next inbound units fill the deficit first, and each fill yields a :class:`TrueUp` of
  ``qty × (actual − estimated)`` booked on the arrival's date.
* **Returns.** An inbound event without a unit cost is a return (a refund). Its units come back
  at the unit cost they left with when the sale is named (``returns``) and was replayed, else at
  the oldest layer's cost, else at the last known cost.

Rounding: a draw's cost is Σ qty × unit cost over its layers, exact, then rounded half-up to the
cent once (as QBO books the line). Nothing here mutates its input; the result is a set of
immutable records (named tuples: a replay can return a million of them, and a tuple is the
cheapest immutable record Python builds).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import NamedTuple

from services.bulk import gc_paused
from services.records import Issue, error, warning

IN = "in"
OUT = "out"
ZERO = Decimal(0)
CENT = Decimal("0.01")


class InventoryEvent(NamedTuple):
    """One movement of one item. ``unit_cost`` None on an inbound event means a return."""

    item: str
    date: dt.date
    seq: int
    kind: str  # IN or OUT
    qty: Decimal
    unit_cost: Decimal | None = None
    ref: str = ""
    returns: str = ""  # for a return: the ref of the sale whose units come back


class LayerDraw(NamedTuple):
    """Units taken from one layer. ``layer`` is the inbound ref; "" for units drawn below zero."""

    layer: str
    qty: Decimal
    unit_cost: Decimal


class Draw(NamedTuple):
    """The cost of one outbound event."""

    ref: str
    item: str
    date: dt.date
    seq: int
    qty: Decimal
    cost: Decimal  # rounded to the cent
    layers: tuple[LayerDraw, ...]
    short: Decimal  # units drawn below zero, costed at the last known unit cost


class Layer(NamedTuple):
    """Units still on hand from one inbound event."""

    item: str
    ref: str
    date: dt.date
    seq: int
    qty: Decimal
    unit_cost: Decimal


class TrueUp(NamedTuple):
    """The correction when stock arrives for units that were sold below zero."""

    item: str
    ref: str  # the inbound event that filled the deficit
    date: dt.date
    seq: int
    sale_ref: str
    qty: Decimal
    estimated: Decimal  # exact qty × estimated unit cost
    actual: Decimal  # exact qty × arrival unit cost
    delta: Decimal  # actual − estimated, rounded to the cent


class ReturnCost(NamedTuple):
    """The unit cost at which a return came back, and why."""

    ref: str
    item: str
    qty: Decimal
    unit_cost: Decimal
    basis: str  # "sale", "oldest layer", "last known cost" or "unknown"


class FifoResult(NamedTuple):
    """What a replay found: draws in replay order, layers left, true-ups, return costs, issues."""

    draws: tuple[Draw, ...]
    layers: tuple[Layer, ...]
    trueups: tuple[TrueUp, ...]
    returns: tuple[ReturnCost, ...]
    issues: tuple[Issue, ...]

    def draw(self, ref: str) -> Draw | None:
        """The draw of one outbound event, by its ref (a linear search: index draws for many)."""
        for d in self.draws:
            if d.ref == ref:
                return d
        return None

    def cost_by_item(self) -> dict[str, Decimal]:
        """Per item: the cost of all its draws plus true-ups (returns not deducted)."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for d in self.draws:
            out[d.item] += d.cost
        for t in self.trueups:
            out[t.item] += t.delta
        return dict(out)

    def on_hand(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Per item: (units left, their value rounded to the cent)."""
        qty: dict[str, Decimal] = defaultdict(lambda: ZERO)
        value: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for layer in self.layers:
            qty[layer.item] += layer.qty
            value[layer.item] += layer.qty * layer.unit_cost
        return {k: (qty[k], value[k].quantize(CENT, rounding=ROUND_HALF_UP)) for k in qty}


_ORDER = attrgetter("date", "seq", "kind", "ref")  # "in" sorts before "out"


def replay(events: Iterable[InventoryEvent], known_costs: Mapping[str, Decimal] | None = None) -> FifoResult:
    """Replay inventory events item by item and cost every outbound event by FIFO.

    Args:
        events: the events of any number of items, in any order.
        known_costs: per item, a unit cost known before any event (QBO's ``PurchaseCost``): what
            units sold below zero cost when no layer has been seen yet.

    Returns:
        The draws (one per outbound event, in replay order per item), the layers left, the
        true-ups of units sold below zero, the costs at which returns came back, and the issues
        (bad events are skipped with an error; sales below zero and deficits never filled are
        warnings).
    """
    # A replay allocates one record per event and frees nothing until it returns.
    with gc_paused():
        by_item: dict[str, list[InventoryEvent]] = defaultdict(list)
        for event in events:
            by_item[event.item].append(event)
        draws: list[Draw] = []
        layers_left: list[Layer] = []
        trueups: list[TrueUp] = []
        returns: list[ReturnCost] = []
        issues: list[Issue] = []
        for item in sorted(by_item):
            item_events = by_item[item]
            item_events.sort(key=_ORDER)
            _replay_item(item, item_events, draws, layers_left, trueups, returns, issues,
                         known_costs.get(item) if known_costs else None)
        return FifoResult(tuple(draws), tuple(layers_left), tuple(trueups), tuple(returns), tuple(issues))


class _Open:
    """A layer while it is being drawn from (the replay's only mutable state, never returned)."""

    __slots__ = ("date", "qty", "ref", "seq", "unit_cost")

    def __init__(self, ref: str, date: dt.date, seq: int, qty: Decimal, unit_cost: Decimal) -> None:
        self.ref = ref
        self.date = date
        self.seq = seq
        self.qty = qty
        self.unit_cost = unit_cost


class _Deficit:
    __slots__ = ("estimate", "qty", "sale_ref")

    def __init__(self, sale_ref: str, qty: Decimal, estimate: Decimal) -> None:
        self.sale_ref = sale_ref
        self.qty = qty
        self.estimate = estimate


def _replay_item(item: str, events: list[InventoryEvent], draws: list[Draw], layers_left: list[Layer],
                 trueups: list[TrueUp], returns: list[ReturnCost], issues: list[Issue],
                 known_cost: Decimal | None) -> None:
    layers: list[_Open] = []
    head = 0  # index of the oldest layer with units left
    last_cost: Decimal | None = known_cost
    deficits: list[_Deficit] = []
    sale_unit: dict[str, Decimal] = {}
    append_draw = draws.append
    new = tuple.__new__  # builds the records without NamedTuple's Python-level __new__
    for ev in events:
        _item, date, seq, kind, qty, unit_cost, ref, returned = ev
        if not qty > 0:
            issues.append(error(f"{item}: event {ref or seq} on {date} has quantity {qty}; "
                                f"only positive quantities move stock", code="fifo-bad-qty"))
            continue
        if kind == OUT:
            # the common case first: the oldest layer covers the whole sale
            if head < len(layers):
                layer = layers[head]
                if layer.qty > qty:
                    unit = layer.unit_cost
                    layer.qty -= qty
                    append_draw(new(Draw, (ref, item, date, seq, qty, (qty * unit).quantize(CENT, ROUND_HALF_UP),
                                           (new(LayerDraw, (layer.ref, qty, unit)),), ZERO)))
                    sale_unit[ref] = unit
                    continue
            taken: list[LayerDraw] = []
            need = qty
            exact = ZERO
            while need > 0 and head < len(layers):
                layer = layers[head]
                take = layer.qty if layer.qty <= need else need
                taken.append(LayerDraw(layer.ref, take, layer.unit_cost))
                exact += take * layer.unit_cost
                need -= take
                layer.qty -= take
                if layer.qty == 0:
                    head += 1
            short = ZERO
            if need > 0:
                estimate = last_cost if last_cost is not None else ZERO
                if last_cost is None:
                    issues.append(warning(f"{item}: {need} units sold on {date} ({ref}) with no stock "
                                          f"and no known cost; costed at 0 until stock arrives",
                                          code="fifo-below-zero"))
                else:
                    issues.append(warning(f"{item}: {need} units sold on {date} ({ref}) below zero; "
                                          f"costed at the last known cost {estimate} until stock arrives",
                                          code="fifo-below-zero"))
                taken.append(LayerDraw("", need, estimate))
                exact += need * estimate
                deficits.append(_Deficit(ref, need, estimate))
                short = need
            append_draw(Draw(ref, item, date, seq, qty, exact.quantize(CENT, ROUND_HALF_UP),
                             tuple(taken), short))
            sale_unit[ref] = exact / qty
            continue
        if kind != IN:
            issues.append(error(f"{item}: event {ref or seq} has kind {kind!r}; use 'in' or 'out'",
                                code="fifo-bad-kind"))
            continue
        if unit_cost is None:  # a return
            found = sale_unit.get(returned) if returned else None
            if found is not None:
                unit_cost, basis = found, "sale"
            elif head < len(layers):
                unit_cost, basis = layers[head].unit_cost, "oldest layer"
            elif last_cost is not None:
                unit_cost, basis = last_cost, "last known cost"
            else:
                unit_cost, basis = ZERO, "unknown"
                issues.append(warning(f"{item}: return {ref} on {date} has no known cost; "
                                      f"it comes back at 0", code="fifo-return-cost"))
            returns.append(ReturnCost(ref, item, qty, unit_cost, basis))
        remaining = qty
        while deficits and remaining > 0:
            owed = deficits[0]
            fill = owed.qty if owed.qty <= remaining else remaining
            est = fill * owed.estimate
            act = fill * unit_cost
            trueups.append(TrueUp(item, ref, date, seq, owed.sale_ref, fill, est, act,
                                  (act - est).quantize(CENT, ROUND_HALF_UP)))
            remaining -= fill
            owed.qty -= fill
            if owed.qty == 0:
                deficits.pop(0)
        last_cost = unit_cost
        if remaining > 0:
            layers.append(_Open(ref, date, seq, remaining, unit_cost))
    for layer in layers[head:]:
        if layer.qty > 0:
            layers_left.append(Layer(item, layer.ref, layer.date, layer.seq, layer.qty, layer.unit_cost))
    for owed in deficits:
        issues.append(warning(f"{item}: {owed.qty} units of sale {owed.sale_ref} are still below zero "
                              f"(estimated at {owed.estimate} each)", code="fifo-deficit-open"))
