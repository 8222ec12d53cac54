"""The Settings tab of "Settings and Mappings" through AppTest (from ``app.py``) on the Demo Company."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from services import routing
from services.qbo.demo import DEMO_CLIENT, DEMO_INTEGRATION, ensure_demo, stop_demo
from services.records import Grouping
from services.storage import Database, open_database
from services.storage import clients as repo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    demo = tmp_path / "demo"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SETTLEBRIDGE_DEMO_DATA", str(demo))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    db = open_database(url)
    ensure_demo(db)
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()
    db.engine.dispose()
    stop_demo(demo)


def _integration(db: Database):
    return repo.get_integration(db, repo.get_client(db, DEMO_CLIENT), DEMO_INTEGRATION)


def _tab() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("app_pages/settings_and_mappings.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.success, at.error, at.warning, at.info, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def test_tab__enable_tracking_defaults_and_save(app_db: Database) -> None:
    at = _tab()
    assert "Inventory tracking is **off**" in _texts(at)
    assert "QuickBooks has no account named **Amazon US Clearing** yet." in _texts(at)

    at.button(key="ints_tracking_on").click().run()
    assert not at.exception
    assert _integration(app_db).inventory_tracking
    assert "Inventory tracking is **on**" in _texts(at)

    at.button(key="ints_defaults").click().run()
    assert not at.exception
    text = _texts(at)
    assert "Created in QuickBooks" in text and "account(s): Amazon US Clearing" in text
    assert "item(s): Gift Wrap" in text  # accounts and items told apart
    # the same session, read again after the click: nothing speaks of what was just created
    assert "no account named **Amazon US Clearing**" not in text
    assert not [w for w in at.warning if "warning(s)" in str(w.value)]
    stored = dict(_integration(app_db).settings)
    assert stored["gift_wrap_item_id"] and stored["clearing_account"] == "Amazon US Clearing"

    at.button(key="ints_defaults").click().run()
    assert "Nothing to create" in _texts(at)

    at = _tab()
    assert "no account named **Amazon US Clearing**" not in _texts(at)
    at.radio(key="ints_grouping").set_value(Grouping.DAY.value)
    at.selectbox(key="ints_fee_storage_account").set_value("Storage Fees")
    at.button(key="FormSubmitter:ints_form-Save settings").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Settings saved." in _texts(at)
    integ = _integration(app_db)
    assert integ.grouping is Grouping.DAY
    assert routing.routing_for(integ).account(routing.Category.FEE, routing.FeeKind.STORAGE) == "Storage Fees"


def test_tab__tracking_refused_says_what_to_change(app_db: Database) -> None:
    repo.set_workspace_setting(app_db, "plan", "Starter")
    at = _tab()
    at.button(key="ints_tracking_on").click().run()
    assert not _integration(app_db).inventory_tracking
    text = _texts(at)
    assert "Inventory tracking cannot be enabled yet" in text and "Professional" in text


def test_tab__tracking_refused_while_qbo_preferences_are_off(app_db: Database) -> None:
    from services.qbo.gateway import QboGateway

    client = repo.get_client(app_db, DEMO_CLIENT)
    g = QboGateway.for_client(app_db, client)
    prefs = g.preferences()
    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityWithPriceAndRate": False}})
    at = _tab()
    at.button(key="ints_tracking_on").click().run()
    assert not at.exception
    assert not _integration(app_db).inventory_tracking
    text = _texts(at)
    assert "Inventory tracking cannot be enabled yet" in text
    assert 'QuickBooks → Settings → Account and Settings → Sales → "Track quantity and price/rate"' in text
    assert '"Track quantity and price/rate" is off' in text

    g.update("Preferences", {"Id": prefs["Id"], "SyncToken": g.preferences()["SyncToken"], "sparse": True,
                             "ProductAndServicesPrefs": {"QuantityWithPriceAndRate": True}})
    at.button(key="ints_tracking_on").click().run()
    assert _integration(app_db).inventory_tracking
    assert "Inventory tracking is **on**" in _texts(at)


def test_tab__creates_the_clearing_account(app_db: Database) -> None:
    at = _tab()
    at.button(key="ints_create_clearing").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "no account named **Amazon US Clearing**" not in _texts(at)
    accounts, _ = routing.qbo_lists(app_db, repo.get_client(app_db, DEMO_CLIENT))
    clearing = [a for a in accounts if a.name == "Amazon US Clearing"]
    assert len(clearing) == 1 and clearing[0].account_type == "Bank"


def test_tab__quickbooks_refusing_is_said_in_words(app_db: Database) -> None:
    at = _tab()
    client = repo.get_client(app_db, DEMO_CLIENT)
    repo.update_client(app_db, client.id, realm_id="4620816365000000000")
    st.cache_data.clear()
    at.run()  # QuickBooks now answers 403 (another company)
    assert not at.exception, [e.message for e in at.exception]
    assert "QuickBooks could not be read" in _texts(at)
    at.button(key="ints_tracking_on").click().run()
    assert not at.exception and not _integration(app_db).inventory_tracking
    at.button(key="ints_defaults").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Created in QuickBooks" not in _texts(at)
    assert any("QuickBooks refused" in str(e.value) and "reconnect" in str(e.value) for e in at.error)
