"""Settlebridge's pure core and its edges.

Nothing in this package imports Streamlit. Only ``services.storage`` imports SQLAlchemy and only
``services.qbo`` imports ``quickbooks`` and ``intuitlib`` (``tests/test_layers.py`` enforces it).
"""
