"""Post, Verify and History in a real browser: a settlement ready to post on a client of the local
sandbox; press Post and see every document created with the progress bar done; verify and see all
checks pass; History shows the status and who did what (the name typed in the sidebar). Screenshots go to
``SETTLEBRIDGE_SCREENSHOTS`` when set, else to the test's temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.settlement_factory import amazon_v2_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]

SID = "24688812399"


def _ready_settlement(db_url: str, sandbox: Any) -> None:
    from services import importing
    from services.pipeline import prepare
    from services.records import Channel, SettlementStatus
    from services.routing import create_defaults
    from services.storage import clients as repo
    from services.storage import open_database
    from services.storage import settlements as settlements_repo

    db = open_database(db_url)
    client = repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url,
                             company_name="Demo Company", plan="QuickBooks Online Plus")
    integration = repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    integration, _ = create_defaults(db, client, integration)
    importing.import_files(db, client, integration, [("march.txt", amazon_v2_file(SID))], who="alice")
    if settlements_repo.get_settlement_info(db, integration, SID).status is not SettlementStatus.READY:
        prepare(db, client, integration, SID, who="alice")  # Retry import
    db.engine.dispose()


def _open(page: Any, base: str, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def test_browser__post_verify_and_see_the_history(tmp_path: Path, sandbox: Any) -> None:
    shots = Path(os.environ.get("SETTLEBRIDGE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    _ready_settlement(db_url, sandbox)
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        wait_idle(page)
        # who is at the keyboard goes into the history
        page.get_by_role("textbox", name="Your name").fill("Dana Whitfield")
        page.keyboard.press("Enter")
        wait_idle(page)

        _open(page, url, "Post")
        page.get_by_role("button", name="Post to QuickBooks").click()
        page.get_by_text("Every document is in QuickBooks, each exactly once.").wait_for()
        created = page.get_by_test_id("stMetric").filter(has_text="Created in QuickBooks")
        assert re.search(r"\b4\b", created.inner_text())
        page.screenshot(path=str(shots / "post.png"), full_page=True)

        _open(page, url, "Verify")
        page.get_by_role("button", name="Verify now").click()
        page.get_by_text(re.compile(r"All \d+ checks pass")).wait_for()
        page.screenshot(path=str(shots / "verify.png"), full_page=True)

        _open(page, url, "History")
        page.get_by_text("Verified: all checks pass").first.wait_for(state="attached")  # a grid cell
        events = page.get_by_test_id("stDataFrame").filter(has_text="Who").last
        events.get_by_text("Dana Whitfield").first.wait_for(state="attached")  # she posted and verified
        page.screenshot(path=str(shots / "history.png"), full_page=True)
