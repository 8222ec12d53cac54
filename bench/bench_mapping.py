"""The mapping tab with 20,000 channel products, rendered and saved through AppTest.

Set-up: a fresh SQLite file, the local QBO sandbox (Demo Company, 30 inventory items), one
stored settlement with 20,000 SKUs. Figures (seconds): the first render (QBO items read), a
warm render, a render with 1,000 cell edits pending, Save of those 1,000, then all 20,000 rows
mapped in one edit and saved, a render of the fully mapped tab, and the pure parts alone
(channel products query, load of 20,000 mappings, the grid frame, the workbook export/import).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

N_PRODUCTS = 20_000

APP = '''
import streamlit as st
from components import mapping_grid
from services.storage import open_database
from services.storage import clients as repo

@st.cache_resource
def _db(url):
    return open_database(url)

db = _db(st.session_state["db_url"])
client = repo.get_client(db, "Bench")
integration = repo.get_integration(db, client, "Amazon US")
mapping_grid.render(db, client, integration)
'''


def _timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - t, 3), out


def _settlement(n: int) -> Any:
    from services.records import Category, Channel, Settlement, SettlementRow, SettlementRows

    rows = tuple(SettlementRow(source_row=k + 1, category=Category.PRODUCT_SALE, amount=Decimal("12.00"),
                               date=dt.date(2026, 3, 1 + k % 28), order_id=f"O-{k}", sku=f"SKU-{k:05d}",
                               title=f"Product number {k}", quantity=1 + k % 3) for k in range(n))
    return Settlement("BENCH-1", Channel.AMAZON, "amazon_v2", "Amazon.com", "USD", dt.date(2026, 3, 1),
                      dt.date(2026, 3, 31), dt.date(2026, 4, 2), sum((r.amount for r in rows), Decimal(0)),
                      SettlementRows.from_rows(rows))


def main() -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    from qbo_sandbox.server import SandboxServer
    from services.excel import export_workbook, import_workbook
    from services.mapping import ItemIndex, channel_rows, grid_frame
    from services.qbo.gateway import QboGateway
    from services.records import Channel
    from services.storage import clients as repo
    from services.storage import open_database
    from services.storage.mappings import list_channel_products, load_mappings
    from services.storage.settlements import save_settlement

    figures: dict[str, Any] = {"channel_products": N_PRODUCTS}
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxServer(Path(tmp) / "sandbox", seed="demo", throttle=False).start()
        try:
            db = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            client = repo.add_client(db, "Bench", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url)
            integ = repo.add_integration(db, client, "Amazon US", Channel.AMAZON, inventory_tracking=True)
            save_settlement(db, integ, _settlement(N_PRODUCTS), who="bench")
            items = QboGateway.for_client(db, client).list_items(include_inactive=True)
            names = ItemIndex.of(items).names

            at = AppTest.from_string(APP, default_timeout=600)
            at.session_state["db_url"] = db.url
            figures["render_first_s"], _ = _timed(at.run)
            assert not at.exception, at.exception
            figures["render_warm_s"], _ = _timed(at.run)
            grid = next(e for e in at.data_editor if e.key and e.key.startswith("map_grid_"))
            assert len(grid.value) == N_PRODUCTS

            edits = {r: {"QBO Item": names[r % len(names)]} for r in range(0, N_PRODUCTS, N_PRODUCTS // 1000)}
            at.session_state[str(grid.key)] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
            figures["render_with_1000_edits_s"], _ = _timed(at.run)
            figures["save_1000_s"], _ = _timed(lambda: at.button(key="map_save").click().run())
            assert not at.exception, at.exception
            assert len(load_mappings(db, integ)) == len(edits)

            grid = next(e for e in at.data_editor if e.key and e.key.startswith("map_grid_"))
            edits = {r: {"QBO Item": names[(r + 1) % len(names)]} for r in range(N_PRODUCTS)}
            at.session_state[str(grid.key)] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
            figures["render_with_20000_edits_s"], _ = _timed(at.run)
            figures["save_20000_s"], _ = _timed(lambda: at.button(key="map_save").click().run())
            assert not at.exception, at.exception
            figures["render_all_mapped_s"], _ = _timed(at.run)
            saved = load_mappings(db, integ)
            assert len(saved) == N_PRODUCTS

            figures["channel_products_query_s"], products = _timed(lambda: list_channel_products(db, integ))
            figures["load_mappings_s"], _ = _timed(lambda: load_mappings(db, integ))
            rows = channel_rows(products, saved)
            index = ItemIndex.of(items)
            figures["grid_frame_s"], _ = _timed(lambda: grid_frame(rows, index))
            figures["excel_export_s"], data = _timed(lambda: export_workbook(rows, items))
            figures["excel_import_s"], result = _timed(lambda: import_workbook(data, current=saved, items=items))
            assert result.ok and result.changes == {}
            figures["excel_bytes"] = len(data)
            db.engine.dispose()
        finally:
            sandbox.stop()
    for k, v in figures.items():
        print(f"{k:32} {v}")
    return figures


if __name__ == "__main__":
    main()
