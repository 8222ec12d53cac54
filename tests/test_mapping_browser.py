"""The Mappings tab in a real browser: pick a QBO item in the grid and Save; convert the row to a
bundle, see Save refused at 99.99 % and accepted at 100 %; the create-items form, the Excel
buttons and the history are drawn (screenshots next to the test's temporary files)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser_page, chromium_available, running_app, wait_idle
from tests.mapping_setup import settlement

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin/chromium"),
]

ROW_PX = 35  # the data editor's header and row height


def _grid(page: Any, nth: int = 0) -> Any:
    return page.locator('[data-testid="stDataFrame"]:visible').nth(nth)


def _edit_cell(page: Any, grid: Any, row: int, col: int, text: str, *, marker: bool = False) -> None:
    """Type ``text`` into cell (``row``, ``col``) of a data editor (0-based, header excluded;
    ``marker``: the editor has a row-marker column, as one that adds and deletes rows does):
    click the row's first cell, move right with the arrow keys, type, Enter to commit."""
    box = grid.bounding_box()
    assert box is not None
    first = 1 if marker else 0
    target = grid.locator(f'[data-testid="glide-cell-{first + col}-{row}"][aria-selected="true"]')
    for _attempt in range(3):  # a click right after a rerun may only focus the grid
        page.keyboard.press("Escape")
        page.mouse.click(box["x"] + (70 if marker else 30), box["y"] + ROW_PX * (row + 1) + ROW_PX // 2)
        for _ in range(col):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
        if target.count() == 1:
            break
    assert target.count() == 1, f"cell {row}, {col} could not be selected"
    page.keyboard.press("Enter")  # open the cell's editor (a select list or a text box)
    page.wait_for_timeout(300)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)


def _cell_text(page: Any, grid: Any, row: int, col: int) -> str:
    # the grid mirrors its cells in an accessible table (``row`` 0 is the first data row)
    return str(grid.locator(f'[data-testid="glide-cell-{col}-{row}"]').inner_text())


def test_mapping_tab__map_save_bundle_100_in_a_browser(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
    from services.records import MappingType
    from services.storage import clients as repo
    from services.storage import open_database
    from services.storage.mappings import list_history, load_mappings
    from services.storage.settlements import save_settlement

    db_url = f"sqlite:///{tmp_path / 'mapping.sqlite3'}"
    with running_app(db_url, tmp_path / "app.log") as url, browser_page(height=1300) as page:
        page.goto(f"{url}/settings_and_mappings")
        page.get_by_role("heading", name="Settings and Mappings").first.wait_for()
        wait_idle(page)  # the app has created the Demo Company and its sandbox
        db = open_database(db_url)
        client = repo.get_client(db, DEMO_CLIENT)
        integration = repo.update_integration(db, repo.get_integration(db, client, DEMO_INTEGRATION),
                                              inventory_tracking=True)
        save_settlement(db, integration, settlement(60), who="browser")  # 65 channel products

        page.reload()
        page.get_by_role("heading", name="Settings and Mappings").first.wait_for()
        wait_idle(page)
        page.get_by_role("tab", name="Mappings").click()
        wait_idle(page)
        assert page.get_by_text("65 of 65 shown").count() == 1
        page.screenshot(path=str(tmp_path / "1-grid.png"))

        # pick a QBO item for NEW-THING in the grid, then Save
        search = page.get_by_label("Search SKU, title or item")
        search.fill("NEW-THING")
        search.press("Enter")
        wait_idle(page)
        grid = _grid(page)
        assert _cell_text(page, grid, 0, 0) == "NEW-THING"
        _edit_cell(page, grid, 0, 3, "Ceramic Mug 11oz White")
        wait_idle(page)
        page.get_by_text("1 unsaved change").wait_for()
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Saved 1 mapping change").first.wait_for()
        wait_idle(page)
        grid = _grid(page)
        assert _cell_text(page, grid, 0, 3) == "Ceramic Mug 11oz White"
        assert "mapped" in _cell_text(page, grid, 0, 4) and "not" not in _cell_text(page, grid, 0, 4)
        saved = load_mappings(db, integration)["NEW-THING"]
        assert saved.type is MappingType.ITEM and saved.item is not None
        assert saved.item.name == "Ceramic Mug 11oz White"
        page.screenshot(path=str(tmp_path / "2-saved.png"))

        # convert the row to a bundle: one component at 100 %; make it 60 + 39.99
        page.get_by_role("button", name="Convert to bundle item").click()
        page.get_by_text("Bundle NEW-THING").wait_for()
        wait_idle(page)
        page.screenshot(path=str(tmp_path / "3-bundle.png"))
        editor = _grid(page, 1)
        assert _cell_text(page, editor, 0, 1) == "Ceramic Mug 11oz White"
        _edit_cell(page, editor, 0, 2, "60", marker=True)
        wait_idle(page)
        editor.hover()
        page.get_by_role("button", name="Add row").click()
        page.wait_for_timeout(300)
        page.keyboard.press("Escape")
        wait_idle(page)
        _edit_cell(page, editor, 1, 0, "Ceramic Mug 11oz Black", marker=True)
        wait_idle(page)
        _edit_cell(page, editor, 1, 1, "2", marker=True)
        wait_idle(page)
        _edit_cell(page, editor, 1, 2, "39.99", marker=True)
        wait_idle(page)
        page.get_by_text("Sum of percentages: 99.99 %").wait_for()
        page.get_by_role("button", name="Save bundle").click()
        page.get_by_text("The bundle was not saved.").wait_for()
        wait_idle(page)
        page.screenshot(path=str(tmp_path / "3-bundle-refused.png"))
        assert load_mappings(db, integration)["NEW-THING"].type is MappingType.ITEM  # nothing stored

        editor = _grid(page, 1)
        _edit_cell(page, editor, 1, 2, "40", marker=True)
        wait_idle(page)
        page.get_by_text("Sum of percentages: 100 %").wait_for()
        page.get_by_role("button", name="Save bundle").click()
        page.get_by_text("Saved bundle NEW-THING.").first.wait_for()
        wait_idle(page)
        bundle = load_mappings(db, integration)["NEW-THING"]
        assert bundle.type is MappingType.BUNDLE
        assert [(c.item.name, str(c.qty), str(c.percent)) for c in bundle.components] == [
            ("Ceramic Mug 11oz White", "1", "60"), ("Ceramic Mug 11oz Black", "2", "40")]
        page.screenshot(path=str(tmp_path / "4-bundle-saved.png"))

        # the other parts of the tab are drawn: Excel, create items, history
        with page.expect_download() as download:
            page.get_by_role("button", name="Download Excel").click()
        assert download.value.suggested_filename == "Demo_Company-Amazon_US-mappings.xlsx"
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert book.sheetnames[:3] == ["Mappings", "Bundles", "Items"]
        bundle_rows = [r for r in book["Bundles"].iter_rows(min_row=2, values_only=True) if r[0] == "NEW-THING"]
        assert [(r[1], str(r[2]), str(r[3])) for r in bundle_rows] == [
            ("Ceramic Mug 11oz White", "1", "60"), ("Ceramic Mug 11oz Black", "2", "40")]
        page.get_by_text("History of mapping changes").click()
        page.get_by_text("Create items in QuickBooks from unmapped SKUs").click()
        page.get_by_text("Upload an edited mapping workbook").click()
        wait_idle(page)
        page.locator("[data-testid=\"stMultiSelect\"]").first.click()
        page.keyboard.type("GIFT-SET")
        page.get_by_role("option", name="GIFT-SET-1 · Mug and tote gift set").click()
        page.keyboard.press("Escape")
        wait_idle(page)
        page.get_by_role("button", name="Create 1 item(s) and map them").wait_for()
        page.get_by_text("History of mapping changes").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "5-expanders.png"))
        assert len(list_history(db, integration)) == 2

        # create GIFT-SET-1's item in QuickBooks from the form: mapped at once
        page.get_by_role("button", name="Create 1 item(s) and map them").click()
        page.get_by_text("Created 1 item(s) in QuickBooks and mapped them: Mug and tote gift set.").first.wait_for()
        wait_idle(page)
        created = load_mappings(db, integration)["GIFT-SET-1"]
        assert created.item is not None and created.item.name == "Mug and tote gift set"
        assert page.locator('[data-testid="stMetricValue"]').nth(1).inner_text() == "2"  # Mapped
        page.screenshot(path=str(tmp_path / "6-created.png"))
        db.engine.dispose()
