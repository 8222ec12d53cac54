"""Preview: a settlement's documents before posting, the tie-out, readiness warnings and expected
margins; or, when its import failed, what to fix and "Retry import". Widget keys start with ``pre_``."""

from __future__ import annotations

import json

import streamlit as st

from components import state
from components.document_view import render_preview
from components.feedback import show_error
from services.errors import MappingNotFound, SettlebridgeError
from services.pipeline import prepare
from services.preview import preview, to_excel
from services.records import SettlementStatus
from services.storage import settlements as repo

WHO = state.current_user()

st.title("Preview")
client, integration = state.require_selection("preview documents")
CLIENT, INTEGRATION = client, integration
db = state.database()
st.caption(f"{client.name} · {integration.name} ({integration.channel.value.title()}) · inventory tracking "
           + ("on" if integration.inventory_tracking else "off") + f" · grouping per {integration.grouping.value}")

infos = repo.list_settlements(db, integration)
if not infos:
    st.info("No settlement imported yet for this integration.", icon=":material/info:")
    st.page_link("app_pages/settlements.py", label="Import settlements", icon=":material/upload_file:")
    st.stop()
info = state.pick_settlement(infos, key="pre_settlement")
chosen = info.settlement_id
# the status lives beside the picker, not in its labels, so that it is fresh after Retry import
st.caption(f"Status: {info.status.value.replace('_', ' ')}")


def retry(label: str = "Retry import", *, primary: bool = True) -> None:
    """The Retry import button: rebuild the documents with the current mappings and settings."""
    if st.button(label, key="pre_retry", type="primary" if primary else "secondary", icon=":material/refresh:"):
        try:
            with st.spinner("Building the documents…"):
                prepared = prepare(db, CLIENT, INTEGRATION, chosen, who=WHO)
            st.session_state["pre_retried"] = (True, f"Documents rebuilt with the current mappings and settings: "
                                                     f"{len(prepared.documents)} document(s).")
        except MappingNotFound as exc:
            unmapped = exc.details.get("unmapped", []) if isinstance(exc.details, dict) else []
            st.session_state["pre_retried"] = (False, f"Retried: {len(unmapped)} SKU(s) are still not mapped.")
        except SettlebridgeError as exc:
            st.session_state["pre_retried"] = (False, f"Retried: {exc.message}")
        st.rerun()  # the settlement's status now says what happened


retried = st.session_state.pop("pre_retried", None)
if retried:
    (st.success if retried[0] else st.warning)(retried[1], icon=":material/refresh:")
detail = json.loads(info.status_detail or "{}")
if info.status is SettlementStatus.MAPPING_NOT_FOUND:
    unmapped = detail.get("unmapped", [])
    st.error(f"Mapping not found: {len(unmapped)} SKU(s) of this settlement are not mapped to QuickBooks "
             "items, so nothing was readied for posting.", icon=":material/link_off:")
    st.dataframe([{"SKU": u.get("sku"), "Title": u.get("title"), "Quantity": u.get("quantity"),
                   "First date": u.get("first_date"), "Last date": u.get("last_date"), "Why": u.get("reason")}
                  for u in unmapped], hide_index=True, width="stretch", key="pre_unmapped")
    st.page_link("app_pages/settings_and_mappings.py", query_params={"tab": "mappings"},
                 label="Map them on Settings and Mappings (Mappings tab)",
                 icon=":material/tune:")
    retry()
    st.stop()
if info.status is SettlementStatus.FAILED and detail.get("error"):
    st.error(f"The documents could not be built: {detail['error']}", icon=":material/error:")
    retry()
    st.stop()

try:
    with st.spinner("Building the preview and reading QuickBooks…"):
        result = preview(db, client, integration, chosen, who=WHO)
except MappingNotFound:
    st.rerun()  # the status now says mapping not found
except SettlebridgeError as exc:
    show_error(exc)
    retry()
    st.stop()

render_preview(result, key="pre")
st.divider()
left, right = st.columns(2)
with left:
    st.download_button("Download the preview (Excel)", data=lambda: to_excel(result),  # built on click
                       file_name=f"preview-{chosen}.xlsx", key="pre_download", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
with right:
    retry("Rebuild the documents (Retry import)", primary=False)
