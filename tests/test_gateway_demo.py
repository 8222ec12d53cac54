"""The embedded Demo Company: started once per process, found again, repointed when its port
changes, and reachable through the gateway."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION, demo_server, ensure_demo, stop_demo
from services.qbo.gateway import QboGateway
from services.storage import Database
from services.storage import clients as repo


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "demo-sandbox"
    yield path
    stop_demo(path)


def test_demo__client_and_integration_created_once(db: Database, demo_dir: Path) -> None:
    client = ensure_demo(db, data_dir=demo_dir, port=0)
    again = ensure_demo(db, data_dir=demo_dir, port=0)
    assert again == client
    assert (client.kind, client.company_name, client.plan) == ("sandbox", "Demo Company", "QuickBooks Online Plus")
    assert [i.name for i in repo.list_integrations(db, client)] == [DEMO_INTEGRATION]
    assert demo_server(demo_dir) is demo_server(demo_dir)  # one server per data directory
    assert QboGateway.for_client(db, client).company_info()["CompanyName"] == "Demo Company"


def test_demo__repointed_when_the_port_changed(db: Database, demo_dir: Path) -> None:
    client = ensure_demo(db, data_dir=demo_dir, port=0)
    repo.update_client(db, client.id, sandbox_url="http://127.0.0.1:9/v3")
    fixed = ensure_demo(db, data_dir=demo_dir, port=0)
    assert fixed.sandbox_url == demo_server(demo_dir).url
    assert repo.get_client(db, DEMO_CLIENT).sandbox_url == demo_server(demo_dir).url


def test_demo__falls_back_to_any_port_when_the_preferred_one_is_busy(db: Database, demo_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        client = ensure_demo(db, data_dir=demo_dir, port=port)
        assert f":{port}/" not in client.sandbox_url
        assert QboGateway.for_client(db, client).count("Item") > 0


def test_demo__uses_the_sandbox_another_process_already_serves(db: Database, demo_dir: Path) -> None:
    from qbo_sandbox.server import SandboxServer

    other = SandboxServer(demo_dir, seed="demo", port=0).start()  # stands for another app instance
    try:
        client = ensure_demo(db, data_dir=demo_dir, port=0)
        assert client.sandbox_url == str(other.url).rstrip("/")
        assert QboGateway.for_client(db, client).company_info()["CompanyName"] == "Demo Company"
    finally:
        stop_demo(demo_dir)
        other.stop()
