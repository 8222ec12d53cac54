"""Posting from separate processes: two at once (SQLite and PostgreSQL), and one killed mid-run
and resumed. Each ends with exactly the planned documents in QBO (counted through
python-quickbooks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from services.storage import open_database
from services.storage import postings as store
from tests.test_posting_support import count_in_qbo

DRIVER = Path(__file__).resolve().parent / "test_posting_support.py"
ROOT = Path(__file__).resolve().parents[1]


def _driver(db_url: str, sandbox: Any, settlement: str, n: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(DRIVER), db_url, sandbox.url, sandbox.realm, settlement, str(n), tag],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _qb_query(qb_client: Any) -> Any:
    def query(sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for value in (qb_client.query(sql).get("QueryResponse") or {}).values():
            if isinstance(value, list):
                rows.extend(value)
        return rows
    return query


def _expected(settlement: str, n: int) -> dict[str, int]:
    return {f"1/1/{settlement}/doc/{k}": 1 for k in range(n)}


def test_two_processes_post_the_same_settlement_at_once(db_url: str, sandbox: Any, qb_client: Any) -> None:
    open_database(db_url).engine.dispose()  # create the schema once, before the race
    sandbox.faults.add(kind="delay", count=4, seconds=0.8, methods=("POST",), path_contains="/batch")
    procs = [_driver(db_url, sandbox, "TP", 45, tag) for tag in ("a", "b")]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=60)
        assert stdout.strip(), stderr
        outs.append((p.returncode, json.loads(stdout.strip().splitlines()[-1])))
    statuses = sorted(o["status"] for _, o in outs)
    assert statuses == ["done", "posting_in_progress"], outs
    done = next(o for _, o in outs if o["status"] == "done")
    told = next((rc, o) for rc, o in outs if o["status"] == "posting_in_progress")
    assert done["created"] == 45 and done["failed"] == 0
    assert told[0] == 1 and "started posting this settlement" in told[1]["message"]
    assert count_in_qbo(_qb_query(qb_client), "TP") == _expected("TP", 45)


def test_a_killed_run_resumes_and_creates_nothing_twice(tmp_path: Path, sandbox: Any, qb_client: Any) -> None:
    db_url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    db = open_database(db_url)
    # every batch takes 1.2 s before QBO handles it: time to kill the process while one is in flight
    sandbox.faults.add(kind="delay", count=20, seconds=1.2, methods=("POST",), path_contains="/batch")
    proc = _driver(db_url, sandbox, "KR", 90, "k")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = [p.state for p in store.list_postings(db, 1, 1, "KR")]
        if states.count(store.PostState.POSTED) >= 30 and store.PostState.SENT in states:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the run never got past its first batch")
    time.sleep(0.4)  # the second batch is now in QBO's hands (it waits 1.2 s before handling it)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    sent = [p.key for p in store.list_postings(db, 1, 1, "KR") if p.state is store.PostState.SENT]
    assert len(sent) == 30  # the second batch: sent, outcome unknown to Settlebridge
    deadline = time.monotonic() + 15
    while len(count_in_qbo(_qb_query(qb_client), "KR")) < 60 and time.monotonic() < deadline:
        time.sleep(0.1)  # QBO goes on and commits the batch whose caller is gone
    assert len(count_in_qbo(_qb_query(qb_client), "KR")) == 60
    sandbox.faults.clear()
    again = _driver(db_url, sandbox, "KR", 90, "r")
    stdout, stderr = again.communicate(timeout=60)
    result = json.loads(stdout.strip().splitlines()[-1])
    assert again.returncode == 0, (stdout, stderr)
    assert result["already_posted"] == 60 and result["created"] == 30  # found the in-flight batch by key
    assert count_in_qbo(_qb_query(qb_client), "KR") == _expected("KR", 90)
    db.engine.dispose()
