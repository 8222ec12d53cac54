"""Deep links in a real browser: a fresh server's first request for a page runs app.py (the
client picker is there), and the "mapping not found" link lands on the Mappings tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]


def _selected_tab(page: object) -> str:
    return str(page.get_by_role("tab", selected=True).inner_text()).strip()  # type: ignore[attr-defined]


def test_links__deep_link_on_a_fresh_server_and_the_mappings_tab(tmp_path: Path) -> None:
    with running_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "app.log") as url, \
            browser_page() as page:
        page.goto(f"{url}/connections")  # the very first request this server answers
        wait_idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        # app.py ran: its navigation and the client picker are in the sidebar
        sidebar.get_by_text("Settings and Mappings").wait_for(timeout=30_000)
        sidebar.get_by_label("Client").wait_for(timeout=30_000)

        page.goto(f"{url}/settings_and_mappings?tab=mappings")
        wait_idle(page)
        page.get_by_role("tab", name="Mappings").wait_for(timeout=30_000)
        assert _selected_tab(page) == "Mappings"

        page.goto(f"{url}/settings_and_mappings")
        wait_idle(page)
        assert _selected_tab(page) == "Settings"
