"""Settlements: upload reports for the current integration, see what was read, and the list of
settlements imported so far. Thin: widgets → :func:`services.importing.import_files` → render."""

from __future__ import annotations

import dataclasses

import streamlit as st

from components import state
from components.feedback import show_error
from components.settlement_view import (
    period_text,
    sample_offer_text,
    show_import_result,
    show_settlement_list,
    show_summary,
)
from services.errors import SettlebridgeError
from services.importing import ImportOutcome, import_files
from services.money import format_money
from services.records import Channel, Client, Integration
from services.settlements import summarize
from services.settlements.demo import demo_settlement
from services.storage import settlements as repo

WHO = state.current_user()

st.title("Settlements")

client, integration = state.require_selection("import settlements")

db = state.database()
st.caption(f"{client.name} · {integration.name} ({integration.channel.value.title()})")

with st.form("set_upload", clear_on_submit=True, border=True):
    files = st.file_uploader(
        "Settlement reports: drag and drop one or several files here, or click Upload",
        accept_multiple_files=True, key="set_files",
        help="Drop one or several files. The format is recognised from the file itself. Upload companion "
             "exports together (Shopify orders export with the payout transactions; Etsy sold order items "
             "with the monthly statement).")
    replace = st.checkbox("Replace settlements already imported (only those not yet posted)", key="set_replace")
    submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")


def _import(client: Client, integration: Integration, files: list[tuple[str, bytes]], *, replace: bool) -> None:
    """Import and keep only the summaries: a million-row settlement must not live on in the session."""
    try:
        with st.spinner("Reading and storing the settlements…"):
            outcome = import_files(db, client, integration, files, who=WHO, replace=replace)
        light = ImportOutcome(tuple(dataclasses.replace(r, settlement=None) for r in outcome.settlements))
        st.session_state["set_last"] = (integration.id, light)
    except SettlebridgeError as exc:
        show_error(exc)


if submitted:
    if not files:
        st.warning("Choose or drop at least one file first.", icon=":material/warning:")
    else:
        _import(client, integration, [(f.name, f.getvalue()) for f in files], replace=replace)

if client.kind == "sandbox" and integration.channel is Channel.AMAZON:
    sample_name, sample_bytes = demo_settlement()
    with st.expander("Try it with a sample settlement", expanded=not repo.list_settlements(db, integration),
                     icon=":material/science:"):
        st.markdown(sample_offer_text(integration.inventory_tracking))
        left, right = st.columns(2)
        left.download_button("Download the sample settlement", sample_bytes, file_name=sample_name,
                             mime="text/tab-separated-values", icon=":material/download:", key="set_sample_download")
        if right.button("Import the sample settlement", icon=":material/upload:", key="set_sample_import"):
            _import(client, integration, [(sample_name, sample_bytes)], replace=False)

last = st.session_state.get("set_last")
if last is not None and last[0] == integration.id:
    st.subheader("Last upload")
    for index, result in enumerate(last[1].settlements):
        show_import_result(result, key=f"set_result_{index}")

st.subheader("Imported settlements")
infos = repo.list_settlements(db, integration)
show_settlement_list(infos, key="set_list")
if infos:
    labels = {f"{i.settlement_id} · {period_text({'start': i.start.isoformat(), 'end': i.end.isoformat()})} · "
              f"{format_money(i.total, i.currency)}": i.settlement_id for i in infos}
    chosen = st.selectbox("Show a settlement's summary", list(labels), index=None, key="set_show",
                          placeholder="Choose a settlement…")
    if chosen is not None:
        with st.spinner("Loading the settlement…"):
            stored = repo.load_settlement(db, integration, labels[chosen])
        show_summary(summarize(stored), key="set_stored")
