"""Importing a 1,000,000-row Amazon V2 settlement end to end: read, parse, store; then load it back.

The file is the one ``bench_parse`` generates (about 190 MB). Each database runs in a child
process so that peak memory is its own: a fresh SQLite file always, and PostgreSQL when
``BENCH_DATABASE_URL`` (else ``TEST_DATABASE_URL``) is set (a scratch database is created and
dropped). Figures: the whole ``import_files`` call, its storing part alone (``save_settlement``
timed separately on the parsed settlement), the load back, and the child's peak RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from services.importing import import_files
from services.settlements import parse_file
from services.storage import open_database
from services.storage import clients, settlements
from services.records import Channel

path, url = Path(sys.argv[1]), sys.argv[2]
db = open_database(url)
client = clients.add_client(db, "Bench", kind="sandbox")
integration = clients.add_integration(db, client, "Amazon US", Channel.AMAZON)
other = clients.add_integration(db, client, "Amazon US 2", Channel.AMAZON)
t0 = time.perf_counter()
data = path.read_bytes()
outcome = import_files(db, client, integration, [(path.name, data)], who="bench")
import_s = time.perf_counter() - t0
settlement = outcome.settlements[0].settlement
t1 = time.perf_counter()
settlements.save_settlement(db, other, settlement, [(path.name, "0" * 64)], who="bench")
store_s = time.perf_counter() - t1
t2 = time.perf_counter()
loaded = settlements.load_settlement(db, integration, settlement.settlement_id)
load_s = time.perf_counter() - t2
assert loaded == settlement
print(json.dumps({"status": outcome.status, "rows": len(settlement.rows), "total": str(settlement.total),
                  "import_s": round(import_s, 2), "store_s": round(store_s, 2), "load_s": round(load_s, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def _run(path: Path, url: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), url], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _postgres(base: str, path: Path) -> dict[str, Any]:
    import sqlalchemy as sa

    from services.storage.db import normalise_url

    admin = sa.create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        return _run(path, base.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main() -> dict[str, object]:
    from bench.bench_parse import generate

    figures: dict[str, object] = {"rows": ROWS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "settlement-1m.txt"
        generate(path, ROWS)
        figures["file_mb"] = round(path.stat().st_size / 1_000_000, 1)
        figures["sqlite"] = _run(path, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if base:
            figures["postgresql"] = _postgres(base, path)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
