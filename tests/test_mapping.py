"""The pure mapping core: statuses, conversions, grid frames back to records, suggestions, new items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from services.mapping import (
    COL_B_ITEM,
    COL_B_PCT,
    COL_B_QTY,
    COL_ITEM,
    COL_SKU,
    COL_STATUS,
    COL_TYPE,
    ItemIndex,
    MappingStatus,
    NewItem,
    Row,
    apply_edited_rows,
    bundle_frame,
    channel_rows,
    convert_to_bundle,
    convert_to_item,
    create_frame,
    describe,
    exact_decimal,
    filter_rows,
    frame_to_changes,
    frame_to_components,
    frame_to_new_items,
    grid_frame,
    mapping_status,
    mapping_to_json,
    norm,
    propose_as_of,
    same_mapping,
    suggest_mappings,
    validate_new_items,
)
from services.records import BundleComponent, ChannelProduct, ItemRef, Mapping, MappingType, QboItem

D = Decimal
ITEMS = [
    QboItem("1", "Blue Mug", "Inventory", sku="MUG-B"),
    QboItem("2", "Lid", "Inventory", sku="LID-1"),
    QboItem("3", "Old Mug (deleted)", "Inventory", active=False),
    QboItem("4", "Shipping", "Service", sku="SHIP"),
    QboItem("5", "lid", "Inventory"),  # differs from "Lid" only by case: ambiguous when case is ignored
    QboItem("6", "Gift Set", "Inventory", sku=" gift-set "),
]
INDEX = ItemIndex.of(ITEMS)
MUG, LID, OLD = ItemRef("1", "Blue Mug"), ItemRef("2", "Lid"), ItemRef("3", "Old Mug")


def item(sku: str, ref: ItemRef) -> Mapping:
    return Mapping(sku, MappingType.ITEM, ref)


def bundle(sku: str, *parts: tuple[ItemRef, str, str]) -> Mapping:
    return Mapping(sku, MappingType.BUNDLE, None, tuple(BundleComponent(r, D(q), D(p)) for r, q, p in parts))


@pytest.mark.parametrize(("case", "text", "expected"), [
    ("case", "Blue MUG", "blue mug"), ("spaces", "  Blue   Mug ", "blue mug"), ("empty", "", "")])
def test_norm__case(case: str, text: str, expected: str) -> None:
    assert norm(text) == expected


@pytest.mark.parametrize(("case", "value", "expected"), [
    ("text", "33.333", D("33.333")), ("int", 2, D(2)), ("float_repr", 33.33, D("33.33")),
    ("percent_sign", "40 %", D(40)), ("blank", "", None), ("words", "two", None), ("nan", float("nan"), None),
    ("none", None, None), ("bool", True, None), ("infinity", "inf", None)])
def test_exact_decimal__case(case: str, value: object, expected: Decimal | None) -> None:
    assert exact_decimal(value) == expected


@pytest.mark.parametrize(("case", "name", "expected_id"), [
    ("exact", "Lid", "2"), ("exact_lower", "lid", "5"), ("case_unique", "blue mug ", "1"),
    ("case_ambiguous", "LID", None), ("inactive", "Old Mug (deleted)", None), ("service", "Shipping", None),
    ("blank", "  ", None)])
def test_item_index_find__case(case: str, name: str, expected_id: str | None) -> None:
    found = INDEX.find(name)
    assert (found.id if found else None) == expected_id


@pytest.mark.parametrize(("case", "mapping", "status", "why"), [
    ("none", None, MappingStatus.NOT_MAPPED, ""),
    ("item_ok", item("A", MUG), MappingStatus.MAPPED, ""),
    ("item_inactive", item("A", OLD), MappingStatus.INVALID, "Old Mug was deleted (made inactive) in QuickBooks"),
    ("item_gone", item("A", ItemRef("99", "Ghost")), MappingStatus.INVALID, "Ghost no longer exists in QuickBooks"),
    ("item_not_inventory", item("A", ItemRef("4", "Shipping")), MappingStatus.INVALID,
     "Shipping is not an inventory item"),
    ("bundle_ok", bundle("A", (MUG, "1", "60"), (LID, "2", "40")), MappingStatus.MAPPED, ""),
    ("bundle_gone_component", bundle("A", (MUG, "1", "60"), (ItemRef("99", "Ghost"), "2", "40")),
     MappingStatus.INVALID, "Ghost no longer exists in QuickBooks"),
    ("bundle_empty", bundle("A"), MappingStatus.INVALID, "a bundle needs at least one component."),
])
def test_mapping_status__case(case: str, mapping: Mapping | None, status: MappingStatus, why: str) -> None:
    assert mapping_status(mapping, INDEX) == (status, why)


@pytest.mark.parametrize(("case", "before", "after"), [
    ("item_becomes_one_component", item("A", MUG), bundle("A", (MUG, "1", "100"))),
    ("unmapped_becomes_empty_bundle", None, bundle("A")),
    ("bundle_stays", bundle("A", (LID, "2", "100")), bundle("A", (LID, "2", "100"))),
])
def test_convert_to_bundle__case(case: str, before: Mapping | None, after: Mapping) -> None:
    assert convert_to_bundle("A", before) == after


@pytest.mark.parametrize(("case", "before", "after"), [
    ("keeps_first_component", bundle("A", (LID, "2", "70"), (MUG, "1", "30")), item("A", LID)),
    ("empty_bundle_unmaps", bundle("A"), None),
    ("item_stays", item("A", MUG), item("A", MUG)),
    ("none_stays", None, None),
])
def test_convert_to_item__case(case: str, before: Mapping | None, after: Mapping | None) -> None:
    assert convert_to_item("A", before) == after


@pytest.mark.parametrize(("case", "a", "b", "same"), [
    ("renamed_item_is_same", item("A", MUG), item("A", ItemRef("1", "Mug renamed")), True),
    ("other_item", item("A", MUG), item("A", LID), False),
    ("none_and_none_type", None, Mapping("A", MappingType.NONE), True),
    ("qty_1_equals_1_0", bundle("A", (MUG, "1", "100")), bundle("A", (MUG, "1.0", "100.00")), True),
    ("order_matters", bundle("A", (MUG, "1", "50"), (LID, "1", "50")), bundle("A", (LID, "1", "50"), (MUG, "1", "50")),
     False),
    ("item_vs_bundle", item("A", MUG), bundle("A", (MUG, "1", "100")), False),
])
def test_same_mapping__case(case: str, a: Mapping | None, b: Mapping | None, same: bool) -> None:
    assert same_mapping(a, b) is same


def _frame(base: dict[str, Mapping]) -> pd.DataFrame:
    rows = [Row(s, f"title {s}", base.get(s)) for s in ("A", "B", "C", "D")]
    return grid_frame(rows, INDEX)


BASE = {"A": item("A", MUG), "B": bundle("B", (LID, "2", "100")), "D": item("D", OLD)}

EDIT_CASES = [
    ("nothing", {}, {}, []),
    ("map_unmapped", {"C": {COL_ITEM: "lid "}}, {"C": item("C", ItemRef("5", "lid"))}, []),
    ("change_item", {"A": {COL_ITEM: "Lid"}}, {"A": item("A", LID)}, []),
    ("clear_item", {"A": {COL_ITEM: None}}, {"A": None}, []),
    ("item_to_bundle", {"A": {COL_TYPE: "Bundle"}}, {"A": bundle("A", (MUG, "1", "100"))}, []),
    ("bundle_to_item_keeps_first", {"B": {COL_TYPE: "Inventory item"}}, {"B": item("B", LID)}, []),
    ("bundle_to_item_with_choice", {"B": {COL_TYPE: "Inventory item", COL_ITEM: "Blue Mug"}},
     {"B": item("B", MUG)}, []),
    ("bundle_type_cleared", {"B": {COL_TYPE: None}}, {"B": None}, []),
    ("unknown_item", {"C": {COL_ITEM: "Nope"}}, {}, ["unknown_item"]),
    ("inactive_untouched_is_kept", {"D": {COL_TYPE: "Inventory item"}}, {}, []),
    ("set_item_then_bundle", {"C": {COL_TYPE: "Bundle", COL_ITEM: "Lid"}}, {"C": bundle("C", (LID, "1", "100"))}, []),
]


@pytest.mark.parametrize(("case", "edits", "changes", "codes"), EDIT_CASES, ids=[c[0] for c in EDIT_CASES])
def test_frame_to_changes__case(case: str, edits: dict[str, dict[str, object]], changes: dict[str, Mapping | None],
                                codes: list[str]) -> None:
    frame = _frame(BASE)
    for sku, cells in edits.items():
        for col, value in cells.items():
            frame.loc[frame[COL_SKU] == sku, col] = value
    got, issues = frame_to_changes(frame, BASE, INDEX)
    assert [i.code for i in issues] == codes
    assert {k: (v.type, v.item, v.components) if v else None for k, v in got.items()} == \
        {k: (v.type, v.item, v.components) if v else None for k, v in changes.items()}


@pytest.mark.parametrize(("case", "edits", "changes", "codes"), EDIT_CASES, ids=[c[0] for c in EDIT_CASES])
def test_apply_edited_rows__agrees_with_frames(case: str, edits: dict[str, dict[str, object]],
                                               changes: dict[str, Mapping | None], codes: list[str]) -> None:
    shown = ["A", "B", "C", "D"]
    edited_rows = {shown.index(sku): cells for sku, cells in edits.items()}
    got, issues = apply_edited_rows(shown, edited_rows, BASE, {}, INDEX)
    assert [i.code for i in issues] == codes
    assert {k: (v.type, v.item, v.components) if v else None for k, v in got.items()} == \
        {k: (v.type, v.item, v.components) if v else None for k, v in changes.items()}


def test_grid_frame__status_and_item_names() -> None:
    frame = _frame(BASE)
    assert list(frame[COL_STATUS]) == ["mapped", "mapped", "not mapped",
                                       "invalid: Old Mug was deleted (made inactive) in QuickBooks"]
    assert list(frame[COL_ITEM].fillna("")) == ["Blue Mug", "", "", "Old Mug (deleted)"]
    assert frame.loc[1, "Components"] == "2 × Lid (100%)"


def test_channel_rows__products_plus_mapped_skus_not_seen() -> None:
    products = [ChannelProduct("B", "Bee", dt.date(2026, 1, 2), dt.date(2026, 1, 9), 5)]
    rows = channel_rows(products, {"A": item("A", MUG), "B": item("B", LID)})
    assert [(r.sku, r.title, r.units_sold, r.mapping.item if r.mapping else None) for r in rows] == [
        ("A", "", 0, MUG), ("B", "Bee", 5, LID)]


def test_filter_rows__unmapped_and_search() -> None:
    rows = [Row(s, f"title {s}", BASE.get(s)) for s in ("A", "B", "C", "D")]
    assert [r.sku for r in filter_rows(rows, INDEX, unmapped_only=True)] == ["C", "D"]
    assert [r.sku for r in filter_rows(rows, INDEX, search="LID")] == ["B"]
    assert [r.sku for r in filter_rows(rows, INDEX, search=" title c ")] == ["C"]


@pytest.mark.parametrize(("case", "sku", "expected"), [
    ("same_sku", "mug-b ", ("1", "Sku")),
    ("same_name", "BLUE MUG", ("1", "Name")),
    ("sku_with_spaces_in_qbo", "GIFT-SET", ("6", "Sku")),
    ("ambiguous_name", "LID", None),
    ("inactive_item_not_offered", "Old Mug (deleted)", None),
    ("service_not_offered", "SHIP", None),
    ("no_match", "ZZZ", None),
])
def test_suggest_mappings__case(case: str, sku: str, expected: tuple[str, str] | None) -> None:
    got = suggest_mappings([sku], {}, INDEX)
    assert ((got[0].item.id, got[0].matched_on) if got else None) == expected


def test_suggest_mappings__skips_mapped() -> None:
    assert suggest_mappings(["MUG-B"], {"MUG-B": item("MUG-B", LID)}, INDEX) == []


@pytest.mark.parametrize(("case", "first", "expected"), [
    ("day_before", dt.date(2026, 3, 1), dt.date(2026, 2, 28)),
    ("no_sale_today", None, dt.date(2026, 5, 5))])
def test_propose_as_of__case(case: str, first: dt.date | None, expected: dt.date) -> None:
    assert propose_as_of(first, today=dt.date(2026, 5, 5)) == expected


def _new(name: str = "Widget", sku: str = "W-1", as_of: str = "2026-02-28", qty: str = "5", cost: str = "1.25",
         map_sku: str = "W-1") -> NewItem:
    return NewItem(name, sku, D(qty), dt.date.fromisoformat(as_of), D(cost), map_sku)


@pytest.mark.parametrize(("case", "new", "codes"), [
    ("valid", [_new()], []),
    ("no_name", [_new(name=" ")], ["name_required"]),
    ("name_taken_any_case", [_new(name="blue MUG")], ["name_taken"]),
    ("name_taken_by_inactive", [_new(name="Old Mug (deleted)")], ["name_taken"]),
    ("name_twice_in_batch", [_new(), _new(map_sku="W-2")], ["name_twice"]),
    ("colon", [_new(name="A:B")], ["name_colon"]),
    ("as_of_on_first_sale", [_new(as_of="2026-03-01")], ["as_of_late"]),
    ("as_of_after_first_sale", [_new(as_of="2026-04-01")], ["as_of_late"]),
    ("negative_qty_and_cost", [_new(qty="-1", cost="-2")], ["qty_negative", "cost_negative"]),
])
def test_validate_new_items__case(case: str, new: list[NewItem], codes: list[str]) -> None:
    issues = validate_new_items(new, ITEMS, {"W-1": dt.date(2026, 3, 1), "W-2": None})
    assert [i.code for i in issues] == codes


def test_validate_new_items__reason_names_the_dates() -> None:
    (issue,) = validate_new_items([_new(as_of="2026-03-01")], ITEMS, {"W-1": dt.date(2026, 3, 1)})
    assert "2026-03-01 must be before the earliest sale of W-1 on 2026-03-01" in issue.message
    assert "use 2026-02-28 or earlier" in issue.message


def test_create_frame_and_back() -> None:
    rows = [Row("W-1", "Widget: blue", None, 3, dt.date(2026, 3, 1)), Row("X", "", None)]
    frame = create_frame(rows, today=dt.date(2026, 5, 5))
    assert list(frame["Name"]) == ["Widget blue", "X"]
    assert list(frame["As of"]) == [dt.date(2026, 2, 28), dt.date(2026, 5, 5)]
    frame.loc[0, "Initial quantity on hand"] = "12.5"
    frame.loc[1, "Unit cost"] = "abc"
    new, issues = frame_to_new_items(frame, income_account="I", expense_account="E", asset_account="A")
    assert [i.code for i in issues] == ["bad_cost"]
    assert new == [NewItem("Widget blue", "W-1", D("12.5"), dt.date(2026, 2, 28), D("0.00"), "W-1", "I", "E", "A")]


BUNDLE_ROWS = [
    ("valid", [("Blue Mug", "2", "60"), ("Lid", "1", "40")], []),
    ("sum_99_99", [("Blue Mug", "2", "60"), ("Lid", "1", "39.99")], ["bundle_sum"]),
    ("blank_rows_skipped", [("Blue Mug", "1", "100"), ("", "", "")], []),
    ("bad_cells", [("Nope", "0", "x")], ["unknown_item", "bad_qty", "bad_percent"]),
    ("duplicate", [("Blue Mug", "1", "50"), ("blue mug", "1", "50")], ["bundle_duplicate"]),
    ("no_item", [(None, "1", "100")], ["no_item"]),
]


@pytest.mark.parametrize(("case", "rows", "codes"), BUNDLE_ROWS, ids=[c[0] for c in BUNDLE_ROWS])
def test_frame_to_components__case(case: str, rows: list[tuple[str | None, str, str]], codes: list[str]) -> None:
    frame = pd.DataFrame(rows, columns=[COL_B_ITEM, COL_B_QTY, COL_B_PCT])
    _comps, issues = frame_to_components(frame, INDEX, sku="S")
    assert [i.code for i in issues] == codes


def test_bundle_frame__round_trip_exact() -> None:
    m = bundle("S", (MUG, "0.5", "33.333"), (LID, "3", "66.667"))
    comps, issues = frame_to_components(bundle_frame(m.components, INDEX), INDEX, sku="S")
    assert issues == [] and tuple(comps) == m.components


@pytest.mark.parametrize(("case", "mapping", "text"), [
    ("none", None, "not mapped"),
    ("item", item("A", MUG), "Blue Mug"),
    ("bundle", bundle("A", (MUG, "2", "60"), (LID, "1", "40")), "bundle: 2 × Blue Mug (60%) + 1 × Lid (40%)"),
])
def test_describe__case(case: str, mapping: Mapping | None, text: str) -> None:
    assert describe(mapping_to_json(mapping)) == text
