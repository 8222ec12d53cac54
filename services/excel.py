"""The mapping workbook: mappings out to Excel and back (DESIGN §9).

Export writes three sheets:

- ``Mappings``: ``SKU``, ``Title``, ``Type`` (``Inventory item``, ``Bundle`` or blank), ``QBO Item``;
- ``Bundles``: ``SKU``, ``Bundle Item``, ``Quantity per bundle``, ``Percentage of sales price``, one
  row per component;
- ``Items``: the client's active QBO inventory items, for reference; the item columns of the
  other sheets carry a drop-down (data validation) that refers to this sheet.

Text that comes from reports (SKUs, titles) or from QBO (item names) is always written as a text
cell, so a SKU such as ``=HYPERLINK(...)`` or ``-5`` is never a formula or a number.

Import is all or nothing: every problem is listed by sheet and row, and nothing changes unless
there is none. Only the SKUs listed on the ``Mappings`` sheet are touched, and only when their
mapping really differs, so a round trip without edits changes nothing. Columns are found by
their header, not their position.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from services.bundles import validate_bundle
from services.mapping import (
    TYPE_BUNDLE,
    TYPE_ITEM,
    ItemIndex,
    Row,
    current_name,
    exact_decimal,
    norm,
    same_mapping,
)
from services.records import (
    BundleComponent,
    Issue,
    ItemRef,
    Mapping,
    MappingType,
    QboItem,
    Sku,
    error,
    warning,
)

SHEET_MAPPINGS = "Mappings"
SHEET_BUNDLES = "Bundles"
SHEET_ITEMS = "Items"
MAPPING_HEADERS = ("SKU", "Title", "Type", "QBO Item")
BUNDLE_HEADERS = ("SKU", "Bundle Item", "Quantity per bundle", "Percentage of sales price")
ITEM_HEADERS = ("Name", "SKU", "Type", "Quantity on hand", "Purchase cost", "Sales price")
FORMULA_STARTS = ("=", "+", "-", "@")
MAX_ROWS = 1_048_576


# --- export --------------------------------------------------------------------------------------


def _text(ws: Worksheet, row: int, col: int, value: str) -> Cell:
    """Write ``value`` as a text cell, never a formula (reports can hold ``=cmd|...`` as a SKU)."""
    cell: Cell = ws.cell(row=row, column=col)
    value = _writable(value)
    cell.value = value
    if value:
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # Excel shows it as typed and keeps it text when edited
    return cell


def _header(ws: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for n, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(row=1, column=n, value=h)
        cell.font, cell.fill = bold, fill
        ws.column_dimensions[get_column_letter(n)].width = w
    ws.freeze_panes = "A2"


def export_workbook(rows: Sequence[Row], items: Iterable[QboItem]) -> bytes:
    """The mapping workbook of one integration as ``.xlsx`` bytes.

    Why: accountants map hundreds of SKUs faster in Excel; the workbook comes back through
    :func:`import_workbook`.

    Args:
        rows: the channel products with their mappings (:func:`services.mapping.channel_rows`).
        items: the client's QBO items (only active inventory items are listed and offered).
    """
    index = ItemIndex.of(items)
    by_id = index.by_id
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_MAPPINGS
    _header(ws, MAPPING_HEADERS, (24, 48, 16, 36))
    wsb = wb.create_sheet(SHEET_BUNDLES)
    _header(wsb, BUNDLE_HEADERS, (24, 36, 20, 26))
    wsi = wb.create_sheet(SHEET_ITEMS)
    _header(wsi, ITEM_HEADERS, (36, 20, 12, 18, 16, 14))

    brow = 2
    for n, r in enumerate(rows, start=2):
        m = r.mapping
        _text(ws, n, 1, r.sku)
        _text(ws, n, 2, r.title or (m.title if m else ""))
        if m is not None and m.type is MappingType.ITEM and m.item is not None:
            _text(ws, n, 3, TYPE_ITEM)
            _text(ws, n, 4, current_name(m.item, by_id))
        elif m is not None and m.type is MappingType.BUNDLE:
            _text(ws, n, 3, TYPE_BUNDLE)
            for c in m.components:
                _text(wsb, brow, 1, r.sku)
                _text(wsb, brow, 2, current_name(c.item, by_id))
                wsb.cell(row=brow, column=3, value=c.qty)
                wsb.cell(row=brow, column=4, value=c.percent)
                brow += 1
    mappable = index.mappable
    for n, item in enumerate(mappable, start=2):
        _text(wsi, n, 1, item.name)
        _text(wsi, n, 2, item.sku)
        _text(wsi, n, 3, item.type)
        wsi.cell(row=n, column=4, value=item.qty_on_hand)
        wsi.cell(row=n, column=5, value=item.purchase_cost)
        wsi.cell(row=n, column=6, value=item.unit_price)

    last = max(2, len(mappable) + 1)
    items_range = f"{SHEET_ITEMS}!$A$2:$A${last}"
    for sheet, col in ((ws, "D"), (wsb, "B")):
        dv = DataValidation(type="list", formula1=f"={items_range}", allow_blank=True, showErrorMessage=True,
                            errorTitle="Unknown item", error="Choose an item listed on the Items sheet.")
        dv.add(f"{col}2:{col}{MAX_ROWS}")
        sheet.add_data_validation(dv)
    dv_type = DataValidation(type="list", formula1=f'"{TYPE_ITEM},{TYPE_BUNDLE}"', allow_blank=True)
    dv_type.add(f"C2:C{MAX_ROWS}")
    ws.add_data_validation(dv_type)
    for sheet, col in ((wsb, "C"), (wsb, "D")):
        dv_num = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv_num.add(f"{col}2:{col}{MAX_ROWS}")
        sheet.add_data_validation(dv_num)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an uploaded workbook asks for: the changes (SKU → mapping, ``None`` clears) and issues.

    ``changes`` is empty whenever ``issues`` holds an error (all or nothing).
    """

    changes: dict[Sku, Mapping | None]
    issues: tuple[Issue, ...]
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not any(i.severity.value == "error" for i in self.issues)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sku_text(value: Any) -> str:
    """A SKU cell exactly as written (reports do have SKUs with surrounding spaces); blank is ''."""
    if isinstance(value, str):
        return value if value.strip() else ""
    return _cell_text(value)


def _writable(text: str) -> str:
    """``text`` without the control characters that an .xlsx cell cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _columns(ws: Worksheet, wanted: Sequence[str], sheet: str, issues: list[Issue]) -> dict[str, int] | None:
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = {norm(_cell_text(v)): n for n, v in enumerate(header) if _cell_text(v)}
    cols: dict[str, int] = {}
    missing = []
    for h in wanted:
        if norm(h) in found:
            cols[h] = found[norm(h)]
        else:
            missing.append(h)
    if missing:
        issues.append(error(f"the header row lacks the column(s) {', '.join(missing)}.", sheet, 1, "missing_column"))
        return None
    return cols


def _resolve(name: str, sku: Sku, old: Mapping | None, index: ItemIndex) -> ItemRef | None:
    """The item a cell names: an active inventory item, or the one already mapped under that name."""
    item = index.find(name)
    if item is not None:
        return item.ref
    if old is not None:
        refs = [old.item] if old.item is not None else [c.item for c in old.components]
        for ref in refs:
            if ref is not None and name in (ref.name, current_name(ref, index.by_id)):
                return ref
    return None


def _percent(raw: Any, number_format: str) -> Decimal | None:
    d = exact_decimal(raw)
    if d is not None and isinstance(raw, int | float) and "%" in (number_format or ""):
        d = d * 100  # a cell formatted as a percentage holds 0.6 for 60 %
    return d


def import_workbook(data: bytes, *, current: MappingABC[Sku, Mapping | None], items: Iterable[QboItem],
                    file_name: str = "mappings.xlsx") -> ImportResult:
    """Read an edited mapping workbook into mapping changes, all or nothing.

    Why: the upload must either apply completely or not at all, and list every problem at once
    (unknown item, percentages not summing to 100, duplicate SKU, a quantity that is not a
    positive number, a bundle row for a SKU that is not a bundle, a file that is not a workbook),
    so the accountant fixes the whole workbook in one go.

    Args:
        data: the uploaded file's bytes.
        current: the integration's mappings now (only real differences become changes).
        items: the client's QBO items (names resolve to active inventory items).
        file_name: the upload's name, for messages.

    Returns:
        :class:`ImportResult`; issues name the sheet (``Issue.file``) and the row.
    """
    index = ItemIndex.of(items)
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        return ImportResult({}, (error(f"{file_name} is not an Excel workbook (.xlsx) that can be read: "
                                       f"{type(exc).__name__}.", file_name, None, "not_xlsx"),))
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        return ImportResult({}, (error(f"{file_name} is damaged and cannot be read ({type(exc).__name__}).",
                                       file_name, None, "not_xlsx"),))
    try:
        return _read(wb, current, index, file_name)
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile, SyntaxError) as exc:
        # a read-only workbook parses its sheets lazily: damage inside a sheet shows up here
        return ImportResult({}, (error(f"{file_name} is damaged and cannot be read ({type(exc).__name__}).",
                                       file_name, None, "not_xlsx"),))
    finally:
        wb.close()


def _read(wb: Any, current: MappingABC[Sku, Mapping | None], index: ItemIndex, file_name: str) -> ImportResult:
    issues: list[Issue] = []
    if SHEET_MAPPINGS not in wb.sheetnames:
        return ImportResult({}, (error(f"{file_name} has no sheet named {SHEET_MAPPINGS!r} "
                                       f"(it has: {', '.join(wb.sheetnames)}).", file_name, None, "no_sheet"),))
    ws = wb[SHEET_MAPPINGS]
    cols = _columns(ws, MAPPING_HEADERS, SHEET_MAPPINGS, issues)
    if cols is None:
        return ImportResult({}, tuple(issues))

    desired: dict[Sku, Mapping | None] = {}
    bundle_rows: dict[Sku, int] = {}
    seen: dict[Sku, int] = {}
    rows_read = 0
    for n, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        cells = {h: _cell_text(values[i]) if i < len(values) else "" for h, i in cols.items()}
        if not any(cells.values()):
            continue
        rows_read += 1
        sku = _sku_text(values[cols["SKU"]]) if cols["SKU"] < len(values) else ""
        title, type_text, item_name = cells["Title"], cells["Type"], cells["QBO Item"]
        if not sku:
            issues.append(error("a row without a SKU.", SHEET_MAPPINGS, n, "no_sku"))
            continue
        if sku in seen:
            issues.append(error(f"SKU {sku} is listed twice (rows {seen[sku]} and {n}).", SHEET_MAPPINGS, n,
                                "duplicate_sku"))
            continue
        seen[sku] = n
        old = current.get(sku)
        kind = norm(type_text)
        if kind in ("", "none", "not mapped") and item_name:
            kind = "item"
        if kind in ("inventory item", "item", "inventory"):
            if not item_name:
                issues.append(error(f"SKU {sku}: type {TYPE_ITEM} needs a QBO Item.", SHEET_MAPPINGS, n,
                                    "no_item"))
                continue
            ref = _resolve(item_name, sku, old, index)
            if ref is None:
                issues.append(error(f"SKU {sku}: unknown item {item_name!r} (not an active QBO inventory item; "
                                    "see the Items sheet).", SHEET_MAPPINGS, n, "unknown_item"))
                continue
            if index.by_id.get(ref.id) is None or not index.by_id[ref.id].active:
                issues.append(warning(f"SKU {sku}: {item_name} is no longer active in QuickBooks; "
                                      "the mapping is kept as it was.", SHEET_MAPPINGS, n, "stale_item"))
            desired[sku] = Mapping(sku, MappingType.ITEM, ref, (), title)
        elif kind == "bundle":
            if item_name:
                issues.append(warning(f"SKU {sku}: a bundle's QBO Item cell is ignored; its components are "
                                      f"on the {SHEET_BUNDLES} sheet.", SHEET_MAPPINGS, n, "bundle_item_ignored"))
            bundle_rows[sku] = n
            desired[sku] = Mapping(sku, MappingType.BUNDLE, None, (), title)
        elif kind in ("", "none", "not mapped"):
            desired[sku] = None
        else:
            issues.append(error(f"SKU {sku}: unknown type {type_text!r} (use {TYPE_ITEM!r}, {TYPE_BUNDLE!r} "
                                "or leave it blank).", SHEET_MAPPINGS, n, "unknown_type"))

    components: dict[Sku, list[BundleComponent]] = {}
    first_row: dict[Sku, int] = {}
    if SHEET_BUNDLES in wb.sheetnames:
        wsb = wb[SHEET_BUNDLES]
        bcols = _columns(wsb, BUNDLE_HEADERS, SHEET_BUNDLES, issues)
        if bcols is not None:
            pct_col = bcols["Percentage of sales price"]
            for n, row in enumerate(wsb.iter_rows(min_row=2), start=2):
                raw = [c.value for c in row]
                cells = {h: _cell_text(raw[i]) if i < len(raw) else "" for h, i in bcols.items()}
                if not any(cells.values()):
                    continue
                rows_read += 1
                sku = _sku_text(raw[bcols["SKU"]]) if bcols["SKU"] < len(raw) else ""
                if not sku:
                    issues.append(error("a component row without a SKU.", SHEET_BUNDLES, n, "no_sku"))
                    continue
                if sku not in bundle_rows:
                    where = (f"its type on the {SHEET_MAPPINGS} sheet is not {TYPE_BUNDLE}" if sku in seen
                             else f"it is not on the {SHEET_MAPPINGS} sheet")
                    issues.append(error(f"SKU {sku} is not a bundle ({where}).", SHEET_BUNDLES, n,
                                        "not_a_bundle"))
                    continue
                first_row.setdefault(sku, n)
                row_ok = True
                name = cells["Bundle Item"]
                ref = _resolve(name, sku, current.get(sku), index) if name else None
                if ref is None:
                    issues.append(error(f"SKU {sku}: unknown item {name!r} (not an active QBO inventory item; "
                                        "see the Items sheet)." if name else f"SKU {sku}: a component needs a "
                                        "Bundle Item.", SHEET_BUNDLES, n, "unknown_item"))
                    row_ok = False
                qty_raw = raw[bcols["Quantity per bundle"]] if bcols["Quantity per bundle"] < len(raw) else None
                qty = exact_decimal(qty_raw)
                if qty is None or qty <= 0:
                    issues.append(error(f"SKU {sku}: the Quantity per bundle must be a positive number, not "
                                        f"{_cell_text(qty_raw) or 'blank'}.", SHEET_BUNDLES, n, "bad_qty"))
                    row_ok = False
                pct_raw = raw[pct_col] if pct_col < len(raw) else None
                pct = _percent(pct_raw, row[pct_col].number_format if pct_col < len(row) else "")
                if pct is None or pct < 0:
                    issues.append(error(f"SKU {sku}: the Percentage of sales price must be a number from 0 to "
                                        f"100, not {_cell_text(pct_raw) or 'blank'}.", SHEET_BUNDLES, n,
                                        "bad_percent"))
                    row_ok = False
                if row_ok:
                    assert ref is not None and qty is not None and pct is not None
                    components.setdefault(sku, []).append(BundleComponent(ref, qty, pct))
                else:
                    components.setdefault(sku, [])
                    bundle_rows[sku] = -abs(bundle_rows[sku])  # marks: a component row was broken

    for sku, n in bundle_rows.items():
        comps = components.get(sku, [])
        if n < 0:
            continue  # its component rows are already reported
        if not comps:
            issues.append(error(f"SKU {sku} is a bundle without components (add rows on the {SHEET_BUNDLES} "
                                "sheet).", SHEET_MAPPINGS, n, "bundle_empty"))
            continue
        problems = validate_bundle(comps, sku=sku, file=SHEET_BUNDLES, row=first_row.get(sku))
        issues.extend(problems)
        old = desired[sku]
        assert old is not None
        desired[sku] = Mapping(sku, MappingType.BUNDLE, None, tuple(comps), old.title)

    if any(i.severity.value == "error" for i in issues):
        return ImportResult({}, tuple(issues), rows_read)
    changes = {sku: m for sku, m in desired.items() if not same_mapping(current.get(sku), m)}
    return ImportResult(changes, tuple(issues), rows_read)
