"""A settlement on screen: its summary, where the money went (a chart), units per SKU, and the
list of an integration's imported settlements.

The frames are built by pure functions (``*_frame``) so that tests can check them without a
browser; money is formatted to text only here, at the edge (exact, with thousands separators).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from components.feedback import show_issues
from services.importing import DUPLICATE, REJECTED, SettlementImport, fees_total, where_the_money_went
from services.money import format_money
from services.records import SettlementInfo

STATUS_WORDS = {
    "imported": "Imported",
    "mapping_not_found": "Mapping not found",
    "ready": "Ready to post",
    "posting": "Posting…",
    "posted": "Posted",
    "posted_with_errors": "Posted with errors",
    "verified": "Verified",
    "failed": "Failed",
    DUPLICATE: "Already imported",
    REJECTED: "Not imported",
}


def _day(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d %b %Y")


def period_text(summary: dict[str, Any]) -> str:
    return f"{_day(summary['start'])} – {_day(summary['end'])}"


def money_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per kind of money (accountant's order): label, amount as text, and a float that
    only positions the bar (the figures shown are the exact text)."""
    groups = where_the_money_went(summary)
    return pd.DataFrame({
        "Kind": [label for label, _ in groups],
        "Amount": [format_money(v) for _, v in groups],
        "Bar": [float(v) for _, v in groups],  # chart geometry only
        "Direction": ["Money in" if v >= 0 else "Money out" for _, v in groups],
    })


def skus_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """Units sold and refunded per SKU, most sold first."""
    rows = [{"SKU": sku, "Title": v.get("title", ""), "Units sold": v["sold"], "Units refunded": v["refunded"],
             "Net units": v["sold"] - v["refunded"]} for sku, v in summary.get("skus", {}).items()]
    frame = pd.DataFrame(rows, columns=["SKU", "Title", "Units sold", "Units refunded", "Net units"])
    return frame.sort_values(["Units sold", "SKU"], ascending=[False, True], ignore_index=True)


def settlements_frame(infos: Sequence[SettlementInfo]) -> pd.DataFrame:
    """The integration's settlements for ``st.dataframe``: status in words, dates, exact totals."""
    rows = [{
        "Settlement": i.settlement_id,
        "Status": STATUS_WORDS.get(i.status.value, i.status.value),
        "Period": f"{i.start:%d %b %Y} – {i.end:%d %b %Y}",
        "Deposit date": i.deposit_date,
        "Total": format_money(i.total),
        "Currency": i.currency,
        "Rows": i.row_count,
        "Files": ", ".join(i.source_files),
        "Imported": f"{i.created_at:%Y-%m-%d %H:%M} UTC" if i.created_at else "",
        "By": i.created_by,
    } for i in infos]
    return pd.DataFrame(rows, columns=["Settlement", "Status", "Period", "Deposit date", "Total", "Currency",
                                       "Rows", "Files", "Imported", "By"])


def money_chart(summary: dict[str, Any]) -> alt.Chart:
    """Horizontal bars, one per kind of money, green for money in and red for money out."""
    frame = money_frame(summary)
    order = list(frame["Kind"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("Bar:Q", title=f"Amount ({summary.get('currency', '')})", axis=alt.Axis(format=",.0f")),
            y=alt.Y("Kind:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("Direction:N", title=None,
                            scale=alt.Scale(domain=["Money in", "Money out"], range=["#1f6f5c", "#b3413a"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("Kind:N"), alt.Tooltip("Amount:N")],
        )
        .properties(height=max(120, 28 * len(frame)), title="Where the money went")
    )


def show_summary(summary: dict[str, Any], *, key: str) -> None:
    """The parsed summary of one settlement: key figures, the money chart and units per SKU."""
    currency = summary.get("currency", "")
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Period", period_text(summary))
    c2.metric("Deposit date", _day(summary["deposit_date"]))
    c3.metric("Total paid out", format_money(Decimal(summary["total"]), currency))
    c4.metric("Orders / refunds", f"{summary['orders']} / {summary['refunds']}")
    c5.metric("Marketplace fees", format_money(fees_total(summary), currency))
    if summary.get("lines_total") != summary.get("total"):
        st.warning(f"The rows add up to {format_money(Decimal(summary['lines_total']), currency)}, "
                   f"not the stated total.", icon=":material/warning:")
    left, right = st.columns([3, 2])
    with left:
        if summary.get("by_category"):
            st.altair_chart(money_chart(summary), width="stretch", key=f"{key}_chart")
            st.dataframe(money_frame(summary)[["Kind", "Amount"]], hide_index=True, width="stretch",
                         column_config={"Amount": st.column_config.TextColumn(alignment="right")},
                         key=f"{key}_money")
    with right:
        st.markdown("**Units per SKU**")
        skus = skus_frame(summary)
        if skus.empty:
            st.caption("This settlement has no product sales or refunds.")
        else:
            st.dataframe(skus, hide_index=True, width="stretch", key=f"{key}_skus")
    st.caption(f"{summary['rows']:,} rows read · format {summary['format']}")


def show_import_result(result: SettlementImport, *, key: str) -> None:
    """One settlement of an upload: what happened to it, its summary, and its problems in words."""
    with st.container(border=True):
        words = STATUS_WORDS.get(result.status, result.status)
        title = f"Settlement {result.settlement_id}" if result.settlement_id else ", ".join(result.files)
        if result.stored:
            how = "replaced the earlier import" if result.replaced else words.lower()
            st.success(f"**{title}** — {how}.", icon=":material/check_circle:")
        elif result.status == DUPLICATE:
            st.warning(f"**{title}** — already imported; nothing was changed.", icon=":material/content_copy:")
        else:
            st.error(f"**{title}** — not imported; nothing of it was stored.", icon=":material/block:")
        if result.summary:
            show_summary(result.summary, key=key)
        show_issues(result.issues, key=key)


def show_settlement_list(infos: Sequence[SettlementInfo], *, key: str) -> None:
    """The integration's imported settlements with status and totals."""
    if not infos:
        st.caption("No settlement imported for this integration yet.")
        return
    st.dataframe(settlements_frame(infos), hide_index=True, width="stretch", key=key, column_config={
        "Total": st.column_config.TextColumn(alignment="right"),
        "Deposit date": st.column_config.DateColumn(format="DD MMM YYYY"),
    })
