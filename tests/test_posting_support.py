"""Helpers for the posting tests, and a driver run as a separate process.

``python tests/test_posting_support.py DB_URL SANDBOX_URL REALM SETTLEMENT N`` posts N planned
documents of settlement SETTLEMENT (the same ones :func:`make_documents` builds) and prints one
JSON line: the counts, or ``{"status": "posting_in_progress"}``. The tests run it twice at once,
and kill it mid-run, to show that QBO ends with each document exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.records import Category, Client, DocLine, DocType, Document, ItemRef

D = Decimal
DATE = dt.date(2026, 3, 5)


def demo_items(gateway: Any, n: int = 3) -> list[ItemRef]:
    """The first ``n`` inventory items of the demo company, by Id."""
    items = sorted((i for i in gateway.list_items() if i.type == "Inventory"), key=lambda i: int(i.id))
    return [i.ref for i in items[:n]]


def make_documents(settlement: str, n: int, items: list[ItemRef], *, date: dt.date = DATE) -> list[Document]:
    """``n`` small documents of one settlement: sales receipts, a refund, a fee expense, a deposit."""
    docs: list[Document] = []
    for k in range(n):
        key = f"1/1/{settlement}/doc/{k}"
        number = f"{settlement}-{k}"[:21]
        kind = k % 10
        if kind == 7:
            item = items[k % len(items)]
            docs.append(Document(key=key, type=DocType.REFUND_RECEIPT, date=date, doc_number=number,
                                 account="Amazon Clearing", lines=(DocLine(
                                     amount=D("14.99"), description=f"refund {item.name}",
                                     category=Category.PRODUCT_REFUND, item=item, qty=D(1),
                                     unit_price=D("14.99")),)))
        elif kind == 8:
            docs.append(Document(key=key, type=DocType.PURCHASE, date=date, doc_number=number,
                                 account="Amazon Clearing", lines=(DocLine(
                                     amount=D("3.10"), description="commission", category=Category.FEE,
                                     account="Marketplace Commissions"),)))
        elif kind == 9:
            docs.append(Document(key=key, type=DocType.DEPOSIT, date=date, doc_number=number,
                                 account="Amazon Clearing", lines=(DocLine(
                                     amount=D("1.25"), description="reimbursement",
                                     category=Category.REIMBURSEMENT, account="Marketplace Reimbursements"),)))
        else:
            lines = tuple(DocLine(amount=D("29.98"), description=f"{it.name}", category=Category.PRODUCT_SALE,
                                  item=it, qty=D(2), unit_price=D("14.99"), sku=f"SKU{j}")
                          for j, it in enumerate(items))
            docs.append(Document(key=key, type=DocType.SALES_RECEIPT, date=date, doc_number=number,
                                 account="Amazon Clearing", lines=lines))
    return docs


def sandbox_client(url: str, realm: str) -> Client:
    return Client(id=1, name="Demo", kind="sandbox", realm_id=realm, sandbox_url=url)


def count_in_qbo(query: Any, settlement: str) -> dict[str, int]:
    """How many documents of each key QBO holds for ``settlement`` (through a query function)."""
    counts: dict[str, int] = {}
    for entity in ("SalesReceipt", "RefundReceipt", "Purchase", "Deposit"):
        for row in query(f"SELECT * FROM {entity} WHERE DocNumber LIKE '{settlement}-%' MAXRESULTS 1000"):
            note = str(row.get("PrivateNote") or "")
            if note.startswith("1/1/"):
                counts[note] = counts.get(note, 0) + 1
    return counts


def main(argv: list[str]) -> int:
    from services.errors import PostingInProgress
    from services.qbo.gateway import QboGateway, RetryPolicy
    from services.qbo.posting import post_documents
    from services.storage import open_database

    db_url, url, realm, settlement, n = argv[0], argv[1], argv[2], argv[3], int(argv[4])
    db = open_database(db_url)
    gw = QboGateway.for_sandbox(url, realm, retry=RetryPolicy(base_seconds=0.05, cap_seconds=0.5))
    docs = make_documents(settlement, n, demo_items(gw))
    try:
        report = post_documents(db, gw, client=sandbox_client(url, realm), integration_id=1,
                                settlement_id=settlement, documents=docs, who=f"process {argv[5] if len(argv) > 5 else ''}",
                                lease_seconds=30)
    except PostingInProgress as exc:
        print(json.dumps({"status": "posting_in_progress", "message": exc.message}))
        return 1
    print(json.dumps({"status": "done", "created": len(report.created),
                      "already_posted": len(report.already_posted), "failed": len(report.failed),
                      "pending": len(report.pending), "stopped": report.stopped}))
    return 0 if report.all_posted else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
