"""Posting 3,000 documents to the local QBO sandbox: HTTP calls made and wall time.

The target is 3000 / 30 = 100 batch calls plus a small constant (the chart of accounts read once,
and one probe per document type asking QBO whether another database posted them already).
By default QBO's throttles are off on both sides (the sandbox's and the gateway's limiter), so the
figure is Settlebridge's own cost; ``BENCH_POST_LIMITS=1`` keeps QBO's limits (10 requests a
second, 40 batch calls a minute), where 100 batches take about two minutes by rule alone
(40 at once, 40 a minute later, 20 a minute after that).
A second run of the same settlement measures the resume path (everything already posted).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

N_DOCS = 3000


def _documents(items: list[Any], n: int) -> list[Any]:
    from services.records import Category, DocLine, DocType, Document

    docs = []
    for k in range(n):
        key = f"1/1/BENCH/sales/order-{k}/2026-03"
        if k % 10 == 9:
            docs.append(Document(key=key, type=DocType.PURCHASE, date=dt.date(2026, 3, 1 + k % 28),
                                 doc_number=f"FB-{k}", account="Amazon Clearing", private_note=key,
                                 lines=(DocLine(amount=Decimal("2.15"), description="commission",
                                                category=Category.FEE, account="Marketplace Commissions"),)))
            continue
        item = items[k % len(items)]
        docs.append(Document(key=key, type=DocType.SALES_RECEIPT, date=dt.date(2026, 3, 1 + k % 28),
                             doc_number=f"SB-{k}", account="Amazon Clearing", private_note=key,
                             lines=(DocLine(amount=Decimal("14.99"), description=item.name,
                                            category=Category.PRODUCT_SALE, item=item, qty=Decimal(1),
                                            unit_price=Decimal("14.99")),)))
    return docs


def main() -> dict[str, Any]:
    from qbo_sandbox.server import SandboxServer
    from services.qbo.gateway import Limits, QboGateway
    from services.qbo.posting import post_documents
    from services.records import Client
    from services.storage import open_database

    limits_on = os.environ.get("BENCH_POST_LIMITS", "") == "1"
    with tempfile.TemporaryDirectory() as tmp:
        server = SandboxServer(Path(tmp) / "sandbox", seed="demo", throttle=limits_on).start()
        try:
            limits = Limits() if limits_on else Limits(per_second=100_000, batch_per_minute=1_000_000)
            gw = QboGateway.for_sandbox(server.url, server.realm, limits=limits)
            items = [i.ref for i in gw.list_items() if i.type == "Inventory"]
            docs = _documents(items, N_DOCS)
            db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            client = Client(id=1, name="Bench", kind="sandbox", realm_id=server.realm, sandbox_url=server.url)
            calls0, retries0 = gw.calls, gw.retries
            t0 = time.perf_counter()
            report = post_documents(db, gw, client=client, integration_id=1, settlement_id="BENCH", documents=docs)
            wall = time.perf_counter() - t0
            calls, retries = gw.calls - calls0, gw.retries - retries0
            t1 = time.perf_counter()
            again = post_documents(db, gw, client=client, integration_id=1, settlement_id="BENCH", documents=docs)
            wall_again = time.perf_counter() - t1
            count = gw.count("SalesReceipt WHERE DocNumber LIKE 'SB-%'") + gw.count("Purchase WHERE DocNumber LIKE 'FB-%'")
            db.engine.dispose()
        finally:
            server.stop()
    figures = {
        "documents": N_DOCS,
        "qbo_limits": "on (10/s, 40 batches/min)" if limits_on else "off (sandbox throttle and gateway limiter)",
        "created": len(report.created),
        "failed": len(report.failed),
        "http_calls": calls,
        "target_calls": N_DOCS // 30,
        "retries_429_5xx": retries,
        "wall_seconds": round(wall, 2),
        "documents_per_second": round(N_DOCS / wall, 1),
        "repost_http_calls": again.calls,
        "repost_already_posted": len(again.already_posted),
        "repost_wall_seconds": round(wall_again, 2),
        "documents_in_qbo": count,
    }
    for k, v in figures.items():
        print(f"{k}: {v}")
    return figures


if __name__ == "__main__":
    main()
