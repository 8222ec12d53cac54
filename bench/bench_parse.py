"""Parse benchmark: a generated 1,000,000-row Amazon V2 settlement (about 190 MB).

Reports the wall time of our parse to the canonical settlement, the wall time of a bare
``pandas.read_csv(path, sep="\\t", dtype=str, engine="pyarrow")`` of the same file timed in the
same run, their ratio (target: at most 3), and the peak memory of the parse (target: at most
2 GB), measured as the peak RSS of a child process that does nothing but import and parse.
Generation is not timed. Each is run three times, interleaved, and the best run counts (on a
shared machine the best run is the least disturbed); CPU seconds are reported too, since they
are less sensitive to other load (pandas reads with several threads, so its CPU time exceeds its
wall time). ``BENCH_PARSE_ROWS`` changes the row count (for a quick look).

The canonical settlement holds its rows by column (:class:`services.records.SettlementRows`);
import, storage and the document engine read the columns. For the record, the bench also times
what a consumer that wants every row as a :class:`~services.records.SettlementRow` record would
pay on top (``rows_as_records_s``), which the parse time does not include.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
    "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
    "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id",
    "posted-date", "posted-date-time", "order-item-code", "merchant-order-item-id",
    "merchant-adjustment-item-id", "sku", "quantity-purchased", "promotion-id",
)

# (amount-type, amount-description, sign) of the lines of one order item
ORDER_LINES = (
    ("ItemPrice", "Principal", 1), ("ItemPrice", "Shipping", 1), ("ItemPrice", "Tax", 1),
    ("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -1), ("ItemFees", "Commission", -1),
    ("ItemFees", "FBAPerUnitFulfillmentFee", -1), ("Promotion", "Principal", -1),
)
REFUND_LINES = (
    ("ItemPrice", "Principal", -1), ("ItemPrice", "Tax", -1),
    ("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", 1), ("ItemFees", "Commission", 1),
    ("ItemFees", "RefundCommission", -1),
)
OTHER_LINES = (
    ("other-transaction", "other-transaction", "Storage Fee", -1),
    ("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", 1),
    ("other-transaction", "other-transaction", "Subscription Fee", -1),
    ("Cost of Advertising", "Cost of Advertising", "TransactionTotalAmount", -1),
)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write a V2 settlement of exactly ``rows`` amount lines to ``path``; returns its total in cents."""
    rnd = random.Random(seed)
    skus = [f"SKU-{i:05d}" for i in range(2000)]
    sid = "24288931001"
    out: list[str] = []
    total = 0
    n = 0
    order_no = 0
    while n < rows:
        order_no += 1
        day = 1 + order_no % 14
        date = f"2026-03-{day:02d}"
        stamp = f"{date} {order_no % 24:02d}:{order_no % 60:02d}:{(order_no * 7) % 60:02d} UTC"
        order = f"112-{order_no:07d}-{(order_no * 7919) % 10_000_000:07d}"
        sku = skus[order_no % len(skus)]
        kind = order_no % 20
        if kind == 19 and n + len(OTHER_LINES) <= rows:
            ttype, atype, desc, sign = OTHER_LINES[order_no % len(OTHER_LINES)]
            cents = sign * rnd.randint(100, 50_000)
            out.append(f"{sid}\t\t\t\t\t\t{ttype}\t\t\t\t\tAmazon.com\t{atype}\t{desc}\t{_money(cents)}\t\t"
                       f"{date}\t{stamp}\t\t\t\t\t\t\n")
            total += cents
            n += 1
            continue
        lines = REFUND_LINES if kind == 7 else ORDER_LINES
        ttype = "Refund" if kind == 7 else "Order"
        adj = f"amzn1:crow:{order_no:012d}" if kind == 7 else ""
        qty = "" if kind == 7 else str(1 + order_no % 3)
        item = f"{order_no * 13:014d}"
        price = rnd.randint(500, 20_000)
        for atype, desc, sign in lines:
            if n >= rows:
                break
            cents = sign * (price if desc == "Principal" and atype == "ItemPrice" else rnd.randint(1, price // 5 + 1))
            out.append(f"{sid}\t\t\t\t\t\t{ttype}\t{order}\t{order}\t{adj}\tShp{order_no % 997}\tAmazon.com\t"
                       f"{atype}\t{desc}\t{_money(cents)}\tAFN\t{date}\t{stamp}\t{item}\t\t\t{sku}\t{qty}\t\n")
            total += cents
            n += 1
    summary = (f"{sid}\t2026-03-01 08:00:00 UTC\t2026-03-15 08:00:00 UTC\t2026-03-17 08:00:00 UTC\t"
               f"{_money(total)}\tUSD" + "\t" * 18 + "\n")
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(HEADER) + "\n")
        fh.write(summary)
        fh.writelines(out)
    return total


_CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from services.settlements import parse_file
data = Path(sys.argv[1]).read_bytes()
res = parse_file(Path(sys.argv[1]).name, data)
wall = time.perf_counter() - t0
s = res.settlement
print(json.dumps({"wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": len(s.rows) if s else 0, "total": str(s.total) if s else None,
                  "lines_total": str(s.lines_total) if s else None,
                  "errors": [str(i) for i in res.issues]}))
"""


def _time_pandas(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the bare pandas read."""
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, sep="\t", dtype=str, engine="pyarrow")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    del frame
    return wall, cpu


def _time_parse_inprocess(path: Path) -> tuple[float, float, float]:
    """(wall, CPU) seconds of our parse, from the file's bytes to the canonical settlement; and
    the wall seconds of then building every row as a record (not part of the parse)."""
    from services.settlements import parse_file

    t0, c0 = time.perf_counter(), time.process_time()
    res = parse_file(path.name, path.read_bytes())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert res.settlement is not None, res.issues
    t1 = time.perf_counter()
    records = list(res.settlement.rows)
    as_records = time.perf_counter() - t1
    assert len(records) == len(res.settlement.rows)
    del res, records
    return wall, cpu, as_records


def main() -> dict[str, object]:
    rows = int(os.environ.get("BENCH_PARSE_ROWS", "1000000"))
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench_parse_") as tmp:
        path = Path(tmp) / "settlement_v2.txt"
        t0 = time.perf_counter()
        total_cents = generate(path, rows)
        gen_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1_000_000
        # warm the page cache and the imports, then time both in this process, interleaved, best of
        # three each (the machine may be shared: the best run is the least disturbed one)
        path.read_bytes()
        load_before = os.getloadavg()[0]
        pandas_runs: list[tuple[float, float]] = []
        parse_runs: list[tuple[float, float, float]] = []
        for _ in range(3):
            pandas_runs.append(_time_pandas(path))
            parse_runs.append(_time_parse_inprocess(path))
        pandas_s, parse_s = min(w for w, _ in pandas_runs), min(w for w, _, _ in parse_runs)
        pandas_cpu, parse_cpu = min(c for _, c in pandas_runs), min(c for _, c, _ in parse_runs)
        as_records_s = min(r for _, _, r in parse_runs)
        child = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=root, capture_output=True,
                               text=True, check=True)
        mem = json.loads(child.stdout.strip().splitlines()[-1])
    figures: dict[str, object] = {
        "rows": rows,
        "file_mb": round(size_mb, 1),
        "generate_s": round(gen_s, 2),
        "pandas_read_csv_s": round(pandas_s, 3),
        "parse_s": round(parse_s, 3),
        "ratio": round(parse_s / pandas_s, 2),
        "parse_child_wall_s": round(float(mem["wall_s"]), 3),
        "parse_peak_rss_mb": round(float(mem["peak_rss_mb"]), 1),
        "parsed_rows": mem["rows"],
        "total_ok": mem["total"] == mem["lines_total"] == _money(total_cents),
        "issues": mem["errors"],
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(load_before, 2),
        "pandas_runs_wall_s": [round(w, 3) for w, _ in pandas_runs],
        "parse_runs_wall_s": [round(w, 3) for w, _, _ in parse_runs],
        "pandas_cpu_s": round(pandas_cpu, 3),
        "parse_cpu_s": round(parse_cpu, 3),
        "cpu_ratio": round(parse_cpu / pandas_cpu, 2),
        "rows_as_records_s": round(as_records_s, 3),
    }
    for key, value in figures.items():
        print(f"{key:>22}: {value}")
    return figures


if __name__ == "__main__":
    main()
