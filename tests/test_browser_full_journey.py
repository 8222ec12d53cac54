"""The whole journey in a real browser, as the accountant walks it (DESIGN §2).

Start the app with its own Demo Company; on Settings and Mappings enable inventory tracking for
Amazon US and create the sensible defaults; upload a settlement on Settlements and be told that
some SKUs are not mapped; on the Mappings tab accept the suggested mappings and Save; Retry
import on the Preview and see the documents and the tie-out; Post and see every document
created; Verify and see every check pass; History shows the status and the trail.

The settlement's SKUs are the Sku values of three Demo Company inventory items
(``qbo_sandbox.seeds.DEMO_ITEMS``), so "Suggest mappings" proposes them. Screenshots of every step go
to ``SETTLEBRIDGE_SCREENSHOTS`` when set (to look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.settlement_factory import V2_LINES, amazon_v2_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]

SID = "24688870001"
# the factory's SKUs become Demo Company items' Skus
DEMO_SKUS = {"MUG-BLUE": "MUG-11OZ-WHT", "TEA-GREEN-100": "TOTE-COT-NAT", "BOTTLE-STEEL": "TUM-20OZ-STL"}
LINES = tuple((t, o, a, d, amount, DEMO_SKUS.get(sku, sku), q, p) for t, o, a, d, amount, sku, q, p in V2_LINES)


def _shoot(page: Any, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so make the window tall enough."""
    wait_idle(page)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('section, [data-testid=\"stMain\"]')]"
        ".map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 5000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def _open(page: Any, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def _upload(page: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").locator("button").click()
    chooser.value.set_files(str(path))
    page.get_by_test_id("stFileChipName").filter(has_text=path.name).first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stFileChipIconSpinner\"]')")
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()


def _table_csv(page: Any, table: Any) -> str:
    """A table's cells as the accountant gets them: its toolbar's "Download as CSV" (the grid
    draws on a canvas, so its text is not in the page)."""
    page.evaluate("() => { window.showSaveFilePicker = undefined; }")  # a plain download, not a save dialog
    table.hover()
    with page.expect_download() as download:
        table.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]").get_by_role(
            "button", name="Download as CSV").click()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


def _slow_batches(db_url: str, seconds: float = 2.0) -> None:
    """Ask the app's Demo Company sandbox (its control endpoint) to answer the next batch slowly."""
    import json
    import urllib.request

    from services.qbo.demo import DEMO_CLIENT
    from services.storage import clients as repo
    from services.storage import open_database

    db = open_database(db_url)
    base = repo.get_client(db, DEMO_CLIENT).sandbox_url
    db.engine.dispose()
    body = json.dumps({"kind": "delay", "seconds": seconds, "count": 1, "path_contains": "/batch"}).encode()
    request = urllib.request.Request(f"{base.rstrip('/')}/_sandbox/faults", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


def test_browser__the_whole_journey_from_settings_to_history(tmp_path: Path) -> None:
    shots = Path(os.environ.get("SETTLEBRIDGE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    report = tmp_path / "amazon-us-march.txt"
    report.write_bytes(amazon_v2_file(SID, lines=LINES))
    db_url = f"sqlite:///{tmp_path / 'journey.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        wait_idle(page)

        # 1. Settings: inventory tracking on, accounts and items created
        _open(page, "Settings and Mappings")
        page.get_by_role("button", name="Enable Inventory Tracking").click()
        page.get_by_text("Inventory tracking is on").wait_for()
        page.get_by_role("button", name="Create sensible defaults").click()
        page.get_by_role("button", name="Create sensible defaults").wait_for()
        wait_idle(page)
        _shoot(page, shots / "01-settings.png")

        # 2. Upload: mapping not found, naming the SKUs
        _open(page, "Settlements")
        _upload(page, report)
        page.get_by_text("3 SKUs are not mapped to QuickBooks items yet").first.wait_for()
        skus = _table_csv(page, page.get_by_test_id("stDataFrame").first)
        assert all(sku in skus for sku in DEMO_SKUS.values()), skus  # every unmapped SKU, named
        _shoot(page, shots / "02-uploaded-mapping-not-found.png")
        _open(page, "Preview")
        page.get_by_text("Mapping not found: 3 SKU(s)").wait_for()
        unmapped = page.get_by_test_id("stDataFrame").first
        unmapped.wait_for()
        _shoot(page, shots / "03-preview-unmapped.png")

        # 3. Mappings: accept the suggestions, Save
        _open(page, "Settings and Mappings")
        page.get_by_role("tab", name="Mappings").click()
        page.get_by_role("button", name="Suggest mappings").click()
        apply = page.get_by_role("button", name=re.compile(r"Apply the accepted suggestions \(3\)"))
        apply.wait_for()
        _shoot(page, shots / "04-suggestions.png")
        apply.click()
        wait_idle(page)
        page.get_by_role("tab", name="Mappings").click()
        save = page.get_by_role("button", name="Save", exact=True)
        page.wait_for_function("b => !b.disabled", arg=save.element_handle())
        save.click()
        wait_idle(page)
        page.get_by_role("tab", name="Mappings").click()
        mapped = page.get_by_test_id("stMetric").filter(has_text="Mapped").first
        mapped.wait_for()
        assert re.search(r"Mapped\s*3\b", mapped.inner_text()), mapped.inner_text()
        _shoot(page, shots / "05-mapped.png")

        # 4. Retry import on the Preview: documents and tie-out
        _open(page, "Preview")
        page.get_by_role("button", name="Retry import").click()
        page.get_by_text("The documents add up to the settlement total, to the cent.").wait_for(timeout=60_000)
        wait_idle(page)
        assert page.get_by_text("Mapping not found").count() == 0
        _shoot(page, shots / "06-preview.png")

        # 5. Post: every document created, each with its QBO id
        _open(page, "Post")
        total = page.get_by_test_id("stMetric").filter(has_text="Settlement total")
        assert "53.17 USD" in total.inner_text()
        _slow_batches(db_url)  # long enough to see the progress bar at work
        page.get_by_role("button", name="Post to QuickBooks").click()
        page.get_by_text("0 of 4 documents · sending…").wait_for()
        page.screenshot(path=str(shots / "07a-posting.png"))
        page.get_by_text("Every document is in QuickBooks, each exactly once.").wait_for(timeout=60_000)
        created = page.get_by_test_id("stMetric").filter(has_text="Created in QuickBooks")
        assert re.search(r"\b4\b", created.inner_text()), created.inner_text()
        page.get_by_text("status posted").first.wait_for()  # the status is the new one
        outcomes = _table_csv(page, page.get_by_test_id("stDataFrame").last).splitlines()
        assert len(outcomes) == 5 and all(row.startswith("Posted,") for row in outcomes[1:]), outcomes
        assert "162.99" in outcomes[1] and "SalesReceipt" in outcomes[1]
        _shoot(page, shots / "07-posted.png")

        # 6. Verify: every check passes
        _open(page, "Verify")
        page.get_by_role("button", name="Verify now").click()
        page.get_by_text(re.compile(r"All \d+ checks pass")).wait_for(timeout=60_000)
        page.get_by_role("button", name="Download the verification report (Excel)").wait_for()
        checks = _table_csv(page, page.get_by_test_id("stDataFrame").last)
        assert "Quantity on hand: Ceramic Mug 11oz White" in checks and "Cost of goods sold" in checks
        assert all(row.startswith("pass,") for row in checks.splitlines()[1:]), checks
        _shoot(page, shots / "08-verified.png")

        # 7. History: the status and who did what
        _open(page, "History")
        page.get_by_text("Who did what, when").wait_for()
        _shoot(page, shots / "09-history.png")
        page.get_by_text("Done: posted and verified.").wait_for()
        assert "status verified" in page.get_by_test_id("stMain").inner_text()
        trail = _table_csv(page, page.get_by_test_id("stDataFrame").last)
        for step in ("Imported", "mapping not found", "built, ready to post", "Posting started", "Posted: 4 created",
                     "Verified: all checks pass"):
            assert step in trail, (step, trail)
    log = (tmp_path / "app.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    for shot in shots.glob("0*.png"):
        assert shot.stat().st_size > 10_000
