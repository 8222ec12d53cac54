"""Verify: read a posted settlement's documents back from QuickBooks and check them (items, totals,
tie-out, quantities on hand, COGS and inventory asset), pass or fail per check, as Excel too.
Thin: widgets → :func:`services.qbo.verify_read.verify_settlement` → render. Keys start ``ver_``."""

from __future__ import annotations

import streamlit as st

from components import state
from components.feedback import show_error
from components.report_view import money_caption, show_verify_report
from services.errors import SettlebridgeError
from services.qbo.verify_read import verify_settlement
from services.records import SettlementStatus
from services.storage import settlements as repo

WHO = state.current_user()
POSTED = (SettlementStatus.POSTED, SettlementStatus.POSTED_WITH_ERRORS, SettlementStatus.VERIFIED,
          SettlementStatus.POSTING, SettlementStatus.FAILED)

st.title("Verify")
client, integration = state.require_selection("verify postings")
db = state.database()

infos = [i for i in repo.list_settlements(db, integration) if i.status in POSTED]
if not infos:
    st.info("No settlement of this integration has been posted yet: post one first.", icon=":material/info:")
    st.page_link("app_pages/post.py", label="Post", icon=":material/send:")
    st.stop()
info = state.pick_settlement(infos, key="ver_settlement")
chosen = info.settlement_id
st.caption(money_caption(info))
st.caption("Reads every posted document back from QuickBooks and checks: the lines are on the mapped "
           "inventory items (never \"Product\" with tracking on), totals and the tie-out, quantities on hand, "
           "the cost of goods sold in Profit and Loss and the inventory asset in the Balance Sheet against "
           "the FIFO expectation.")

if st.button("Verify now", type="primary", key="ver_go", icon=":material/fact_check:"):
    try:
        with st.spinner("Reading QuickBooks…"):
            report = verify_settlement(db, client, integration, chosen, who=WHO)
        st.session_state["ver_last"] = (integration.id, chosen, report)
        st.rerun()  # the settlement's status may have changed: show it
    except SettlebridgeError as exc:
        show_error(exc)

last = st.session_state.get("ver_last")
if last is not None and last[0] == integration.id and last[1] == chosen:
    show_verify_report(last[2], settlement_id=chosen, key="ver_report")
