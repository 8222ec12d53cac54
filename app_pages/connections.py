"""Connections: the clients (QBO companies) and their integrations, connecting a company (the
local sandbox or Intuit sign-in), and the readiness read-out of the current client.

Thin: widgets → one service call (:mod:`services.qbo.connect`, :mod:`services.qbo.oauth`,
:mod:`services.readiness`) → render.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import state
from components.feedback import show_error
from services.errors import SettlebridgeError
from services.qbo import oauth
from services.qbo.connect import LOCAL_SANDBOX_NOTE, add_sandbox_client, clients_overview
from services.readiness import Readiness, inventory_problems, readiness_for, workspace_plan
from services.records import Channel
from services.storage import clients as repo

st.title("Connections")
db = state.database()

# --- Intuit's redirect back (code, state, realmId) ------------------------------------------
params = st.query_params
if "code" in params or "error" in params:
    if "error" in params:
        st.session_state["conn_flash"] = ("error", f"Intuit did not connect the company: {params.get('error')}.")
    else:
        try:
            connected = oauth.complete_authorization(db, code=params.get("code", ""), state=params.get("state", ""),
                                                     realm_id=params.get("realmId", ""))
            st.session_state["conn_flash"] = ("ok", f"Connected {connected.name}: {connected.company_name} "
                                                    f"({connected.plan or 'plan not stated'}).")
            st.session_state["client_name"] = connected.name
        except SettlebridgeError as exc:
            st.session_state["conn_flash"] = ("error", exc.message)
    st.query_params.clear()
    st.rerun()

flash = st.session_state.pop("conn_flash", None)
if flash is not None:
    (st.success if flash[0] == "ok" else st.error)(flash[1])

# --- Clients ----------------------------------------------------------------------------------
st.subheader("Clients")
rows = clients_overview(db)
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="conn_clients")
    if any(r["Connection"] == LOCAL_SANDBOX_NOTE for r in rows):
        st.caption("The Demo Company lives in the local sandbox that ships with Settlebridge: it speaks "
                   "QuickBooks Online's API so you can try everything before connecting your own books.")
else:
    st.info("No client yet: add one below.")

add_tab, integration_tab, readiness_tab = st.tabs(["Add a client", "Add an integration", "Readiness"])

with add_tab:
    how = st.radio("Connect", ["QuickBooks Online (Intuit sign-in)", "Local sandbox URL"], horizontal=True,
                   key="conn_how")
    if how == "Local sandbox URL":
        with st.form("conn_sandbox_form", border=False):
            name = st.text_input("Client name", key="conn_sandbox_name")
            url = st.text_input("Sandbox URL", placeholder="http://127.0.0.1:8765/v3", key="conn_sandbox_url",
                                help="The base URL printed by python -m qbo_sandbox (ending in /v3).")
            realm = st.text_input("Realm (optional)", key="conn_sandbox_realm",
                                  help="Leave empty to use the company the sandbox serves.")
            if st.form_submit_button("Add client", type="primary"):
                try:
                    added = add_sandbox_client(db, name, url, realm)
                    st.session_state["conn_flash"] = ("ok", f"Added {added.name}: {added.company_name} "
                                                            f"({added.plan}).")
                    st.rerun()
                except SettlebridgeError as exc:
                    show_error(exc)
    else:
        keys = oauth.app_keys()
        if keys is None:
            st.info(oauth.WHERE_KEYS_GO, icon=":material/key:")
            st.code(oauth.SECRETS_EXAMPLE, language="toml")
        else:
            name = st.text_input("Client name", key="conn_oauth_name",
                                 help="How Settlebridge will call this company.")
            if st.button("Connect to QuickBooks", type="primary", key="conn_oauth_start"):
                try:
                    st.session_state["conn_auth_url"] = oauth.start_authorization(db, name, keys)
                except SettlebridgeError as exc:
                    show_error(exc)
            auth_url = st.session_state.get("conn_auth_url")
            if auth_url:
                st.link_button("Sign in at Intuit and choose the company", auth_url, type="primary")
                st.caption(f"Intuit sends you back to {keys.redirect_uri} when you are done.")

with integration_tab:
    clients = repo.list_clients(db)
    if not clients:
        st.info("Add a client first.")
    else:
        names = [c.name for c in clients]
        current = state.current_client()
        with st.form("conn_integration_form", border=False):
            client_name = st.selectbox("Client", names, key="conn_int_client",
                                       index=names.index(current.name) if current and current.name in names else 0)
            int_name = st.text_input("Integration name", placeholder="Amazon US", key="conn_int_name")
            channel = st.selectbox("Channel", [c.value for c in Channel], key="conn_int_channel",
                                   format_func=lambda v: v.title())
            if st.form_submit_button("Add integration", type="primary"):
                try:
                    owner = next(c for c in clients if c.name == client_name)
                    added_int = repo.add_integration(db, owner, int_name, Channel(channel))
                    st.session_state["conn_flash"] = ("ok", f"Added {added_int.name} to {owner.name}.")
                    st.rerun()
                except SettlebridgeError as exc:
                    show_error(exc)


@st.cache_data(ttl=60, show_spinner="Reading the company from QuickBooks…")
def _readiness(client_id: int, url: str, realm: str) -> Readiness:
    """Cached per client for a minute (three QBO reads); the URL and realm are part of the key."""
    return readiness_for(state.database(), repo.get_client(state.database(), client_id=client_id))


with readiness_tab:
    selected = state.current_client()
    if selected is None:
        st.info("Choose a client in the sidebar.")
    else:
        if st.button("Read again", key="conn_readiness_refresh", icon=":material/refresh:"):
            _readiness.clear()
        try:
            readiness = _readiness(selected.id, selected.sandbox_url, selected.realm_id)
        except SettlebridgeError as exc:
            show_error(exc)
        else:
            st.markdown(f"**{readiness.company_name or selected.name}** · {readiness.plan or 'plan not stated'}"
                        + (f" · {LOCAL_SANDBOX_NOTE}" if selected.kind == "sandbox" else ""))
            facts = pd.DataFrame([
                {"Check": "QuickBooks plan (Plus or Advanced for inventory)", "Value": readiness.plan,
                 "OK": readiness.plan_supports_inventory},
                {"Check": "Track quantity and price/rate", "Value": "on" if readiness.track_qty_and_price else "off",
                 "OK": readiness.track_qty_and_price},
                {"Check": "Track inventory quantity on hand", "Value": "on" if readiness.track_qty_on_hand else "off",
                 "OK": readiness.track_qty_on_hand},
            ] + [{"Check": f"Account: {a.label}" + (" (inventory)" if a.for_inventory else ""),
                  "Value": a.found or "missing", "OK": a.present} for a in readiness.accounts])
            st.dataframe(facts, hide_index=True, width="stretch", key="conn_readiness_facts")
            problems = inventory_problems(readiness, workspace_plan(db))
            if problems:
                st.warning("Inventory tracking cannot be enabled yet:\n\n" + "\n".join(f"- {p}" for p in problems),
                           icon=":material/warning:")
            else:
                st.success("Ready for inventory tracking.", icon=":material/check_circle:")
