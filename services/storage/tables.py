"""Imports every storage module so that all tables are on :data:`services.storage.db.metadata`.

Each area adds its module here once.
"""

from services.storage import clients, db  # noqa: F401
from services.storage import mappings  # noqa: F401
from services.storage import postings  # noqa: F401
