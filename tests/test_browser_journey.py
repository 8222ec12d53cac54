"""The Settlements page in a real browser: start the app, upload a settlement through the file
chooser, see the summary, upload it again and be told it is a duplicate, upload a file whose
rows do not add up to its stated total and be told so, with nothing stored.

Screenshots go to ``SETTLEBRIDGE_SCREENSHOTS`` when set (to look at the page), else to the
test's temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.settlement_factory import amazon_v2_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SETTLEBRIDGE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(page: object, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside its main block, so the window is
    made tall enough for everything first."""
    height = page.evaluate(  # type: ignore[attr-defined]
        "() => Math.max(...[...document.querySelectorAll('section, [data-testid=\"stMain\"]')]"
        ".map(e => e.scrollHeight), 900)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 6000)})  # type: ignore[attr-defined]
    wait_idle(page)
    page.screenshot(path=str(path))  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1400, "height": 1000})  # type: ignore[attr-defined]


def _upload(page: object, path: Path) -> None:
    with page.expect_file_chooser() as chooser:  # type: ignore[attr-defined]
        page.get_by_test_id("stFileUploaderDropzone").locator("button").click()  # type: ignore[attr-defined]
    chooser.value.set_files(str(path))
    page.get_by_test_id("stFileChipName").filter(has_text=path.name).first.wait_for()  # type: ignore[attr-defined]
    # the chip spins while the file travels to the server; Import before that would send nothing
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stFileChipIconSpinner\"]')")
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()  # type: ignore[attr-defined]


def test_journey__upload_a_settlement_and_see_its_summary(tmp_path: Path) -> None:
    report = tmp_path / "amazon-march.txt"
    report.write_bytes(amazon_v2_file())
    wrong = tmp_path / "wrong-total.txt"
    wrong.write_bytes(amazon_v2_file("777", total="99.00"))
    shots = _shots(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'journey.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        page.get_by_text("No settlement imported for this integration yet.").wait_for()
        _shoot(page, shots / "1-empty.png")

        _upload(page, report)
        page.get_by_text(re.compile(r"Settlement 24688812345.*imported")).first.wait_for()
        total = page.get_by_test_id("stMetric").filter(has_text="Total paid out")
        assert "53.17 USD" in total.inner_text()
        page.get_by_text(re.compile(r"Period\s*1–15 Mar 2026")).first.wait_for()
        page.get_by_text("Where the money went").first.wait_for()
        page.locator("[data-testid*='VegaLiteChart'] canvas, [data-testid*='VegaLiteChart'] svg").first.wait_for()
        _shoot(page, shots / "2-imported.png")

        _upload(page, report)
        page.get_by_text("already imported; nothing was changed").first.wait_for()
        page.get_by_text("File 'amazon-march.txt' was already imported on").first.wait_for()
        _shoot(page, shots / "3-duplicate.png")

        _upload(page, wrong)
        page.get_by_text("Settlement 777 — not imported; nothing of it was stored.").first.wait_for()
        page.get_by_text(re.compile(r"wrong-total\.txt, row 2: the rows sum to 53\.17 but the report states "
                                    r"total-amount 99\.00")).first.wait_for()
        _shoot(page, shots / "4-rejected.png")
    for name in ("1-empty.png", "2-imported.png", "3-duplicate.png", "4-rejected.png"):
        assert (shots / name).stat().st_size > 10_000


def test_journey__the_demo_company_tries_the_sample_settlement(tmp_path: Path) -> None:
    """A new user on the Demo Company: the offer is open, the download gives the sample file, one
    click imports it and the page shows its summary."""
    from services.settlements.demo import SETTLEMENT_ID, demo_settlement

    shots = _shots(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'sample.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        page.get_by_text("An Amazon settlement made for the Demo Company").first.wait_for()
        _shoot(page, shots / "5-sample-offer.png")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the sample settlement").click()
        saved = tmp_path / "downloaded.txt"
        download.value.save_as(str(saved))
        assert (download.value.suggested_filename, saved.read_bytes()) == demo_settlement()

        page.get_by_role("button", name="Import the sample settlement").click()
        page.get_by_text(re.compile(rf"Settlement {SETTLEMENT_ID}.*imported")).first.wait_for()
        total = page.get_by_test_id("stMetric").filter(has_text="Total paid out")
        assert "USD" in total.inner_text()
        page.get_by_text("GIFT-MUG-DUO").first.wait_for()
        _shoot(page, shots / "6-sample-imported.png")
    assert (shots / "6-sample-imported.png").stat().st_size > 10_000


def test_journey__a_payout_of_millions_shows_to_the_cent(tmp_path: Path) -> None:
    """Large sellers are paid millions: the key figures must show every digit and the currency,
    not end in an ellipsis (the four figures once shared one row and were cut off)."""
    lines = (
        ("Order", "111-0000001-0000001", "ItemPrice", "Principal", "12345678.91", "SKU-1", "1", "2026-03-02"),
        ("Order", "111-0000001-0000001", "ItemFees", "Commission", "-4694953.71", "SKU-1", "1", "2026-03-02"),
        ("Order", "111-0000001-0000001", "ItemFees", "FBAPerUnitFulfillmentFee", "-1234567.89", "SKU-1", "1",
         "2026-03-02"),
    )
    report = tmp_path / "amazon-big.txt"
    report.write_bytes(amazon_v2_file("24688899999", lines=lines))
    with running_app(f"sqlite:///{tmp_path / 'big.sqlite3'}", tmp_path / "app.log") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Settlements").first.wait_for()
        _upload(page, report)
        page.get_by_text(re.compile(r"Settlement 24688899999.*imported")).first.wait_for()
        wait_idle(page)
        values = page.get_by_test_id("stMetricValue")
        shown = {v.inner_text().strip() for v in values.all()}
        assert {"6,416,157.31 USD", "-5,929,521.60 USD"} <= shown
        clipped = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"] *')]"
                                ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)")
        assert clipped == []
        _shoot(page, _shots(tmp_path) / "6-millions.png")
