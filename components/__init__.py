"""Reusable Streamlit pieces. Only this package, ``pages/`` and ``app.py`` import Streamlit."""
