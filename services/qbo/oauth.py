"""Connecting a real QuickBooks Online company: Intuit's OAuth 2.0 flow with ``intuit-oauth``.

1. :func:`start_authorization` makes a random ``state``, stores it (in the workspace settings, so
   any app instance sharing the database can finish the flow) and returns Intuit's sign-in URL.
2. Intuit sends the browser back to the redirect URI with ``code``, ``state`` and ``realmId``;
   :func:`complete_authorization` refuses an unknown, used or stale ``state``, exchanges the code
   for tokens, stores them encrypted (:mod:`services.qbo.tokens`) and reads the company's name and
   plan.
3. :func:`access_token_for` hands the gateway a valid access token, refreshing it when it has
   expired; Intuit rotates the refresh token, and the new one is stored every time.

The app keys are the user's own Intuit app's: ``[intuit]`` in ``.streamlit/secrets.toml``
(``client_id``, ``client_secret``, ``redirect_uri``, ``environment``) or the environment
variables ``INTUIT_CLIENT_ID``, ``INTUIT_CLIENT_SECRET``, ``INTUIT_REDIRECT_URI``,
``INTUIT_ENVIRONMENT`` (``sandbox`` or ``production``; intuit-oauth also takes the URL of an
OpenID discovery document there). ``api_url`` / ``INTUIT_API_URL`` overrides the Accounting API
base URL (for an Intuit-compatible stand-in).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks

from services.errors import BadInput, NotFound, QboAuthError, QboUnavailable
from services.qbo.tokens import Tokens, decrypt_tokens, encrypt_tokens, read_secrets
from services.records import Client
from services.storage import Database
from services.storage import clients as repo

STATE_PREFIX = "oauth_state:"
STATE_TTL_SECONDS = 15 * 60
SECRETS_EXAMPLE = (
    "[intuit]\n"
    "client_id = \"...\"\n"
    "client_secret = \"...\"\n"
    "redirect_uri = \"http://localhost:8501/connections\"\n"
    "environment = \"production\"  # or \"sandbox\"\n"
)
WHERE_KEYS_GO = (
    "To connect a real QuickBooks Online company, create an app at developer.intuit.com and put its "
    "keys in .streamlit/secrets.toml under [intuit] (client_id, client_secret, redirect_uri, "
    "environment), or set INTUIT_CLIENT_ID, INTUIT_CLIENT_SECRET, INTUIT_REDIRECT_URI and "
    "INTUIT_ENVIRONMENT. The redirect URI is the app's Connections page and must be listed in the "
    "app's keys at Intuit."
)
HOW_TO_CONFIGURE = WHERE_KEYS_GO + "\n\n" + SECRETS_EXAMPLE

_refresh_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class AppKeys:
    """The user's own Intuit app."""

    client_id: str
    client_secret: str
    redirect_uri: str
    environment: str = "production"
    api_url: str = ""

    @property
    def api_base(self) -> str:
        """The Accounting API base URL (``.../v3``) for this environment."""
        if self.api_url:
            return self.api_url.rstrip("/")
        if self.environment.lower() in {"sandbox", "sand"}:
            return str(QuickBooks.sandbox_api_url_v3)
        return str(QuickBooks.api_url_v3)


def app_keys() -> AppKeys | None:
    """The configured app keys (environment variables win over secrets.toml), or ``None`` when
    client id, secret or redirect URI is missing."""
    section = read_secrets().get("intuit") or {}

    def pick(name: str, default: str = "") -> str:
        return (os.environ.get(f"INTUIT_{name.upper()}") or str(section.get(name) or "") or default).strip()

    keys = AppKeys(client_id=pick("client_id"), client_secret=pick("client_secret"),
                   redirect_uri=pick("redirect_uri"), environment=pick("environment", "production"),
                   api_url=pick("api_url"))
    if not (keys.client_id and keys.client_secret and keys.redirect_uri):
        return None
    return keys


def _require_keys(keys: AppKeys | None) -> AppKeys:
    keys = keys or app_keys()
    if keys is None:
        raise BadInput("No Intuit app keys are configured. " + WHERE_KEYS_GO)
    return keys


def _auth_client(keys: AppKeys, **tokens: Any) -> AuthClient:
    try:
        return AuthClient(keys.client_id, keys.client_secret, keys.redirect_uri, keys.environment, **tokens)
    except AuthClientError as exc:
        raise QboUnavailable(f"Intuit's sign-in service answered HTTP {exc.status_code}; try again.") from exc
    except OSError as exc:  # requests' connection errors are OSErrors
        raise QboUnavailable(f"Intuit's sign-in service cannot be reached: {type(exc).__name__}.") from exc


def start_authorization(db: Database, client_name: str, keys: AppKeys | None = None) -> str:
    """Begin connecting a company for the client to be named ``client_name``: store a fresh random
    ``state`` and return Intuit's authorization URL to send the browser to."""
    keys = _require_keys(keys)
    name = client_name.strip()
    if not name:
        raise BadInput("Give the client a name before connecting it.")
    state = secrets.token_urlsafe(32)
    repo.set_workspace_setting(db, STATE_PREFIX + state,
                               json.dumps({"client": name, "created": time.time()}))
    return str(_auth_client(keys).get_authorization_url([Scopes.ACCOUNTING], state_token=state))


def _consume_state(db: Database, state: str) -> str:
    """The client name stored with ``state``; the state can be used once only."""
    if not state:
        raise QboAuthError("The sign-in answer has no state; start connecting again.")
    raw = repo.get_workspace_setting(db, STATE_PREFIX + state, "")
    if not raw:
        raise QboAuthError("The sign-in answer does not match a connection started here (state "
                           "mismatch); it was refused. Start connecting again.")
    repo.set_workspace_setting(db, STATE_PREFIX + state, "")
    record = json.loads(raw)
    if time.time() - float(record.get("created", 0)) > STATE_TTL_SECONDS:
        raise QboAuthError("The sign-in took too long (more than 15 minutes); start connecting again.")
    return str(record["client"])


def _tokens_from(auth: AuthClient, realm_id: str, environment: str) -> Tokens:
    return Tokens.from_response({"access_token": auth.access_token, "refresh_token": auth.refresh_token,
                                 "expires_in": auth.expires_in,
                                 "x_refresh_token_expires_in": auth.x_refresh_token_expires_in},
                                realm_id=realm_id, environment=environment)


def _auth_failure(exc: AuthClientError, doing: str) -> QboAuthError:
    try:
        reason = str(json.loads(exc.content).get("error", ""))
    except (ValueError, TypeError, AttributeError):
        reason = ""
    return QboAuthError(f"Intuit refused {doing} (HTTP {exc.status_code}"
                        + (f", {reason}" if reason else "") + "); reconnect the company.",
                        status=exc.status_code, detail=reason)


def complete_authorization(db: Database, *, code: str, state: str, realm_id: str,
                           keys: AppKeys | None = None) -> Client:
    """Finish the flow Intuit redirected back from: check ``state``, exchange ``code`` for tokens,
    store them encrypted on the client (created when new, else reconnected), and read the
    company's name and plan. Raises :class:`QboAuthError` on a state mismatch or a refused code."""
    keys = _require_keys(keys)
    name = _consume_state(db, state)
    if not code or not realm_id:
        raise QboAuthError("The sign-in answer has no authorization code or company (realmId).")
    auth = _auth_client(keys)
    try:
        auth.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as exc:
        raise _auth_failure(exc, "the authorization code") from exc
    tokens = _tokens_from(auth, realm_id, keys.environment)
    try:
        client = repo.get_client(db, name)
        repo.update_client(db, client.id, kind="oauth", realm_id=realm_id, tokens=encrypt_tokens(tokens))
    except NotFound:
        client = repo.add_client(db, name, kind="oauth", realm_id=realm_id)
        repo.update_client(db, client.id, tokens=encrypt_tokens(tokens))
    client = repo.get_client(db, client_id=client.id)
    from services.qbo.connect import refresh_company

    return refresh_company(db, client)


def store_tokens(db: Database, client: Client, tokens: Tokens) -> None:
    """Encrypt and store ``tokens`` on ``client``."""
    repo.update_client(db, client.id, tokens=encrypt_tokens(tokens))


def load_tokens(db: Database, client: Client) -> Tokens:
    """The client's tokens. Raises :class:`QboAuthError` when it has never been connected."""
    blob = repo.get_client_tokens(db, client.id)
    if not blob:
        raise QboAuthError(f"Client {client.name!r} is not connected to QuickBooks yet: connect it "
                           "on the Connections page.")
    return decrypt_tokens(blob)


def refresh(db: Database, client: Client, keys: AppKeys | None = None, *, force: bool = False) -> Tokens:
    """Refresh the client's access token at Intuit and store the new tokens, with the rotated
    refresh token. Raises :class:`QboAuthError` when Intuit refuses (the user must reconnect).

    Unless ``force``, tokens that another thread refreshed meanwhile are used as they are."""
    keys = _require_keys(keys)
    with _refresh_lock:
        current = load_tokens(db, client)
        if not force and not current.access_expired():
            return current
        auth = _auth_client(keys, refresh_token=current.refresh_token, realm_id=client.realm_id)
        try:
            auth.refresh(refresh_token=current.refresh_token)
        except AuthClientError as exc:
            raise _auth_failure(exc, "to refresh the connection") from exc
        fresh = _tokens_from(auth, client.realm_id or current.realm_id, current.environment)
        if not fresh.refresh_token:
            fresh = replace(fresh, refresh_token=current.refresh_token)
        store_tokens(db, client, fresh)
        return fresh


def access_token_for(db: Database, client: Client) -> tuple[str, str]:
    """A valid access token for ``client`` and the API base URL to use it on. Refreshes (and
    stores the rotated refresh token) when the stored access token has expired.

    A client's ``sandbox_url``, when set on an OAuth client, is the API base (an Intuit-compatible
    stand-in); else the app keys' environment decides."""
    tokens = load_tokens(db, client)
    keys = app_keys()
    if tokens.access_expired():
        if keys is None:
            raise QboAuthError("The QuickBooks access token has expired and no Intuit app keys are "
                               "configured to refresh it. " + WHERE_KEYS_GO)
        tokens = refresh(db, client, keys)
    if client.sandbox_url:
        return tokens.access_token, client.sandbox_url.rstrip("/")
    base = keys.api_base if keys else AppKeys("", "", "", tokens.environment).api_base
    return tokens.access_token, base
