"""Leaving the Post page while QuickBooks is being written to does not cut the run short: the
posting finishes (every document exactly once, the settlement posted), instead of stopping with
documents whose outcome is unknown and the settlement left "posting"."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.settlement_factory import amazon_v2_file
from tests.test_browser_full_journey import _slow_batches

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]

SID = "24688812345"


def test_post_page__leaving_mid_run_still_finishes_the_posting(tmp_path: Path) -> None:
    from services.importing import import_files
    from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
    from services.qbo.gateway import QboGateway
    from services.records import SettlementStatus
    from services.routing import create_defaults
    from services.storage import clients as repo
    from services.storage import open_database
    from services.storage import settlements as settlements_repo

    db_url = f"sqlite:///{tmp_path / 'leave.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        wait_idle(page)  # the app has created the Demo Company and its sandbox
        db = open_database(db_url)
        client = repo.get_client(db, DEMO_CLIENT)
        integration, _ = create_defaults(db, client, repo.get_integration(db, client, DEMO_INTEGRATION))
        assert import_files(db, client, integration, [("march.txt", amazon_v2_file(SID))],
                            who="test").settlements[0].status == "ready"

        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Post", exact=True).click()
        page.get_by_role("button", name="Post to QuickBooks").wait_for()
        wait_idle(page)
        _slow_batches(db_url, 3.0)
        page.get_by_role("button", name="Post to QuickBooks").click()
        page.get_by_text("0 of 4 documents · sending…").wait_for()
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="History", exact=True).click()
        page.get_by_role("heading", name="History").first.wait_for()

        deadline = time.monotonic() + 20
        while (status := settlements_repo.get_settlement_info(db, integration, SID).status) \
                is not SettlementStatus.POSTED and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status is SettlementStatus.POSTED
        whats = [e.what for e in settlements_repo.list_events(db, integration, SID)]
        assert whats[-1] == "Posted: 4 created, 0 already posted, 0 failed", whats
        gw = QboGateway.for_client(db, client)
        mine = [r for entity in ("SalesReceipt", "RefundReceipt", "Purchase", "Deposit")
                for r in gw.query(f"SELECT * FROM {entity}") if f"/{SID}/" in str(r.get("PrivateNote", ""))]
        assert len(mine) == 4  # each document exactly once
        page.reload()
        page.get_by_text("status posted").first.wait_for()
        db.engine.dispose()
    assert "Traceback" not in (tmp_path / "app.log").read_text(errors="replace")
