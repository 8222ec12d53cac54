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

from components.feedback import key_figures, show_issues
from services.importing import DUPLICATE, REJECTED, SettlementImport, fees_total, where_the_money_went
from services.money import format_money
from services.records import Issue, SettlementInfo, Severity

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
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%b %Y}"


def period_text(summary: dict[str, Any]) -> str:
    """The settlement period as people write it: ``1–15 Mar 2026``, ``28 Feb – 13 Mar 2026``."""
    start, end = dt.date.fromisoformat(summary["start"]), dt.date.fromisoformat(summary["end"])
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


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
    """Units sold and refunded per SKU, most sold first (a Title column only when the report has titles)."""
    rows = [{"SKU": sku, "Title": v.get("title", ""), "Units sold": v["sold"], "Units refunded": v["refunded"],
             "Net units": v["sold"] - v["refunded"]} for sku, v in summary.get("skus", {}).items()]
    frame = pd.DataFrame(rows, columns=["SKU", "Title", "Units sold", "Units refunded", "Net units"])
    if not frame["Title"].astype(bool).any():
        frame = frame.drop(columns=["Title"])
    return frame.sort_values(["Units sold", "SKU"], ascending=[False, True], ignore_index=True)


def unmapped_frame(unmapped: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The SKUs that stop a settlement (mapping not found): units, first and last date, and why
    (a Title column only when the report has titles)."""
    rows = [{"SKU": u.get("sku", ""), "Title": u.get("title", ""), "Units": f"{int(u.get('quantity') or 0):,}",
             "First date": _day(u["first_date"]) if u.get("first_date") else "",
             "Last date": _day(u["last_date"]) if u.get("last_date") else "",
             "Why": str(u.get("reason", "")).capitalize()} for u in unmapped]
    frame = pd.DataFrame(rows, columns=["SKU", "Title", "Units", "First date", "Last date", "Why"])
    if not frame["Title"].astype(bool).any():
        frame = frame.drop(columns=["Title"])
    return frame


def settlements_frame(infos: Sequence[SettlementInfo]) -> pd.DataFrame:
    """The integration's settlements for ``st.dataframe``: status in words, dates, exact totals."""
    rows = [{
        "Settlement": i.settlement_id,
        "Status": STATUS_WORDS.get(i.status.value, i.status.value),
        "Period": period_text({"start": i.start.isoformat(), "end": i.end.isoformat()}),
        "Deposit date": i.deposit_date,
        "Total": format_money(i.total, i.currency),
        "Rows": f"{i.row_count:,}",
        "Files": ", ".join(i.source_files),
        "Imported": " by ".join(x for x in ((f"{i.created_at.day} {i.created_at:%b %Y %H:%M} UTC"
                                             if i.created_at else ""), i.created_by) if x),
    } for i in infos]
    return pd.DataFrame(rows, columns=["Settlement", "Status", "Period", "Deposit date", "Total", "Rows", "Files",
                                       "Imported"])


def money_chart(summary: dict[str, Any]) -> alt.Chart:
    """Horizontal bars, one per kind of money, green for money in and red for money out (the exact
    amounts are in the table beside it and in the tooltip)."""
    frame = money_frame(summary)
    order = list(frame["Kind"])
    base = alt.Chart(frame).encode(
        y=alt.Y("Kind:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("Kind:N"), alt.Tooltip("Amount:N")],
    )
    bars = base.mark_bar().encode(
        x=alt.X("Bar:Q", title=f"Amount ({summary.get('currency', '')})", axis=alt.Axis(format=",.0f")),
        color=alt.Color("Direction:N", title=None,
                        scale=alt.Scale(domain=["Money in", "Money out"], range=["#1f6f5c", "#b3413a"]),
                        legend=alt.Legend(orient="top")),
    )
    return bars.properties(height=alt.Step(24))


def show_summary(summary: dict[str, Any], *, key: str) -> None:
    """The parsed summary of one settlement: key figures, the money chart and units per SKU."""
    currency = summary.get("currency", "")
    st.markdown(f"**Period** {period_text(summary)} &nbsp;·&nbsp; **Deposit date** {_day(summary['deposit_date'])} "
                f"&nbsp;·&nbsp; **Currency** {currency} &nbsp;·&nbsp; {summary['rows']:,} rows "
                f"&nbsp;·&nbsp; format `{summary['format']}`")
    key_figures([("Total paid out", format_money(Decimal(summary["total"]), currency)),
                 ("Marketplace fees", format_money(fees_total(summary), currency)),
                 ("Orders", f"{summary['orders']:,}"), ("Refunds", f"{summary['refunds']:,}")])
    if summary.get("lines_total") != summary.get("total"):
        st.warning(f"The rows add up to {format_money(Decimal(summary['lines_total']), currency)}, not the "
                   f"stated total of {format_money(Decimal(summary['total']), currency)}.", icon=":material/warning:")
    if summary.get("by_category"):
        st.markdown("**Where the money went**")
        left, right = st.columns([3, 2])
        with left:
            st.altair_chart(money_chart(summary), width="stretch", key=f"{key}_chart")
        with right:
            table = money_frame(summary)[["Kind", "Amount"]]
            table.loc[len(table)] = ["Total of the rows", format_money(Decimal(summary["lines_total"]))]
            st.dataframe(table, hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3,
                         column_config={"Amount": st.column_config.TextColumn(f"Amount ({currency})".replace(" ()", ""),
                                                                              alignment="right")},
                         key=f"{key}_money")
    st.markdown("**Units per SKU**")
    skus = skus_frame(summary)
    if skus.empty:
        st.caption("This settlement has no product sales or refunds.")
    else:
        # every SKU without an inner scroll bar up to 25 of them; units with thousands separators
        st.dataframe(skus, hide_index=True, width="stretch", key=f"{key}_skus",
                     height=35 * (min(len(skus), 25) + 1) + 3,
                     column_config={c: st.column_config.NumberColumn(format="localized")
                                    for c in ("Units sold", "Units refunded", "Net units")})


def _md(text: str) -> str:
    """Text safe inside Markdown (file names and messages may hold * _ ` [ ] or $)."""
    for ch in "\\`*_[]$<>#":
        text = text.replace(ch, "\\" + ch)
    return text


def show_problems(issues: Sequence[Issue], *, key: str) -> None:
    """Problems in words: a few as sentences naming file and row, many as a table to scan."""
    if len(issues) > 8:
        show_issues(issues, key=key)
        return
    for severity, box, icon in ((Severity.ERROR, st.error, ":material/error:"),
                                (Severity.WARNING, st.warning, ":material/warning:"),
                                (Severity.INFO, st.info, ":material/info:")):
        mine = [i for i in issues if i.severity is severity]
        if mine:
            box("\n".join(f"- {_md(str(i))}" for i in mine), icon=icon)


def show_import_result(result: SettlementImport, *, key: str) -> None:
    """One settlement of an upload: what happened to it, its summary, and its problems in words."""
    # the page says "nothing of it was stored" in its banner; the CLI's note would repeat it
    issues = [i for i in result.issues if i.code != "not_stored"]
    with st.container(border=True):
        title = f"Settlement {result.settlement_id}" if result.settlement_id else ", ".join(result.files)
        how = "replaced the earlier import" if result.replaced else "imported"
        if result.stored and result.status == "mapping_not_found":
            count = f"{len(result.unmapped)} SKUs are" if len(result.unmapped) > 1 else "a SKU is"
            st.warning(f"**{_md(title)}** — {how}, but {count if result.unmapped else 'some SKUs are'} not mapped "
                       "to QuickBooks items yet, so nothing can be posted: map them on Settings and Mappings, then "
                       "Retry import (History page).", icon=":material/link_off:")
            if result.unmapped:
                # the table says it all; the same list as a sentence would only repeat it
                issues = [i for i in issues if i.code != "mapping_not_found"]
                frame = unmapped_frame(result.unmapped)
                st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_unmapped",
                             height=35 * (min(len(frame), 15) + 1) + 3,
                             column_config={"Units": st.column_config.TextColumn(alignment="right")})
            st.page_link("app_pages/settings_and_mappings.py", query_params={"tab": "mappings"},
                         label="Map the SKUs on Settings and Mappings",
                         icon=":material/arrow_forward:")
        elif result.stored and result.status == "failed":
            st.warning(f"**{_md(title)}** — {how}, but its documents could not be built; see below.",
                       icon=":material/warning:")
        elif result.stored:
            then = "; its documents are ready to preview" if result.status == "ready" else ""
            st.success(f"**{_md(title)}** — {how}{then}.", icon=":material/check_circle:")
            if result.status == "ready":
                st.page_link("app_pages/preview.py", label="Preview its documents", icon=":material/arrow_forward:")
        elif result.status == DUPLICATE:
            said = [i for i in issues if i.code == "duplicate"]
            issues = [i for i in issues if i.code != "duplicate"]
            st.warning(f"**{_md(title)}** — already imported; nothing was changed.\n\n"
                       + "\n\n".join(_md(i.message) for i in said), icon=":material/content_copy:")
        else:
            st.error(f"**{_md(title)}** — not imported; nothing of it was stored.", icon=":material/block:")
        show_problems(issues, key=key)
        if result.summary:
            show_summary(result.summary, key=key)


def sample_offer_text(inventory_tracking: bool) -> str:
    """What the sample settlement holds and the steps to try with it (Markdown)."""
    from services.settlements.demo import BUNDLE_COMPONENTS, BUNDLE_SKU, DEMO_SKUS, END, NEW_SKU, START

    bundle = ", ".join(f"{sku} × {qty} at {pct}%" for sku, qty, pct in BUNDLE_COMPONENTS)
    first = (f"An Amazon settlement made for the Demo Company ({START.day}–{END.day} {END:%b %Y}): sales of "
             f"{len(DEMO_SKUS)} of its items, with refunds, shipping, a promotion, tax and fees of several kinds, "
             f"plus `{NEW_SKU}`, which no item has, and `{BUNDLE_SKU}`, a gift set. Import it here, or download "
             "it and drop it in the box above.")
    if not inventory_tracking:
        steps = ("Inventory tracking is off for this integration, so every sale goes to the generic item "
                 "\"Product\". To try mapping SKUs to the Demo Company's inventory items, first turn on **Enable "
                 "Inventory Tracking** on Settings and Mappings; the import then stops with *mapping not found*.")
    else:
        steps = ("The import stops with *mapping not found*. Then, on **Settings and Mappings**: create the sensible "
                 f"defaults (accounts and items), accept the suggested items for the SKUs the demo items share, "
                 f"create an item for `{NEW_SKU}` and convert `{BUNDLE_SKU}` to a bundle ({bundle}); "
                 "then **Retry import** (History), **Preview**, **Post** and **Verify**.")
    return f"{first}\n\n{steps}"


def show_settlement_list(infos: Sequence[SettlementInfo], *, key: str) -> None:
    """The integration's imported settlements with status and totals."""
    if not infos:
        st.caption("No settlement imported for this integration yet.")
        return
    st.dataframe(settlements_frame(infos), hide_index=True, width="stretch", key=key, column_config={
        "Settlement": st.column_config.TextColumn(width=100),
        "Status": st.column_config.TextColumn(width=110),
        "Period": st.column_config.TextColumn(width=115),
        "Deposit date": st.column_config.DateColumn(format="D MMM YYYY", width=95),
        "Total": st.column_config.TextColumn(alignment="right", width=100),
        "Rows": st.column_config.TextColumn(alignment="right", width=55),
        "Files": st.column_config.TextColumn(width=150),
        "Imported": st.column_config.TextColumn(width=200),
    })
