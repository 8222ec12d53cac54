"""The Settings tab of "Settings and Mappings" (being built)."""

from __future__ import annotations

import streamlit as st

from services.records import Client, Integration


def render(client: Client, integration: Integration) -> None:
    st.info("Integration settings are being built.")
