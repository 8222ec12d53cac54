"""Settings and Mappings: per integration, its settings and the mapping of its channel products."""

from __future__ import annotations

import streamlit as st

from components import integration_settings, mapping_grid, state

st.title("Settings and Mappings")
client, integration = state.require_selection("map channel products")
st.caption(f"{client.name} · {integration.name} ({integration.channel.value})")

# links from "mapping not found" carry ?tab=mappings so the accountant lands on the grid
opening = "Mappings" if str(st.query_params.get("tab", "")).lower() == "mappings" else "Settings"
settings_tab, mappings_tab = st.tabs(["Settings", "Mappings"], default=opening)
with settings_tab:
    integration_settings.render(client, integration)
with mappings_tab:
    mapping_grid.render(state.database(), client, integration)
