"""Posting outcomes and the verification report on screen: pure frames, then the Streamlit pieces.

The frames are plain functions of records (tested without Streamlit); the ``show_*`` functions
only draw them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from services.money import format_money
from services.qbo.posting import DocOutcome, PostReport, Progress
from services.records import SettlementEvent, SettlementInfo
from services.verify import VerifyReport, to_excel

STATUS_WORDS = {
    "posted": "Posted",
    "already_posted": "Already posted",
    "failed": "Failed",
    "pending": "Not sent",
    "planned": "Not sent",
    "sent": "Sent, not confirmed",
    "undone": "Undone",
}


def outcomes_frame(outcomes: Sequence[DocOutcome]) -> pd.DataFrame:
    """One row per document: what happened, its QBO id and link, QBO's words and what to do."""
    return pd.DataFrame([{
        "Outcome": STATUS_WORDS.get(o.status, o.status), "Type": o.type, "DocNumber": o.doc_number,
        "Date": o.date, "Total": format_money(o.total), "QBO Id": o.qbo_id, "Link": o.link or None,
        "Where": o.where, "Problem": o.error, "What to do": o.what_to_do, "Key": o.key} for o in outcomes],
        columns=["Outcome", "Type", "DocNumber", "Date", "Total", "QBO Id", "Link", "Where", "Problem",
                 "What to do", "Key"])


def failure_lines(outcomes: Sequence[DocOutcome], limit: int = 10) -> list[str]:
    """The refused documents in full, as Markdown bullets (the table cuts long messages)."""
    failed = [o for o in outcomes if o.status == "failed"]
    lines = [f"- **{_md(o.type)} {_md(o.doc_number or o.key)}** ({format_money(o.total)}): {_md(o.error)}"
             + (f" **What to do:** {_md(o.what_to_do)}" if o.what_to_do else "") for o in failed[:limit]]
    if len(failed) > limit:
        lines.append(f"- … and {len(failed) - limit} more (see the table).")
    return lines


def progress_text(p: Progress) -> str:
    """``12 of 90 documents · 24.0 a second · about 3 s left`` (``sending…`` before a rate is known)."""
    if p.rate <= 0 and p.done < p.total:
        return f"{p.done:,} of {p.total:,} documents · sending…"
    left = "" if p.seconds_left is None else f" · about {p.seconds_left:,.0f} s left"
    return f"{p.done:,} of {p.total:,} documents · {p.rate:,.1f} a second{left}"


_AMOUNT = re.compile(r"-?\d+\.\d\d(?!\d)")
_STATUS = re.compile(r"\bstatus ([a-z]+(?:_[a-z]+)*)\b")


def readable(text: str) -> str:
    """Amounts inside a check's text with thousands separators (``1234.50`` → ``1,234.50``); the
    report and the CLI keep the plain form."""
    return _AMOUNT.sub(lambda m: format_money(Decimal(m.group(0))), text)


def checks_frame(report: VerifyReport) -> pd.DataFrame:
    """One row per check, failures first; amounts with thousands separators."""
    rows = sorted(report.checks, key=lambda c: c.ok)
    return pd.DataFrame([{"Result": "pass" if c.ok else "FAIL", "Check": c.name, "Expected": readable(c.expected),
                          "Actual": readable(c.actual), "Why": readable(c.detail)} for c in rows],
                        columns=["Result", "Check", "Expected", "Actual", "Why"])


def exception_lines(report: VerifyReport, limit: int = 20) -> list[str]:
    """The failing checks as Markdown bullets: what was expected, what QuickBooks has, and why."""
    lines = [f"- **{_md(c.name)}**: expected {_md(readable(c.expected))}, QuickBooks has "
             f"{_md(readable(c.actual))}."
             + (f" {_md(readable(c.detail))}" if c.detail else "") for c in report.exceptions[:limit]]
    if len(report.exceptions) > limit:
        lines.append(f"- … and {len(report.exceptions) - limit} more (see the table and the Excel report).")
    return lines


def _md(text: str) -> str:
    """Text shown as Markdown without being read as Markdown (``$``, ``*``, ``_``...)."""
    for ch in "\\`*_{}[]<>()#+!|$~":
        text = text.replace(ch, "\\" + ch)
    return text


def history_frame(infos: Sequence[SettlementInfo]) -> pd.DataFrame:
    """Every settlement of the integration: status, period, totals, dates."""
    return pd.DataFrame([{
        "Settlement": i.settlement_id, "Status": i.status.value.replace("_", " ").capitalize(),
        "Period": f"{i.start:%d %b} – {i.end:%d %b %Y}", "Deposit date": i.deposit_date,
        "Total": format_money(i.total), "Currency": i.currency, "Rows": i.row_count,
        "Imported": i.created_at, "Imported by": i.created_by, "Last change": i.updated_at} for i in infos],
        columns=["Settlement", "Status", "Period", "Deposit date", "Total", "Currency", "Rows", "Imported",
                 "Imported by", "Last change"])


def events_frame(events: Sequence[SettlementEvent]) -> pd.DataFrame:
    """Who did what when, newest first."""
    return pd.DataFrame([{"When (UTC)": e.at, "Who": e.who, "What": e.what[:1].upper() + e.what[1:], "Detail": _status_words(e.detail),
                          "Settlement": e.settlement_id} for e in reversed(events)],
                        columns=["When (UTC)", "Who", "What", "Detail", "Settlement"])


def _status_words(text: str) -> str:
    """``status mapping_not_found`` → ``status: mapping not found``."""
    return _STATUS.sub(lambda m: "status: " + m.group(1).replace("_", " "), text or "")


def table_height(rows: int, *, most: int = 800) -> int:
    """A table tall enough for every row (up to ``most`` pixels; then it scrolls)."""
    return min(35 * (rows + 1) + 3, most)


class PostingProgress:
    """The posting run's progress bar, shielded: a click elsewhere or leaving the page while QBO is
    being written to must not cut the run short (it would leave the settlement "posting" with
    documents whose outcome is unknown until the next run). Streamlit asks the script to stop at
    its next ``st`` call, which is this bar's update: the request is held while the run goes on,
    and honoured by :meth:`done` once the outcome is saved."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")
        self.held: BaseException | None = None

    def __call__(self, p: Progress) -> None:
        if self.held is not None:
            return
        try:
            self.bar.progress(p.done / p.total if p.total else 1.0, text=progress_text(p))
        except ScriptControlException as exc:
            self.held = exc

    def done(self) -> None:
        """The run is over: finish the bar, then honour a held rerun or stop request."""
        if self.held is not None:
            raise self.held
        self.bar.progress(1.0, text="Done.")

    def clear(self) -> None:
        if self.held is not None:
            raise self.held
        self.bar.empty()


def show_post_report(report: PostReport, *, key: str) -> None:
    """The outcome of a posting run: headline counts, then every document."""
    created, already, failed = len(report.created), len(report.already_posted), len(report.failed)
    a, b, c, d = st.columns(4)
    a.metric("Created in QuickBooks", f"{created:,}")
    b.metric("Already posted", f"{already:,}")
    c.metric("Failed", f"{failed:,}")
    d.metric("Not sent", f"{len(report.pending):,}")
    st.caption(f"{report.calls:,} requests to QuickBooks in {report.seconds:,.1f} s.")
    if report.stopped:
        st.warning(report.stopped, icon=":material/cloud_off:")
    if failed:
        st.error(f"{failed} document(s) were refused by QuickBooks. Each is listed below with "
                 "QuickBooks' reason and what to do; then press Post again: only what is missing is sent.", icon=":material/error:")
    elif report.all_posted:
        st.success("Every document is in QuickBooks, each exactly once. Next: verify what QuickBooks now "
                   "holds (Verify page).", icon=":material/check_circle:")
    show_outcomes(report.documents, key=key)


def show_outcomes(outcomes: Sequence[DocOutcome], *, key: str) -> None:
    """Every document's outcome; columns that say nothing for these documents are left out."""
    failures = failure_lines(outcomes)
    if failures:
        st.markdown("\n".join(failures))
    frame = outcomes_frame(outcomes)
    if frame["Link"].isna().all():
        frame = frame.drop(columns=["Link"])  # the local sandbox has no web pages to link to
    places = {w for w in frame["Where"] if w}
    if len(places) <= 1:
        frame = frame.drop(columns=["Where"])
        if places:
            place = places.pop()
            st.caption(f"Where: {'the ' if 'sandbox' in place else ''}{place}.")
    if not (frame["Problem"].astype(bool).any() or frame["What to do"].astype(bool).any()):
        frame = frame.drop(columns=["Problem", "What to do"])
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_outcomes", height=table_height(len(frame)),
                 column_config={"Link": st.column_config.LinkColumn("Link", display_text="open in QuickBooks"),
                                "Total": st.column_config.TextColumn("Total", alignment="right"),
                                "Date": st.column_config.DateColumn("Date", format="DD MMM YYYY"),
                                "Problem": st.column_config.TextColumn("Problem", width="large"),
                                "What to do": st.column_config.TextColumn("What to do", width="large")})


def show_verify_report(report: VerifyReport, *, settlement_id: str, key: str) -> None:
    """Pass or fail per check, the exceptions first, and the Excel download."""
    failed = len(report.exceptions)
    if report.ok:
        st.success(f"All {len(report.checks)} checks pass: QuickBooks holds what the settlement says.",
                   icon=":material/verified:")
    else:
        st.error(f"{failed} of {len(report.checks)} checks fail:", icon=":material/report:")
        st.markdown("\n".join(exception_lines(report)))
        st.caption("Next: correct what is named above in QuickBooks and press Verify now again; or, to post the "
                   "settlement afresh, Undo the posting on the History page, then Post again.")
    st.dataframe(checks_frame(report), hide_index=True, width="stretch", key=f"{key}_checks",
                 height=table_height(len(report.checks)),
                 column_config={"Result": st.column_config.TextColumn(width="small"),
                                "Check": st.column_config.TextColumn(width="large"),
                                "Expected": st.column_config.TextColumn(width="medium", alignment="right"),
                                "Actual": st.column_config.TextColumn(width="medium", alignment="right"),
                                "Why": st.column_config.TextColumn(width="large")})
    st.download_button("Download the verification report (Excel)",
                       data=to_excel(report, settlement_id=settlement_id),
                       file_name=f"verification-{settlement_id}.xlsx", key=f"{key}_download",
                       icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def money_caption(info: SettlementInfo) -> str:
    return (f"Period {info.start:%d %b} – {info.end:%d %b %Y} · deposit {info.deposit_date:%d %b %Y} · "
            f"total {format_money(info.total, info.currency)} · status {info.status.value.replace('_', ' ')}")
