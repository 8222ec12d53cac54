"""The Preview page in a real browser: a settlement imported into the Demo Company shows its
documents, the tie-out, the warnings and the margins, and offers the Excel download."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.settlement_factory import amazon_v2_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]


def test_preview__documents_tie_out_and_download_in_a_browser(tmp_path: Path) -> None:
    from services.importing import import_files
    from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
    from services.storage import clients as repo
    from services.storage import open_database

    db_url = f"sqlite:///{tmp_path / 'preview.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        wait_idle(page)  # the app has created the Demo Company and its sandbox
        db = open_database(db_url)
        client = repo.get_client(db, DEMO_CLIENT)
        integration = repo.update_integration(db, repo.get_integration(db, client, DEMO_INTEGRATION),
                                              inventory_tracking=False)
        outcome = import_files(db, client, integration, [("march.txt", amazon_v2_file())], who="browser")
        assert outcome.settlements[0].status == "ready", outcome.issues
        db.engine.dispose()

        page.get_by_role("link", name="Preview").first.click()
        page.get_by_role("heading", name="Preview").first.wait_for()
        page.get_by_text("The documents add up to the settlement total, to the cent.").wait_for()
        wait_idle(page)
        assert page.get_by_text("Settlement total").count() >= 1
        assert page.get_by_text("53.17 USD").count() == 2  # settlement and documents totals
        assert page.get_by_role("button", name="Download the preview (Excel)").count() == 1
        page.get_by_role("heading", name="Expected COGS and margins").wait_for()
        page.screenshot(path=str(tmp_path / "preview.png"))
