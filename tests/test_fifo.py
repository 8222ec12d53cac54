"""FIFO replay (DESIGN §6): before / event / after scenarios and tables of cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.fifo import IN, OUT, InventoryEvent, replay

D = Decimal
JAN = dt.date(2026, 1, 1)


def day(n: int) -> dt.date:
    return JAN + dt.timedelta(days=n)


def buy(n: int, qty: int, cost: str, ref: str, item: str = "A", seq: int | None = None) -> InventoryEvent:
    return InventoryEvent(item, day(n), seq if seq is not None else n * 10, IN, D(qty), D(cost), ref)


def sell(n: int, qty: int, ref: str, item: str = "A", seq: int | None = None) -> InventoryEvent:
    return InventoryEvent(item, day(n), seq if seq is not None else n * 10 + 1, OUT, D(qty), None, ref)


def refund(n: int, qty: int, ref: str, returns: str = "", item: str = "A") -> InventoryEvent:
    return InventoryEvent(item, day(n), n * 10 + 2, IN, D(qty), None, ref, returns)


def test_fifo__intuits_example() -> None:
    # before: buy 20 at $6, then 30 at $7
    before = [buy(1, 20, "6", "b1"), buy(2, 30, "7", "b2")]
    # event: sell 15, then 20 more
    result = replay([*before, sell(3, 15, "s1"), sell(4, 20, "s2")])
    # after: $90, then 5×6 + 15×7 = $135; 15 units at $7 left
    assert [d.cost for d in result.draws] == [D("90.00"), D("135.00")]
    assert [(x.layer, x.qty) for x in result.draws[1].layers] == [("b1", D(5)), ("b2", D(15))]
    assert [(layer.ref, layer.qty, layer.unit_cost) for layer in result.layers] == [("b2", D(15), D(7))]
    assert result.issues == ()


def test_fifo__one_sale_draws_from_several_layers() -> None:
    events = [buy(1, 2, "1.00", "b1"), buy(2, 3, "2.00", "b2"), buy(3, 10, "3.50", "b3"), sell(4, 7, "s")]
    draw = replay(events).draws[0]
    assert [(x.layer, x.qty) for x in draw.layers] == [("b1", D(2)), ("b2", D(3)), ("b3", D(2))]
    assert draw.cost == D("15.00")  # 2×1 + 3×2 + 2×3.5


def test_fifo__backdated_bill_recosts_later_sales() -> None:
    events = [buy(1, 10, "5", "b1"), sell(5, 10, "s1"), buy(6, 10, "9", "b2"), sell(7, 5, "s2")]
    before = replay(events)
    assert [d.cost for d in before.draws] == [D("50.00"), D("45.00")]
    # event: a bill dated before the first sale arrives later (a higher sequence)
    after = replay([*events, buy(2, 10, "4", "b0", seq=999)])
    # after: the replay puts it in date order; s1 still takes b1, s2 now takes the cheaper b0
    assert [d.cost for d in after.draws] == [D("50.00"), D("20.00")]
    assert {layer.ref: layer.qty for layer in after.layers} == {"b0": D(5), "b2": D(10)}


def test_fifo__refund_returns_units_at_the_cost_they_left_with() -> None:
    events = [buy(1, 5, "3", "b1"), buy(2, 5, "8", "b2"), sell(3, 7, "s1")]
    result = replay([*events, refund(4, 2, "r1", returns="s1"), sell(5, 5, "s2")])
    ret = result.returns[0]
    # s1 cost 5×3 + 2×8 = 31 for 7 units; the 2 returned come back at 31/7 each
    assert (ret.basis, ret.qty) == ("sale", D(2))
    assert ret.unit_cost == D(31) / D(7)
    # s2 takes the 3 left at 8, then the 2 returned units
    assert result.draws[1].cost == (D(24) + D(2) * D(31) / D(7)).quantize(D("0.01"))


def test_fifo__refund_without_its_sale_comes_back_at_the_oldest_layer() -> None:
    result = replay([buy(1, 5, "3", "b1"), buy(2, 5, "8", "b2"), refund(3, 1, "r1", returns="unknown-sale")])
    assert (result.returns[0].unit_cost, result.returns[0].basis) == (D(3), "oldest layer")


def test_fifo__stock_below_zero_is_trued_up_when_stock_arrives() -> None:
    events = [buy(1, 2, "4", "b1"), sell(2, 5, "s1"), buy(3, 10, "6", "b2")]
    result = replay(events)
    draw = result.draws[0]
    # before the arrival: 2 at 4, and 3 below zero at the last known cost 4
    assert (draw.cost, draw.short) == (D("20.00"), D(3))
    # the arrival fills the deficit: 3 × (6 − 4) = 6 more cost, 7 units left at 6
    assert [(t.sale_ref, t.qty, t.delta) for t in result.trueups] == [("s1", D(3), D("6.00"))]
    assert [(layer.qty, layer.unit_cost) for layer in result.layers] == [(D(7), D(6))]
    assert any(i.code == "fifo-below-zero" for i in result.issues)
    assert result.cost_by_item() == {"A": D("26.00")}


def test_fifo__below_zero_before_any_layer_uses_the_known_cost() -> None:
    events = [sell(1, 2, "s1"), buy(2, 5, "3.50", "b1")]
    result = replay(events, known_costs={"A": D("3.00")})
    assert (result.draws[0].cost, result.draws[0].short) == (D("6.00"), D(2))
    assert [t.delta for t in result.trueups] == [D("1.00")]
    assert replay(events).draws[0].cost == D("0.00")


def test_fifo__does_not_change_its_input_and_is_order_independent() -> None:
    events = [sell(3, 4, "s1"), buy(1, 3, "2", "b1"), buy(2, 3, "5", "b2"), sell(4, 1, "s2", item="B"),
              buy(1, 1, "9", "c1", item="B")]
    copy = list(events)
    first = replay(events)
    assert events == copy
    second = replay(reversed(events))
    assert first == second
    assert first.cost_by_item() == {"A": D("11.00"), "B": D("9.00")}


@pytest.mark.parametrize(
    ("events", "costs"),
    [
        pytest.param([buy(1, 1, "0.335", "b"), sell(2, 1, "s")], [D("0.34")], id="half_up_to_cent"),
        pytest.param([buy(1, 3, "1.111", "b"), sell(2, 3, "s")], [D("3.33")], id="rounded_once_per_draw"),
        pytest.param([buy(1, 2, "5", "b", seq=1), sell(1, 2, "s", seq=1)], [D("10.00")],
                     id="same_date_and_seq_in_before_out"),
        pytest.param([sell(1, 2, "s"), buy(2, 2, "5", "b")], [D("0.00")], id="no_cost_known_draws_at_zero"),
        pytest.param([buy(1, 4, "2", "b"), sell(2, 4, "s1"), sell(3, 1, "s2")], [D("8.00"), D("2.00")],
                     id="below_zero_uses_last_known_cost"),
    ],
)
def test_fifo_costs__case(events: list[InventoryEvent], costs: list[Decimal]) -> None:
    assert [d.cost for d in replay(events).draws] == costs


@pytest.mark.parametrize(
    ("event", "code"),
    [
        pytest.param(InventoryEvent("A", JAN, 1, OUT, D(0), None, "z"), "fifo-bad-qty", id="zero_qty"),
        pytest.param(InventoryEvent("A", JAN, 1, IN, D(-2), D(1), "n"), "fifo-bad-qty", id="negative_qty"),
        pytest.param(InventoryEvent("A", JAN, 1, "adjust", D(2), D(1), "k"), "fifo-bad-kind", id="bad_kind"),
    ],
)
def test_fifo_issues__case(event: InventoryEvent, code: str) -> None:
    result = replay([event])
    assert [i.code for i in result.issues] == [code]
    assert result.draws == () and result.layers == ()
