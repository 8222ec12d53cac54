"""The Settlements page through AppTest (from ``app.py``), and the pure frames it renders.

AppTest cannot drive ``st.file_uploader``; the import path is the same service call the page
makes (:func:`services.importing.import_files`), and the upload itself is driven in a real
browser by ``test_browser_journey.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.settlement_view import money_frame, period_text, settlements_frame, skus_frame, unmapped_frame
from services import importing
from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION
from services.records import Channel, SettlementInfo, SettlementStatus
from services.storage import Database, open_database
from services.storage import clients as clients_repo
from tests.settlement_factory import amazon_v2_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Demo Company's books for these tests (not the developer's under data/)."""
    from services.qbo.demo import stop_demo

    path = tmp_path_factory.mktemp("demo-books")
    yield path
    stop_demo(path)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_books: Path) -> Iterator[Database]:
    """The database the app will open (DATABASE_URL), with the Demo Company already in it."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SETTLEBRIDGE_DEMO_DATA", str(demo_books))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()  # the app caches its engine per process; each test has its own file
    db = open_database(url)
    from services.qbo.demo import ensure_demo

    ensure_demo(db)
    yield db
    st.cache_resource.clear()
    db.engine.dispose()


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _frames(at: AppTest, column: str) -> list[pd.DataFrame]:
    """The dataframes on screen that have ``column`` (AppTest does not expose a dataframe's key)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def _demo(db: Database) -> tuple[object, object]:
    client = clients_repo.get_client(db, DEMO_CLIENT)
    return client, clients_repo.get_integration(db, client, DEMO_INTEGRATION)


def test_page__empty_integration_says_so(app_db: Database) -> None:
    at = _app()
    assert at.title[0].value == "Settlements"
    assert any("No settlement imported for this integration yet." in c.value for c in at.caption)
    assert at.button(key="FormSubmitter:set_upload-Import") is not None
    assert at.checkbox(key="set_replace").value is False


def test_page__lists_imported_settlements_and_shows_one(app_db: Database) -> None:
    client, integration = _demo(app_db)
    outcome = importing.import_files(app_db, client, integration,  # type: ignore[arg-type]
                                     [("march.txt", amazon_v2_file())], who="alice")
    assert outcome.status == "ok"
    at = _app()
    listing = _frames(at, "Settlement")[0]
    assert list(listing["Settlement"]) == ["24688812345"]
    assert list(listing["Status"]) == ["Ready to post"] and list(listing["Total"]) == ["53.17 USD"]
    assert listing["Imported"][0].endswith(" UTC by alice") and list(listing["Rows"]) == ["15"]

    assert at.selectbox(key="set_show").value is None and at.metric.len == 0
    assert at.selectbox(key="set_show").options == ["24688812345 · 1–15 Mar 2026 · 53.17 USD"]
    at.selectbox(key="set_show").select_index(0).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Total paid out": "53.17 USD", "Orders": "3", "Refunds": "1",
                       "Marketplace fees": "-79.83 USD"}
    assert any(m.value.startswith("**Period** 1–15 Mar 2026 &nbsp;·&nbsp; **Deposit date** 17 Mar 2026")
               for m in at.markdown)
    skus = _frames(at, "SKU")[0]
    assert list(skus["SKU"]) == ["BOTTLE-STEEL", "MUG-BLUE", "TEA-GREEN-100"]
    assert list(skus["Units refunded"]) == [0, 1, 0]
    money = _frames(at, "Kind")[0]
    amounts = dict(zip(money["Kind"], money["Amount"], strict=True))
    assert amounts["Fees: subscription"] == "-39.99" and amounts["Total of the rows"] == "53.17"


def test_page__renders_an_upload_outcome_with_problems_in_words(app_db: Database) -> None:
    client, integration = _demo(app_db)
    importing.import_files(app_db, client, integration, [("march.txt", amazon_v2_file())],  # type: ignore[arg-type]
                           who="alice")
    outcome = importing.import_files(app_db, client, integration, [  # type: ignore[arg-type]
        ("march again.txt", amazon_v2_file()), ("wrong.txt", amazon_v2_file("999", total="1.00")),
        ("notes.txt", b"just some notes\n")], who="bob")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["set_last"] = (integration.id, outcome)  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Last upload", "Imported settlements"]
    warnings = [w.value for w in at.warning]
    errors = [e.value for e in at.error]
    [duplicate] = [w for w in warnings if w.startswith("**Settlement 24688812345** — already imported")]
    assert "File 'march again.txt' was already imported as 'march.txt' on " in duplicate
    assert "**Settlement 999** — not imported; nothing of it was stored." in errors
    assert "**notes.txt** — not imported; nothing of it was stored." in errors
    problems = "\n".join(errors)
    assert "- wrong.txt, row 2: the rows sum to 53.17 but the report states total-amount 1.00" in problems
    assert "- notes.txt: this is not an Amazon settlement flat file" in problems
    assert "nothing of it was stored. Fix the problems" not in problems  # the banner says it once
    assert list(_frames(at, "Settlement")[0]["Settlement"]) == ["24688812345"]


def test_page__client_without_integration_says_where_to_add_one(app_db: Database) -> None:
    clients_repo.add_client(app_db, "Empty Co", kind="sandbox")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["client_name"] = "Empty Co"  # as the sidebar picker leaves it
    at.run()
    assert not at.exception
    assert any("first add an integration (a sales channel) for Empty Co on the Connections page" in i.value
               for i in at.info)


# --- the pure frames ---------------------------------------------------------------------------


def _info(settlement_id: str, status: SettlementStatus, total: str) -> SettlementInfo:
    return SettlementInfo(
        id=1, integration_id=1, settlement_id=settlement_id, channel=Channel.AMAZON, format="amazon_v2",
        marketplace="Amazon.com", currency="USD", start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 15),
        deposit_date=dt.date(2026, 3, 17), total=Decimal(total), stated_total=None, lines_total=Decimal(total),
        row_count=3, status=status, source_files=("a.txt", "b.csv"),
        created_at=dt.datetime(2026, 3, 18, 9, 5), created_by="alice")


def test_settlements_frame__words_and_exact_money() -> None:
    frame = settlements_frame([_info("1", SettlementStatus.MAPPING_NOT_FOUND, "1234567.89"),
                               _info("2", SettlementStatus.POSTED_WITH_ERRORS, "-0.01")])
    assert frame.to_dict("records")[0] == {
        "Settlement": "1", "Status": "Mapping not found", "Period": "1–15 Mar 2026",
        "Deposit date": dt.date(2026, 3, 17), "Total": "1,234,567.89 USD", "Rows": "3",
        "Files": "a.txt, b.csv", "Imported": "18 Mar 2026 09:05 UTC by alice"}
    assert list(frame["Status"]) == ["Mapping not found", "Posted with errors"]
    assert list(frame["Total"]) == ["1,234,567.89 USD", "-0.01 USD"]
    big = settlements_frame([dataclasses.replace(_info("3", SettlementStatus.IMPORTED, "5"), row_count=1_000_000,
                                                 created_at=None, created_by="")])
    assert (big["Rows"][0], big["Imported"][0]) == ("1,000,000", "")
    assert list(settlements_frame([]).columns)[:3] == ["Settlement", "Status", "Period"]


def test_skus_frame__most_sold_first() -> None:
    frame = skus_frame({"skus": {"A": {"sold": 1, "refunded": 1, "title": "Mug"},
                                 "B": {"sold": 5, "refunded": 0, "title": ""}}})
    assert frame.to_dict("records") == [
        {"SKU": "B", "Title": "", "Units sold": 5, "Units refunded": 0, "Net units": 5},
        {"SKU": "A", "Title": "Mug", "Units sold": 1, "Units refunded": 1, "Net units": 0}]
    untitled = skus_frame({"skus": {"A": {"sold": 2, "refunded": 0, "title": ""}}})
    assert list(untitled.columns) == ["SKU", "Units sold", "Units refunded", "Net units"]
    assert skus_frame({"skus": {}}).empty


PERIOD_CASES = [
    ("2026-03-01", "2026-03-15", "1–15 Mar 2026"),
    ("2026-02-28", "2026-03-13", "28 Feb – 13 Mar 2026"),
    ("2025-12-20", "2026-01-03", "20 Dec 2025 – 3 Jan 2026"),
]


@pytest.mark.parametrize(("start", "end", "expected"), PERIOD_CASES)
def test_period_text__as_people_write_it(start: str, end: str, expected: str) -> None:
    assert period_text({"start": start, "end": end}) == expected


def test_money_frame__signs_and_text() -> None:
    frame = money_frame({"by_category": {"product_sale": "1000.00", "fee:commission": "-150.25"}})
    assert frame[["Kind", "Amount", "Direction"]].to_dict("records") == [
        {"Kind": "Product sales", "Amount": "1,000.00", "Direction": "Money in"},
        {"Kind": "Fees: commission", "Amount": "-150.25", "Direction": "Money out"}]


def test_page__stored_but_needs_mappings_says_what_to_do(app_db: Database) -> None:
    from services.importing import ImportOutcome, SettlementImport

    client, integration = _demo(app_db)
    outcome = importing.import_files(app_db, client, integration,  # type: ignore[arg-type]
                                     [("march.txt", amazon_v2_file())], who="alice")
    waiting = ImportOutcome((dataclasses.replace(outcome.settlements[0], status="mapping_not_found"),
                             SettlementImport("555", "ready", True, outcome.settlements[0].summary)))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["set_last"] = (integration.id, waiting)  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    assert any(w.value.startswith("**Settlement 24688812345** — imported, but some SKUs are not mapped")
               for w in at.warning)
    assert [s.value for s in at.success] == ["**Settlement 555** — imported; its documents are ready to preview."]


def test_page__demo_company_offers_a_sample_settlement_and_imports_it(app_db: Database) -> None:
    from services.settlements.demo import BUNDLE_SKU, NEW_SKU, SETTLEMENT_ID, demo_settlement

    at = _app()
    [offer] = [e for e in at.expander if e.label == "Try it with a sample settlement"]
    text = "\n".join(m.value for m in offer.markdown)
    assert NEW_SKU in text and BUNDLE_SKU in text and "Enable Inventory Tracking" in text  # tracking is off
    assert at.get("download_button")[0].proto.label == "Download the sample settlement"
    at.button(key="set_sample_import").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"**Settlement {SETTLEMENT_ID}** — imported; its documents are "
                                             "ready to preview."]
    listing = _frames(at, "Settlement")[0]
    assert list(listing["Settlement"]) == [SETTLEMENT_ID] and list(listing["Status"]) == ["Ready to post"]
    total = importing.import_files(app_db, *_demo(app_db), [demo_settlement()],  # type: ignore[arg-type]
                                   who="again").settlements[0]
    assert total.status == importing.DUPLICATE  # the same file once more is refused, nothing changed


def test_page__sample_offer_with_tracking_on_names_the_journey(app_db: Database) -> None:
    from services.settlements.demo import BUNDLE_SKU, DEMO_SKUS, NEW_SKU, SETTLEMENT_ID

    _client, integration = _demo(app_db)
    clients_repo.update_integration(app_db, integration, inventory_tracking=True)  # type: ignore[arg-type]
    at = _app()
    [offer] = [e for e in at.expander if e.label == "Try it with a sample settlement"]
    text = "\n".join(m.value for m in offer.markdown)
    assert "*mapping not found*" in text and "convert `GIFT-MUG-DUO` to a bundle" in text
    assert "**Retry import** (History), **Preview**, **Post** and **Verify**" in text

    at.button(key="set_sample_import").click().run()
    assert not at.exception
    [banner] = [w.value for w in at.warning]
    assert banner.startswith(f"**Settlement {SETTLEMENT_ID}** — imported, but 12 SKUs are not mapped to QuickBooks "
                             "items yet, so nothing can be posted")
    unmapped = _frames(at, "Why")[0]
    assert sorted(unmapped["SKU"]) == sorted({*DEMO_SKUS, NEW_SKU, BUNDLE_SKU})
    gift = unmapped[unmapped["SKU"] == BUNDLE_SKU].iloc[0]
    assert (gift["Units"], gift["First date"], gift["Why"]) == ("6", "5 Mar 2026", "Not mapped")
    assert not [e.value for e in at.error]  # the table says it; no sentence repeating the list
    assert list(_frames(at, "Settlement")[0]["Status"]) == ["Mapping not found"]


def test_unmapped_frame__units_dates_and_titles_only_when_known() -> None:
    frame = unmapped_frame([{"sku": "A", "title": "", "quantity": 1234, "first_date": "2026-03-02",
                             "last_date": "2026-03-14", "reason": "not mapped"},
                            {"sku": "B", "title": "", "quantity": None, "reason": "item inactive"}])
    assert frame.to_dict("records") == [
        {"SKU": "A", "Units": "1,234", "First date": "2 Mar 2026", "Last date": "14 Mar 2026", "Why": "Not mapped"},
        {"SKU": "B", "Units": "0", "First date": "", "Last date": "", "Why": "Item inactive"}]
    titled = unmapped_frame([{"sku": "A", "title": "Mug", "quantity": 1}])
    assert list(titled.columns)[:2] == ["SKU", "Title"]


def test_page__no_sample_offer_for_a_client_on_real_quickbooks(app_db: Database) -> None:
    client = clients_repo.add_client(app_db, "Real Books", kind="oauth", realm_id="123")
    clients_repo.add_integration(app_db, client, "Amazon US", Channel.AMAZON)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["client_name"] = "Real Books"
    at.session_state["integration_name"] = "Amazon US"
    at.run()
    assert not at.exception
    assert not [e for e in at.expander if e.label == "Try it with a sample settlement"]
