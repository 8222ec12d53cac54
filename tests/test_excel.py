"""The mapping workbook: export, the round trip, and every rejection of an import."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from openpyxl import load_workbook

from services.excel import export_workbook, import_workbook
from services.mapping import Row
from services.records import BundleComponent, ItemRef, Mapping, MappingType, QboItem

D = Decimal
ITEMS = [
    QboItem("1", "Blue Mug", "Inventory", sku="MUG-B", qty_on_hand=D(10), purchase_cost=D("2.50")),
    QboItem("2", "Lid", "Inventory", sku="LID", purchase_cost=D("0.40")),
    QboItem("3", "Old Mug", "Inventory", active=False),
    QboItem("4", "Shipping", "Service"),
    QboItem("5", "=SUM(A1)", "Inventory"),
]
MUG, LID, OLD = ITEMS[0].ref, ITEMS[1].ref, ITEMS[2].ref


def current() -> dict[str, Mapping | None]:
    return {
        "MUG-1": Mapping("MUG-1", MappingType.ITEM, MUG, (), "Blue mug"),
        "SET-2": Mapping("SET-2", MappingType.BUNDLE, None, (
            BundleComponent(MUG, D(2), D("66.667")), BundleComponent(LID, D("0.5"), D("33.333"))), "Set"),
        "GONE": Mapping("GONE", MappingType.ITEM, OLD),
    }


def rows() -> list[Row]:
    m = current()
    return [Row("MUG-1", "Blue mug", m["MUG-1"], 5), Row("SET-2", "Set", m["SET-2"], 2),
            Row("GONE", "", m["GONE"]), Row("=cmd|' /C calc'!A0", "-2 for 1 @home", None),
            Row("+NEW", "New thing", None)]


def book() -> bytes:
    return export_workbook(rows(), ITEMS)


def edit(data: bytes, sheet: str, cells: dict[str, object], *, delete_rows: tuple[int, ...] = ()) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    for ref, value in cells.items():
        ws[ref] = value
    for r in sorted(delete_rows, reverse=True):
        ws.delete_rows(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_export__sheets_columns_and_rows() -> None:
    wb = load_workbook(io.BytesIO(book()))
    assert wb.sheetnames == ["Mappings", "Bundles", "Items"]
    vals = lambda s: [list(r) for r in wb[s].iter_rows(values_only=True)]  # noqa: E731
    assert vals("Mappings")[0] == ["SKU", "Title", "Type", "QBO Item"]
    assert vals("Mappings")[1] == ["MUG-1", "Blue mug", "Inventory item", "Blue Mug"]
    assert vals("Mappings")[2][:3] == ["SET-2", "Set", "Bundle"]
    assert vals("Bundles") == [["SKU", "Bundle Item", "Quantity per bundle", "Percentage of sales price"],
                               ["SET-2", "Blue Mug", 2, 66.667], ["SET-2", "Lid", 0.5, 33.333]]
    # only active inventory items are offered
    assert [r[0] for r in vals("Items")[1:]] == ["=SUM(A1)", "Blue Mug", "Lid"]


def test_export__drop_downs_refer_to_the_items_sheet() -> None:
    wb = load_workbook(io.BytesIO(book()))
    lists = {str(dv.sqref): dv.formula1 for s in ("Mappings", "Bundles")
             for dv in wb[s].data_validations.dataValidation if dv.type == "list"}
    assert lists["D2:D1048576"] == "=Items!$A$2:$A$4"
    assert lists["B2:B1048576"] == "=Items!$A$2:$A$4"


def test_export__report_text_is_never_a_formula() -> None:
    data = book()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s or "<f " in s for s in sheets)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Mappings"]
    assert ws["A5"].value == "=cmd|' /C calc'!A0" and ws["A5"].data_type == "s"
    assert ws["B5"].value == "-2 for 1 @home" and ws["B5"].data_type == "s"
    assert ws["A6"].value == "+NEW" and ws["A6"].data_type == "s"
    assert wb["Items"]["A2"].value == "=SUM(A1)" and wb["Items"]["A2"].data_type == "s"


def test_import__round_trip_changes_nothing() -> None:
    result = import_workbook(book(), current=current(), items=ITEMS)
    assert result.ok, result.issues
    assert result.changes == {}
    assert result.rows_read == 7


def test_import__edits_become_changes() -> None:
    data = edit(book(), "Mappings", {"D2": "lid ", "C6": "Inventory item", "D6": "Blue Mug", "D5": "Lid",
                                     "C3": None})
    data = edit(data, "Bundles", {}, delete_rows=(2, 3))
    result = import_workbook(data, current=current(), items=ITEMS)
    assert result.ok, result.issues
    assert result.changes == {
        "MUG-1": Mapping("MUG-1", MappingType.ITEM, LID, (), "Blue mug"),
        "+NEW": Mapping("+NEW", MappingType.ITEM, MUG, (), "New thing"),
        "=cmd|' /C calc'!A0": Mapping("=cmd|' /C calc'!A0", MappingType.ITEM, LID, (), "-2 for 1 @home"),
        "SET-2": None,
    }


def test_import__percent_formatted_cells_and_new_bundle() -> None:
    data = edit(book(), "Mappings", {"C6": "Bundle"})
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Bundles"]
    ws.append(["+NEW", "Blue Mug", 3, 0.25])
    ws.append(["+NEW", "Lid", 1, 0.75])
    ws["D4"].number_format = ws["D5"].number_format = "0.00%"
    out = io.BytesIO()
    wb.save(out)
    result = import_workbook(out.getvalue(), current=current(), items=ITEMS)
    assert result.ok, result.issues
    assert result.changes["+NEW"].components == (BundleComponent(MUG, D(3), D(25)), BundleComponent(LID, D(1), D(75)))


REJECTIONS = [
    ("unknown_item", "Mappings", {"D2": "Green Mug"}, ("Mappings", 2, "unknown_item")),
    ("inactive_item_is_unknown", "Mappings", {"D2": "Old Mug"}, ("Mappings", 2, "unknown_item")),
    ("service_item_is_unknown", "Mappings", {"D2": "Shipping"}, ("Mappings", 2, "unknown_item")),
    ("duplicate_sku", "Mappings", {"A6": "MUG-1"}, ("Mappings", 6, "duplicate_sku")),
    ("unknown_type", "Mappings", {"C2": "Kit"}, ("Mappings", 2, "unknown_type")),
    ("percent_99_99", "Bundles", {"D3": "33.323"}, ("Bundles", 2, "bundle_sum")),
    ("qty_zero", "Bundles", {"C2": 0}, ("Bundles", 2, "bad_qty")),
    ("qty_text", "Bundles", {"C3": "two"}, ("Bundles", 3, "bad_qty")),
    ("qty_negative", "Bundles", {"C3": -1}, ("Bundles", 3, "bad_qty")),
    ("percent_text", "Bundles", {"D3": "a third"}, ("Bundles", 3, "bad_percent")),
    ("bundle_row_for_item_sku", "Bundles", {"A4": "MUG-1", "B4": "Lid", "C4": 1, "D4": 100},
     ("Bundles", 4, "not_a_bundle")),
    ("bundle_row_for_unlisted_sku", "Bundles", {"A4": "NOPE", "B4": "Lid", "C4": 1, "D4": 100},
     ("Bundles", 4, "not_a_bundle")),
    ("unknown_component", "Bundles", {"B3": "Cap"}, ("Bundles", 3, "unknown_item")),
    ("duplicate_component", "Bundles", {"B3": "Blue Mug"}, ("Bundles", 2, "bundle_duplicate")),
    ("bundle_without_components", "Mappings", {"C6": "Bundle"}, ("Mappings", 6, "bundle_empty")),
    ("item_type_without_item", "Mappings", {"C6": "Inventory item"}, ("Mappings", 6, "no_item")),
    ("missing_column", "Mappings", {"D1": "Item"}, ("Mappings", 1, "missing_column")),
]


@pytest.mark.parametrize(("case", "sheet", "cells", "expected"), REJECTIONS, ids=[c[0] for c in REJECTIONS])
def test_import__rejects(case: str, sheet: str, cells: dict[str, object], expected: tuple[str, int, str]) -> None:
    result = import_workbook(edit(book(), sheet, cells), current=current(), items=ITEMS)
    assert not result.ok and result.changes == {}
    errors = [(i.file, i.row, i.code) for i in result.issues if i.severity.value == "error"]
    assert expected in errors, result.issues


def test_import__every_problem_listed_at_once() -> None:
    data = edit(book(), "Mappings", {"D2": "Green Mug", "A6": "MUG-1"})
    data = edit(data, "Bundles", {"C2": 0, "D3": "40"})
    result = import_workbook(data, current=current(), items=ITEMS)
    codes = sorted(i.code for i in result.issues if i.severity.value == "error")
    assert codes == ["bad_qty", "duplicate_sku", "unknown_item"]
    assert result.changes == {}
    assert all(str(i).startswith(("Mappings, row", "Bundles, row")) for i in result.issues)


@pytest.mark.parametrize(("case", "data"), [
    ("csv", b"SKU,Title,Type,QBO Item\nA,,,\n"),
    ("empty", b""),
    ("truncated_xlsx", None),
    ("zip_not_xlsx", None),
])
def test_import__not_a_workbook(case: str, data: bytes | None) -> None:
    if case == "truncated_xlsx":
        data = book()[:2000]
    if case == "zip_not_xlsx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "hi")
        data = buf.getvalue()
    assert data is not None
    result = import_workbook(data, current=current(), items=ITEMS, file_name="up.xlsx")
    assert [i.code for i in result.issues] == ["not_xlsx"]
    assert "up.xlsx" in result.issues[0].message


def test_import__no_mappings_sheet() -> None:
    wb = load_workbook(io.BytesIO(book()))
    wb["Mappings"].title = "Sheet1"
    out = io.BytesIO()
    wb.save(out)
    result = import_workbook(out.getvalue(), current=current(), items=ITEMS)
    assert [i.code for i in result.issues] == ["no_sheet"]


def test_import__stale_item_kept_with_a_warning() -> None:
    # GONE maps to an item that was made inactive: the untouched row keeps it, with a warning
    result = import_workbook(book(), current=current(), items=ITEMS)
    assert [(i.row, i.code) for i in result.issues] == [(4, "stale_item")]
    assert "GONE" not in result.changes
    assert ItemRef("3", "Old Mug") == OLD


def test_import__damaged_sheet_inside_a_valid_zip() -> None:
    src = zipfile.ZipFile(io.BytesIO(book()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            z.writestr(name, data)
    result = import_workbook(out.getvalue(), current=current(), items=ITEMS, file_name="half.xlsx")
    assert [i.code for i in result.issues] == ["not_xlsx"] and result.changes == {}
    assert "half.xlsx" in result.issues[0].message


# --- property: the round trip of arbitrary report text -------------------------------------------

report_text = hst.text(alphabet=hst.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda t: t.strip() != "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skus=hst.lists(report_text, min_size=1, max_size=6, unique=True),
       titles=hst.lists(hst.text(max_size=40), min_size=6, max_size=6),
       prefix=hst.sampled_from(["", "=", "+", "-", "@", " "]))
def test_import__round_trip_of_any_report_text_changes_nothing(skus: list[str], titles: list[str], prefix: str) -> None:
    skus = [prefix + s for s in skus]
    mapped = {s: (Mapping(s, MappingType.ITEM, MUG if n % 2 else LID, (), titles[n]) if n % 3 else
                  Mapping(s, MappingType.BUNDLE, None, (BundleComponent(MUG, D(n + 1), D("62.5")),
                                                        BundleComponent(LID, D("0.25"), D("37.5"))), titles[n]))
              for n, s in enumerate(skus)}
    data = export_workbook([Row(s, titles[n], mapped[s]) for n, s in enumerate(skus)], ITEMS)
    result = import_workbook(data, current=mapped, items=ITEMS)
    assert result.ok, result.issues
    assert result.changes == {}
    wb = load_workbook(io.BytesIO(data))
    assert [c.value for c in wb["Mappings"]["A"][1:]] == skus
    assert all(c.data_type == "s" for c in wb["Mappings"]["A"][1:])


def test_export__control_characters_are_dropped_not_fatal() -> None:
    data = export_workbook([Row("A\x01B", "tab\there\x0b", None)], ITEMS)
    ws = load_workbook(io.BytesIO(data))["Mappings"]
    assert (ws["A2"].value, ws["B2"].value) == ("AB", "tab\there")
