"""Settings And Mappings page (being built)."""

from __future__ import annotations

import streamlit as st

st.title("Settings And Mappings")
st.info("This page is being built.")
