"""Settlebridge: the Streamlit entry point.

Sets up the shared state once (the database, the embedded Demo Company), draws the client and
integration picker in the sidebar, and hands over to the page chosen in ``st.navigation``.
"""

from __future__ import annotations

import streamlit as st

from components import state

st.set_page_config(page_title="Settlebridge", page_icon=":material/account_balance:", layout="wide")

PAGES = {
    "Settlements": [
        st.Page("pages/settlements.py", title="Settlements", icon=":material/upload_file:", default=True),
        st.Page("pages/settings_and_mappings.py", title="Settings and Mappings", icon=":material/tune:"),
        st.Page("pages/preview.py", title="Preview", icon=":material/preview:"),
        st.Page("pages/post.py", title="Post", icon=":material/send:"),
        st.Page("pages/verify.py", title="Verify", icon=":material/fact_check:"),
        st.Page("pages/history.py", title="History", icon=":material/history:"),
    ],
    "Company": [
        st.Page("pages/connections.py", title="Connections", icon=":material/link:"),
    ],
}

nav = st.navigation(PAGES)
state.bootstrap()
state.sidebar_picker()
nav.run()
