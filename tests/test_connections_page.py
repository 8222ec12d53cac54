"""The Connections page through AppTest from ``app.py``: the embedded Demo Company, adding a
sandbox client, the readiness read-out, and Intuit's redirect refused on a forged state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from services.qbo.demo import DEMO_CLIENT, demo_server, stop_demo
from services.storage import Database, open_database
from services.storage import clients as repo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The app's database (DATABASE_URL) and its own demo sandbox directory."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SETTLEBRIDGE_DEMO_DATA", str(tmp_path / "demo-sandbox"))
    monkeypatch.setenv("SETTLEBRIDGE_SECRET_KEY", "page test key")
    for name in ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", "ENVIRONMENT", "API_URL"):
        monkeypatch.delenv(f"INTUIT_{name}", raising=False)
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    db = open_database(url)
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()
    stop_demo()
    db.engine.dispose()


def _connections(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/connections.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _clients_frame(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Client" in d.value.columns)


def test_page__shows_the_demo_company_as_a_local_sandbox(app_db: Database) -> None:
    at = _connections()
    assert at.title[0].value == "Connections"
    frame = _clients_frame(at)
    demo = frame[frame["Client"] == DEMO_CLIENT].iloc[0]
    assert demo["Company"] == "Demo Company"
    assert demo["Plan"] == "QuickBooks Online Plus"
    assert "stand-in for QuickBooks Online" in demo["Connection"]
    assert "Amazon US (amazon)" in demo["Integrations"]


def test_page__readiness_of_the_demo_company(app_db: Database) -> None:
    at = _connections()
    facts = next(d.value for d in at.dataframe if "Check" in d.value.columns)
    assert bool(facts["OK"].all())
    assert "Track inventory quantity on hand" in list(facts["Check"])
    assert any("Ready for inventory tracking" in s.value for s in at.success)


def test_page__add_a_sandbox_client(app_db: Database) -> None:
    at = _connections()
    at.radio(key="conn_how").set_value("Local sandbox URL").run()
    at.text_input(key="conn_sandbox_name").set_value("Second Books")
    at.text_input(key="conn_sandbox_url").set_value(demo_server().url)
    at.button(key="FormSubmitter:conn_sandbox_form-Add client").click().run()
    assert not at.exception
    assert "Second Books" in list(_clients_frame(at)["Client"])
    client = repo.get_client(app_db, "Second Books")
    assert (client.kind, client.realm_id) == ("sandbox", demo_server().realm)


def test_page__a_bad_sandbox_url_is_refused_in_words(app_db: Database) -> None:
    at = _connections()
    at.radio(key="conn_how").set_value("Local sandbox URL").run()
    at.text_input(key="conn_sandbox_name").set_value("Nowhere")
    at.text_input(key="conn_sandbox_url").set_value("http://127.0.0.1:9/v3")
    at.button(key="FormSubmitter:conn_sandbox_form-Add client").click().run()
    assert not at.exception
    assert any("No QBO sandbox answers" in e.value for e in at.error)
    assert "Nowhere" not in [c.name for c in repo.list_clients(app_db)]


def test_page__without_app_keys_says_where_to_put_them(app_db: Database) -> None:
    at = _connections()
    assert any(".streamlit/secrets.toml" in i.value for i in at.info)


def test_page__a_forged_state_is_refused(app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTUIT_CLIENT_ID", "id")
    monkeypatch.setenv("INTUIT_CLIENT_SECRET", "secret")
    monkeypatch.setenv("INTUIT_REDIRECT_URI", "http://localhost:8501/connections")
    at = _connections(code="stolen-code", state="forged", realmId="123")
    assert any("state mismatch" in e.value for e in at.error)
    assert [c.name for c in repo.list_clients(app_db)] == [DEMO_CLIENT]


def test_page__connect_to_quickbooks_round_trip(app_db: Database, monkeypatch: pytest.MonkeyPatch,
                                                sandbox: Any) -> None:
    from tests.test_oauth import CLIENT_ID, CLIENT_SECRET, FakeIntuit

    intuit = FakeIntuit().start()
    try:
        monkeypatch.setenv("INTUIT_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("INTUIT_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("INTUIT_REDIRECT_URI", "http://localhost:8501/connections")
        monkeypatch.setenv("INTUIT_ENVIRONMENT", intuit.discovery_url)
        monkeypatch.setenv("INTUIT_API_URL", sandbox.url)
        at = _connections()
        at.text_input(key="conn_oauth_name").set_value("Acme Books")
        at.button(key="conn_oauth_start").click().run()
        assert not at.exception
        url = at.session_state["conn_auth_url"]
        assert url.startswith(intuit.base + "/connect/oauth2?")
        state = parse_qs(urlsplit(url).query)["state"][0]
        back = _connections(code="good-code", state=state, realmId=sandbox.realm)
        assert any("Connected Acme Books: Demo Company" in s.value for s in back.success)
        frame = _clients_frame(back)
        acme = frame[frame["Client"] == "Acme Books"].iloc[0]
        assert acme["Connection"] == "QuickBooks Online (Intuit sign-in)"
        assert acme["Plan"] == "QuickBooks Online Plus"
    finally:
        intuit.stop()
