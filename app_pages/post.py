"""Post: send a settlement's previewed documents to QuickBooks, exactly once, with a progress bar;
then each document's outcome. Thin: widgets → :func:`services.qbo.posting.post_settlement` →
render. Widget keys start with ``post_``."""

from __future__ import annotations

import streamlit as st

from components import state
from components.feedback import key_figures, show_error
from components.report_view import PostingProgress, money_caption, show_outcomes, show_post_report
from services.errors import SettlebridgeError
from services.money import format_money
from services.qbo.posting import document_outcomes, post_settlement, tie_out
from services.records import SettlementStatus
from services.storage import documents as documents_repo
from services.storage import settlements as repo

WHO = state.current_user()
POSTABLE = (SettlementStatus.READY, SettlementStatus.POSTING, SettlementStatus.POSTED_WITH_ERRORS,
            SettlementStatus.FAILED, SettlementStatus.POSTED, SettlementStatus.VERIFIED)

st.title("Post")
client, integration = state.require_selection("post settlements")
db = state.database()
st.caption(f"{client.name} · {integration.name} · QuickBooks: {client.company_name or client.realm_id}"
           + (" (local sandbox)" if client.kind == "sandbox" else ""))

infos = repo.list_settlements(db, integration)
if not infos:
    st.info("No settlement imported yet for this integration.", icon=":material/info:")
    st.page_link("app_pages/settlements.py", label="Import settlements", icon=":material/upload_file:")
    st.stop()
info = state.pick_settlement(infos, key="post_settlement")
chosen = info.settlement_id
st.caption(money_caption(info))

if info.status is SettlementStatus.MAPPING_NOT_FOUND:
    st.error("Mapping not found: some SKUs of this settlement are not mapped to QuickBooks items, so nothing "
             "can be posted. Map them, then Retry import on the Preview page.", icon=":material/link_off:")
    st.page_link("app_pages/settings_and_mappings.py", label="Settings and Mappings", icon=":material/tune:")
    st.stop()
if info.status not in POSTABLE:
    st.warning("This settlement's documents are not built yet: open the Preview to build and check them.",
               icon=":material/warning:")
    st.page_link("app_pages/preview.py", label="Preview", icon=":material/preview:")
    st.stop()

docs = documents_repo.load_documents(db, integration, chosen)
if not docs:
    st.warning("No documents are ready for this settlement: rebuild them on the Preview page.",
               icon=":material/warning:")
    st.page_link("app_pages/preview.py", label="Preview", icon=":material/preview:")
    st.stop()
difference = tie_out(docs, info.total)
key_figures([("Documents", f"{len(docs):,}"), ("Settlement total", format_money(info.total, info.currency)),
             ("Tie-out difference", format_money(difference, info.currency))])
if difference != 0:
    st.error("The documents do not add up to the settlement total, so posting is refused. Rebuild them on the "
             "Preview page after fixing what it shows.", icon=":material/error:")
    st.stop()

if info.status is SettlementStatus.READY:
    st.page_link("app_pages/preview.py", label="The documents, their lines and the tie-out are on the Preview page",
                 icon=":material/preview:")
if info.status in (SettlementStatus.POSTED, SettlementStatus.VERIFIED):
    st.info("This settlement is posted. Posting again sends nothing that QuickBooks already has.",
            icon=":material/info:")

if st.button("Post to QuickBooks", type="primary", key="post_go", icon=":material/send:"):
    bar = PostingProgress()
    try:
        report = post_settlement(db, client, integration, chosen, who=WHO, progress=bar)
    except SettlebridgeError as exc:
        bar.clear()
        show_error(exc)
    else:
        st.session_state["post_last"] = (integration.id, chosen, report)
        bar.done()
        st.rerun()  # the settlement's status changed: show it

last = st.session_state.get("post_last")
if last is not None and last[0] == integration.id and last[1] == chosen:
    show_post_report(last[2], key="post_result")
    st.page_link("app_pages/verify.py", label="Verify what QuickBooks now holds", icon=":material/fact_check:")
else:
    stored = document_outcomes(db, client, integration.id, chosen)
    if stored:
        st.subheader("Documents as last posted")
        show_outcomes(stored, key="post_stored")
