"""The command-line twin of the mapping tab, against the local sandbox through python-quickbooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from services.cli import main
from services.storage import Database
from services.storage.mappings import list_history, load_mappings
from tests.mapping_setup import make_world


@pytest.fixture
def world(sqlite_db: Database, sandbox: Any) -> Database:
    make_world(sqlite_db, sandbox)
    return sqlite_db


def run(db: Database, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["--db", db.url, *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def by_sku(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["sku"]: e for e in payload["mappings"]}


def test_mappings_list__every_channel_product_unmapped(world: Database, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(world, capsys, "mappings", "list", "Acme", "Amazon US")
    assert status == 0
    entries = by_sku(out)
    assert set(entries) == {"MUG-11OZ-WHT", "ceramic mug 11oz black ", "GIFT-SET-1", "NEW-THING", '=HYPERLINK("x")'}
    e = entries["MUG-11OZ-WHT"]
    assert (e["title"], e["type"], e["item"], e["components"], e["status"]) == \
        ("Mug white 11oz", "none", None, [], "not mapped")
    assert e["units_sold"] == 4 and e["first_sale"] == "2026-03-03"


def test_mappings_set_set_bundle_clear(world: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(world, capsys, "mappings", "set", "Acme", "Amazon US", "MUG-11OZ-WHT",
               "--item", "ceramic mug 11oz white")[0] == 0
    status, out = run(world, capsys, "mappings", "set-bundle", "Acme", "Amazon US", "GIFT-SET-1",
                      "--component", "Ceramic Mug 11oz White:2:60",
                      "--component", "Cotton Tote Bag Natural:1:40")
    assert status == 0, out
    entries = by_sku(run(world, capsys, "mappings", "list", "Acme", "Amazon US")[1])
    assert (entries["MUG-11OZ-WHT"]["type"], entries["MUG-11OZ-WHT"]["item"], entries["MUG-11OZ-WHT"]["status"]) == \
        ("item", "Ceramic Mug 11oz White", "mapped")
    gift = entries["GIFT-SET-1"]
    assert (gift["type"], gift["status"]) == ("bundle", "mapped")
    assert gift["components"] == [
        {"item": "Ceramic Mug 11oz White", "item_id": gift["components"][0]["item_id"], "qty": "2", "percent": "60"},
        {"item": "Cotton Tote Bag Natural", "item_id": gift["components"][1]["item_id"], "qty": "1", "percent": "40"}]
    assert run(world, capsys, "mappings", "clear", "Acme", "Amazon US", "MUG-11OZ-WHT")[0] == 0
    assert by_sku(run(world, capsys, "mappings", "list", "Acme", "Amazon US")[1])["MUG-11OZ-WHT"]["type"] == "none"
    status, hist = run(world, capsys, "mappings", "history", "Acme", "Amazon US", "--sku", "MUG-11OZ-WHT")
    assert [h["after"] is None for h in hist["history"]] == [True, False]
    assert hist["history"][0]["who"].startswith("cli")


@pytest.mark.parametrize(("case", "args", "fragments"), [
    ("unknown_item", ["set", "Acme", "Amazon US", "X", "--item", "Nope"], ["'Nope'"]),
    ("service_item", ["set", "Acme", "Amazon US", "X", "--item", "Shipping"], ["'Shipping'"]),
    ("bundle_99_99", ["set-bundle", "Acme", "Amazon US", "X", "--component", "Beanie Knit Charcoal:1:50",
                      "--component", "Gel Pen Set 6:1:49.99"], ["99.99"]),
    ("bundle_every_problem", ["set-bundle", "Acme", "Amazon US", "X", "--component", "Nope:0:50",
                              "--component", "Gel Pen Set 6:two:x", "--component", "bad"],
     ["'Nope'", "not '0'", "not 'two'", "not 'x'", "--component 3"]),
    ("clear_unmapped", ["clear", "Acme", "Amazon US", "NEW-THING"], ["no mapping"]),
    ("unknown_integration", ["list", "Acme", "eBay"], ["eBay"]),
])
def test_mappings__bad_input_exits_2(world: Database, capsys: pytest.CaptureFixture[str], case: str,
                                     args: list[str], fragments: list[str]) -> None:
    status, out = run(world, capsys, "mappings", *args)
    assert status == 2
    text = json.dumps(out)
    for f in fragments:
        assert f.replace("'", "") in text.replace("'", "").replace('\\"', ""), text
    assert load_mappings(world, _integ(world)) == {}


def _integ(db: Database) -> Any:
    from services.storage import clients as repo

    return repo.get_integration(db, repo.get_client(db, "Acme"), "Amazon US")


def test_mappings_export_import_round_trip(world: Database, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    run(world, capsys, "mappings", "set", "Acme", "Amazon US", "NEW-THING", "--item", "Gel Pen Set 6")
    book = tmp_path / "m.xlsx"
    status, out = run(world, capsys, "mappings", "export", "Acme", "Amazon US", "--out", str(book))
    assert status == 0 and out["rows"] == 5
    status, out = run(world, capsys, "mappings", "import", "Acme", "Amazon US", str(book))
    assert (status, out["changed"]) == (0, [])
    assert len(list_history(world, _integ(world))) == 1
    wb = load_workbook(book)
    ws = wb["Mappings"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "MUG-11OZ-WHT")
    row[3].value = "Ceramic Mug 11oz White"
    bad = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "GIFT-SET-1")
    bad[3].value = "No Such Item"
    wb.save(book)
    status, out = run(world, capsys, "mappings", "import", "Acme", "Amazon US", str(book))
    assert status == 2 and "nothing changed" in out["error"]
    assert any("Mappings, row" in p and "No Such Item" in p for p in out["problems"])
    assert "MUG-11OZ-WHT" not in load_mappings(world, _integ(world))
    bad[3].value = None
    wb.save(book)
    status, out = run(world, capsys, "mappings", "import", "Acme", "Amazon US", str(book))
    assert (status, out["changed"]) == (0, ["MUG-11OZ-WHT"])


def test_mappings_import__not_a_workbook(world: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "m.xlsx"
    f.write_text("SKU,Title\n")
    status, out = run(world, capsys, "mappings", "import", "Acme", "Amazon US", str(f))
    assert status == 2 and "not an Excel workbook" in out["problems"][0]


def test_items_create__visible_through_python_quickbooks(world: Database, capsys: pytest.CaptureFixture[str],
                                                         qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    status, out = run(world, capsys, "items", "create", "Acme", "--name", "Widget Deluxe", "--sku", "NEW-THING",
                      "--qty-on-hand", "25", "--as-of", "2026-03-08", "--cost", "3.75",
                      "--integration", "Amazon US")
    assert status == 0, out
    assert out["mapped"] == ["NEW-THING"]
    (item,) = Item.filter(Name="Widget Deluxe", qb=qb_client)
    assert (item.Type, item.Sku, item.QtyOnHand, item.InvStartDate) == ("Inventory", "NEW-THING", 25, "2026-03-08")
    assert str(item.PurchaseCost) == "3.75"
    mapping = load_mappings(world, _integ(world))["NEW-THING"]
    assert mapping.item is not None and mapping.item.id == str(item.Id)


@pytest.mark.parametrize(("case", "args", "fragment"), [
    ("as_of_on_first_sale", ["--name", "W2", "--sku", "NEW-THING", "--as-of", "2026-03-09"],
     "before the earliest sale of NEW-THING on 2026-03-09"),
    ("name_taken", ["--name", "gel pen set 6", "--as-of", "2026-01-01"], "already has an item"),
    ("bad_date", ["--name", "W3", "--as-of", "03/08/2026"], "YYYY-MM-DD"),
    ("no_name", ["--name", " ", "--as-of", "2026-01-01"], "name is required"),
])
def test_items_create__refused_with_the_reason(world: Database, capsys: pytest.CaptureFixture[str], qb_client: Any,
                                               case: str, args: list[str], fragment: str) -> None:
    from quickbooks.objects.item import Item

    before = len(Item.all(qb=qb_client, max_results=1000))
    status, out = run(world, capsys, "items", "create", "Acme", "--qty-on-hand", "1", "--cost", "1", *args)
    assert status == 2
    assert any(fragment in p for p in out["problems"]), out
    assert len(Item.all(qb=qb_client, max_results=1000)) == before


def test_cli_text_mode(world: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", world.url, "mappings", "list", "Acme", "Amazon US"]) == 0
    assert "NEW-THING\tnot mapped" in capsys.readouterr().out
    assert main(["--db", world.url, "mappings", "set", "Acme", "Amazon US", "NEW-THING",
                 "--item", "Ceramic Mug 11oz White"]) == 0
    assert main(["--db", world.url, "mappings", "history", "Acme", "Amazon US"]) == 0
    assert "NEW-THING\tnot mapped → Ceramic Mug 11oz White" in capsys.readouterr().out  # before → after


def test_mappings_set__sku_with_surrounding_spaces_is_kept_exactly(world: Database,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(world, capsys, "mappings", "set", "Acme", "Amazon US", "ceramic mug 11oz black ",
                    "--item", "Ceramic Mug 11oz Black")
    assert status == 0
    entry = by_sku(run(world, capsys, "mappings", "list", "Acme", "Amazon US")[1])["ceramic mug 11oz black "]
    assert (entry["status"], entry["item"], entry["title"]) == ("mapped", "Ceramic Mug 11oz Black", "Black mug")
    assert list(load_mappings(world, _integ(world))) == ["ceramic mug 11oz black "]
