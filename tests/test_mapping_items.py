"""Creating QBO items for unmapped SKUs: many at once, mapped at once, safe to retry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from services.item_creation import create_items
from services.mapping import NewItem
from services.storage import Database
from services.storage.mappings import list_history, load_mappings
from tests.mapping_setup import make_world

D = Decimal


@pytest.fixture
def world(sqlite_db: Database, sandbox: Any) -> tuple[Database, Any, Any]:
    client, integ = make_world(sqlite_db, sandbox)
    return sqlite_db, client, integ


def _new(name: str, sku: str, as_of: str = "2026-03-01") -> NewItem:
    return NewItem(name=name, sku=sku, qty_on_hand=D("10"), as_of=dt.date.fromisoformat(as_of),
                   unit_cost=D("2.125"), map_sku=sku)


def test_create_items__many_at_once_mapped_and_in_qbo(world: tuple[Database, Any, Any], qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    db, client, integ = world
    result = create_items(db, client, [_new("Widget A", "NEW-THING"), _new("Gift set", "GIFT-SET-1")],
                          who="ann", integration=integ)
    assert result.ok and result.mapped == ("NEW-THING", "GIFT-SET-1")
    saved = load_mappings(db, integ)
    for made in result.created:
        (qbo,) = Item.filter(Name=made.name, qb=qb_client)
        assert (qbo.Type, qbo.QtyOnHand, str(qbo.PurchaseCost), qbo.InvStartDate) == \
            ("Inventory", 10, "2.125", "2026-03-01")
        assert qbo.AssetAccountRef.name == "Inventory Asset"
        assert qbo.IncomeAccountRef.name == "Sales of Product Income"
        assert qbo.ExpenseAccountRef.name == "Cost of Goods Sold"
    assert saved["NEW-THING"].item is not None and saved["NEW-THING"].item.name == "Widget A"
    assert {h.who for h in list_history(db, integ)} == {"ann"}


def test_create_items__one_problem_creates_nothing(world: tuple[Database, Any, Any], qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    db, client, integ = world
    before = len(Item.all(qb=qb_client, max_results=1000))
    result = create_items(db, client, [_new("Widget A", "NEW-THING"),
                                       _new("x" * 101, "GIFT-SET-1", as_of="2026-03-05")],
                          who="ann", integration=integ)
    assert sorted(i.code for i in result.issues) == ["as_of_late", "name_long"]
    assert result.created == () and load_mappings(db, integ) == {}
    assert len(Item.all(qb=qb_client, max_results=1000)) == before


def test_create_items__unknown_account_is_refused(world: tuple[Database, Any, Any]) -> None:
    db, client, integ = world
    new = NewItem("Widget", "W", D(1), dt.date(2026, 1, 1), D(1), "NEW-THING", asset_account="No Such Account")
    result = create_items(db, client, [new], who="ann", integration=integ)
    assert [i.code for i in result.issues] == ["no_account"] and result.created == ()


def test_create_items__dropped_connection_is_retried_without_a_duplicate(
        world: tuple[Database, Any, Any], sandbox: Any, qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    db, client, integ = world
    sandbox.faults.add(kind="drop_after_commit", methods=("POST",), path_contains="/item")
    result = create_items(db, client, [_new("Widget A", "NEW-THING")], who="ann", integration=integ)
    assert result.ok, result.issues
    assert sandbox.faults.pending() == []  # the connection was dropped once, after the commit
    assert len(Item.filter(Name="Widget A", qb=qb_client)) == 1
    assert load_mappings(db, integ)["NEW-THING"].item.id == result.created[0].id  # type: ignore[union-attr]
