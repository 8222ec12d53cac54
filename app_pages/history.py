"""History: every settlement of the integration with its status, totals and dates, who did what
when, and the actions: Retry import, Post, Undo a posting (with confirmation). Thin: widgets →
one service call each → render. Widget keys start with ``his_``."""

from __future__ import annotations

import streamlit as st

from components import state
from components.feedback import show_error
from components.report_view import (
    PostingProgress,
    events_frame,
    history_frame,
    money_caption,
    show_outcomes,
    show_post_report,
    table_height,
)
from services.errors import SettlebridgeError
from services.pipeline import prepare
from services.qbo.posting import document_outcomes, post_settlement, undo_settlement
from services.records import SettlementStatus
from services.storage import settlements as repo

WHO = state.current_user()
REBUILDABLE = (SettlementStatus.IMPORTED, SettlementStatus.MAPPING_NOT_FOUND, SettlementStatus.FAILED,
               SettlementStatus.READY)
POSTABLE = (SettlementStatus.READY, SettlementStatus.POSTING, SettlementStatus.POSTED_WITH_ERRORS,
            SettlementStatus.FAILED)
UNDOABLE = (SettlementStatus.POSTED, SettlementStatus.POSTED_WITH_ERRORS, SettlementStatus.VERIFIED,
            SettlementStatus.FAILED, SettlementStatus.POSTING)

NEXT = {
    SettlementStatus.IMPORTED: "Next: Retry import to build its documents.",
    SettlementStatus.MAPPING_NOT_FOUND: "Next: map its SKUs on Settings and Mappings (Mappings tab), then Retry import.",
    SettlementStatus.READY: "Next: check the documents on the Preview page, then Post.",
    SettlementStatus.POSTING: "Being posted. If that run stopped, Post again: only what QuickBooks lacks is sent.",
    SettlementStatus.POSTED: "Next: check what QuickBooks now holds on the Verify page.",
    SettlementStatus.POSTED_WITH_ERRORS: "Some documents were refused: open the documents below for the reason "
                                         "and what to do, then Post again (only what is missing is sent).",
    SettlementStatus.FAILED: "It stopped: read the latest event below, fix it, then Retry import or Post "
                             "again (nothing is sent twice).",
    SettlementStatus.VERIFIED: "Done: posted and verified. Undo the posting below only to post it again.",
}

st.title("History")
client, integration = state.require_selection("see a settlement's history")
db = state.database()

infos = repo.list_settlements(db, integration)
if not infos:
    st.info("No settlement imported yet for this integration.", icon=":material/info:")
    st.page_link("app_pages/settlements.py", label="Import settlements", icon=":material/upload_file:")
    st.stop()
st.dataframe(history_frame(infos), hide_index=True, width="stretch", key="his_table",
             height=table_height(len(infos), most=420),
             column_config={"Total": st.column_config.TextColumn("Total", alignment="right"),
                            "Deposit date": st.column_config.DateColumn("Deposit date", format="DD MMM YYYY"),
                            "Imported": st.column_config.DatetimeColumn("Imported (UTC)", format="D MMM YYYY HH:mm"),
                            "Last change": st.column_config.DatetimeColumn("Last change (UTC)",
                                                                           format="D MMM YYYY HH:mm")})

info = state.pick_settlement(infos, key="his_settlement")
chosen = info.settlement_id
st.caption(money_caption(info))
if info.status in NEXT:
    st.markdown(NEXT[info.status])

retry_col, post_col = st.columns(2)
with retry_col:
    if st.button("Retry import", key="his_retry", icon=":material/refresh:",
                 disabled=info.status not in REBUILDABLE,
                 help="Rebuild the documents with the current mappings and settings."):
        try:
            with st.spinner("Building the documents…"):
                prepare(db, client, integration, chosen, who=WHO)
            st.toast("Documents rebuilt: ready to post.", icon=":material/check:")
        except SettlebridgeError as exc:
            st.session_state["his_message"] = exc.message
        st.rerun()
with post_col:
    if st.button("Post", key="his_post", type="primary", icon=":material/send:",
                 disabled=info.status not in POSTABLE):
        bar = PostingProgress()
        try:
            st.session_state["his_posted"] = (chosen, post_settlement(db, client, integration, chosen, who=WHO,
                                                                      progress=bar))
        except SettlebridgeError as exc:
            st.session_state["his_message"] = exc.message
        bar.done()
        st.rerun()

message = st.session_state.pop("his_message", None)
if message:
    st.error(message, icon=":material/error:")
posted = st.session_state.get("his_posted")
if posted is not None and posted[0] == chosen:
    show_post_report(posted[1], key="his_result")

outcomes = document_outcomes(db, client, integration.id, chosen)
if outcomes:
    refused = sum(o.status == "failed" for o in outcomes)
    with st.expander(f"Documents of {chosen} in QuickBooks ({len(outcomes)})"
                     + (f": {refused} refused" if refused else ""), expanded=bool(refused)):
        show_outcomes(outcomes, key="his_docs")

if info.status in UNDOABLE:
    with st.expander("Undo this posting"):
        st.write("Removes from QuickBooks every document Settlebridge created for this settlement (and "
                 "nothing else), then sets the settlement back to ready, e.g. to post it again after fixing a "
                 "mapping.")
        mode = st.radio("How", ["Delete the documents", "Void the sales receipts (delete the others)"],
                        key="his_undo_mode")
        sure = st.checkbox(f"Yes, remove settlement {chosen}'s documents from QuickBooks", key="his_undo_sure")
        if st.button("Undo posting", key="his_undo", disabled=not sure, icon=":material/undo:"):
            try:
                with st.spinner("Removing the documents from QuickBooks…"):
                    out = undo_settlement(db, client, integration, chosen, who=WHO,
                                          mode="void" if mode.startswith("Void") else "delete")
                failed = [o for o in out if o.status == "failed"]
                if failed:
                    st.session_state["his_message"] = (f"{len(failed)} document(s) could not be removed: "
                                                       + "; ".join(o.error for o in failed[:5]))
                else:
                    st.toast(f"{len(out)} document(s) removed; the settlement is ready again.",
                             icon=":material/check:")
                st.session_state.pop("his_posted", None)
            except SettlebridgeError as exc:
                show_error(exc)
            st.rerun()

st.subheader("Who did what, when")
scope = st.radio("Events of", ["this settlement", "every settlement"], horizontal=True, key="his_scope")
events = repo.list_events(db, integration, chosen if scope == "this settlement" else None)
if events:
    st.dataframe(events_frame(events), hide_index=True, width="stretch", key="his_events",
                 height=table_height(len(events), most=560),
                 column_config={"When (UTC)": st.column_config.DatetimeColumn("When (UTC)",
                                                                              format="D MMM YYYY HH:mm:ss"),
                                "What": st.column_config.TextColumn("What", width="large"),
                                "Detail": st.column_config.TextColumn("Detail", width="large")})
else:
    st.caption("No events recorded yet.")
