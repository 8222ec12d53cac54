"""The engine, the schema's metadata and the foundation tables (clients, integrations, workspace).

Every area keeps its tables in its own module of this package, on the shared :data:`metadata`;
:func:`open_database` imports them all and creates what is missing.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

DEFAULT_SQLITE = Path("data") / "settlebridge.sqlite3"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),  # sandbox | oauth
    sa.Column("sandbox_url", sa.String(500), nullable=False, default=""),
    sa.Column("realm_id", sa.String(50), nullable=False, default=""),
    sa.Column("tokens", sa.Text, nullable=False, default=""),  # encrypted JSON (OAuth)
    sa.Column("company_name", sa.String(200), nullable=False, default=""),
    sa.Column("plan", sa.String(100), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
)

integrations = sa.Table(
    "integrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("inventory_tracking", sa.Boolean, nullable=False, default=False),
    sa.Column("grouping", sa.String(20), nullable=False, default="settlement"),
    sa.Column("settings", sa.Text, nullable=False, default="{}"),  # JSON: account routing etc.
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("client_id", "name", name="uq_integration_name"),
)

workspace = sa.Table(
    "workspace",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def default_url() -> str:
    """``DATABASE_URL`` when set, else the SQLite file under ``data/``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_url(url)
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@dataclass(frozen=True)
class Database:
    """An engine with the schema created. Cheap to pass around; safe to share between threads."""

    engine: Engine
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def begin(self) -> Any:
        """A transaction: ``with db.begin() as conn: ...``."""
        return self.engine.begin()

    def connect(self) -> Any:
        return self.engine.connect()


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def open_database(url: str | None = None) -> Database:
    """Open (and create or upgrade the schema of) the database at ``url`` or :func:`default_url`."""
    import services.storage.tables  # noqa: F401  (registers every area's tables on metadata)

    url = normalise_url(url or default_url())
    engine = make_engine(url)
    metadata.create_all(engine)
    return Database(engine=engine, url=url)
