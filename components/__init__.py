"""Reusable Streamlit pieces. Only this package, ``app_pages/`` and ``app.py`` import Streamlit."""
