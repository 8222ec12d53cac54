"""The Mappings tab through AppTest, against a real SQLite file and the local QBO sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from services.records import BundleComponent, Integration, ItemRef, Mapping, MappingType
from services.storage import Database, open_database
from services.storage import clients as repo
from services.storage.mappings import list_history, load_mappings, mapping_version, save_mappings
from tests.mapping_setup import make_world

D = Decimal
MUG_W, MUG_B, TOTE = "Ceramic Mug 11oz White", "Ceramic Mug 11oz Black", "Cotton Tote Bag Natural"


@pytest.fixture
def world(tmp_path: Path, sandbox: Any) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'settlebridge.sqlite3'}")
    make_world(db, sandbox)
    yield db
    db.engine.dispose()


def integ(db: Database) -> Integration:
    return repo.get_integration(db, repo.get_client(db, "Acme"), "Amazon US")


def app(db: Database, *, user: str = "") -> AppTest:
    at = AppTest.from_file("apps/mapping_tab.py", default_timeout=60)
    at.session_state["db_url"] = db.url
    if user:
        at.session_state["user_name"] = user  # what the sidebar's "Your name" keeps
    at.run()
    assert not at.exception, at.exception
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def grid(at: AppTest) -> Any:
    return next(e for e in at.data_editor if e.key and e.key.startswith("map_grid_"))


def edit_grid(at: AppTest, sku: str, cells: dict[str, object]) -> AppTest:
    g = grid(at)
    row = list(g.value["SKU"]).index(sku)
    at.session_state[g.key] = {"edited_rows": {row: cells}, "added_rows": [], "deleted_rows": []}
    return ok(at.run())


def texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.success, at.error, at.warning, at.info, at.caption, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def tables(at: AppTest) -> str:
    return "\n".join(str(d.value.to_dict("records")) for d in at.dataframe)


def bundle_editor(at: AppTest, sku: str) -> Any:
    return next(e for e in at.data_editor if e.key and e.key.startswith("map_bundle_editor_") and f"_{sku}_" in e.key)


def test_tab__lists_every_channel_product_with_its_status(world: Database) -> None:
    at = app(world)
    frame = grid(at).value
    assert list(frame.columns) == ["SKU", "Title", "Type", "QBO Item", "Components", "Status", "Units sold",
                                   "First sale"]
    assert sorted(frame["SKU"]) == sorted(['=HYPERLINK("x")', "GIFT-SET-1", "MUG-11OZ-WHT", "NEW-THING",
                                           "ceramic mug 11oz black "])
    assert set(frame["Status"]) == {"not mapped"}
    assert [m.value for m in at.metric] == ["5", "0", "5", "0"]
    assert at.button(key="map_save").disabled


def test_grid__edit_then_save_writes_mapping_and_history(world: Database) -> None:
    at = edit_grid(app(world, user="Dana Whitfield"), "NEW-THING", {"QBO Item": "Gel Pen Set 6"})
    assert "1 unsaved change(s)" in texts(at)
    ok(at.button(key="map_save").click().run())
    assert "Saved 1 mapping change(s)." in texts(at)
    m = load_mappings(world, integ(world))["NEW-THING"]
    assert (m.type, m.item.name if m.item else None) == (MappingType.ITEM, "Gel Pen Set 6")
    (h,) = list_history(world, integ(world))
    assert h.after is not None
    assert (h.sku, h.before, h.after["item"]["name"]) == ("NEW-THING", None, "Gel Pen Set 6")
    frame = grid(at).value
    assert frame.loc[frame["SKU"] == "NEW-THING", "Status"].item() == "mapped"
    history = next(d.value for d in at.dataframe if "Who" in d.value.columns).to_dict("records")
    assert [(r["Who"], r["SKU"], r["Before"], r["After"]) for r in history] == [
        ("Dana Whitfield", "NEW-THING", "not mapped", "Gel Pen Set 6")]


def test_grid__unknown_item_is_refused(world: Database) -> None:
    at = edit_grid(app(world), "NEW-THING", {"QBO Item": "Shipping"})  # a service, not inventory
    assert "'Shipping' is not an active QBO inventory item" in tables(at)
    assert at.button(key="map_save").disabled
    assert load_mappings(world, integ(world)) == {}


def test_grid__filter_to_unmapped_and_search_keep_edits(world: Database) -> None:
    at = edit_grid(app(world), "NEW-THING", {"QBO Item": "Gel Pen Set 6"})
    at.toggle(key="map_unmapped").set_value(True)
    ok(at.run())
    # the unsaved edit counts as mapped, so the row leaves the unmapped view, and stays pending
    assert "NEW-THING" not in list(grid(at).value["SKU"]) and "1 unsaved change(s)" in texts(at)
    at.text_input(key="map_search").input("mug")
    ok(at.run())
    assert sorted(grid(at).value["SKU"]) == ["GIFT-SET-1", "MUG-11OZ-WHT", "ceramic mug 11oz black "]
    ok(at.button(key="map_save").click().run())
    assert set(load_mappings(world, integ(world))) == {"NEW-THING"}


def test_convert_to_bundle__editor_refuses_99_99_then_saves_100(world: Database) -> None:
    at = edit_grid(app(world), "GIFT-SET-1", {"QBO Item": MUG_W})
    ok(at.button(key="map_save").click().run())
    at.selectbox(key="map_row").set_value("GIFT-SET-1")
    ok(at.run())
    ok(at.button(key="map_to_bundle").click().run())
    scope = str(integ(world).id)
    ed = bundle_editor(at, "GIFT-SET-1")
    assert ed.value.to_dict("records") == [{"Bundle Item": MUG_W, "Quantity per bundle": "1",
                                            "Percentage of sales price": "100"}]
    assert "Sum of percentages: **100 %**" in texts(at)
    # edit: the mug becomes 2 per bundle at 60.01 %, add a tote at 39.98 % → 99.99 %
    at.session_state[ed.key] = {
        "edited_rows": {0: {"Quantity per bundle": "2", "Percentage of sales price": "60.01"}},
        "added_rows": [{"Bundle Item": TOTE, "Quantity per bundle": "1", "Percentage of sales price": "39.98"}],
        "deleted_rows": []}
    ok(at.run())
    assert "99.99 %" in texts(at) and "must be exactly 100" in texts(at)
    ok(at.button(key=f"map_bundle_save_{scope}_GIFT-SET-1").click().run())
    assert "The bundle was not saved." in texts(at)
    assert "99.99" in tables(at)
    assert load_mappings(world, integ(world))["GIFT-SET-1"].type is MappingType.ITEM
    # fix it to exactly 100
    ed = bundle_editor(at, "GIFT-SET-1")
    at.session_state[ed.key] = {
        "edited_rows": {0: {"Quantity per bundle": "2", "Percentage of sales price": "60.02"}},
        "added_rows": [{"Bundle Item": TOTE, "Quantity per bundle": "1", "Percentage of sales price": "39.98"}],
        "deleted_rows": []}
    ok(at.run())
    ok(at.button(key=f"map_bundle_save_{scope}_GIFT-SET-1").click().run())
    m = load_mappings(world, integ(world))["GIFT-SET-1"]
    assert m.type is MappingType.BUNDLE
    assert [(c.item.name, c.qty, c.percent) for c in m.components] == [(MUG_W, D(2), D("60.02")),
                                                                       (TOTE, D(1), D("39.98"))]
    assert "Saved bundle GIFT-SET-1." in texts(at)


def _bundle(db: Database, sku: str, *parts: tuple[str, str, str]) -> None:
    from services.qbo.gateway import QboGateway

    client = repo.get_client(db, "Acme")
    items = {i.name: i for i in QboGateway.for_client(db, client).list_items()}
    m = Mapping(sku, MappingType.BUNDLE, None,
                tuple(BundleComponent(items[n].ref, D(q), D(p)) for n, q, p in parts))
    save_mappings(db, integ(db), {sku: m}, who="test", expected_version=mapping_version(db, integ(db)))


def test_bundle_editor__suggest_split_by_cost_and_delete_row(world: Database) -> None:
    _bundle(world, "GIFT-SET-1", (MUG_W, "2", "50"), (TOTE, "1", "30"), ("Gel Pen Set 6", "1", "20"))
    at = app(world)
    at.selectbox(key="map_row").set_value("GIFT-SET-1")
    ok(at.run())
    scope = str(integ(world).id)
    ed = bundle_editor(at, "GIFT-SET-1")
    at.session_state[ed.key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [2]}
    ok(at.run())
    assert "80 %" in texts(at)
    ok(at.button(key=f"map_bundle_suggest_cost_{scope}_GIFT-SET-1").click().run())
    rows = bundle_editor(at, "GIFT-SET-1").value.to_dict("records")
    # demo unit costs: mug 4.10 × 2 = 8.20, tote 3.20 × 1 → 71.93 % and 28.07 %
    assert [(r["Bundle Item"], r["Percentage of sales price"]) for r in rows] == [(MUG_W, "71.93"), (TOTE, "28.07")]
    assert "Sum of percentages: **100 %**" in texts(at)
    ok(at.button(key=f"map_bundle_save_{scope}_GIFT-SET-1").click().run())
    m = load_mappings(world, integ(world))["GIFT-SET-1"]
    assert [c.percent for c in m.components] == [D("71.93"), D("28.07")]


def test_convert_to_inventory_item__keeps_first_component(world: Database) -> None:
    _bundle(world, "GIFT-SET-1", (TOTE, "1", "70"), (MUG_W, "2", "30"))
    at = app(world)
    at.selectbox(key="map_row").set_value("GIFT-SET-1")
    ok(at.run())
    assert at.button(key="map_to_bundle").disabled
    ok(at.button(key="map_to_item").click().run())
    frame = grid(at).value
    row = frame[frame["SKU"] == "GIFT-SET-1"].iloc[0]
    assert (row["Type"], row["QBO Item"]) == ("Inventory item", TOTE)
    ok(at.button(key="map_save").click().run())
    m = load_mappings(world, integ(world))["GIFT-SET-1"]
    assert (m.type, m.item.name if m.item else None) == (MappingType.ITEM, TOTE)


def test_suggest_mappings__same_sku_or_name_after_confirmation(world: Database) -> None:
    at = app(world)
    ok(at.button(key="map_suggest").click().run())
    sugg = next(e for e in at.data_editor if e.key and e.key.startswith("map_suggest_editor_"))
    rows = sugg.value.to_dict("records")
    assert sorted((r["SKU"], r["QBO Item"], r["Matched on"]) for r in rows) == [
        ("MUG-11OZ-WHT", MUG_W, "Sku"), ("ceramic mug 11oz black ", MUG_B, "Name")]
    assert load_mappings(world, integ(world)) == {}  # nothing until confirmed and saved
    row = [r["SKU"] for r in rows].index("ceramic mug 11oz black ")
    at.session_state[str(sugg.key)] = {"edited_rows": {row: {"Accept": False}}, "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(at.button(key="map_suggest_apply").click().run())
    ok(at.button(key="map_save").click().run())
    saved = load_mappings(world, integ(world))
    assert list(saved) == ["MUG-11OZ-WHT"] and saved["MUG-11OZ-WHT"].item.name == MUG_W  # type: ignore[union-attr]


def test_concurrent_save__refused_then_applied_over_theirs(world: Database) -> None:
    at = edit_grid(app(world), "NEW-THING", {"QBO Item": "Gel Pen Set 6"})
    # meanwhile a colleague maps another SKU
    save_mappings(world, integ(world), {"GIFT-SET-1": Mapping("GIFT-SET-1", MappingType.ITEM, ItemRef("9", "x"))},
                  who="colleague", expected_version=0)
    ok(at.button(key="map_save").click().run())
    assert "Someone else saved" in texts(at)
    assert "NEW-THING" not in load_mappings(world, integ(world))
    ok(at.button(key="map_rebase").click().run())
    ok(at.button(key="map_save").click().run())
    saved = load_mappings(world, integ(world))
    assert set(saved) == {"NEW-THING", "GIFT-SET-1"}
    # nobody gave a name in this session: the history says it was the app
    assert [h.who for h in list_history(world, integ(world))] == ["Settlebridge app", "colleague"]


def test_invalid_status_when_item_made_inactive(world: Database, qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    at = edit_grid(app(world), "NEW-THING", {"QBO Item": "Gel Pen Set 6"})
    ok(at.button(key="map_save").click().run())
    (item,) = Item.filter(Name="Gel Pen Set 6", qb=qb_client)
    item.Active = False
    item.save(qb=qb_client)
    ok(at.button(key="map_refresh").click().run())
    frame = grid(at).value
    status = frame.loc[frame["SKU"] == "NEW-THING", "Status"].item()
    assert status == "invalid: Gel Pen Set 6 was deleted (made inactive) in QuickBooks"
    assert [m.value for m in at.metric] == ["5", "0", "4", "1"]


def test_create_items__one_new_item_mapped_and_visible_in_qbo(world: Database, qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    at = app(world)
    at.multiselect(key="map_create_skus_0").set_value(["NEW-THING"])
    ok(at.run())
    editor = next(e for e in at.data_editor if e.key and e.key.startswith("map_create_editor_"))
    row = editor.value.to_dict("records")[0]
    assert (row["Name"], row["SKU"], str(row["As of"])[:10]) == ("Something QBO does not have", "NEW-THING",
                                                                 "2026-03-08")
    at.session_state[str(editor.key)] = {"edited_rows": {0: {"Initial quantity on hand": "12", "Unit cost": "2.35"}},
                                    "added_rows": [], "deleted_rows": []}
    ok(at.run())
    ok(at.button(key="map_create_go").click().run())
    assert "Created 1 item(s) in QuickBooks and mapped them: Something QBO does not have." in texts(at)
    (item,) = Item.filter(Name="Something QBO does not have", qb=qb_client)
    assert (item.Type, item.QtyOnHand, str(item.PurchaseCost), item.InvStartDate) == \
        ("Inventory", 12, "2.35", "2026-03-08")
    m = load_mappings(world, integ(world))["NEW-THING"]
    assert m.item is not None and m.item.id == str(item.Id)
    frame = grid(at).value
    assert frame.loc[frame["SKU"] == "NEW-THING", "Status"].item() == "mapped"
    assert at.multiselect(key="map_create_skus_1").value == []  # the choice starts afresh


def test_create_items__as_of_on_or_after_first_sale_is_refused(world: Database, qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    at = app(world)
    at.multiselect(key="map_create_skus_0").set_value(["NEW-THING", "GIFT-SET-1"])
    ok(at.run())
    editor = next(e for e in at.data_editor if e.key and e.key.startswith("map_create_editor_"))
    at.session_state[str(editor.key)] = {"edited_rows": {0: {"As of": "2026-03-09"}, 1: {"Name": "Gel Pen Set 6"}},
                                    "added_rows": [], "deleted_rows": []}
    ok(at.run())
    before = len(Item.all(qb=qb_client, max_results=1000))
    ok(at.button(key="map_create_go").click().run())
    problems = tables(at)
    assert "No item was created." in texts(at)
    assert "must be before the earliest sale" in problems and "already has an item" in problems
    assert len(Item.all(qb=qb_client, max_results=1000)) == before
    assert load_mappings(world, integ(world)) == {}


def test_page__settings_and_mappings_tabs(world: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The page itself, from app.py: both tabs render for the chosen client and integration."""
    import streamlit as st

    from services.qbo.demo import stop_demo

    monkeypatch.setenv("DATABASE_URL", world.url)
    monkeypatch.setenv("SETTLEBRIDGE_DEMO_DATA", str(tmp_path / "demo"))

    st.cache_resource.clear()
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.session_state["client_name"] = "Acme"
    at.session_state["integration_name"] = "Amazon US"
    at.run()
    at.switch_page("app_pages/settings_and_mappings.py").run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Settings", "Mappings"]
    assert any(e.key and e.key.startswith("map_grid_") for e in at.data_editor)
    st.cache_resource.clear()
    stop_demo(tmp_path / "demo")


def _workbook(db: Database, edits: dict[str, str]) -> bytes:
    import io

    from openpyxl import load_workbook

    from services.excel import export_workbook
    from services.mapping import channel_rows
    from services.qbo.gateway import QboGateway
    from services.storage.mappings import list_channel_products

    client = repo.get_client(db, "Acme")
    rows = channel_rows(list_channel_products(db, integ(db)), load_mappings(db, integ(db)))
    wb = load_workbook(io.BytesIO(export_workbook(rows, QboGateway.for_client(db, client).list_items())))
    ws = wb["Mappings"]
    for r in ws.iter_rows(min_row=2):
        if r[0].value in edits:
            r[3].value = edits[r[0].value]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_excel__upload_applies_all_or_nothing(world: Database) -> None:
    at = app(world)
    assert at.download_button(key="map_download").label == "Download Excel"
    bad = _workbook(world, {"NEW-THING": "Gel Pen Set 6", "GIFT-SET-1": "No Such Item"})
    at.file_uploader[0].upload("mappings.xlsx", bad, XLSX)
    ok(at.run())
    ok(at.button(key="map_import").click().run())
    assert "mappings.xlsx was not imported; nothing changed." in texts(at)
    assert "unknown item 'No Such Item'" in tables(at)
    assert load_mappings(world, integ(world)) == {}
    good = _workbook(world, {"NEW-THING": "Gel Pen Set 6", "GIFT-SET-1": TOTE})
    at.file_uploader[0].upload("mappings.xlsx", good, XLSX)
    ok(at.run())
    ok(at.button(key="map_import").click().run())
    assert "Imported mappings.xlsx: 2 mapping(s) changed." in texts(at)
    saved = load_mappings(world, integ(world))
    assert {k: m.item.name for k, m in saved.items() if m.item} == {"NEW-THING": "Gel Pen Set 6", "GIFT-SET-1": TOTE}


def test_unmapped_to_bundle__components_added_in_the_editor(world: Database) -> None:
    at = app(world)
    at.selectbox(key="map_row").set_value("NEW-THING")
    ok(at.run())
    ok(at.button(key="map_to_bundle").click().run())
    # an empty bundle cannot be saved with the grid's Save
    ok(at.button(key="map_save").click().run())
    assert "Nothing was saved" in texts(at) and "a bundle needs at least one component" in texts(at)
    assert load_mappings(world, integ(world)) == {}
    ed = bundle_editor(at, "NEW-THING")
    assert len(ed.value) == 0
    at.session_state[ed.key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Bundle Item": "Gel Pen Set 6", "Quantity per bundle": "3", "Percentage of sales price": "33.333"},
        {"Bundle Item": "Notebook A5 Dotted", "Quantity per bundle": "1", "Percentage of sales price": "66.667"}]}
    ok(at.run())
    ok(at.button(key=f"map_bundle_save_{integ(world).id}_NEW-THING").click().run())
    m = load_mappings(world, integ(world))["NEW-THING"]
    assert [(c.item.name, str(c.qty), str(c.percent)) for c in m.components] == [
        ("Gel Pen Set 6", "3", "33.333"), ("Notebook A5 Dotted", "1", "66.667")]
    frame = grid(at).value
    row = frame[frame["SKU"] == "NEW-THING"].iloc[0]
    assert (row["Type"], row["Status"]) == ("Bundle", "mapped")
    assert row["Components"] == "3 × Gel Pen Set 6 (33.333%) + 1 × Notebook A5 Dotted (66.667%)"


def test_tab__quickbooks_unreachable_is_said_in_words(world: Database) -> None:
    client = repo.get_client(world, "Acme")
    repo.update_client(world, client.id, sandbox_url="http://127.0.0.1:9/v3")  # nothing listens there
    at = app(world)
    assert at.error and not at.data_editor
    assert "QuickBooks" in at.error[0].value
    assert at.button(key="map_items_retry")


def test_suggest_mappings__a_sku_mapped_by_hand_meanwhile_keeps_its_item(world: Database) -> None:
    at = app(world)
    ok(at.button(key="map_suggest").click().run())
    at = edit_grid(at, "MUG-11OZ-WHT", {"QBO Item": "Gel Pen Set 6"})
    ok(at.button(key="map_suggest_apply").click().run())
    ok(at.button(key="map_save").click().run())
    saved = {k: m.item.name for k, m in load_mappings(world, integ(world)).items() if m.item}
    assert saved == {"MUG-11OZ-WHT": "Gel Pen Set 6", "ceramic mug 11oz black ": MUG_B}


def test_tab__says_when_inventory_tracking_is_off(world: Database) -> None:
    assert not any("Inventory tracking is off" in i.value for i in app(world).info)
    repo.update_integration(world, integ(world), inventory_tracking=False)
    assert any("Inventory tracking is off" in i.value for i in app(world).info)


def test_bundle_editor__follows_a_bundle_saved_elsewhere(world: Database) -> None:
    _bundle(world, "GIFT-SET-1", (MUG_W, "2", "50"), (TOTE, "1", "50"))
    at = app(world)
    at.selectbox(key="map_row").set_value("GIFT-SET-1")
    ok(at.run())
    assert [r["Bundle Item"] for r in bundle_editor(at, "GIFT-SET-1").value.to_dict("records")] == [MUG_W, TOTE]
    _bundle(world, "GIFT-SET-1", (TOTE, "3", "100"))  # e.g. a colleague's Excel upload
    ok(at.run())
    assert bundle_editor(at, "GIFT-SET-1").value.to_dict("records") == [
        {"Bundle Item": TOTE, "Quantity per bundle": "3", "Percentage of sales price": "100"}]


def test_excel__broken_workbook_is_named_and_changes_nothing(world: Database) -> None:
    at = app(world)
    at.file_uploader[0].upload("mappings.xlsx", b"PK\x03\x04 this is not a workbook", XLSX)
    ok(at.run())
    ok(at.button(key="map_import").click().run())
    assert "mappings.xlsx was not imported; nothing changed." in texts(at)
    assert "mappings.xlsx" in tables(at)
    assert load_mappings(world, integ(world)) == {} and list_history(world, integ(world)) == []


def test_tab__counts_have_thousands_separators(tmp_path: Path, sandbox: Any) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'many.sqlite3'}")
    make_world(db, sandbox, n_products=1_000)
    at = app(db)
    assert [m.value for m in at.metric] == ["1,005", "0", "1,005", "0"]
    assert "1,005 of 1,005 shown" in texts(at)
    db.engine.dispose()


def test_create_items__quickbooks_refusing_is_said_in_words_and_maps_nothing(world: Database,
                                                                            qb_client: Any) -> None:
    from quickbooks.objects.preferences import Preferences

    at = app(world)
    prefs = Preferences.get(qb=qb_client)  # someone turns inventory tracking off in QuickBooks meanwhile
    prefs.ProductAndServicesPrefs.QuantityOnHand = False
    prefs.save(qb=qb_client)
    at.multiselect(key="map_create_skus_0").set_value(["NEW-THING"])
    ok(at.run())
    ok(at.button(key="map_create_go").click().run())
    shown = texts(at) + tables(at)
    assert next(e.value for e in at.error) == "No item was created: QuickBooks refused it (the reason is below)."
    assert not at.success
    assert "New item 1 (Something QBO does not have): QuickBooks refused it" in shown
    assert "Track inventory quantity on hand" in shown
    assert load_mappings(world, integ(world)) == {}
