"""A small app for AppTest: the Mappings tab of one integration, against the database named in
session state (``db_url``) and the client "Acme" / integration "Amazon US" stored there."""

from __future__ import annotations

import streamlit as st

from components import mapping_grid
from services.storage import Database, open_database
from services.storage import clients as repo


@st.cache_resource
def _db(url: str) -> Database:
    return open_database(url)


db = _db(st.session_state["db_url"])
client = repo.get_client(db, "Acme")
integration = repo.get_integration(db, client, "Amazon US")
mapping_grid.render(db, client, integration)
