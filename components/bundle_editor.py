"""The bundle editor: the components of one bundle SKU, with add, delete, running sum and Save.

Rows are Bundle Item, Quantity per bundle and Percentage of sales price. Quantities and
percentages are text cells so they stay exact decimals; Save is refused unless the percentages
sum to exactly 100 (99.99 is refused). "Suggest split" fills the percentages from the items' QBO
unit costs (or sales prices) × quantities, rounded so that they still sum to 100.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pandas as pd
import streamlit as st

from components.feedback import show_issues
from services.bundles import suggest_split
from services.mapping import (
    COL_B_ITEM,
    COL_B_PCT,
    COL_B_QTY,
    ItemIndex,
    bundle_frame,
    exact_decimal,
    frame_to_components,
    running_percent,
)
from services.records import BundleComponent, Issue, ItemRef, Mapping

SaveBundle = Callable[[tuple[BundleComponent, ...]], list[Issue]]


def _md(text: str) -> str:
    """Text shown literally inside Markdown (SKUs can hold *, _, `, [ ...)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$=" else ch for ch in text)


def _rows_key(sku: str, scope: str) -> str:
    return f"map_bundle_rows_{scope}_{sku}"


def _gen_key(sku: str, scope: str) -> str:
    return f"map_bundle_gen_{scope}_{sku}"


def reset(sku: str, scope: str) -> None:
    """Forget the editor's unsaved rows of ``sku`` (after a save elsewhere, or a discard)."""
    st.session_state.pop(_rows_key(sku, scope), None)
    st.session_state[_gen_key(sku, scope)] = st.session_state.get(_gen_key(sku, scope), 0) + 1


def render(sku: str, mapping: Mapping, index: ItemIndex, *, scope: str, on_save: SaveBundle) -> None:
    """Draw the editor for bundle ``sku``; ``on_save`` stores valid components and returns issues.

    ``scope`` separates the widget state of different integrations.
    """
    ss = st.session_state
    rows_key, gen_key = _rows_key(sku, scope), _gen_key(sku, scope)
    fingerprint = tuple((c.item.id, str(c.qty), str(c.percent)) for c in mapping.components)
    if rows_key not in ss or ss.get(rows_key + "_of") != fingerprint:
        # first time, or the bundle changed elsewhere (a save, an Excel upload): start from it
        ss[rows_key] = bundle_frame(mapping.components, index).to_dict("records")
        ss[rows_key + "_of"] = fingerprint
        ss[gen_key] = ss.get(gen_key, 0) + 1
    gen = ss.setdefault(gen_key, 0)
    base = pd.DataFrame(ss[rows_key], columns=[COL_B_ITEM, COL_B_QTY, COL_B_PCT]).astype("object")
    st.markdown(f"**Bundle {_md(sku)}**: the percentage is of the bundle's total sales price, not a unit price.")
    edited = st.data_editor(
        base, key=f"map_bundle_editor_{scope}_{sku}_{gen}", num_rows="dynamic", hide_index=True,
        width="stretch",
        column_config={
            COL_B_ITEM: st.column_config.SelectboxColumn(COL_B_ITEM, options=index.names, required=True,
                                                         width="large"),
            COL_B_QTY: st.column_config.TextColumn(COL_B_QTY, help="a positive number, e.g. 2 or 0.5",
                                                   default="1", validate=r"^\s*\d*\.?\d+\s*$"),
            COL_B_PCT: st.column_config.TextColumn(COL_B_PCT, help="of the bundle's total sales price",
                                                   default="0"),
        })
    total = running_percent(edited)
    text = f"Sum of percentages: **{total.normalize():f} %**"
    if total == 100:
        st.success(text, icon=":material/check:")
    else:
        st.warning(f"{text}: it must be exactly 100 before the bundle can be saved.", icon=":material/warning:")

    c1, c2, c3, c4 = st.columns(4)
    by_cost = c1.button("Suggest split (unit cost)", key=f"map_bundle_suggest_cost_{scope}_{sku}")
    by_price = c2.button("Suggest split (sales price)", key=f"map_bundle_suggest_price_{scope}_{sku}")
    save = c3.button("Save bundle", type="primary", key=f"map_bundle_save_{scope}_{sku}")
    revert = c4.button("Revert", key=f"map_bundle_revert_{scope}_{sku}")
    if revert:
        reset(sku, scope)
        st.rerun()
    if by_cost or by_price:
        comps: list[BundleComponent] = []
        values: list[Decimal | None] = []
        for name, qty_text in zip(edited[COL_B_ITEM], edited[COL_B_QTY], strict=True):
            item = index.find(str(name)) if isinstance(name, str) and name else None
            qty = exact_decimal(qty_text)
            comps.append(BundleComponent(item.ref if item else ItemRef("", str(name or "")),
                                         qty if qty is not None and qty > 0 else Decimal(0), Decimal(0)))
            values.append((item.purchase_cost if by_cost else item.unit_price) if item else None)
        percents = suggest_split(comps, values) if comps else []
        rows = edited.to_dict("records")
        for row, pct in zip(rows, percents, strict=True):
            row[COL_B_PCT] = f"{pct:f}"
        ss[rows_key] = rows
        ss[gen_key] = gen + 1
        if not comps:
            ss[f"map_bundle_note_{scope}_{sku}"] = "Add the bundle's components first."
        elif all(v is None for v in values):
            ss[f"map_bundle_note_{scope}_{sku}"] = ("QuickBooks has no " + ("unit cost" if by_cost else "sales price")
                                                    + " for these items: the split is by quantity.")
        st.rerun()
    note = ss.pop(f"map_bundle_note_{scope}_{sku}", None)
    if note:
        st.info(note)
    if save:
        comps, issues = frame_to_components(edited, index, sku=sku, old=mapping)
        if issues:
            st.error("The bundle was not saved.", icon=":material/block:")
            show_issues(issues, key=f"map_bundle_{scope}_{sku}")
            return
        problems = on_save(tuple(comps))
        if problems:
            show_issues(problems, key=f"map_bundle_{scope}_{sku}")
            return
        reset(sku, scope)
        st.rerun()
