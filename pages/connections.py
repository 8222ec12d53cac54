"""Connections page (being built)."""

from __future__ import annotations

import streamlit as st

st.title("Connections")
st.info("This page is being built.")
