"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set)
and a real local QBO sandbox reached over HTTP through python-quickbooks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.storage import Database, open_database

SHARED_SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _postgres_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import sqlalchemy as sa

    from services.storage.db import normalise_url

    admin = sa.create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _db_params() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(pytest.param("postgres", marks=pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")))
    return params


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL: a SQLite file, and (when TEST_DATABASE_URL is set) a fresh PostgreSQL db."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'settlebridge.sqlite3'}"
    else:
        yield from _postgres_database(os.environ["TEST_DATABASE_URL"])


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'settlebridge.sqlite3'}")
    yield database
    database.engine.dispose()


@pytest.fixture
def samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present")
    return SHARED_SAMPLES


@pytest.fixture(scope="session")
def sandbox_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo company seeded once per session; each test gets a copy of it."""
    from qbo_sandbox.server import SandboxServer

    path = tmp_path_factory.mktemp("qbo_sandbox_demo")
    SandboxServer(path, seed="demo").stop()
    return path


@pytest.fixture
def sandbox(tmp_path: Path, sandbox_demo_dir: Path) -> Iterator[object]:
    """A running local QBO sandbox (demo seed) in a fresh directory; throttle off for speed.

    Turn QBO's real limits on with ``sandbox.throttle.enabled = True``; inject faults with
    ``sandbox.faults.add(kind=...)``.
    """
    import shutil

    from qbo_sandbox.server import SandboxServer

    data = tmp_path / "qbo_sandbox"
    shutil.copytree(sandbox_demo_dir, data)
    server = SandboxServer(data, throttle=False).start()
    yield server
    server.stop()


@pytest.fixture
def qb_client(sandbox: object) -> object:
    """The real python-quickbooks client pointed at ``sandbox`` (use_decimal, minorversion 75)."""
    from quickbooks import QuickBooks
    from requests_oauthlib import OAuth2Session

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain http locally

    class SandboxQuickBooks(QuickBooks):
        api_url_v3 = sandbox.url  # type: ignore[attr-defined]

    client = SandboxQuickBooks(company_id=sandbox.realm, minorversion=75, use_decimal=True)  # type: ignore[attr-defined]
    client.session = OAuth2Session(token={"access_token": "sandbox-token", "token_type": "Bearer"})
    return client
