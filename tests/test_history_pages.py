"""The Post, Verify and History pages through AppTest (from ``app.py``) against the local sandbox,
and the pure frames they render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.report_view import (
    checks_frame,
    events_frame,
    exception_lines,
    failure_lines,
    history_frame,
    outcomes_frame,
    progress_text,
    readable,
)
from services import importing
from services.pipeline import prepare
from services.qbo.posting import DocOutcome, Progress
from services.records import Channel, SettlementEvent, SettlementStatus
from services.routing import create_defaults
from services.storage import Database, open_database
from services.storage import clients as clients_repo
from services.storage import settlements as settlements_repo
from services.verify import Check, VerifyReport, to_excel
from tests.settlement_factory import amazon_v2_file

ROOT = Path(__file__).resolve().parents[1]
SID = "24688812345"


# --- pure frames ------------------------------------------------------------------------------------


def test_outcomes_frame__words_link_and_what_to_do() -> None:
    frame = outcomes_frame([
        DocOutcome("k1", "SalesReceipt", "S-1", dt.date(2026, 3, 1), Decimal("10.00"), "posted", "42", "http://x"),
        DocOutcome("k2", "Purchase", "F-1", dt.date(2026, 3, 1), Decimal("2.00"), "failed", error="refused",
                   what_to_do="fix it")])
    assert list(frame["Outcome"]) == ["Posted", "Failed"]
    assert list(frame["Total"]) == ["10.00", "2.00"]
    assert frame.loc[1, "What to do"] == "fix it" and frame.loc[0, "QBO Id"] == "42"


def test_failure_lines__refused_documents_in_full() -> None:
    outcomes = [DocOutcome("k1", "SalesReceipt", "S-1", None, Decimal("1234.50"), "failed",
                           error="Object Not Found: the item *Product* is inactive", what_to_do="Reactivate it."),
                DocOutcome("k2", "Deposit", "D-1", None, Decimal("3.60"), "posted", "7")]
    assert failure_lines(outcomes) == [r"- **SalesReceipt S-1** (1,234.50): Object Not Found: the item \*Product\* "
                                       r"is inactive **What to do:** Reactivate it."]
    many = [DocOutcome(f"k{n}", "Purchase", "", None, Decimal(1), "failed", error="no") for n in range(12)]
    assert len(failure_lines(many)) == 11 and "2 more" in failure_lines(many)[-1]


def test_outcomes_frame__totals_with_thousands_separators() -> None:
    frame = outcomes_frame([DocOutcome("k", "Deposit", "D-1", dt.date(2026, 3, 1), Decimal("1234567.8"), "posted")])
    assert list(frame["Total"]) == ["1,234,567.80"]


@pytest.mark.parametrize(("text", "shown"), [
    ("1234.50", "1,234.50"),
    ("-30.70", "-30.70"),
    ("moved by -1234567.89", "moved by -1,234,567.89"),
    ("531 (moved by -1)", "531 (moved by -1)"),  # quantities are not money
    ("5 lines on the planned items", "5 lines on the planned items"),
    ("not measured", "not measured"),
])
def test_readable__amounts_get_thousands_separators(text: str, shown: str) -> None:
    assert readable(text) == shown


def test_events_frame__status_in_words() -> None:
    events = [SettlementEvent("S", dt.datetime(2026, 3, 1, 9), "ana", "imported", "status mapping_not_found")]
    row = events_frame(events).iloc[0]
    assert (row["What"], row["Detail"]) == ("Imported", "status: mapping not found")


@pytest.mark.parametrize(("progress", "text"), [
    (Progress(12, 90, 24.0, 3.2), "12 of 90 documents · 24.0 a second · about 3 s left"),
    (Progress(0, 3000, 0.0, None), "0 of 3,000 documents · sending…"),
    (Progress(4, 4, 0.0, None), "4 of 4 documents · 0.0 a second"),
])
def test_progress_text__done_total_rate_time_left(progress: Progress, text: str) -> None:
    assert progress_text(progress) == text


def test_checks_frame_and_excel__failures_first() -> None:
    report = VerifyReport((Check("a", True, "1", "1"), Check("b", False, "2", "3", "why")))
    assert list(checks_frame(report)["Check"]) == ["b", "a"]
    import io

    wb = openpyxl.load_workbook(io.BytesIO(to_excel(report, settlement_id="S1")))
    rows = list(wb["Checks"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Result", "Check", "Expected", "Actual")
    assert rows[1][:5] == ("FAIL", "b", "2", "3", "why") and rows[2][0] == "pass"
    assert wb["Summary"]["B1"].value == "S1"


def test_excel__amounts_are_numbers_with_separators() -> None:
    import io

    report = VerifyReport((Check("Tie-out to the settlement total", True, "1234.50", "-1234.50"),
                           Check("Quantity on hand: Mug", True, "99 (moved by -1)", "99 (moved by -1)")))
    ws = openpyxl.load_workbook(io.BytesIO(to_excel(report, settlement_id="S1")))["Checks"]
    assert (ws["C2"].value, ws["D2"].value, ws["C2"].number_format) == (1234.5, -1234.5, "#,##0.00")
    assert ws["C3"].value == "99 (moved by -1)"


def test_exception_lines__failing_checks_in_words_markdown_escaped() -> None:
    report = VerifyReport((Check("a", True, "1", "1"), Check("Purchase F-1: total", False, "3.10", "4.10",
                                                             "edited *after* posting")))
    assert exception_lines(report) == [
        r"- **Purchase F-1: total**: expected 3.10, QuickBooks has 4.10. edited \*after\* posting"]
    tie = VerifyReport((Check("Tie-out", False, "53.17", "-946.83", "differ by -1000.00"),))
    assert exception_lines(tie) == [r"- **Tie-out**: expected 53.17, QuickBooks has -946.83. differ by -1,000.00"]
    many = VerifyReport(tuple(Check(f"c{n}", False, "1", "2") for n in range(25)))
    assert len(exception_lines(many)) == 21 and "5 more" in exception_lines(many)[-1]


def test_events_frame__newest_first() -> None:
    events = [SettlementEvent("S", dt.datetime(2026, 3, 1, 9), "ana", "Imported"),
              SettlementEvent("S", dt.datetime(2026, 3, 2, 9), "bo", "Posted")]
    assert list(events_frame(events)["Who"]) == ["bo", "ana"]
    assert list(history_frame([]).columns)[:2] == ["Settlement", "Status"]


# --- the pages ----------------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Any) -> Iterator[tuple[Database, Any, Any]]:
    """The app's database with a client on ``sandbox`` and a settlement ready to post (tracking off)."""
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SETTLEBRIDGE_DEMO_DATA", str(tmp_path / "demo"))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    db = open_database(url)
    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id=sandbox.realm, sandbox_url=sandbox.url,
                                     company_name="Demo Company", plan="QuickBooks Online Plus")
    integration = clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    integration, _ = create_defaults(db, client, integration)
    outcome = importing.import_files(db, client, integration, [("march.txt", amazon_v2_file(SID))], who="alice")
    assert outcome.status == "ok"
    if settlements_repo.get_settlement_info(db, integration, SID).status is not SettlementStatus.READY:
        prepare(db, client, integration, SID, who="alice")  # Retry import
    assert settlements_repo.get_settlement_info(db, integration, SID).status is SettlementStatus.READY
    yield db, client, integration
    st.cache_resource.clear()
    db.engine.dispose()


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _status(db: Database, integration: Any) -> SettlementStatus:
    return settlements_repo.get_settlement_info(db, integration, SID).status


def test_pages__post_verify_then_undo_from_history(app: tuple[Database, Any, Any]) -> None:
    db, _, integration = app
    at = _page("app_pages/post.py")
    assert at.title[0].value == "Post"
    assert [m.value for m in at.metric][1:] == ["53.17 USD", "0.00 USD"]  # settlement total, tie-out difference
    at.button(key="post_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Created in QuickBooks"]) > 0 and metrics["Failed"] == "0"
    assert any("exactly once" in s.value for s in at.success)
    assert _status(db, integration) is SettlementStatus.POSTED

    at.switch_page("app_pages/verify.py").run()
    at.button(key="ver_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("checks pass" in s.value for s in at.success), [e.value for e in at.error]
    assert _status(db, integration) is SettlementStatus.VERIFIED

    at.switch_page("app_pages/history.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["Verified"]
    events = at.dataframe[-1].value
    assert {"Posting started", "Verified: all checks pass"} <= set(events["What"])
    assert at.button(key="his_undo").disabled
    at.checkbox(key="his_undo_sure").check().run()
    at.button(key="his_undo").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _status(db, integration) is SettlementStatus.READY
    assert list(at.dataframe[0].value["Status"]) == ["Ready"]


def test_pages__post_page_refuses_mapping_not_found(app: tuple[Database, Any, Any]) -> None:
    db, _, integration = app
    settlements_repo.set_status(db, integration, SID, SettlementStatus.MAPPING_NOT_FOUND, {"unmapped": []})
    at = _page("app_pages/post.py")
    assert any("Mapping not found" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "post_go"]


def test_post_settlement__refused_credentials_leave_it_failed_with_the_reason(app: tuple[Database, Any, Any],
                                                                               sandbox: Any) -> None:
    from services.errors import QboAuthError
    from services.qbo.gateway import QboGateway
    from services.qbo.posting import post_settlement

    db, client, integration = app
    no_token = QboGateway(api_base=sandbox.url, realm=sandbox.realm, access_token=" ", sandbox=True)
    with pytest.raises(QboAuthError):
        post_settlement(db, client, integration, SID, who="ana", gateway=no_token)
    info = settlements_repo.get_settlement_info(db, integration, SID)
    assert info.status is SettlementStatus.FAILED and "stopped" in info.status_detail
    whats = [e.what for e in settlements_repo.list_events(db, integration, SID)]
    assert whats[-2:] == ["Posting started", whats[-1]] and whats[-1].startswith("Posting stopped: ")
    report = post_settlement(db, client, integration, SID, who="ana")  # reconnected: it resumes
    assert report.all_posted and len(report.created) > 0
    assert settlements_repo.get_settlement_info(db, integration, SID).status is SettlementStatus.POSTED


def test_post_command__told_when_someone_else_is_posting(app: tuple[Database, Any, Any],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from services.cli import main
    from services.qbo.posting import owner_id
    from services.storage import postings as store

    db, client, integration = app
    scope = store.scope_of(client.id, integration.id, SID)
    assert store.try_claim(db, scope, owner_id(), "ana (on the Post page)", 60)[0]
    code = main(["--db", db.url, "post", "Acme", "Amazon US", SID, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["status"] == "posting_in_progress" and out["kind"] == "PostingInProgress"
    assert out["error"].startswith("ana (on the Post page) started posting this settlement")
    assert _status(db, integration) is SettlementStatus.READY  # nothing changed


def test_pages__history_retry_import_then_post(app: tuple[Database, Any, Any]) -> None:
    db, _, integration = app
    settlements_repo.set_status(db, integration, SID, SettlementStatus.MAPPING_NOT_FOUND, {"unmapped": []})
    at = _page("app_pages/history.py")
    assert at.button(key="his_post").disabled and not at.button(key="his_retry").disabled
    assert any("then Retry import" in m.value for m in at.markdown)
    at.button(key="his_retry").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _status(db, integration) is SettlementStatus.READY  # mapped now (tracking is off)
    assert not at.button(key="his_post").disabled
    at.button(key="his_post").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _status(db, integration) is SettlementStatus.POSTED
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Created in QuickBooks"]) > 0 and metrics["Failed"] == "0"
    assert any("Verify page" in m.value for m in at.markdown)  # what to do next
    whats = [e.what for e in settlements_repo.list_events(db, integration, SID)]
    assert "Posting started" in whats and whats[-1].startswith("Posted: ")


def test_pages__post_page_says_what_quickbooks_refused_and_posting_again_sends_only_that(
        app: tuple[Database, Any, Any], qb_client: Any) -> None:
    from quickbooks.objects.item import Item

    db, _, integration = app
    product = Item.filter(Name="Product", qb=qb_client)[0]
    product.Active = False  # someone makes the generic item inactive in QuickBooks
    product.save(qb=qb_client)
    at = _page("app_pages/post.py")
    at.button(key="post_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _status(db, integration) is SettlementStatus.POSTED_WITH_ERRORS
    refused = " ".join(e.value for e in at.error)
    assert "refused by QuickBooks" in refused and "press Post again" in refused
    table = at.dataframe[0].value
    failed = table[table["Outcome"] == "Failed"]
    assert len(failed) >= 1 and "inactive" in failed.iloc[0]["Problem"].lower()
    assert "reactivate" in failed.iloc[0]["What to do"]
    created = int({m.label: m.value for m in at.metric}["Created in QuickBooks"])

    product = Item.get(product.Id, qb=qb_client)
    product.Active = True
    product.save(qb=qb_client)
    at.button(key="post_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert (int(metrics["Created in QuickBooks"]), int(metrics["Already posted"])) == (len(failed), created)
    assert _status(db, integration) is SettlementStatus.POSTED


def test_pages__post_page_tells_the_second_person_and_posts_nothing(app: tuple[Database, Any, Any]) -> None:
    from services.qbo.posting import owner_id
    from services.storage import postings as store

    db, client, integration = app
    scope = store.scope_of(client.id, integration.id, SID)
    assert store.try_claim(db, scope, owner_id(), "ana (on the Post page)", 60)[0]
    at = _page("app_pages/post.py")
    at.button(key="post_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    told = " ".join(e.value for e in at.error)
    assert "ana (on the Post page) started posting this settlement" in told, told
    assert _status(db, integration) is SettlementStatus.READY
    assert store.list_postings(db, client.id, integration.id, SID) == [] or all(
        p.state is store.PostState.PLANNED for p in store.list_postings(db, client.id, integration.id, SID))
