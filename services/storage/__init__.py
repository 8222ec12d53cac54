"""Storage: the only package that imports SQLAlchemy.

A SQLite file under ``data/`` by default; PostgreSQL when ``DATABASE_URL`` is set, so that several
app instances share one database. Money is stored as integer cents (``BigInteger``) and exact
decimals (percentages, quantities per bundle) as text, never through float.
"""

from services.storage.db import Database, default_url, open_database

__all__ = ["Database", "default_url", "open_database"]
