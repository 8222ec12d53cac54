"""Posting at scale: 3,000 SalesReceipts through python-quickbooks in batches of 30.

Starts a sandbox (demo seed) in a temporary directory with QBO's throttle off, posts the receipts
with ``quickbooks.batch.batch_create`` and reports the HTTP calls made, the wall time, and the time
to read the books afterwards (a P&L over the year: a full FIFO replay). With QBO's real limit of
40 batch calls a minute, the same 100 batch calls need at least 2.5 minutes.
"""

from __future__ import annotations

import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.objects.base import Ref
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.item import Item
from quickbooks.objects.salesreceipt import SalesReceipt
from requests_oauthlib import OAuth2Session

from qbo_sandbox.server import SandboxServer

RECEIPTS = 3_000
BATCH = 30


def _ref(value: str) -> Ref:
    r = Ref()
    r.value = value
    return r


def _receipt(n: int, item: Item, shipping: Item) -> SalesReceipt:
    receipt = SalesReceipt()
    receipt.TxnDate = f"2026-12-{1 + n % 28:02d}"
    receipt.DocNumber = f"B-{n:06d}"
    receipt.PrivateNote = f"bench/settlement/{n}"
    qty = Decimal(1 + n % 3)
    line = SalesItemLine()
    line.Amount = qty * Decimal(item.UnitPrice)
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = _ref(item.Id)
    line.SalesItemLineDetail.Qty = qty
    line.SalesItemLineDetail.UnitPrice = Decimal(item.UnitPrice)
    ship = SalesItemLine()
    ship.Amount = Decimal("4.99")
    ship.SalesItemLineDetail = SalesItemLineDetail()
    ship.SalesItemLineDetail.ItemRef = _ref(shipping.Id)
    receipt.Line = [line, ship]
    return receipt


def main() -> dict[str, object]:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with tempfile.TemporaryDirectory() as tmp:
        server = SandboxServer(Path(tmp), seed="demo", throttle=False).start()
        try:
            class Client(QuickBooks):
                api_url_v3 = server.url

            qb = Client(company_id=server.realm, minorversion=75, use_decimal=True)
            qb.session = OAuth2Session(token={"access_token": "bench", "token_type": "Bearer"})
            items = [i for i in Item.all(max_results=1000, qb=qb) if i.Type == "Inventory"]
            shipping = Item.filter(Name="Shipping", qb=qb)[0]
            receipts = [_receipt(n, items[n % len(items)], shipping) for n in range(RECEIPTS)]
            calls_before = server.calls
            start = time.perf_counter()
            created = 0
            faults = 0
            for i in range(0, RECEIPTS, BATCH):
                result = batch_create(receipts[i:i + BATCH], qb=qb)
                created += len(result.successes)
                faults += len(result.faults)
            seconds = time.perf_counter() - start
            calls = server.calls - calls_before
            t_report = time.perf_counter()
            qb.get_report("ProfitAndLoss", {"start_date": "2026-01-01", "end_date": "2026-12-31"})
            report_seconds = time.perf_counter() - t_report
        finally:
            server.stop()
    figures: dict[str, object] = {
        "receipts": RECEIPTS,
        "batch_size": BATCH,
        "created": created,
        "faults": faults,
        "http_calls": calls,
        "wall_seconds": round(seconds, 2),
        "receipts_per_second": round(created / seconds, 1) if seconds else None,
        "report_after_seconds": round(report_seconds, 3),
        "minimum_seconds_at_40_batches_a_minute": round((calls - 1) / 40 * 60, 1) if calls > 40 else 0.0,
    }
    for key, value in figures.items():
        print(f"{key:>38}: {value}")
    return figures


if __name__ == "__main__":
    main()
