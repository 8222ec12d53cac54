"""Shared set-up of the mapping tests: a client on the local sandbox, an integration, a settlement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from services.records import Category, Channel, Client, Integration, Settlement, SettlementRow, SettlementRows
from services.storage import Database
from services.storage import clients as clients_repo

# (sku, title, first sale day in March 2026, units) — the first two match demo items by Sku / Name
SOLD = (
    ("MUG-11OZ-WHT", "Mug white 11oz", 3, 4),
    ("ceramic mug 11oz black ", "Black mug", 4, 2),
    ("GIFT-SET-1", "Mug and tote gift set", 5, 1),
    ("NEW-THING", "Something QBO does not have", 9, 3),
    ("=HYPERLINK(\"x\")", "-bad @title", 6, 1),
)


def settlement(n_products: int = 0) -> Settlement:
    rows: list[SettlementRow] = []
    products = list(SOLD) + [(f"BULK-{i:05d}", f"Bulk product {i}", 1 + i % 28, 1) for i in range(n_products)]
    for k, (sku, title, day, qty) in enumerate(products, start=1):
        rows.append(SettlementRow(source_row=k, category=Category.PRODUCT_SALE, amount=Decimal("10.00") * qty,
                                  date=dt.date(2026, 3, day), order_id=f"O-{k}", sku=sku, title=title,
                                  quantity=qty))
    total = sum((r.amount for r in rows), Decimal(0))
    return Settlement("S-100", Channel.AMAZON, "amazon_v2", "Amazon.com", "USD", dt.date(2026, 3, 1),
                      dt.date(2026, 3, 31), dt.date(2026, 4, 2), total,
                      SettlementRows.from_rows(rows))


def make_world(db: Database, sandbox: Any, n_products: int = 0) -> tuple[Client, Integration]:
    """A client on ``sandbox``, its "Amazon US" integration, and one stored settlement."""
    from services.storage.settlements import save_settlement

    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm,
                                     sandbox_url=sandbox.url, company_name="Demo Company",
                                     plan="QuickBooks Online Plus")
    integ = clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=True)
    save_settlement(db, integ, settlement(n_products), who="test")
    return client, integ
