"""The document view: a settlement's planned documents with their lines, the tie-out, the readiness
warnings and the expected margins (with a chart of margin by SKU).

Pure translations (records → DataFrames) are module functions that tests can call; ``render_*``
draw them. Money is shown formatted, kept exact until then.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from components.feedback import show_issues
from services.money import format_money
from services.preview import LineCost, Margin, Preview
from services.records import Document

MAX_LISTED = 2_000  # documents listed in the summary table (per-order grouping can make many)


def documents_frame(documents: Sequence[Document], blocked: Sequence[str] = ()) -> pd.DataFrame:
    """One row per document: type, number, date, lines, total, blocked."""
    shut = set(blocked)
    return pd.DataFrame([{"Type": d.type.value, "DocNumber": d.doc_number, "Date": d.date.isoformat(),
                          "Lines": len(d.lines), "Total": format_money(d.total),
                          "Blocked": "yes" if d.key in shut else "", "Key": d.key}
                         for d in documents[:MAX_LISTED]],
                        columns=["Type", "DocNumber", "Date", "Lines", "Total", "Blocked", "Key"])


def lines_frame(document: Document, costs: Sequence[LineCost] = ()) -> pd.DataFrame:
    """One row per line of ``document``: item, quantity, unit price, amount, account, expected COGS."""
    cost = {c.line: c for c in costs if c.doc_key == document.key}
    rows = []
    for i, ln in enumerate(document.lines):
        c = cost.get(i)
        rows.append({"Item": ln.item.name if ln.item else "", "Description": ln.description,
                     "Qty": "" if ln.qty is None else format(ln.qty.normalize(), "f"),
                     "Unit price": "" if ln.unit_price is None else format(ln.unit_price, "f"),
                     "Amount": format_money(ln.amount), "Account": ln.account,
                     "Expected COGS": "" if c is None else format_money(c.cost),
                     "Rows": len(ln.source_rows)})
    return pd.DataFrame(rows, columns=["Item", "Description", "Qty", "Unit price", "Amount", "Account",
                                       "Expected COGS", "Rows"])


def margins_frame(margins: Sequence[Margin]) -> pd.DataFrame:
    """One row per SKU or bundle; margin columns empty when the cost is unknown."""
    return pd.DataFrame([{"SKU": m.sku, "Kind": m.kind, "Units sold": float(m.units_sold),
                          "Units refunded": float(m.units_refunded), "Revenue": format_money(m.revenue),
                          "Expected COGS": "" if m.cogs is None else format_money(m.cogs),
                          "Gross margin": "" if m.margin is None else format_money(m.margin),
                          "Margin %": "" if m.margin_percent is None else f"{m.margin_percent}%"}
                         for m in margins],
                        columns=["SKU", "Kind", "Units sold", "Units refunded", "Revenue", "Expected COGS",
                                 "Gross margin", "Margin %"])


def margin_chart(margins: Sequence[Margin]) -> alt.Chart | None:
    """A bar chart of expected gross margin by SKU (bars coloured by kind); ``None`` without costs."""
    known = [m for m in margins if m.margin is not None]
    if not known:
        return None
    data = pd.DataFrame([{"SKU": m.sku, "Kind": m.kind, "Gross margin": float(m.margin or 0),
                          "Margin %": float(m.margin_percent or 0)} for m in known])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("Gross margin:Q", title="Expected gross margin"),
        y=alt.Y("SKU:N", sort="-x", title=None),
        color=alt.Color("Kind:N", title="Kind"),
        tooltip=["SKU", "Kind", alt.Tooltip("Gross margin:Q", format=",.2f"), alt.Tooltip("Margin %:Q", format=".1f")],
    )


def render_tie_out(result: Preview, *, key: str) -> None:
    """The tie-out: settlement total, documents total, difference."""
    t = result.tie_out
    a, b, c = st.columns(3)
    a.metric("Settlement total", f"{format_money(t.settlement_total)} {result.currency}")
    b.metric("Documents total", f"{format_money(t.documents_total)} {result.currency}")
    c.metric("Difference", format_money(t.difference))
    if t.ok:
        st.success("The documents add up to the settlement total, to the cent.", icon=":material/check_circle:")
    else:
        st.error(f"The documents differ from the settlement total by {format_money(t.difference)}; posting is "
                 "refused until they agree.", icon=":material/error:")


def render_documents(result: Preview, *, key: str) -> None:
    """The documents as a table, and the lines of the one chosen."""
    docs = list(result.documents)
    if not docs:
        st.info("No documents are ready for this settlement.", icon=":material/info:")
        return
    if len(docs) > MAX_LISTED:
        st.caption(f"Showing the first {MAX_LISTED:,} of {len(docs):,} documents; the download has them all.")
    st.dataframe(documents_frame(docs, result.blocked), hide_index=True, width="stretch", key=f"{key}_docs")
    shown = docs[:MAX_LISTED]
    labels = [f"{d.type.value} {d.doc_number} · {d.date.isoformat()} · {format_money(d.total)}" for d in shown]
    index = st.selectbox("Lines of", range(len(shown)), format_func=labels.__getitem__, key=f"{key}_doc")
    chosen = docs[index or 0]
    if chosen.key in result.blocked:
        st.error("QuickBooks would refuse this document: an item's As of date is after its date (see the "
                 "warnings).", icon=":material/block:")
    st.dataframe(lines_frame(chosen, result.costs), hide_index=True, width="stretch", key=f"{key}_lines")
    st.caption(f"Total {format_money(chosen.total)} {chosen.currency} · {chosen.type.value} · "
               f"account {chosen.account} · key {chosen.key}")
    for note in chosen.notes:
        st.caption(note)


def render_margins(result: Preview, *, key: str) -> None:
    """Expected COGS and gross margin per SKU and bundle, with the chart."""
    if not result.margins:
        st.info("No product lines in these documents.", icon=":material/info:")
        return
    for note in result.notes:
        st.caption(note)
    chart = margin_chart(result.margins)
    if chart is not None:
        st.altair_chart(chart, width="stretch", key=f"{key}_chart")
    st.dataframe(margins_frame(result.margins), hide_index=True, width="stretch", key=f"{key}_margins")


def render_preview(result: Preview, *, key: str) -> None:
    """The whole preview of one settlement."""
    render_tie_out(result, key=key)
    if result.warnings:
        st.subheader("Warnings")
        show_issues(result.warnings, key=f"{key}_warn")
    elif result.checked:
        st.success("QuickBooks is ready for these documents.", icon=":material/verified:")
    st.subheader("Documents")
    render_documents(result, key=key)
    st.subheader("Expected COGS and margins")
    if not result.checked:
        st.caption("QuickBooks was not read: expected COGS are not available.")
    render_margins(result, key=key)
