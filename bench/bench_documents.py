"""Document engine benchmark: a generated 1,000,000-row settlement (about 160,000 orders, 2,000
SKUs, a month end inside the period) turned into documents grouped per settlement, per day and per
order, with inventory tracking on (SKUs mapped to items and, one in ten, to two-component bundles).

The settlement is built directly as records (what the parser returns), so the figures are the
engine's alone, "beyond parsing". Target: at most 2 s for per-settlement and per-day grouping.
``seconds`` is wall time and ``cpu_seconds`` the process's CPU time (the figure to read on a
shared, loaded machine). ``BENCH_DOCUMENTS_ROWS`` changes the row count (for a quick look).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import random
import time
from decimal import Decimal

from services.documents import build_documents, tie_out
from services.records import (
    BundleComponent,
    Category,
    Channel,
    FeeKind,
    Grouping,
    ItemRef,
    Mapping,
    MappingType,
    Settlement,
    SettlementRow,
    SettlementRows,
    Severity,
)
from services.routing import routing_from_settings

ROWS = 1_000_000
SKUS = 2_000
START = dt.date(2026, 3, 20)
DAYS = 14  # 20 March to 2 April: the month end splits the documents


def generate(rows: int = ROWS, seed: int = 7) -> Settlement:
    """A settlement of exactly ``rows`` rows shaped like an Amazon V2 report: orders of six amounts
    (principal, shipping, tax collected and withheld, commission, fulfilment), a refund every
    twentieth order, and storage, advertising and reimbursement rows."""
    rnd = random.Random(seed)
    skus = [f"SKU-{i:05d}" for i in range(SKUS)]
    prices = [Decimal(rnd.randint(500, 6000)) / 100 for _ in range(SKUS)]
    dates = [START + dt.timedelta(days=d) for d in range(DAYS)]
    out: list[SettlementRow] = []
    n = 1
    order = 0
    C, R = Category, SettlementRow
    cents = Decimal("0.01")
    while n <= rows:
        order += 1
        oid = f"111-{order:07d}-{order % 9973:07d}"
        k = rnd.randrange(SKUS)
        sku, price = skus[k], prices[k]
        day = dates[order % DAYS]
        qty = 1 + (order % 3 == 0)
        amount = price * qty
        tax = (amount * Decimal("0.07")).quantize(cents)
        fee = (amount * Decimal("0.15")).quantize(cents)
        if order % 50 == 0:
            other: tuple[Category, FeeKind | None] = (C.FEE, FeeKind.STORAGE) if order % 100 else (C.REIMBURSEMENT, None)
            amt = -fee if other[0] is C.FEE else fee
            out.append(R(n, other[0], amt, day, "", "", "", "", None, other[1], False, "other-transaction"))
            n += 1
            continue
        lines = [
            (C.PRODUCT_SALE, amount, None, qty, False), (C.SHIPPING, Decimal("4.99"), None, None, False),
            (C.TAX_COLLECTED, tax, None, None, False), (C.TAX_WITHHELD, -tax, None, None, False),
            (C.FEE, -fee, FeeKind.COMMISSION, None, False), (C.FEE, Decimal("-3.22"), FeeKind.FULFILMENT, None, False),
        ]
        if order % 20 == 0:
            lines += [(C.PRODUCT_REFUND, -price, None, None, True), (C.FEE, (fee / qty).quantize(cents),
                                                                    FeeKind.COMMISSION, None, True)]
        for cat, amt, kind, q, refund in lines:
            if n > rows:
                break
            out.append(R(n, cat, amt, day, oid, "1", sku, "", q, kind, refund, cat.value))
            n += 1
    total = sum((r.amount for r in out), Decimal("0.00"))
    return Settlement("24288931001", Channel.AMAZON, "amazon_v2", "Amazon.com", "USD", START,
                      START + dt.timedelta(days=DAYS - 1), START + dt.timedelta(days=DAYS + 1), total,
                      SettlementRows.from_rows(out),
                      stated_total=total)


def mappings() -> dict[str, Mapping]:
    a, b = ItemRef("101", "Component A"), ItemRef("102", "Component B")
    out: dict[str, Mapping] = {}
    for i in range(SKUS):
        sku = f"SKU-{i:05d}"
        if i % 10 == 0:
            out[sku] = Mapping(sku, MappingType.BUNDLE, None, (BundleComponent(a, Decimal(1), Decimal(60)),
                                                               BundleComponent(b, Decimal(2), Decimal(40))))
        else:
            out[sku] = Mapping(sku, MappingType.ITEM, ItemRef(str(1000 + i), f"Item {i}"))
    return out


def _run(s: Settlement, maps: dict[str, Mapping], grouping: Grouping) -> dict[str, object]:
    routing = routing_from_settings({}, grouping=grouping, integration_name="Amazon US")
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    docs, issues = build_documents(s, maps, routing, tracking=True, items=None, key_prefix="1/1")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    check = tie_out(s, docs)
    assert check.ok, check
    assert not [i for i in issues if i.severity is Severity.ERROR]
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "documents": len(docs), "lines": sum(len(d.lines) for d in docs),
            "tie_out_difference": str(check.difference)}


def main() -> dict[str, object]:
    rows = int(os.environ.get("BENCH_DOCUMENTS_ROWS", ROWS))
    t0 = time.perf_counter()
    s = generate(rows)
    generated = time.perf_counter() - t0
    maps = mappings()
    orders = len({r.order_id for r in s.rows if r.order_id})
    figures: dict[str, object] = {"rows": len(s.rows), "orders": orders, "skus": SKUS,
                                  "generate_seconds": round(generated, 2)}
    for grouping in (Grouping.SETTLEMENT, Grouping.DAY, Grouping.ORDER):
        figures[f"per_{grouping.value}"] = _run(s, maps, grouping)
        print(f"per {grouping.value}: {figures[f'per_{grouping.value}']}")
    figures["target_seconds"] = 2.0
    figures["per_settlement_and_day_within_target"] = all(
        float(figures[f"per_{g}"]["cpu_seconds"]) <= 2.0 for g in ("settlement", "day"))  # type: ignore[index]
    print(figures)
    return figures


if __name__ == "__main__":
    main()
