"""Connecting a real company: Intuit's OAuth flow through intuit-oauth, against a small local HTTP
server standing in for Intuit's discovery document and token endpoint (intuit-oauth takes a
discovery URL as its environment), and the local QBO sandbox as the Accounting API."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from services.errors import QboAuthError
from services.qbo import oauth
from services.qbo.gateway import QboGateway
from services.qbo.tokens import Tokens, decrypt_tokens, secret_key
from services.storage import Database
from services.storage import clients as repo

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"


class FakeIntuit:
    """Intuit's OAuth endpoints, as far as Settlebridge uses them; rotates refresh tokens."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.valid_refresh: set[str] = set()
        self.codes = {"good-code"}
        self.issued = 0
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def discovery_url(self) -> str:
        return self.base + "/.well-known/openid_configuration"

    def _issue(self) -> dict[str, Any]:
        self.issued += 1
        refresh = f"rt-{self.issued}"
        self.valid_refresh = {refresh}  # the previous refresh token is rotated out
        return {"access_token": f"at-{self.issued}", "refresh_token": refresh, "token_type": "bearer",
                "expires_in": 3600, "x_refresh_token_expires_in": 8726400}

    def answer(self, method: str, path: str, headers: Any, body: str) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == "/.well-known/openid_configuration":
            return 200, {"issuer": self.base, "authorization_endpoint": self.base + "/connect/oauth2",
                         "token_endpoint": self.base + "/oauth2/v1/tokens/bearer",
                         "revocation_endpoint": self.base + "/oauth2/v1/tokens/revoke",
                         "jwks_uri": self.base + "/oauth2/v1/keys",
                         "userinfo_endpoint": self.base + "/v1/openid_connect/userinfo"}
        if method == "POST" and path == "/oauth2/v1/tokens/bearer":
            form = {k: v[-1] for k, v in parse_qs(body).items()}
            self.requests.append(form)
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if headers.get("Authorization") != expected:
                return 401, {"error": "invalid_client"}
            if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
                self.codes.discard(form["code"])
                return 200, self._issue()
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.valid_refresh:
                return 200, self._issue()
            return 400, {"error": "invalid_grant"}
        return 404, {"error": "not_found"}

    def start(self) -> FakeIntuit:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, payload = fake.answer(method, urlsplit(self.path).path, self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@pytest.fixture
def intuit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Any) -> Iterator[FakeIntuit]:
    """The fake Intuit, app keys pointing at it, the sandbox as the Accounting API."""
    fake = FakeIntuit().start()
    monkeypatch.chdir(tmp_path)  # no stray .streamlit/secrets.toml; key file under tmp
    monkeypatch.setenv("SETTLEBRIDGE_SECRET_KEY", "a test pass phrase")
    monkeypatch.setenv("INTUIT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("INTUIT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("INTUIT_REDIRECT_URI", "http://localhost:8501/Connections")
    monkeypatch.setenv("INTUIT_ENVIRONMENT", fake.discovery_url)
    monkeypatch.setenv("INTUIT_API_URL", sandbox.url)
    yield fake
    fake.stop()


def _state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def _connect(db: Database, sandbox: Any, name: str = "Acme Books") -> Any:
    url = oauth.start_authorization(db, name)
    return oauth.complete_authorization(db, code="good-code", state=_state_of(url), realm_id=sandbox.realm)


def test_oauth__authorization_url_asks_for_accounting_with_a_state(db: Database, intuit: FakeIntuit) -> None:
    url = oauth.start_authorization(db, "Acme Books")
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    assert url.startswith(intuit.base + "/connect/oauth2?")
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == "com.intuit.quickbooks.accounting"
    assert query["redirect_uri"] == "http://localhost:8501/Connections"
    assert len(query["state"]) >= 40
    assert oauth.start_authorization(db, "Acme Books") != url  # a fresh random state each time


def test_oauth__state_mismatch_is_refused(db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    oauth.start_authorization(db, "Acme Books")
    with pytest.raises(QboAuthError, match="state mismatch"):
        oauth.complete_authorization(db, code="good-code", state="forged-state", realm_id=sandbox.realm)
    assert intuit.requests == []  # the code was never exchanged
    assert repo.list_clients(db) == []


def test_oauth__a_state_is_used_once(db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    url = oauth.start_authorization(db, "Acme Books")
    oauth.complete_authorization(db, code="good-code", state=_state_of(url), realm_id=sandbox.realm)
    intuit.codes.add("second-code")
    with pytest.raises(QboAuthError, match="state mismatch"):
        oauth.complete_authorization(db, code="second-code", state=_state_of(url), realm_id=sandbox.realm)


def test_oauth__connect_stores_tokens_encrypted_and_reads_the_company(
        db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    client = _connect(db, sandbox)
    assert (client.name, client.kind, client.realm_id) == ("Acme Books", "oauth", sandbox.realm)
    assert (client.company_name, client.plan) == ("Demo Company", "QuickBooks Online Plus")
    with db.connect() as conn:
        raw = conn.execute(sa.text("SELECT tokens FROM clients WHERE id = :i"), {"i": client.id}).scalar_one()
    assert raw and "at-1" not in raw and "rt-1" not in raw
    tokens = decrypt_tokens(raw)
    assert (tokens.access_token, tokens.refresh_token, tokens.realm_id) == ("at-1", "rt-1", sandbox.realm)
    with pytest.raises(QboAuthError, match="reconnect"):
        decrypt_tokens(raw, key=base64.urlsafe_b64encode(b"0" * 32))


def test_oauth__expired_access_token_is_refreshed_and_the_rotated_token_stored(
        db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    client = _connect(db, sandbox)
    for expected_new in ("rt-2", "rt-3"):
        current = oauth.load_tokens(db, client)
        oauth.store_tokens(db, client, Tokens(current.access_token, current.refresh_token, expires_at=0.0,
                                              realm_id=current.realm_id))
        gateway = QboGateway.for_client(db, client)
        assert intuit.requests[-1] == {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        stored = oauth.load_tokens(db, client)
        assert stored.refresh_token == expected_new
        assert not stored.access_expired()
        assert gateway.company_info()["CompanyName"] == "Demo Company"
    # a valid access token is used as it is: no call to Intuit
    calls = len(intuit.requests)
    QboGateway.for_client(db, client)
    assert len(intuit.requests) == calls


def test_oauth__a_401_mid_run_refreshes_once_and_repeats(db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    client = _connect(db, sandbox)
    gateway = QboGateway.for_client(db, client)
    gateway.client.session.token = {"access_token": "", "token_type": "Bearer"}  # the sandbox answers 401
    assert gateway.company_info()["CompanyName"] == "Demo Company"
    assert intuit.requests[-1] == {"grant_type": "refresh_token", "refresh_token": "rt-1"}
    assert oauth.load_tokens(db, client).refresh_token == "rt-2"
    assert gateway.calls == 2


def test_oauth__a_refused_refresh_says_reconnect(db: Database, intuit: FakeIntuit, sandbox: Any) -> None:
    client = _connect(db, sandbox)
    oauth.store_tokens(db, client, Tokens("at-old", "rt-revoked", expires_at=0.0, realm_id=sandbox.realm))
    with pytest.raises(QboAuthError, match=r"invalid_grant.*reconnect the company"):
        QboGateway.for_client(db, client)


def test_oauth__a_client_never_connected_is_told_to_connect(db: Database, intuit: FakeIntuit) -> None:
    client = repo.add_client(db, "Not Yet", kind="oauth")
    with pytest.raises(QboAuthError, match="not connected to QuickBooks yet"):
        QboGateway.for_client(db, client)


def test_app_keys__from_secrets_toml_or_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", "ENVIRONMENT", "API_URL"):
        monkeypatch.delenv(f"INTUIT_{name}", raising=False)
    assert oauth.app_keys() is None
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[intuit]\nclient_id = "id"\nclient_secret = "secret"\nredirect_uri = "http://localhost:8501/Connections"\n'
        'environment = "sandbox"\n')
    keys = oauth.app_keys()
    assert keys is not None
    assert (keys.client_id, keys.environment) == ("id", "sandbox")
    assert keys.api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
    monkeypatch.setenv("INTUIT_CLIENT_ID", "from-env")
    keys = oauth.app_keys()
    assert keys is not None and keys.client_id == "from-env"


def test_secret_key__generated_key_file_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SETTLEBRIDGE_SECRET_KEY", raising=False)
    key = secret_key()
    path = tmp_path / "data" / "secret.key"
    assert path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_key() == key  # the same key on the next start


def test_secret_key__from_secrets_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SETTLEBRIDGE_SECRET_KEY", raising=False)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('SETTLEBRIDGE_SECRET_KEY = "from the file"\n')
    key = secret_key()
    assert not (tmp_path / "data" / "secret.key").exists()
    monkeypatch.setenv("SETTLEBRIDGE_SECRET_KEY", "from the file")
    assert secret_key() == key
