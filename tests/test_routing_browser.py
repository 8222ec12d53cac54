"""The Settings tab of "Settings and Mappings" in a real browser: Enable Inventory Tracking refused
while QuickBooks's preferences are off (saying where to turn them on), accepted once they are on,
then "Create sensible defaults" creating the clearing account and the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]


def _prefs(db_url: str, on: bool) -> None:
    from services.qbo.demo import DEMO_CLIENT
    from services.qbo.gateway import QboGateway
    from services.storage import clients as repo
    from services.storage import open_database

    db = open_database(db_url)
    g = QboGateway.for_client(db, repo.get_client(db, DEMO_CLIENT))
    prefs = g.preferences()
    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityWithPriceAndRate": on, "QuantityOnHand": on}})
    db.engine.dispose()


def test_settings__tracking_and_defaults_in_a_browser(tmp_path: Path) -> None:
    from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
    from services.storage import clients as repo
    from services.storage import open_database

    db_url = f"sqlite:///{tmp_path / 'settings.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        wait_idle(page)  # the app has created the Demo Company and its sandbox
        db = open_database(db_url)
        client = repo.get_client(db, DEMO_CLIENT)
        repo.update_integration(db, repo.get_integration(db, client, DEMO_INTEGRATION), inventory_tracking=False)
        db.engine.dispose()
        _prefs(db_url, False)

        page.get_by_role("link", name="Settings and Mappings").first.click()
        page.get_by_role("button", name="Enable Inventory Tracking").wait_for()
        wait_idle(page)
        page.get_by_text("QuickBooks has no account named Amazon US Clearing yet.").wait_for()
        page.get_by_role("button", name="Enable Inventory Tracking").click()
        page.get_by_text("Inventory tracking cannot be enabled yet").wait_for()
        wait_idle(page)
        assert page.get_by_text("Account and Settings → Sales", exact=False).count() >= 1
        page.screenshot(path=str(tmp_path / "refused.png"))

        _prefs(db_url, True)
        page.get_by_role("button", name="Enable Inventory Tracking").click()
        page.get_by_text("Inventory tracking is on").wait_for()
        wait_idle(page)

        page.get_by_role("button", name="Create sensible defaults").click()
        page.get_by_text("Created in QuickBooks", exact=False).wait_for()
        wait_idle(page)
        assert page.get_by_text("QuickBooks has no account named", exact=False).count() == 0
        page.screenshot(path=str(tmp_path / "defaults.png"))
        db = open_database(db_url)
        stored = dict(repo.get_integration(db, repo.get_client(db, DEMO_CLIENT), DEMO_INTEGRATION).settings)
        db.engine.dispose()
        assert stored["clearing_account"] == "Amazon US Clearing" and stored["shipping_item_id"]
