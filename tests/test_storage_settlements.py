"""Stored settlements: exact round trip, duplicates, replacement, all-or-nothing, status and events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from services.errors import ConcurrentEdit, DuplicateSettlement, NotFound
from services.records import Channel, Integration, SettlementRows, SettlementStatus
from services.storage import Database
from services.storage import clients as clients_repo
from services.storage import settlements as repo
from tests.settlement_factory import make_settlement, many_rows, sample_rows

FILES = [("s.txt", "a" * 64)]


@pytest.fixture
def integration(db: Database) -> Integration:
    client = clients_repo.add_client(db, "Acme Books", kind="sandbox", realm_id="9130")
    return clients_repo.add_integration(db, client, "Amazon CA", Channel.AMAZON)


def test_round_trip__exact_to_the_cent(db: Database, integration: Integration) -> None:
    settlement = make_settlement()
    info = repo.save_settlement(db, integration, settlement, FILES, who="alice")
    loaded = repo.load_settlement(db, integration, settlement.settlement_id)
    assert loaded == settlement
    assert [str(r.amount) for r in loaded.rows] == [str(r.amount) for r in settlement.rows]
    assert [str(r.amount) for r in loaded.rows][3:6] == ["-0.01", "1234567.89", "-99999999.99"]
    assert info.status is SettlementStatus.IMPORTED
    assert (str(info.total), str(info.stated_total), str(info.lines_total)) == (
        str(settlement.total), str(settlement.stated_total), str(settlement.lines_total))
    assert info.row_count == 7 and info.created_by == "alice" and info.version == 1


def test_round_trip__no_stated_total_and_no_rows(db: Database, integration: Integration) -> None:
    settlement = make_settlement("EMPTY-1", rows=(), stated=False)
    repo.save_settlement(db, integration, settlement, FILES)
    loaded = repo.load_settlement(db, integration, "EMPTY-1")
    assert loaded == settlement and loaded.stated_total is None and str(loaded.total) == "0.00"


def test_round_trip__many_rows_cross_chunks(db: Database, integration: Integration) -> None:
    rows = many_rows(2 * repo.CHUNK + 17)
    settlement = make_settlement("BIG-1", rows=rows)
    repo.save_settlement(db, integration, settlement, [("big.txt", "b" * 64)])
    loaded = repo.load_settlement(db, integration, "BIG-1")
    assert tuple(loaded.rows) == rows and loaded.rows == settlement.rows
    assert repo.get_settlement_info(db, integration, "BIG-1").lines_total == settlement.lines_total


def test_save__same_id_is_refused_naming_when_and_file(db: Database, integration: Integration) -> None:
    repo.save_settlement(db, integration, make_settlement(), FILES, who="alice")
    with pytest.raises(DuplicateSettlement) as caught:
        repo.save_settlement(db, integration, make_settlement(), [("again.txt", "c" * 64)], who="bob")
    message = caught.value.message
    assert message.startswith("Settlement 23874397121 was already imported on ")
    assert "by alice" in message and "'s.txt'" in message and "UTC" in message
    assert repo.list_events(db, integration, "23874397121")[-1].what == "imported"


def test_save__same_id_in_another_integration_is_fine(db: Database, integration: Integration) -> None:
    client = clients_repo.get_client(db, "Acme Books")
    other = clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON)
    repo.save_settlement(db, integration, make_settlement(), FILES)
    repo.save_settlement(db, other, make_settlement(), FILES)
    assert [s.settlement_id for s in repo.list_settlements(db, other)] == ["23874397121"]


REPLACE_CASES = [
    (SettlementStatus.IMPORTED, True),
    (SettlementStatus.MAPPING_NOT_FOUND, True),
    (SettlementStatus.READY, True),
    (SettlementStatus.POSTING, False),
    (SettlementStatus.POSTED, False),
    (SettlementStatus.POSTED_WITH_ERRORS, False),
    (SettlementStatus.VERIFIED, False),
    (SettlementStatus.FAILED, True),  # its documents could not be built: nothing was sent
]


@pytest.mark.parametrize(("status", "allowed"), REPLACE_CASES)
def test_replace__allowed_only_before_posting(sqlite_db: Database, status: SettlementStatus,
                                              allowed: bool) -> None:
    db = sqlite_db
    client = clients_repo.add_client(db, "C", kind="sandbox")
    integration = clients_repo.add_integration(db, client, "Amazon", Channel.AMAZON)
    first = repo.save_settlement(db, integration, make_settlement(), FILES, who="alice")
    repo.set_status(db, integration, first.settlement_id, status)
    corrected_rows = sample_rows()[:3]
    corrected = make_settlement(rows=corrected_rows)
    if allowed:
        info = repo.save_settlement(db, integration, corrected, [("s2.txt", "d" * 64)], who="bob",
                                    replace=True)
        assert info.id == first.id and info.version == 3 and info.status is SettlementStatus.IMPORTED
        assert info.row_count == 3 and info.created_by == "alice"
        assert repo.load_settlement(db, integration, first.settlement_id).rows == SettlementRows.from_rows(corrected_rows)
        assert [e.what for e in repo.list_events(db, integration)] == ["imported", "replaced"]
        assert [f.name for f in repo.find_imported_files(db, integration, ["a" * 64, "d" * 64])] == ["s2.txt"]
    else:
        with pytest.raises(DuplicateSettlement) as caught:
            repo.save_settlement(db, integration, corrected, FILES, replace=True)
        assert f"cannot be replaced: its status is {status.value} (it is being posted or has been posted" \
            in caught.value.message
        assert repo.load_settlement(db, integration, first.settlement_id).rows == SettlementRows.from_rows(sample_rows())


def test_save__a_failure_midway_stores_nothing(db: Database, integration: Integration) -> None:
    rows = list(many_rows(repo.CHUNK + 10))
    rows[repo.CHUNK + 5] = dataclasses.replace(rows[repo.CHUNK + 5], amount=Decimal("1.005"))
    with pytest.raises(ValueError, match="fraction of a cent"):
        repo.save_settlement(db, integration, make_settlement("HALF", rows=tuple(rows)), FILES)
    assert repo.list_settlements(db, integration) == []
    assert repo.find_imported_files(db, integration, ["a" * 64]) == []
    repo.save_settlement(db, integration, make_settlement("HALF", rows=tuple(rows[:10])), FILES)
    assert repo.get_settlement_info(db, integration, "HALF").row_count == 10


def test_replace__a_failure_keeps_the_old_one(sqlite_db: Database) -> None:
    db = sqlite_db
    client = clients_repo.add_client(db, "C", kind="sandbox")
    integration = clients_repo.add_integration(db, client, "Amazon", Channel.AMAZON)
    repo.save_settlement(db, integration, make_settlement(), FILES)
    bad = (dataclasses.replace(sample_rows()[0], amount=Decimal("0.001")),)
    with pytest.raises(ValueError):
        repo.save_settlement(db, integration, make_settlement(rows=bad), FILES, replace=True)
    assert repo.load_settlement(db, integration, "23874397121") == make_settlement()


def test_list_settlements__status_totals_dates_newest_first(db: Database, integration: Integration) -> None:
    older = dataclasses.replace(make_settlement("100"), start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 14))
    repo.save_settlement(db, integration, older, [("old.txt", "e" * 64)])
    repo.save_settlement(db, integration, make_settlement("200"), FILES)
    repo.set_status(db, integration, "100", SettlementStatus.MAPPING_NOT_FOUND, {"unmapped": ["SKU-1"]})
    infos = repo.list_settlements(db, integration)
    assert [(i.settlement_id, i.status, str(i.total), i.end) for i in infos] == [
        ("200", SettlementStatus.IMPORTED, "-98765395.27", dt.date(2026, 3, 15)),
        ("100", SettlementStatus.MAPPING_NOT_FOUND, "-98765395.27", dt.date(2026, 2, 14)),
    ]
    assert infos[1].status_detail == '{"unmapped": ["SKU-1"]}' and infos[1].source_files == ("s.txt",)


def test_set_status__version_check(db: Database, integration: Integration) -> None:
    info = repo.save_settlement(db, integration, make_settlement(), FILES)
    after = repo.set_status(db, integration, info.settlement_id, SettlementStatus.READY, who="bob",
                            event="documents built", expected_version=info.version)
    assert after.version == info.version + 1 and after.status is SettlementStatus.READY
    with pytest.raises(ConcurrentEdit):
        repo.set_status(db, integration, info.settlement_id, SettlementStatus.POSTING,
                        expected_version=info.version)
    with pytest.raises(NotFound):
        repo.set_status(db, integration, "nope", SettlementStatus.READY)
    events = repo.list_events(db, integration, info.settlement_id)
    assert [(e.what, e.who, e.detail) for e in events][1:] == [("documents built", "bob", "status ready")]


def test_events__who_did_what_in_order(db: Database, integration: Integration) -> None:
    repo.save_settlement(db, integration, make_settlement("1"), FILES, who="alice")
    repo.save_settlement(db, integration, make_settlement("2"), [("t.txt", "f" * 64)], who="alice")
    repo.add_event(db, integration, "1", who="bob", what="previewed", detail="3 documents")
    assert [(e.settlement_id, e.who, e.what) for e in repo.list_events(db, integration)] == [
        ("1", "alice", "imported"), ("2", "alice", "imported"), ("1", "bob", "previewed")]
    first = repo.list_events(db, integration, "1")[0]
    assert first.detail == "from s.txt; 7 rows, total -98765395.27 CAD"


def test_find_imported_files__by_sha(db: Database, integration: Integration) -> None:
    repo.save_settlement(db, integration, make_settlement(), FILES, who="alice")
    [seen] = repo.find_imported_files(db, integration, ["a" * 64, "z" * 64])
    assert (seen.name, seen.settlement_id, seen.imported_by) == ("s.txt", "23874397121", "alice")
    message = repo.imported_file_message(seen, "renamed.txt")
    assert message.startswith("File 'renamed.txt' was already imported as 's.txt' on ")
    assert message.endswith("by alice (settlement 23874397121, status imported).")


def test_delete__only_before_posting(db: Database, integration: Integration) -> None:
    repo.save_settlement(db, integration, make_settlement("1"), FILES)
    repo.save_settlement(db, integration, make_settlement("2"), [("t.txt", "f" * 64)])
    repo.set_status(db, integration, "2", SettlementStatus.POSTED)
    repo.delete_settlement(db, integration, "1")
    with pytest.raises(DuplicateSettlement, match="cannot be deleted: its status is posted"):
        repo.delete_settlement(db, integration, "2")
    with pytest.raises(NotFound):
        repo.load_settlement(db, integration, "1")
    assert [s.settlement_id for s in repo.list_settlements(db, integration)] == ["2"]
    assert [e.settlement_id for e in repo.list_events(db, integration)] == ["2"]


def test_save__two_users_at_once_one_wins(db: Database, integration: Integration) -> None:
    import threading

    barrier = threading.Barrier(2)
    results: list[str] = []

    def save(who: str) -> None:
        barrier.wait()
        try:
            repo.save_settlement(db, integration, make_settlement(rows=many_rows(3000)), FILES, who=who)
            results.append("stored")
        except DuplicateSettlement as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=save, args=(who,)) for who in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results, key=len) == ["stored", sorted(results, key=len)[1]]
    assert sorted(results, key=len)[1].startswith("Settlement 23874397121 was already imported on ")
    assert repo.get_settlement_info(db, integration, "23874397121").row_count == 3000


SENT_CASES = [
    (SettlementStatus.FAILED, "sent", False),  # posting stopped after sending: QBO may hold it
    (SettlementStatus.FAILED, "posted", False),
    (SettlementStatus.READY, "posted", False),  # whatever the status says, a posted document wins
    (SettlementStatus.READY, "undone", True),  # undone in QuickBooks: may change again
    (SettlementStatus.FAILED, "planned", True),
]


@pytest.mark.parametrize(("status", "state", "allowed"), SENT_CASES)
def test_replace__refused_while_quickbooks_holds_a_document(sqlite_db: Database, status: SettlementStatus,
                                                            state: str, allowed: bool) -> None:
    from services.storage import postings

    db = sqlite_db
    client = clients_repo.add_client(db, "C", kind="sandbox")
    integration = clients_repo.add_integration(db, client, "Amazon", Channel.AMAZON)
    repo.save_settlement(db, integration, make_settlement(), FILES)
    repo.set_status(db, integration, "23874397121", status)
    postings.register_planned(db, client.id, integration.id, "23874397121", [postings.PlannedPosting(
        "k1", "SalesReceipt", "SB-1", dt.date(2026, 3, 15), Decimal("10.00"), "r1")])
    if state in ("sent", "posted", "undone"):
        postings.mark_sent(db, ["k1"], "b1")
    if state in ("posted", "undone"):
        postings.mark_posted(db, [("k1", "77", "0")])
    if state == "undone":
        postings.mark_undone(db, ["k1"])
    if allowed:
        assert repo.save_settlement(db, integration, make_settlement(), FILES, replace=True).version == 3
    else:
        with pytest.raises(DuplicateSettlement, match="1 of its documents were sent to QuickBooks"):
            repo.save_settlement(db, integration, make_settlement(), FILES, replace=True)
        with pytest.raises(DuplicateSettlement, match="cannot be deleted"):
            repo.delete_settlement(db, integration, "23874397121")
