"""Imports every storage module so that all tables are on :data:`services.storage.db.metadata`.

Each area adds its module here once.
"""

from services.storage import clients, db, documents, mappings, postings, settlements  # noqa: F401
