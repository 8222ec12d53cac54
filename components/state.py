"""Shared state: the database (a cached resource), the current client and integration, and who
is at the keyboard (for the history).

``bootstrap`` runs once per script run from ``app.py``; pages read the current selection through
``current_client`` / ``current_integration`` and never touch ``st.session_state`` keys of other
pages.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from services.records import Client, Integration, SettlementInfo
from services.storage import Database, open_database
from services.storage import clients as repo


@st.cache_resource(show_spinner=False)
def database() -> Database:
    """The one engine of this app process (``DATABASE_URL`` or the SQLite file)."""
    return open_database()


@st.cache_resource(show_spinner="Starting the Demo Company…")
def _demo_ready() -> bool:
    from services.qbo.demo import ensure_demo

    ensure_demo(database())
    return True


def bootstrap() -> None:
    """Open the database and make sure the Demo Company (local sandbox) is there."""
    _demo_ready()


def sidebar_picker() -> None:
    """Client and integration selectors in the sidebar; the choice lives in session state."""
    db = database()
    clients = repo.list_clients(db)
    with st.sidebar:
        if not clients:
            st.info("No client yet: add one on the Connections page.")
            return
        names = [c.name for c in clients]
        current = st.session_state.get("client_name")
        index = names.index(current) if current in names else 0
        name = st.selectbox("Client", names, index=index, key="app_client")
        st.session_state["client_name"] = name
        client = next(c for c in clients if c.name == name)
        integrations = repo.list_integrations(db, client)
        if integrations:
            inames = [i.name for i in integrations]
            icurrent = st.session_state.get("integration_name")
            iindex = inames.index(icurrent) if icurrent in inames else 0
            iname = st.selectbox("Integration", inames, index=iindex, key="app_integration")
            st.session_state["integration_name"] = iname
        else:
            st.caption("No integration yet: add one on the Connections page.")
        if client.company_name:
            st.caption(f"QuickBooks: {client.company_name} · {client.plan}"
                       + (" · local sandbox" if client.kind == "sandbox" else ""))


UNNAMED = "Settlebridge app"


def sidebar_user() -> None:
    """Who is working, for the settlements' and mappings' histories: the signed-in user where the
    app is deployed with Streamlit's sign-in, else a name typed once per session."""
    if _signed_in_name():
        return
    with st.sidebar:
        name = st.text_input("Your name", value=st.session_state.get("user_name", ""), key="app_user",
                             placeholder="for the history", max_chars=100,
                             help="Recorded with what you do (imports, mappings, posting, undo) so that the "
                                  "History page says who did it, and a colleague is told who is posting.")
        st.session_state["user_name"] = name.strip()


def current_user() -> str:
    """The name recorded with what this session does ("Settlebridge app" when nobody said)."""
    return _signed_in_name() or st.session_state.get("user_name", "") or UNNAMED


def _signed_in_name() -> str:
    try:
        if st.user.is_logged_in:
            return str(st.user.get("name") or st.user.get("email") or "")
    except Exception:  # no sign-in configured for this app
        return ""
    return ""


def current_client() -> Client | None:
    name = st.session_state.get("client_name")
    if not name:
        return None
    try:
        return repo.get_client(database(), name)
    except Exception:
        return None


def current_integration() -> Integration | None:
    client = current_client()
    name = st.session_state.get("integration_name")
    if client is None or not name:
        return None
    try:
        return repo.get_integration(database(), client, name)
    except Exception:
        return None


def require_selection(purpose: str = "") -> tuple[Client, Integration]:
    """The current client and integration, or (when either is missing) a note saying where to add
    one, a link to Connections, and the end of this page's run.

    ``purpose`` completes "To ..., first add ..." (e.g. "import settlements").
    """
    client = current_client()
    integration = current_integration()
    if client is None or integration is None:
        what = "a client" if client is None else f"an integration (a sales channel) for {client.name}"
        lead = f"To {purpose}, first" if purpose else "First"
        st.info(f"{lead} add {what} on the Connections page, then choose it in the sidebar.",
                icon=":material/info:")
        st.page_link("app_pages/connections.py", label="Go to Connections", icon=":material/link:")
        st.stop()
    assert client is not None and integration is not None
    return client, integration


def pick_settlement(infos: Sequence[SettlementInfo], *, key: str) -> SettlementInfo:
    """A selectbox of ``infos`` labelled by settlement id and period (the status is shown beside it
    by the page, so the labels never go stale); ``?settlement=ID`` in the URL preselects one."""
    by_id = {i.settlement_id: i for i in infos}
    ids = list(by_id)
    wanted = st.query_params.get("settlement")
    chosen = st.selectbox("Settlement", ids, index=ids.index(wanted) if wanted in ids else 0, key=key,
                          format_func=lambda s: f"{s} · {by_id[s].start:%d %b} – {by_id[s].end:%d %b %Y}")
    return by_id[chosen]
