"""Mapping channel products to QBO inventory items: the pure core of the mapping tab.

The grid is a translation boundary (STYLE §7): :func:`grid_frame` turns records (channel
products, mappings, the client's QBO items) into the DataFrame that ``st.data_editor`` shows, and
:func:`frame_to_changes` turns the edited frame back into mapping changes plus issues. Nothing
here talks to Streamlit, the database or QBO.

Status of a channel product:

- ``mapped``: an item (or every bundle component) is an active QBO inventory item;
- ``not mapped``: no mapping;
- ``invalid``: a mapped item was deleted or made inactive in QBO, or is no longer an inventory
  item (the document engine would be refused), or a bundle is broken.

Item names are matched exactly first, then ignoring case and surrounding spaces when that is
unambiguous; a mapping always stores the QBO Id, so renaming an item in QBO does not break it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from typing import Any

import pandas as pd

from services.bundles import validate_bundle
from services.records import (
    BundleComponent,
    ChannelProduct,
    Issue,
    ItemRef,
    Mapping,
    MappingType,
    QboItem,
    Sku,
    error,
)

INVENTORY = "Inventory"

# grid columns (the data editor's headers)
COL_SKU = "SKU"
COL_TITLE = "Title"
COL_TYPE = "Type"
COL_ITEM = "QBO Item"
COL_COMPONENTS = "Components"
COL_STATUS = "Status"
COL_SOLD = "Units sold"
COL_FIRST = "First sale"
GRID_COLUMNS = (COL_SKU, COL_TITLE, COL_TYPE, COL_ITEM, COL_COMPONENTS, COL_STATUS, COL_SOLD, COL_FIRST)

TYPE_ITEM = "Inventory item"
TYPE_BUNDLE = "Bundle"
TYPE_LABELS = {MappingType.ITEM: TYPE_ITEM, MappingType.BUNDLE: TYPE_BUNDLE, MappingType.NONE: ""}


class MappingStatus(StrEnum):
    MAPPED = "mapped"
    NOT_MAPPED = "not mapped"
    INVALID = "invalid"


def norm(text: str) -> str:
    """Names and SKUs compared the way people mean them: case and surrounding spaces ignored."""
    return " ".join(str(text).split()).casefold()


def exact_decimal(value: object) -> Decimal | None:
    """Text, int or Decimal as an exact :class:`Decimal`; ``None`` when it is not a finite number.

    A float (e.g. from a spreadsheet cell) is taken by its shortest repr, ``33.33`` → ``33.33``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return None
        value = repr(value)
    try:
        d = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


# --- JSON form (history, CLI) and comparison ------------------------------------------------------------------


def mapping_to_json(m: Mapping | None) -> dict[str, Any] | None:
    """A mapping as plain JSON (exact decimals as text); ``None`` for no mapping."""
    if m is None or m.type is MappingType.NONE:
        return None
    out: dict[str, Any] = {"type": m.type.value}
    if m.type is MappingType.ITEM and m.item is not None:
        out["item"] = {"id": m.item.id, "name": m.item.name}
    if m.type is MappingType.BUNDLE:
        out["components"] = [{"item": {"id": c.item.id, "name": c.item.name},
                              "qty": str(c.qty), "percent": str(c.percent)} for c in m.components]
    return out


def same_mapping(a: Mapping | None, b: Mapping | None) -> bool:
    """Whether two mappings send a SKU to the same QBO items in the same way.

    Item names (which can change in QBO) and titles are ignored; quantities and percentages are
    compared as numbers, so ``1`` equals ``1.0``.
    """
    a_none = a is None or a.type is MappingType.NONE
    b_none = b is None or b.type is MappingType.NONE
    if a_none or b_none:
        return a_none and b_none
    assert a is not None and b is not None
    if a.type is not b.type:
        return False
    if a.type is MappingType.ITEM:
        return (a.item.id if a.item else "") == (b.item.id if b.item else "")
    return [(c.item.id, c.qty, c.percent) for c in a.components] == \
        [(c.item.id, c.qty, c.percent) for c in b.components]


# --- QBO items ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemIndex:
    """The client's QBO items, looked up the ways the mapping tab needs."""

    items: tuple[QboItem, ...]

    @classmethod
    def of(cls, items: Iterable[QboItem]) -> ItemIndex:
        return cls(tuple(sorted(items, key=lambda i: norm(i.name))))

    @cached_property
    def by_id(self) -> dict[str, QboItem]:
        return {i.id: i for i in self.items}

    @cached_property
    def mappable(self) -> list[QboItem]:
        """Active inventory items: what a SKU can be mapped to."""
        return [i for i in self.items if i.active and i.type == INVENTORY]

    @cached_property
    def names(self) -> list[str]:
        """Names of the mappable items, for the grid's select column and the Excel drop-downs."""
        return [i.name for i in self.mappable]

    def find(self, name: str) -> QboItem | None:
        """The mappable item called ``name``: exact first, then ignoring case and spaces if unique."""
        if not name or not str(name).strip():
            return None
        mappable = self.mappable
        for i in mappable:
            if i.name == name:
                return i
        hits = [i for i in mappable if norm(i.name) == norm(name)]
        return hits[0] if len(hits) == 1 else None


def mapping_status(mapping: Mapping | None, index: ItemIndex) -> tuple[MappingStatus, str]:
    """The status of one SKU's mapping against the client's current QBO items, and why."""
    if mapping is None or mapping.type is MappingType.NONE:
        return MappingStatus.NOT_MAPPED, ""
    by_id = index.by_id
    if mapping.type is MappingType.ITEM:
        if mapping.item is None:
            return MappingStatus.NOT_MAPPED, ""
        why = _problem(mapping.item, by_id)
        return (MappingStatus.INVALID, why) if why else (MappingStatus.MAPPED, "")
    problems = [_problem(c.item, by_id) for c in mapping.components]
    problems = [p for p in problems if p]
    bundle_issues = validate_bundle(mapping.components)
    if bundle_issues:
        problems.extend(i.message for i in bundle_issues)
    return (MappingStatus.INVALID, "; ".join(problems)) if problems else (MappingStatus.MAPPED, "")


def _problem(ref: ItemRef, by_id: dict[str, QboItem]) -> str:
    item = by_id.get(ref.id)
    if item is None:
        return f"{ref.name} no longer exists in QuickBooks"
    if not item.active:  # QBO "deletes" an item by making it inactive (and renames it "... (deleted)")
        return f"{ref.name} was deleted (made inactive) in QuickBooks"
    if item.type != INVENTORY:
        return f"{item.name} is not an inventory item"
    return ""


def current_name(ref: ItemRef, by_id: dict[str, QboItem]) -> str:
    """The item's name as QBO has it now (it may have been renamed), else the stored one."""
    item = by_id.get(ref.id)
    return item.name if item is not None else ref.name


# --- conversions -------------------------------------------------------------------------------


def convert_to_bundle(sku: Sku, mapping: Mapping | None, title: str = "") -> Mapping:
    """"Convert to bundle item": an item mapping becomes a one-component bundle at 100 %.

    An unmapped SKU becomes a bundle with no components yet (invalid until edited).
    """
    if mapping is not None and mapping.type is MappingType.BUNDLE:
        return mapping
    comps: tuple[BundleComponent, ...] = ()
    if mapping is not None and mapping.type is MappingType.ITEM and mapping.item is not None:
        comps = (BundleComponent(mapping.item, Decimal(1), Decimal(100)),)
    return Mapping(sku, MappingType.BUNDLE, None, comps, title or (mapping.title if mapping else ""))


def convert_to_item(sku: Sku, mapping: Mapping | None, title: str = "") -> Mapping | None:
    """"Convert to inventory item": a bundle becomes an item mapping to its first component.

    A bundle without components becomes unmapped (``None``).
    """
    if mapping is None or mapping.type is MappingType.ITEM:
        return mapping
    if mapping.type is MappingType.BUNDLE and mapping.components:
        return Mapping(sku, MappingType.ITEM, mapping.components[0].item, (), title or mapping.title)
    return None


def item_mapping(sku: Sku, item: QboItem | ItemRef, title: str = "") -> Mapping:
    """A simple mapping: ``sku`` sells as the one QBO inventory item ``item``."""
    ref = item.ref if isinstance(item, QboItem) else item
    return Mapping(sku, MappingType.ITEM, ref, (), title)


def bundle_mapping(sku: Sku, components: Sequence[BundleComponent], title: str = "") -> Mapping:
    """A bundle mapping: ``sku`` sells as ``components`` (validate with ``validate_bundle``)."""
    return Mapping(sku, MappingType.BUNDLE, None, tuple(components), title)


# --- rows of the grid ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One channel product as the mapping tab shows it."""

    sku: Sku
    title: str
    mapping: Mapping | None
    units_sold: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None


def channel_rows(products: Iterable[ChannelProduct], mappings: MappingABC[Sku, Mapping | None]) -> list[Row]:
    """Every channel product, plus every mapped SKU not (yet) seen in a settlement, by SKU."""
    rows: dict[Sku, Row] = {}
    for p in products:
        rows[p.sku] = Row(p.sku, p.title, mappings.get(p.sku), p.units_sold, p.first_date, p.last_date)
    for sku, m in mappings.items():
        if sku not in rows and m is not None:
            rows[sku] = Row(sku, m.title, m)
    return [rows[k] for k in sorted(rows)]


def components_text(mapping: Mapping | None, by_id: dict[str, QboItem] | None = None) -> str:
    """A bundle's components in one line: ``2 × Mug (60%) + 1 × Lid (40%)``."""
    if mapping is None or mapping.type is not MappingType.BUNDLE:
        return ""
    by_id = by_id or {}
    return " + ".join(f"{_num(c.qty)} × {current_name(c.item, by_id)} ({_num(c.percent)}%)"
                      for c in mapping.components)


def _num(d: Decimal) -> str:
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def grid_frame(rows: Sequence[Row], index: ItemIndex) -> pd.DataFrame:
    """The data editor's frame: one row per channel product, in the order of ``rows``."""
    by_id = index.by_id
    skus, titles, types, items, comps, statuses, sold, first = [], [], [], [], [], [], [], []
    for r in rows:
        m = r.mapping
        skus.append(r.sku)
        titles.append(r.title)
        mtype = m.type if m is not None else MappingType.NONE
        types.append(TYPE_LABELS[mtype] or None)
        items.append(current_name(m.item, by_id) if m is not None and m.type is MappingType.ITEM and m.item
                     else None)
        comps.append(components_text(m, by_id))
        status, why = mapping_status(m, index)
        statuses.append(f"{status.value}: {why}" if why else status.value)
        sold.append(r.units_sold)
        first.append(r.first_date)
    # fixed dtypes, whatever the values: the data editor keys its edit state on the frame's schema,
    # and an all-empty column would otherwise change type (and drop unsaved edits) on the next save
    return pd.DataFrame({
        COL_SKU: pd.Series(skus, dtype="string"),
        COL_TITLE: pd.Series(titles, dtype="string"),
        COL_TYPE: pd.Series(types, dtype="string"),
        COL_ITEM: pd.Series(items, dtype="string"),
        COL_COMPONENTS: pd.Series(comps, dtype="string"),
        COL_STATUS: pd.Series(statuses, dtype="string"),
        COL_SOLD: pd.Series(sold, dtype="int64"),
        COL_FIRST: pd.to_datetime(pd.Series(first, dtype="object")).astype("datetime64[ns]"),
    })


def filter_rows(rows: Sequence[Row], index: ItemIndex, *, unmapped_only: bool = False,
                search: str = "") -> list[Row]:
    """The rows the grid shows: optionally only those not mapped (or invalid), and matching ``search``.

    The search looks in the SKU, the title and the mapped item names, ignoring case.
    """
    needle = norm(search)
    out = []
    by_id = index.by_id
    for r in rows:
        if unmapped_only and mapping_status(r.mapping, index)[0] is MappingStatus.MAPPED:
            continue
        if needle:
            hay = norm(f"{r.sku} {r.title} {components_text(r.mapping, by_id)} "
                       f"{r.mapping.item.name if r.mapping and r.mapping.item else ''}")
            if needle not in hay:
                continue
        out.append(r)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def row_to_mapping(sku: Sku, type_label: str, item_name: str, base: Mapping | None, title: str,
                   index: ItemIndex) -> tuple[Mapping | None, list[Issue]]:
    """One grid row's Type and QBO Item cells as the mapping they ask for, given the one before.

    Rules: an inventory item row maps to the named item (blank clears the mapping); a row turned
    into a bundle keeps its item as the first component; a row turned back from a bundle keeps
    the first component unless another item was chosen; a bundle's components are edited in the
    bundle editor, not in the grid.
    """
    type_label = type_label.strip()
    if type_label == TYPE_BUNDLE:
        if base is not None and base.type is MappingType.BUNDLE:
            return base, []
        chosen = index.find(item_name) if item_name else None
        start = item_mapping(sku, chosen, title) if chosen else base
        return convert_to_bundle(sku, start, title), []
    if type_label in (TYPE_ITEM, ""):
        if base is not None and base.type is MappingType.BUNDLE and type_label == TYPE_ITEM and not item_name:
            return convert_to_item(sku, base, title), []
        if base is not None and base.type is MappingType.BUNDLE and not type_label:
            return None, []
        if not item_name:
            return None, []
        if base is not None and base.type is MappingType.ITEM and base.item is not None \
                and item_name in (base.item.name, current_name(base.item, index.by_id)):
            return base, []  # unchanged (also when the item became invalid: the status says so)
        item = index.find(item_name)
        if item is None:
            return base, [error(f"SKU {sku}: {item_name!r} is not an active QBO inventory item.",
                                code="unknown_item")]
        return item_mapping(sku, item, title), []
    return base, [error(f"SKU {sku}: unknown type {type_label!r} (use {TYPE_ITEM!r} or {TYPE_BUNDLE!r}).",
                        code="unknown_type")]


def frame_to_changes(edited: pd.DataFrame, base: MappingABC[Sku, Mapping | None],
                     index: ItemIndex) -> tuple[dict[Sku, Mapping | None], list[Issue]]:
    """The mapping changes that an edited grid frame asks for, relative to ``base``, plus issues.

    Why: the grid is edited freely; this is where its cells become validated records. Only rows
    whose mapping actually changes are returned (``None`` clears a mapping); every problem is
    returned at once and the rows with problems keep their mapping.
    """
    changes: dict[Sku, Mapping | None] = {}
    issues: list[Issue] = []
    for sku, title, type_label, item_name in zip(edited[COL_SKU], edited[COL_TITLE], edited[COL_TYPE],
                                                 edited[COL_ITEM], strict=True):
        sku = _cell(sku)
        if not sku:
            continue
        old = base.get(sku)
        new, problems = row_to_mapping(sku, _cell(type_label), _cell(item_name), old, _cell(title), index)
        issues.extend(problems)
        if not same_mapping(old, new):
            changes[sku] = new
    return changes, issues


def apply_edited_rows(shown: Sequence[Sku], edited_rows: MappingABC[Any, MappingABC[str, Any]],
                      base: MappingABC[Sku, Mapping | None],
                      titles: MappingABC[Sku, str], index: ItemIndex) -> tuple[dict[Sku, Mapping | None], list[Issue]]:
    """The data editor's ``edited_rows`` state ({row position: {column: value}}) as mapping changes.

    Why: with 20,000 rows the page reads only the cells that were touched, by their position in
    the frame that was shown (``shown`` lists its SKUs in order).
    """
    changes: dict[Sku, Mapping | None] = {}
    issues: list[Issue] = []
    by_id = index.by_id
    for pos, cells in sorted(edited_rows.items(), key=lambda kv: int(kv[0])):
        p = int(pos)
        if p < 0 or p >= len(shown):
            continue
        sku = shown[p]
        old = base.get(sku)
        type_label = cells.get(COL_TYPE, TYPE_LABELS[old.type] if old is not None else "")
        if COL_ITEM in cells:
            item_name = cells[COL_ITEM]
        elif old is not None and old.type is MappingType.ITEM and old.item is not None:
            item_name = current_name(old.item, by_id)
        else:
            item_name = ""
        new, problems = row_to_mapping(sku, _cell(type_label), _cell(item_name), old, titles.get(sku, ""), index)
        issues.extend(problems)
        if not same_mapping(old, new):
            changes[sku] = new
    return changes, issues


# --- suggestions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An unmapped SKU and the QBO item whose Sku or Name equals it."""

    sku: Sku
    item: ItemRef
    matched_on: str  # "Sku" | "Name"


def suggest_mappings(skus: Iterable[Sku], mappings: MappingABC[Sku, Mapping | None],
                     index: ItemIndex) -> list[Suggestion]:
    """Proposals for every unmapped SKU whose active QBO inventory item has the same Sku or Name.

    Why: most sellers use the same SKU in the channel and in QBO; one click should map those,
    after the accountant confirms. Case and surrounding spaces are ignored; a match on the QBO
    item's Sku wins over a match on its Name; a SKU that matches several items is not proposed
    (it needs a person).
    """
    by_sku: dict[str, list[QboItem]] = {}
    by_name: dict[str, list[QboItem]] = {}
    for item in index.mappable:
        if item.sku.strip():
            by_sku.setdefault(norm(item.sku), []).append(item)
        by_name.setdefault(norm(item.name), []).append(item)
    out = []
    for sku in skus:
        m = mappings.get(sku)
        if m is not None and m.type is not MappingType.NONE:
            continue
        key = norm(sku)
        hits, on = by_sku.get(key, []), "Sku"
        if not hits:
            hits, on = by_name.get(key, []), "Name"
        if len(hits) == 1:
            out.append(Suggestion(sku, hits[0].ref, on))
    return out


# --- item creation (validation only; the QBO call lives in services.item_creation) --------------


NAME_MAX = 100  # QBO's limit on an item name


@dataclass(frozen=True, slots=True)
class NewItem:
    """An inventory item to create in QBO for a channel SKU (``map_sku`` is mapped to it)."""

    name: str
    sku: str
    qty_on_hand: Decimal
    as_of: dt.date
    unit_cost: Decimal
    map_sku: Sku = ""
    income_account: str = "Sales of Product Income"
    expense_account: str = "Cost of Goods Sold"
    asset_account: str = "Inventory Asset"


def propose_as_of(first_sale: dt.date | None, today: dt.date | None = None) -> dt.date:
    """The "As of" date proposed for a new item: the day before the SKU's earliest sale.

    QBO refuses a sale dated before an item's "As of" date (Fault 6270), so the opening
    quantity must be in place before the first sale. Without a known sale: today.
    """
    if first_sale is None:
        return today or dt.date.today()
    return first_sale - dt.timedelta(days=1)


def validate_new_items(new: Sequence[NewItem], existing: Iterable[QboItem],
                       first_sales: MappingABC[Sku, dt.date | None]) -> list[Issue]:
    """Every problem with items about to be created, named by item and SKU.

    Checks: a name (unique in QBO, among all items active or not, and within the batch; QBO
    refuses duplicates), a quantity on hand and a unit cost that are not negative, and an "As of"
    date before the earliest sale of the SKU it is for (``first_sales`` by SKU).
    """
    issues: list[Issue] = []
    taken = {norm(i.name): i for i in existing}
    batch: set[str] = set()
    for n, item in enumerate(new, start=1):
        label = f"New item {n}" + (f" for SKU {item.map_sku}" if item.map_sku else "")
        name = item.name.strip()
        if not name:
            issues.append(error(f"{label}: a name is required.", row=n, code="name_required"))
        elif norm(name) in taken:
            issues.append(error(f"{label}: QuickBooks already has an item named {taken[norm(name)].name!r}; "
                                "names must be unique.", row=n, code="name_taken"))
        elif norm(name) in batch:
            issues.append(error(f"{label}: the name {name!r} is used twice in this batch.", row=n,
                                code="name_twice"))
        batch.add(norm(name))
        if len(name) > NAME_MAX:
            issues.append(error(f"{label}: a QuickBooks item name has at most {NAME_MAX} characters.", row=n,
                                code="name_long"))
        if ":" in name:
            issues.append(error(f"{label}: a QuickBooks item name cannot contain ':'.", row=n, code="name_colon"))
        if item.qty_on_hand < 0:
            issues.append(error(f"{label}: the initial quantity on hand cannot be negative.", row=n,
                                code="qty_negative"))
        if item.unit_cost < 0:
            issues.append(error(f"{label}: the unit cost cannot be negative.", row=n, code="cost_negative"))
        first = first_sales.get(item.map_sku or item.sku)
        if first is not None and item.as_of >= first:
            issues.append(error(
                f"{label}: the As of date {item.as_of.isoformat()} must be before the earliest sale of "
                f"{item.map_sku or item.sku} on {first.isoformat()} (QuickBooks refuses sales dated before "
                f"an item's As of date); use {propose_as_of(first).isoformat()} or earlier.",
                row=n, code="as_of_late"))
    return issues


# --- the bundle editor's rows -------------------------------------------------------------------

COL_B_ITEM = "Bundle Item"
COL_B_QTY = "Quantity per bundle"
COL_B_PCT = "Percentage of sales price"
BUNDLE_COLUMNS = (COL_B_ITEM, COL_B_QTY, COL_B_PCT)


def bundle_frame(components: Sequence[BundleComponent], index: ItemIndex) -> pd.DataFrame:
    """The bundle editor's frame; quantities and percentages are text so they stay exact decimals."""
    by_id = index.by_id
    return pd.DataFrame({
        COL_B_ITEM: pd.Series([current_name(c.item, by_id) for c in components], dtype="object"),
        COL_B_QTY: pd.Series([f"{c.qty:f}" for c in components], dtype="object"),
        COL_B_PCT: pd.Series([f"{c.percent:f}" for c in components], dtype="object"),
    })


def frame_to_components(frame: pd.DataFrame, index: ItemIndex, *, sku: str = "",
                        old: Mapping | None = None) -> tuple[list[BundleComponent], list[Issue]]:
    """The bundle editor's rows as components, with every problem (row numbers from 1).

    Blank rows are skipped. The bundle-level checks (sum exactly 100, no duplicate item) are
    :func:`services.bundles.validate_bundle`'s and are included.
    """
    comps: list[BundleComponent] = []
    issues: list[Issue] = []
    rows = list(zip(frame[COL_B_ITEM], frame[COL_B_QTY], frame[COL_B_PCT], strict=True)) if len(frame) else []
    for n, (name_v, qty_v, pct_v) in enumerate(rows, start=1):
        name, qty_t, pct_t = _cell(name_v), _cell(qty_v), _cell(pct_v)
        if not (name or qty_t or pct_t):
            continue
        ok = True
        ref: ItemRef | None = None
        if not name:
            issues.append(error(f"Row {n}: choose a Bundle Item.", row=n, code="no_item"))
            ok = False
        else:
            item = index.find(name)
            if item is not None:
                ref = item.ref
            elif old is not None:
                ref = next((c.item for c in old.components if name in (c.item.name, current_name(c.item, index.by_id))),
                           None)
            if ref is None:
                issues.append(error(f"Row {n}: {name!r} is not an active QBO inventory item.", row=n,
                                    code="unknown_item"))
                ok = False
        qty = exact_decimal(qty_t)
        if qty is None or qty <= 0:
            issues.append(error(f"Row {n}: the Quantity per bundle must be a positive number, not "
                                f"{qty_t or 'blank'!r}.", row=n, code="bad_qty"))
            ok = False
        pct = exact_decimal(pct_t)
        if pct is None or pct < 0:
            issues.append(error(f"Row {n}: the Percentage of sales price must be a number from 0 to 100, not "
                                f"{pct_t or 'blank'!r}.", row=n, code="bad_percent"))
            ok = False
        if ok:
            assert ref is not None and qty is not None and pct is not None
            comps.append(BundleComponent(ref, qty, pct))
    if not issues:
        issues.extend(validate_bundle(comps, sku=sku))
    return comps, issues


def running_percent(frame: pd.DataFrame) -> Decimal:
    """The sum of the readable percentages in the bundle editor (shown as the user types)."""
    total = Decimal(0)
    for v in frame[COL_B_PCT] if len(frame) else ():
        d = exact_decimal(_cell(v))
        if d is not None:
            total += d
    return total


# --- the item-creation rows ----------------------------------------------------------------------

COL_C_SKU = "Channel SKU"
COL_C_NAME = "Name"
COL_C_ITEM_SKU = "SKU"
COL_C_QTY = "Initial quantity on hand"
COL_C_AS_OF = "As of"
COL_C_COST = "Unit cost"
COL_C_FIRST = "First sale"


def create_frame(rows: Sequence[Row], today: dt.date | None = None) -> pd.DataFrame:
    """Proposed new items for unmapped rows: name from the title, SKU as in the channel, the "As of"
    date the day before the first sale."""
    names = []
    for r in rows:
        base = (r.title or r.sku).replace(":", " ").strip()
        names.append(" ".join(base.split())[:NAME_MAX])
    return pd.DataFrame({
        COL_C_SKU: pd.Series([r.sku for r in rows], dtype="object"),
        COL_C_NAME: pd.Series(names, dtype="object"),
        COL_C_ITEM_SKU: pd.Series([r.sku[:100] for r in rows], dtype="object"),
        COL_C_QTY: pd.Series(["0" for _ in rows], dtype="object"),
        COL_C_AS_OF: pd.Series([propose_as_of(r.first_date, today) for r in rows], dtype="object"),
        COL_C_COST: pd.Series(["0.00" for _ in rows], dtype="object"),
        COL_C_FIRST: pd.Series([r.first_date for r in rows], dtype="object"),
    })


def frame_to_new_items(frame: pd.DataFrame, *, income_account: str, expense_account: str,
                       asset_account: str) -> tuple[list[NewItem], list[Issue]]:
    """The item-creation rows as :class:`NewItem` records (quantities and costs exact), plus issues."""
    out: list[NewItem] = []
    issues: list[Issue] = []
    for n, rec in enumerate(frame.to_dict("records"), start=1):
        sku = _cell(rec.get(COL_C_SKU))
        label = f"Row {n} (SKU {sku})"
        qty = exact_decimal(_cell(rec.get(COL_C_QTY)) or "0")
        cost = exact_decimal(_cell(rec.get(COL_C_COST)) or "0")
        as_of = rec.get(COL_C_AS_OF)
        if isinstance(as_of, pd.Timestamp):
            as_of = as_of.date()
        if isinstance(as_of, str):
            try:
                as_of = dt.date.fromisoformat(as_of.strip())
            except ValueError:
                as_of = None
        ok = True
        if qty is None:
            issues.append(error(f"{label}: the initial quantity on hand must be a number.", row=n, code="bad_qty"))
            ok = False
        if cost is None:
            issues.append(error(f"{label}: the unit cost must be an amount.", row=n, code="bad_cost"))
            ok = False
        if not isinstance(as_of, dt.date):
            issues.append(error(f"{label}: an As of date is required.", row=n, code="no_as_of"))
            ok = False
        if ok:
            assert qty is not None and cost is not None and isinstance(as_of, dt.date)
            out.append(NewItem(name=_cell(rec.get(COL_C_NAME)), sku=_cell(rec.get(COL_C_ITEM_SKU)),
                               qty_on_hand=qty, as_of=as_of, unit_cost=cost, map_sku=sku,
                               income_account=income_account, expense_account=expense_account,
                               asset_account=asset_account))
    return out, issues


def describe(mapping_json: dict[str, Any] | None) -> str:
    """A mapping in its JSON form (history, CLI) as one line for people."""
    if not mapping_json:
        return "not mapped"
    if mapping_json.get("type") == MappingType.ITEM.value:
        return str(mapping_json.get("item", {}).get("name", ""))
    parts = [f"{c.get('qty')} × {c.get('item', {}).get('name', '')} ({c.get('percent')}%)"
             for c in mapping_json.get("components", [])]
    return "bundle: " + " + ".join(parts)
