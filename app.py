"""Settlebridge: the Streamlit entry point.

Sets up the shared state once (the database, the embedded Demo Company), draws the client and
integration picker and the user's name in the sidebar, and hands over to the page chosen in ``st.navigation``.

The pages live in ``app_pages/``, not ``pages/``: Streamlit treats a ``pages/`` folder beside the
entry point as an old-style multipage app until ``st.navigation`` has run once in the process,
so the first deep link on a freshly started server (``/connections``, where Intuit's sign-in
returns) would run that page alone, without this file's set-up.
"""

from __future__ import annotations

import streamlit as st

from components import state

st.set_page_config(page_title="Settlebridge", page_icon=":material/account_balance:", layout="wide")

PAGES = {
    "Settlements": [
        st.Page("app_pages/settlements.py", title="Settlements", icon=":material/upload_file:", default=True),
        st.Page("app_pages/settings_and_mappings.py", title="Settings and Mappings", icon=":material/tune:"),
        st.Page("app_pages/preview.py", title="Preview", icon=":material/preview:"),
        st.Page("app_pages/post.py", title="Post", icon=":material/send:"),
        st.Page("app_pages/verify.py", title="Verify", icon=":material/fact_check:"),
        st.Page("app_pages/history.py", title="History", icon=":material/history:"),
    ],
    "Company": [
        st.Page("app_pages/connections.py", title="Connections", icon=":material/link:"),
    ],
}

nav = st.navigation(PAGES)
state.bootstrap()
state.sidebar_picker()
state.sidebar_user()
nav.run()
