"""The document view: a settlement's planned documents with their lines, the tie-out, the readiness
warnings and the expected margins (with a chart of margin by SKU).

Pure translations (records → DataFrames) are module functions that tests can call; ``render_*``
draw them. Money is shown formatted, kept exact until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from components.feedback import key_figures
from services.money import format_money
from services.preview import LineCost, Margin, Preview, margin_total
from services.records import Document, Issue, Severity

MAX_LISTED = 2_000  # documents listed in the summary table (per-order grouping can make many)
MAX_MESSAGES = 25  # warnings shown in full on the page; the download has them all
RIGHT = st.column_config.TextColumn(alignment="right")  # money and quantities, formatted as text


def _right(*names: str) -> dict[str, Any]:
    return {n: RIGHT for n in names}


def rows_text(rows: Sequence[int], limit: int = 8) -> str:
    """Report rows for a grid cell: "3, 23" or "4, 8, 12, … (120 rows)"."""
    shown = ", ".join(str(n) for n in rows[:limit])
    return shown + (f", … ({len(rows):,} rows)" if len(rows) > limit else "")


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
                     "Qty": "" if ln.qty is None else format(ln.qty.normalize(), ",f"),
                     "Unit price": "" if ln.unit_price is None else format(ln.unit_price, ",f"),
                     "Amount": format_money(ln.amount), "Account": ln.account,
                     "Expected COGS": "" if c is None else format_money(c.cost),
                     "Report rows": rows_text(ln.source_rows) or ("with the line above" if ln.bundle_sku else "")})
    return pd.DataFrame(rows, columns=["Item", "Description", "Qty", "Unit price", "Amount", "Account",
                                       "Expected COGS", "Report rows"])


def margins_frame(margins: Sequence[Margin]) -> pd.DataFrame:
    """One row per SKU or bundle, then a "Total" row; margin columns empty when the cost is unknown."""
    rows = [*margins, margin_total(margins)] if margins else []
    return pd.DataFrame([{"SKU": m.sku, "Kind": m.kind, "Units sold": format(m.units_sold.normalize(), ",f"),
                          "Units refunded": format(m.units_refunded.normalize(), ",f"),
                          "Revenue": format_money(m.revenue),
                          "Expected COGS": "" if m.cogs is None else format_money(m.cogs),
                          "Gross margin": "" if m.margin is None else format_money(m.margin),
                          "Margin %": "" if m.margin_percent is None else f"{m.margin_percent}%"}
                         for m in rows],
                        columns=["SKU", "Kind", "Units sold", "Units refunded", "Revenue", "Expected COGS",
                                 "Gross margin", "Margin %"])


CHART_SKUS = 30  # bars in the margin chart; beyond that the highest and the lowest margins are shown


def chart_margins(margins: Sequence[Margin]) -> list[Margin]:
    """The margins the chart shows: all with a known cost, or, when there are more than
    :data:`CHART_SKUS`, the highest and the lowest half of them (losses are what to look at)."""
    known = sorted((m for m in margins if m.margin is not None), key=lambda m: m.margin or 0, reverse=True)
    if len(known) <= CHART_SKUS:
        return known
    half = CHART_SKUS // 2
    return known[:half] + known[-half:]


def margin_chart(margins: Sequence[Margin]) -> alt.LayerChart | None:
    """A bar chart of expected gross margin by SKU (bars coloured by kind, labelled with the margin
    and its percentage); ``None`` without costs."""
    known = chart_margins(margins)
    if not known:
        return None
    data = pd.DataFrame([{"SKU": m.sku, "Kind": m.kind, "Gross margin": float(m.margin or 0),
                          "Margin %": float(m.margin_percent or 0),
                          "Label": format_money(m.margin if m.margin is not None else Decimal(0))
                                   + ("" if m.margin_percent is None else f" ({m.margin_percent}%)")}
                         for m in known])
    base = alt.Chart().encode(y=alt.Y("SKU:N", sort="-x", title=None))
    bars = base.mark_bar().encode(
        x=alt.X("Gross margin:Q", title="Expected gross margin", axis=alt.Axis(format=",.0f")),
        color=alt.Color("Kind:N", title="Kind"),
        tooltip=["SKU", "Kind", alt.Tooltip("Gross margin:Q", format=",.2f"), alt.Tooltip("Margin %:Q", format=".1f")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(x="Gross margin:Q", text="Label:N")
    return alt.LayerChart(data=data, layer=[bars, labels])


def render_tie_out(result: Preview, *, key: str) -> None:
    """The tie-out: settlement total, documents total, difference."""
    t = result.tie_out
    key_figures([("Settlement total", f"{format_money(t.settlement_total)} {result.currency}"),
                 ("Documents total", f"{format_money(t.documents_total)} {result.currency}"),
                 ("Difference", f"{format_money(t.difference)} {result.currency}")])
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
    st.dataframe(documents_frame(docs, result.blocked), hide_index=True, width="stretch", key=f"{key}_docs",
                 column_config=_right("Total"))
    shown = docs[:MAX_LISTED]
    labels = [f"{d.type.value} {d.doc_number} · {d.date.isoformat()} · {format_money(d.total)}" for d in shown]
    index = st.selectbox("Lines of", range(len(shown)), format_func=labels.__getitem__, key=f"{key}_doc")
    chosen = docs[index or 0]
    if chosen.key in result.blocked:
        why = [i.message for i in result.warnings if i.severity is Severity.ERROR and chosen.doc_number in i.message]
        st.error("QuickBooks would refuse this document, so it will not be posted until this is fixed:\n\n"
                 + "\n".join(f"- {_md(m)}" for m in why or ["see the warnings above."]), icon=":material/block:")
    st.dataframe(lines_frame(chosen, result.costs), hide_index=True, width="stretch", key=f"{key}_lines",
                 column_config={**_right("Qty", "Unit price", "Amount", "Expected COGS"),
                                "Description": st.column_config.TextColumn(width="medium"),
                                "Report rows": st.column_config.TextColumn(width="small")})
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
        shown = len(chart_margins(result.margins))
        if shown < sum(1 for m in result.margins if m.margin is not None):
            st.caption(f"The chart shows the {shown // 2} highest and the {shown // 2} lowest margins; the table "
                       "and the download have every SKU.")
    st.dataframe(margins_frame(result.margins), hide_index=True, width="stretch", key=f"{key}_margins",
                 column_config=_right("Units sold", "Units refunded", "Revenue", "Expected COGS", "Gross margin",
                                      "Margin %"))
    st.caption("Expected COGS come from a FIFO replay of each item's QuickBooks history (opening quantity, "
               "bills, purchases, earlier sales and refunds) followed by these documents. Revenue is net of "
               "refunds; a bundle's row adds up its components.")


def _md(text: str) -> str:
    """Plain text safe inside Markdown (SKUs and names may hold ``*``, ``_``, brackets...)."""
    for ch in "\\`*_[]<>#|$~":
        text = text.replace(ch, "\\" + ch)
    return text


def issue_text(issue: Issue) -> str:
    """One warning in words, led by its file and row when it has them."""
    where = ", ".join(p for p in (issue.file, f"row {issue.row}" if issue.row is not None else "") if p)
    return f"{where}: {issue.message}" if where else issue.message


def render_warnings(issues: Sequence[Issue]) -> None:
    """Problems that block posting (red), then warnings (amber), each in full: they name the document,
    the item and what to do, and a grid cell would cut them off. Infos as captions."""
    for severity, box, head in ((Severity.ERROR, st.error, "must be fixed before posting"),
                                (Severity.WARNING, st.warning, "to review")):
        chosen = [i for i in issues if i.severity is severity]
        if not chosen:
            continue
        lines = [f"- {_md(issue_text(i))}" for i in chosen[:MAX_MESSAGES]]
        if len(chosen) > MAX_MESSAGES:
            lines.append(f"- … and {len(chosen) - MAX_MESSAGES:,} more (in the Excel download, sheet Warnings).")
        box(f"**{len(chosen)} {'problem' if severity is Severity.ERROR else 'warning'}(s) {head}:**\n\n"
            + "\n".join(lines), icon=":material/error:" if severity is Severity.ERROR else ":material/warning:")
    for i in issues:
        if i.severity not in (Severity.ERROR, Severity.WARNING):
            st.caption(_md(issue_text(i)))


def render_preview(result: Preview, *, key: str) -> None:
    """The whole preview of one settlement."""
    render_tie_out(result, key=key)
    if result.warnings:
        st.subheader("Warnings")
        render_warnings(result.warnings)
    elif result.checked:
        st.success("QuickBooks is ready for these documents.", icon=":material/verified:")
    st.subheader("Documents")
    render_documents(result, key=key)
    st.subheader("Expected COGS and margins")
    if not result.checked:
        st.caption("QuickBooks was not read: expected COGS are not available.")
    render_margins(result, key=key)
