"""OAuth tokens at rest: encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``).

The key is, in order: the ``SETTLEBRIDGE_SECRET_KEY`` environment variable; ``SETTLEBRIDGE_SECRET_KEY``
(or ``secret_key`` under ``[settlebridge]``) in ``.streamlit/secrets.toml``; else a key file
``data/secret.key`` generated on first use with owner-only permissions (0600). A secret that is not
itself a Fernet key is stretched into one with SHA-256, so a pass phrase works too.

Tokens are kept as one JSON object (access token, refresh token, their expiry times as UNIX
seconds, the realm) and stored encrypted in the client's ``tokens`` column; nothing else ever sees
them in clear.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from services.errors import QboAuthError, SettlebridgeError

SECRETS_FILE = Path(".streamlit") / "secrets.toml"
KEY_FILE = Path("data") / "secret.key"
ENV_KEY = "SETTLEBRIDGE_SECRET_KEY"


@dataclass(frozen=True, slots=True)
class Tokens:
    """One company's OAuth tokens (times are UNIX seconds)."""

    access_token: str
    refresh_token: str
    expires_at: float
    refresh_expires_at: float = 0.0
    realm_id: str = ""
    environment: str = "production"

    def access_expired(self, now: float | None = None, margin: float = 120.0) -> bool:
        """True when the access token is expired or about to be (within ``margin`` seconds)."""
        return (now if now is not None else time.time()) >= self.expires_at - margin

    @classmethod
    def from_response(cls, payload: dict[str, Any], *, realm_id: str, environment: str,
                      now: float | None = None) -> Tokens:
        """Tokens from Intuit's token endpoint answer (``expires_in`` and
        ``x_refresh_token_expires_in`` in seconds)."""
        at = now if now is not None else time.time()
        return cls(access_token=str(payload["access_token"]), refresh_token=str(payload["refresh_token"]),
                   expires_at=at + float(payload.get("expires_in") or 3600),
                   refresh_expires_at=at + float(payload.get("x_refresh_token_expires_in") or 0),
                   realm_id=realm_id, environment=environment)


def _read_secrets(path: Path = SECRETS_FILE) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettlebridgeError(f"{path} cannot be read: {exc}") from exc


def read_secrets() -> dict[str, Any]:
    """The app's ``.streamlit/secrets.toml`` (relative to the working directory, as Streamlit reads
    it), or an empty dict when there is none."""
    return _read_secrets()


def _as_fernet_key(secret: str) -> bytes:
    raw = secret.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def secret_key(key_file: Path = KEY_FILE) -> bytes:
    """The Fernet key (see the module docstring for where it comes from)."""
    env = os.environ.get(ENV_KEY, "").strip()
    if env:
        return _as_fernet_key(env)
    secrets = read_secrets()
    configured = str(secrets.get(ENV_KEY) or (secrets.get("settlebridge") or {}).get("secret_key") or "")
    if configured.strip():
        return _as_fernet_key(configured)
    if key_file.is_file():
        return _as_fernet_key(key_file.read_text(encoding="ascii"))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    os.chmod(key_file, 0o600)
    return key


def encrypt_tokens(tokens: Tokens, key: bytes | None = None) -> str:
    """The tokens as an encrypted, printable string for the database."""
    return Fernet(key or secret_key()).encrypt(json.dumps(asdict(tokens)).encode()).decode("ascii")


def decrypt_tokens(blob: str, key: bytes | None = None) -> Tokens:
    """Tokens from :func:`encrypt_tokens`. Raises :class:`QboAuthError` when they cannot be read
    (another secret key, or damaged), since the only remedy is to reconnect."""
    try:
        data = json.loads(Fernet(key or secret_key()).decrypt(blob.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise QboAuthError("The stored QuickBooks connection cannot be decrypted with this "
                           "installation's secret key; reconnect the company.") from exc
    return Tokens(**data)
