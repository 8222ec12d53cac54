"""The embedded Demo Company: the local QBO sandbox, started inside the app process.

A new user can try Settlebridge before connecting their books: at app start :func:`ensure_demo`
runs the sandbox (seed ``demo``, state kept under ``data/demo-sandbox``, or ``SETTLEBRIDGE_DEMO_DATA``,
so it survives restarts) on
a background thread, preferring port 8765 and taking any free port when that one is busy, and
makes sure the client "Demo Company" points at it, with one integration "Amazon US".

The server is a process-wide singleton per data directory (one sandbox may own a data
directory at a time), hence the module-level registry guarded by a lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import NotFound
from services.qbo.connect import describe_sandbox
from services.records import Channel, Client
from services.storage import Database
from services.storage import clients as repo

DEMO_CLIENT = "Demo Company"
DEMO_INTEGRATION = "Amazon US"
DEMO_DATA_DIR = Path("data") / "demo-sandbox"
PREFERRED_PORT = 8765

_servers: dict[Path, Any] = {}
_lock = threading.Lock()


def demo_data_dir() -> Path:
    """Where the demo company's books live: ``SETTLEBRIDGE_DEMO_DATA`` or ``data/demo-sandbox``."""
    return Path(os.environ.get("SETTLEBRIDGE_DEMO_DATA", "").strip() or DEMO_DATA_DIR)


def demo_server(data_dir: Path | None = None, port: int = PREFERRED_PORT) -> Any:
    """The running demo sandbox for ``data_dir`` (started on first call): a
    ``qbo_sandbox.server.SandboxServer`` with ``.url`` and ``.realm``."""
    from qbo_sandbox.server import SandboxBusy, SandboxServer, running

    key = Path(data_dir or demo_data_dir()).resolve()
    with _lock:
        server = _servers.get(key)
        if server is not None:
            return server
        # Another process (a second app instance, `make sandbox`) may already serve this
        # company: use it rather than open the same books twice.
        other = running(key)
        if other is not None:
            return _Running(url=str(other["url"]), realm=str(other["realm"]))
        try:
            try:
                server = SandboxServer(key, seed="demo", port=port).start()
            except OSError:  # the preferred port is taken: any free port will do
                server = SandboxServer(key, seed="demo", port=0).start()
        except SandboxBusy:  # lost a race with another process starting it just now
            other = running(key)
            if other is None:
                raise
            return _Running(url=str(other["url"]), realm=str(other["realm"]))
        _servers[key] = server
        return server


@dataclass(frozen=True)
class _Running:
    """A demo sandbox served by another process of this machine."""

    url: str
    realm: str

    def stop(self) -> None:
        """Not ours to stop."""


def stop_demo(data_dir: Path | None = None) -> None:
    """Stop the demo sandbox of ``data_dir`` if this process runs it (tests, shutdown)."""
    with _lock:
        server = _servers.pop(Path(data_dir or demo_data_dir()).resolve(), None)
    if server is not None:
        server.stop()


def ensure_demo(db: Database, *, data_dir: Path | None = None, port: int = PREFERRED_PORT) -> Client:
    """Start the demo sandbox (once per process) and make sure the client "Demo Company" (kind
    sandbox) points at it, with the integration "Amazon US". Returns the client."""
    server = demo_server(data_dir, port)
    url = str(server.url).rstrip("/")
    realm = str(server.realm)
    try:
        client = repo.get_client(db, DEMO_CLIENT)
    except NotFound:
        realm, company, plan = describe_sandbox(url, realm)
        try:
            client = repo.add_client(db, DEMO_CLIENT, kind="sandbox", realm_id=realm, sandbox_url=url,
                                     company_name=company, plan=plan)
        except Exception:  # another app instance added it at the same moment
            client = repo.get_client(db, DEMO_CLIENT)
    if client.kind == "sandbox" and (client.sandbox_url != url or client.realm_id != realm):
        repo.update_client(db, client.id, sandbox_url=url, realm_id=realm)
        client = repo.get_client(db, client_id=client.id)
    if not repo.list_integrations(db, client):
        with contextlib.suppress(Exception):  # added concurrently by another instance
            repo.add_integration(db, client, DEMO_INTEGRATION, Channel.AMAZON)
    return client
