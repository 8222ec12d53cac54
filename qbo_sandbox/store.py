"""The sandbox's file: one SQLite database in the data directory, so a company survives restarts.

Every entity is one row of JSON (decimals kept exact by :mod:`qbo_sandbox.jsonx`); the answers
kept for ``requestid`` replay and the company's settings live beside them.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from qbo_sandbox import jsonx

FILE_NAME = "qbo_sandbox.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entity (
    realm TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (realm, type, id));
CREATE TABLE IF NOT EXISTS request (
    realm TEXT NOT NULL, request_id TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (realm, request_id));
"""


class Store:
    """Write-through persistence for one sandbox (a single writer: the server's lock)."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._pending: list[tuple[str, tuple[Any, ...]]] = []

    def is_new(self) -> bool:
        return self.get_meta("realm") is None

    def get_meta(self, key: str) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else jsonx.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        self._pending.append(("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, jsonx.dumps(value))))

    def put(self, realm: str, type_: str, id_: str, body: dict[str, Any]) -> None:
        self._pending.append((
            "INSERT OR REPLACE INTO entity (realm, type, id, body) VALUES (?, ?, ?, ?)",
            (realm, type_, id_, jsonx.dumps(body))))

    def delete(self, realm: str, type_: str, id_: str) -> None:
        self._pending.append(("DELETE FROM entity WHERE realm = ? AND type = ? AND id = ?", (realm, type_, id_)))

    def put_request(self, realm: str, request_id: str, status: int, body: str) -> None:
        self._pending.append((
            "INSERT OR REPLACE INTO request (realm, request_id, status, body) VALUES (?, ?, ?, ?)",
            (realm, request_id, status, body)))

    def commit(self) -> None:
        """Write everything queued since the last commit in one transaction."""
        if not self._pending:
            return
        with self._lock:
            pending, self._pending = self._pending, []
            self._conn.execute("BEGIN")
            try:
                for sql, args in pending:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def rollback(self) -> None:
        self._pending = []

    def load_entities(self, realm: str) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self._conn.execute("SELECT type, id, body FROM entity WHERE realm = ?", (realm,)).fetchall()
        return [(t, i, jsonx.loads(b)) for t, i, b in rows]

    def load_requests(self, realm: str) -> dict[str, tuple[int, str]]:
        rows = self._conn.execute("SELECT request_id, status, body FROM request WHERE realm = ?", (realm,))
        return {r: (s, b) for r, s, b in rows.fetchall()}

    def close(self) -> None:
        self._conn.close()
