"""Posting exactly once: pure parts as tables of cases, and runs against the local QBO sandbox
through the real python-quickbooks client (faults injected by the sandbox)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.errors import BadInput, PostingInProgress, QboError
from services.qbo.gateway import QboGateway, RetryPolicy
from services.qbo.posting import (
    Accounts,
    PostReport,
    batch_request_id,
    build_body,
    explain,
    note_has_key,
    post_documents,
    private_note,
    qbo_link,
    qbo_where,
    request_id_for,
    tie_out,
    undo_documents,
)
from services.records import Category, Client, DocLine, DocType, Document, ItemRef
from services.storage import open_database
from services.storage import postings as store
from tests.test_posting_support import count_in_qbo, demo_items, make_documents, sandbox_client

D = Decimal
ACCOUNTS = Accounts.from_rows([
    {"Id": "13", "Name": "Amazon Clearing"},
    {"Id": "20", "Name": "Marketplace Commissions", "FullyQualifiedName": "Fees:Marketplace Commissions"},
])


# --- pure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "other"), [
    ("1/2/S1/sales/settlement/1", "1/2/S1/sales/settlement/2"),
    ("1/2/" + "x" * 300, "1/2/" + "x" * 299),
])
def test_request_id__deterministic_36_chars_distinct(key: str, other: str) -> None:
    assert request_id_for(key) == request_id_for(key)
    assert len(request_id_for(key)) == 36
    assert request_id_for(key) != request_id_for(other)
    assert request_id_for(key, 1) != request_id_for(key) and len(request_id_for(key, 12)) == 36


@pytest.mark.parametrize(("a", "b", "same"), [
    (["k1", "k2"], ["k1", "k2"], True),
    (["k1", "k2"], ["k2", "k1"], False),
    (["k1", "k2"], ["k1"], False),
])
def test_batch_request_id__follows_the_documents(a: list[str], b: list[str], same: bool) -> None:
    assert (batch_request_id(a) == batch_request_id(b)) is same
    assert len(batch_request_id(a)) <= 36


@pytest.mark.parametrize(("note", "key", "expected"), [
    ("", "K/1", "K/1"),
    ("K/1", "K/1", "K/1"),
    ("Amazon settlement 123", "K/1", "Amazon settlement 123 [sb:K/1]"),
    ("has [sb:K/1] already", "K/1", "has [sb:K/1] already"),
])
def test_private_note__carries_the_key_once(note: str, key: str, expected: str) -> None:
    doc = Document(key=key, type=DocType.DEPOSIT, date=dt.date(2026, 1, 1), doc_number="", lines=(),
                   private_note=note)
    assert private_note(doc) == expected
    assert note_has_key(private_note(doc), key)
    assert not note_has_key(private_note(doc), key + "0")


def test_private_note__long_note_is_cut_but_keeps_the_key() -> None:
    doc = Document(key="K/9", type=DocType.DEPOSIT, date=dt.date(2026, 1, 1), doc_number="", lines=(),
                   private_note="n" * 5000)
    note = private_note(doc)
    assert len(note) <= 4000 and note.endswith("[sb:K/9]")
    assert not note_has_key("Voided K/9", "K/9") and not note_has_key("K/9.2", "K/9")


def _line(amount: str, **kw: Any) -> DocLine:
    return DocLine(amount=D(amount), description="d", category=kw.pop("category", Category.PRODUCT_SALE), **kw)


ITEM = ItemRef("7", "Mug")


@pytest.mark.parametrize(("doc", "entity", "expect"), [
    (Document("k1", DocType.SALES_RECEIPT, dt.date(2026, 3, 1), "S-1",
              (_line("29.98", item=ITEM, qty=D(2), unit_price=D("14.99")),), account="Amazon Clearing"),
     "SalesReceipt",
     {"DepositToAccountRef": "13", "lines": [("SalesItemLineDetail", "7", D(2), D("29.98"))]}),
    (Document("k2", DocType.REFUND_RECEIPT, dt.date(2026, 3, 1), "R-1",
              (_line("14.99", item=ITEM, qty=D(1), unit_price=D("14.99"), category=Category.PRODUCT_REFUND),),
              account="13"),
     "RefundReceipt",
     {"DepositToAccountRef": "13", "lines": [("SalesItemLineDetail", "7", D(1), D("14.99"))]}),
    (Document("k3", DocType.PURCHASE, dt.date(2026, 3, 1), "F-1",
              (_line("3.10", category=Category.FEE, account="Fees:Marketplace Commissions"),),
              account="Amazon Clearing"),
     "Purchase",
     {"AccountRef": "13", "lines": [("AccountBasedExpenseLineDetail", "20", None, D("3.10"))]}),
    (Document("k4", DocType.DEPOSIT, dt.date(2026, 3, 1), "D-1",
              (_line("1.25", category=Category.REIMBURSEMENT, account="marketplace commissions"),),
              account="Amazon Clearing"),
     "Deposit",
     {"DepositToAccountRef": "13", "lines": [("DepositLineDetail", "20", None, D("1.25"))]}),
])
def test_build_body__each_document_type(doc: Document, entity: str, expect: dict[str, Any]) -> None:
    name, body = build_body(doc, ACCOUNTS)
    assert name == entity
    assert body["TxnDate"] == "2026-03-01" and body["DocNumber"] == doc.doc_number
    assert note_has_key(body["PrivateNote"], doc.key)
    for ref in ("DepositToAccountRef", "AccountRef"):
        if ref in expect:
            assert body[ref]["value"] == expect[ref]
    got = []
    for line in body["Line"]:
        detail = line[line["DetailType"]]
        ref = detail.get("ItemRef") or detail.get("AccountRef")
        got.append((line["DetailType"], ref["value"], detail.get("Qty"), line["Amount"]))
        assert isinstance(line["Amount"], Decimal)
    assert got == expect["lines"]


@pytest.mark.parametrize(("doc", "message"), [
    (Document("k", DocType.SALES_RECEIPT, dt.date(2026, 3, 1), "S", (_line("1.00"),), account="13"),
     "needs a QuickBooks item"),
    (Document("k", DocType.PURCHASE, dt.date(2026, 3, 1), "S", (_line("1.00", account="Nope"),), account="13"),
     "no account 'Nope'"),
    (Document("k", DocType.REFUND_RECEIPT, dt.date(2026, 3, 1), "S", (_line("1.00", item=ITEM),)),
     "DepositToAccountRef"),
])
def test_build_body__refuses_what_qbo_would(doc: Document, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        build_body(doc, ACCOUNTS)


@pytest.mark.parametrize(("types_totals", "settlement_total", "difference"), [
    ([("SalesReceipt", "100.00"), ("RefundReceipt", "10.00"), ("Purchase", "15.00"), ("Deposit", "2.00")],
     "77.00", "0.00"),
    ([("SalesReceipt", "100.00"), ("Purchase", "15.00")], "85.01", "-0.01"),
])
def test_tie_out__signed_sum_against_the_settlement(types_totals: list[tuple[str, str]],
                                                    settlement_total: str, difference: str) -> None:
    docs = [Document(f"k{n}", DocType(t), dt.date(2026, 1, 1), "", (_line(a, account="x"),))
            for n, (t, a) in enumerate(types_totals)]
    assert tie_out(docs, D(settlement_total)) == D(difference)


def test_check_tie_out__refuses_documents_that_do_not_add_up() -> None:
    from services.errors import TieOutError
    from services.qbo.posting import check_tie_out
    from services.records import Channel, SettlementInfo, SettlementStatus

    day = dt.date(2026, 3, 1)
    info = SettlementInfo(1, 1, "S9", Channel.AMAZON, "amazon_v2", "", "USD", day, day, day, D("10.00"), None,
                          D("10.00"), 1, SettlementStatus.READY)
    docs = [Document("k", DocType.SALES_RECEIPT, day, "S", (_line("10.01", item=ITEM),))]
    with pytest.raises(TieOutError, match=r"difference 0\.01"):
        check_tie_out(info, docs)
    check_tie_out(info, [Document("k", DocType.SALES_RECEIPT, day, "S", (_line("10.00", item=ITEM),))])


@pytest.mark.parametrize(("code", "words"), [
    ("6270", "As of"),
    ("6140", "document number"),
    ("6000", "QuickBooks' reason"),
    ("9999", "Correct what QuickBooks names"),
])
def test_explain__says_what_to_do(code: str, words: str) -> None:
    _, message, todo = explain(QboError("QuickBooks refused the SalesReceipt.", code=code))
    assert message.startswith("QuickBooks refused")
    assert words in todo


def test_explain__leaves_out_the_batch_plumbing() -> None:
    _, message, _ = explain(QboError("QuickBooks refused SalesReceipt (batch item 0) (error 610): gone.", code="610"))
    assert message == "QuickBooks refused SalesReceipt (error 610): gone."


@pytest.mark.parametrize(("kind", "doc_type", "link", "where"), [
    ("oauth", "SalesReceipt", "https://app.qbo.intuit.com/app/salesreceipt?txnId=42", "QuickBooks Online"),
    ("oauth", "Purchase", "https://app.qbo.intuit.com/app/expense?txnId=42", "QuickBooks Online"),
    ("sandbox", "Deposit", "", "local sandbox (a stand-in for QuickBooks Online; no web page)"),
])
def test_qbo_link__real_or_local(kind: str, doc_type: str, link: str, where: str) -> None:
    client = Client(id=1, name="c", kind=kind, realm_id="9", sandbox_url="http://127.0.0.1:1/v3")
    assert qbo_link(client, doc_type, "42") == link
    assert qbo_where(client, doc_type, "42") == where
    assert qbo_link(client, doc_type, "") == qbo_where(client, doc_type, "") == ""


# --- against the sandbox ---------------------------------------------------------------------------


@pytest.fixture
def gateway(sandbox: Any) -> QboGateway:
    return QboGateway.for_sandbox(sandbox.url, sandbox.realm,
                                  retry=RetryPolicy(base_seconds=0.02, cap_seconds=0.2))


@pytest.fixture
def posting_db(tmp_path: Path) -> Any:
    db = open_database(f"sqlite:///{tmp_path / 'posting.sqlite3'}")
    yield db
    db.engine.dispose()


def _qb_query(qb_client: Any) -> Any:
    def query(sql: str) -> list[dict[str, Any]]:
        answer = qb_client.query(sql)
        rows: list[dict[str, Any]] = []
        for value in (answer.get("QueryResponse") or {}).values():
            if isinstance(value, list):
                rows.extend(value)
        return rows
    return query


def _post(db: Any, gw: QboGateway, sandbox: Any, settlement: str, docs: list[Document], **kw: Any) -> PostReport:
    return post_documents(db, gw, client=sandbox_client(sandbox.url, sandbox.realm), integration_id=1,
                          settlement_id=settlement, documents=docs, **kw)


def _exactly_once(qb_client: Any, settlement: str, docs: list[Document]) -> None:
    counts = count_in_qbo(_qb_query(qb_client), settlement)
    assert counts == {d.key: 1 for d in docs}


def test_post__then_again_creates_nothing_new(posting_db: Any, gateway: QboGateway, sandbox: Any,
                                               qb_client: Any) -> None:
    docs = make_documents("P1", 40, demo_items(gateway))
    seen: list[Any] = []
    first = _post(posting_db, gateway, sandbox, "P1", docs, progress=seen.append)
    assert len(first.created) == 40 and not first.failed and first.all_posted
    assert first.calls == 2 + 1 + 4  # 2 batches, the accounts, one probe per document type
    assert (seen[0].done, seen[0].total) == (0, 40)  # the total is shown before the first batch leaves
    assert seen[-1].done == seen[-1].total == 40 and seen[-1].seconds_left == 0
    assert all(o.qbo_id and o.where.startswith("local sandbox") and not o.link for o in first.documents)
    second = _post(posting_db, gateway, sandbox, "P1", docs)
    assert len(second.already_posted) == 40 and not second.created and second.calls == 0
    _exactly_once(qb_client, "P1", docs)
    states = store.list_postings(posting_db, 1, 1, "P1")
    assert {s.state for s in states} == {store.PostState.POSTED} and all(s.attempts == 1 for s in states)
    assert all(len(s.request_id) == 36 for s in states)


@pytest.mark.parametrize(("kind", "count"), [("429", 4), ("500", 3), ("drop_after_commit", 2)])
def test_post__faults_end_with_exactly_the_planned_documents(posting_db: Any, gateway: QboGateway,
                                                              sandbox: Any, qb_client: Any,
                                                              kind: str, count: int) -> None:
    docs = make_documents("F" + kind[:3], 65, demo_items(gateway))
    sandbox.faults.add(kind=kind, count=count, methods=("POST",), path_contains="/batch")
    report = _post(posting_db, gateway, sandbox, "F" + kind[:3], docs)
    assert report.all_posted, report.stopped
    assert len(report.created) + len(report.already_posted) == 65
    assert gateway.retries >= 1
    _exactly_once(qb_client, "F" + kind[:3], docs)


def test_post__qbo_unreachable_stops_then_resumes_without_duplicates(posting_db: Any, sandbox: Any,
                                                                    qb_client: Any) -> None:
    gw = QboGateway.for_sandbox(sandbox.url, sandbox.realm, retry=RetryPolicy(attempts=1))
    docs = make_documents("U1", 35, demo_items(gw))
    # The first batch is committed by QBO and its answer lost; from then on QBO answers 500 to
    # every batch and query (zero delays use up the first matches: the probes, one per document
    # type, and the accounts query pass).
    sandbox.faults.add(kind="delay", count=5, seconds=0, path_contains="/query")
    sandbox.faults.add(kind="500", count=100, path_contains="/query")
    sandbox.faults.add(kind="delay", count=1, seconds=0, path_contains="/batch")
    sandbox.faults.add(kind="500", count=100, path_contains="/batch")
    sandbox.faults.add(kind="drop_after_commit", count=1, methods=("POST",), path_contains="/batch")
    report = _post(posting_db, gw, sandbox, "U1", docs)
    assert report.stopped and "post again" in report.stopped
    assert [o.status for o in report.documents] == ["pending"] * 35
    states = store.list_postings(posting_db, 1, 1, "U1")
    assert [s.state for s in states].count(store.PostState.SENT) == 30  # the first batch: outcome unknown
    sandbox.faults.clear()
    again = _post(posting_db, gw, sandbox, "U1", docs)
    assert again.all_posted
    assert len(again.already_posted) == 30 and len(again.created) == 5  # found by key, not sent again
    _exactly_once(qb_client, "U1", docs)


def test_post__business_error_stops_that_document_only(posting_db: Any, gateway: QboGateway,
                                                         sandbox: Any, qb_client: Any) -> None:
    late = gateway.create_item(name="Late Start Mug", qty_on_hand=10, as_of=dt.date(2026, 6, 1),
                               unit_cost=D("3.00"), income_account="Sales of Product Income",
                               expense_account="Cost of Goods Sold", asset_account="Inventory Asset")
    docs = make_documents("B1", 5, demo_items(gateway))
    bad = Document("1/1/B1/doc/late", DocType.SALES_RECEIPT, dt.date(2026, 3, 5), "B1-late",
                   (_line("5.00", item=late.ref, qty=D(1), unit_price=D("5.00")),), account="Amazon Clearing")
    docs.insert(2, bad)
    report = _post(posting_db, gateway, sandbox, "B1", docs)
    assert len(report.created) == 5 and len(report.failed) == 1
    failed = report.failed[0]
    assert failed.key == bad.key and failed.error_code == "6270"
    assert "As of" in failed.what_to_do and failed.error
    # fix it in QBO, post again: only the failed one is sent
    item = gateway.read("Item", late.id)
    gateway.update("Item", {"Id": late.id, "SyncToken": item["SyncToken"], "sparse": True,
                            "InvStartDate": "2026-01-01"})
    again = _post(posting_db, gateway, sandbox, "B1", docs)
    assert [o.key for o in again.created] == [bad.key] and len(again.already_posted) == 5
    _exactly_once(qb_client, "B1", docs)


def test_post__two_runs_at_once_one_is_told(posting_db: Any, sandbox: Any, qb_client: Any) -> None:
    sandbox.faults.add(kind="delay", count=3, seconds=0.6, methods=("POST",), path_contains="/batch")
    gw1 = QboGateway.for_sandbox(sandbox.url, sandbox.realm)
    gw2 = QboGateway.for_sandbox(sandbox.url, sandbox.realm)
    docs = make_documents("C1", 60, demo_items(gw1))
    outcomes: list[Any] = []

    def run(gw: QboGateway, who: str) -> None:
        try:
            outcomes.append(_post(posting_db, gw, sandbox, "C1", docs, who=who))
        except PostingInProgress as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(gw1, "ana")), threading.Thread(target=run, args=(gw2, "bo"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    told = [o for o in outcomes if isinstance(o, PostingInProgress)]
    done = [o for o in outcomes if isinstance(o, PostReport)]
    assert len(told) == 1 and len(done) == 1
    assert "started posting this settlement" in told[0].message
    assert done[0].all_posted
    _exactly_once(qb_client, "C1", docs)
    assert store.get_claim(posting_db, store.scope_of(1, 1, "C1")).state == "idle"  # type: ignore[union-attr]


def test_claim__expired_lease_is_taken_over(posting_db: Any) -> None:
    scope = store.scope_of(1, 1, "L1")
    assert store.try_claim(posting_db, scope, "host:1:a", "ana", lease_seconds=60)[0]
    taken, holder = store.try_claim(posting_db, scope, "host:2:b", "bo", lease_seconds=60)
    assert not taken and holder is not None and holder.who == "ana"
    assert store.try_claim(posting_db, scope, "host:1:a", "ana", lease_seconds=-1)[0]  # renewal into the past
    assert store.try_claim(posting_db, scope, "host:2:b", "bo", lease_seconds=60)[0]
    assert not store.renew_claim(posting_db, scope, "host:1:a", 60)
    store.release_claim(posting_db, scope, "host:1:a")  # not the holder: nothing happens
    assert store.get_claim(posting_db, scope).owner == "host:2:b"  # type: ignore[union-attr]


def test_claim__gone_holder_is_taken_over_at_once(posting_db: Any) -> None:
    scope = store.scope_of(1, 1, "L2")
    assert store.try_claim(posting_db, scope, "host:1:a", "ana", lease_seconds=600)[0]
    taken, _ = store.try_claim(posting_db, scope, "host:2:b", "bo", 600, holder_is_gone=lambda o: o == "host:1:a")
    assert taken


def test_undo__deletes_what_was_posted_then_posting_again_recreates(posting_db: Any, gateway: QboGateway,
                                                                    sandbox: Any, qb_client: Any) -> None:
    docs = make_documents("X1", 12, demo_items(gateway))
    assert _post(posting_db, gateway, sandbox, "X1", docs).all_posted
    before = {i.id: i.qty_on_hand for i in gateway.list_items()}
    client = sandbox_client(sandbox.url, sandbox.realm)
    undone = undo_documents(posting_db, gateway, client=client, integration_id=1, settlement_id="X1")
    assert [o.status for o in undone] == ["undone"] * 12
    assert count_in_qbo(_qb_query(qb_client), "X1") == {}
    after = {i.id: i.qty_on_hand for i in gateway.list_items()}
    assert after != before  # the units came back
    again = _post(posting_db, gateway, sandbox, "X1", docs)
    assert len(again.created) == 12
    _exactly_once(qb_client, "X1", docs)


def test_undo__void_keeps_voided_receipts_and_reposting_is_not_fooled(posting_db: Any, gateway: QboGateway,
                                                                       sandbox: Any, qb_client: Any) -> None:
    docs = make_documents("V1", 3, demo_items(gateway))
    assert _post(posting_db, gateway, sandbox, "V1", docs).all_posted
    client = sandbox_client(sandbox.url, sandbox.realm)
    undone = undo_documents(posting_db, gateway, client=client, integration_id=1, settlement_id="V1", mode="void")
    assert all(o.status == "undone" for o in undone)
    states = store.list_postings(posting_db, 1, 1, "V1")
    assert {s.state for s in states} == {store.PostState.UNDONE}
    with pytest.raises(BadInput):
        undo_documents(posting_db, gateway, client=client, integration_id=1, settlement_id="V1", mode="burn")


def test_post__a_document_qbo_cannot_take_fails_before_sending(posting_db: Any, gateway: QboGateway,
                                                               sandbox: Any) -> None:
    docs = make_documents("A1", 3, demo_items(gateway))
    odd = Document("1/1/A1/doc/odd", DocType.PURCHASE, dt.date(2026, 3, 5), "A1-odd",
                   (_line("2.00", category=Category.FEE, account="No Such Account"),), account="Amazon Clearing")
    report = _post(posting_db, gateway, sandbox, "A1", [*docs, odd])
    assert len(report.created) == 3
    (failed,) = report.failed
    assert failed.error_code == "settlebridge" and "No Such Account" in failed.error
    stored = store.get_posting(posting_db, odd.key)
    assert stored is not None and stored.state is store.PostState.FAILED and stored.attempts == 0
    assert "Retry import" in stored.error_hint


def test_post__another_database_posted_it_already(posting_db: Any, gateway: QboGateway, sandbox: Any,
                                                   qb_client: Any, tmp_path: Path) -> None:
    docs = make_documents("O1", 33, demo_items(gateway))
    assert len(_post(posting_db, gateway, sandbox, "O1", docs).created) == 33
    other = open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")  # e.g. a backup from before
    again = _post(other, gateway, sandbox, "O1", docs)
    assert len(again.already_posted) == 33 and not again.created
    _exactly_once(qb_client, "O1", docs)
    other.engine.dispose()


def test_undo__leaves_alone_what_is_no_longer_settlebridges(posting_db: Any, gateway: QboGateway,
                                                            sandbox: Any, qb_client: Any) -> None:
    docs = make_documents("Y1", 3, demo_items(gateway))
    assert _post(posting_db, gateway, sandbox, "Y1", docs).all_posted
    first, second = (store.get_posting(posting_db, d.key) for d in docs[:2])
    assert first is not None and second is not None
    gateway.delete("SalesReceipt", gateway.read("SalesReceipt", first.qbo_id))  # deleted in QBO already
    taken = gateway.read("SalesReceipt", second.qbo_id)  # someone reused it for something else
    gateway.update("SalesReceipt", {"Id": taken["Id"], "SyncToken": taken["SyncToken"], "sparse": True,
                                    "PrivateNote": "manual sale"})
    client = sandbox_client(sandbox.url, sandbox.realm)
    out = {o.key: o for o in undo_documents(posting_db, gateway, client=client, integration_id=1,
                                            settlement_id="Y1")}
    assert out[docs[0].key].status == "undone" and out[docs[2].key].status == "undone"
    assert out[docs[1].key].status == "failed" and "left alone" in out[docs[1].key].error
    assert gateway.read("SalesReceipt", second.qbo_id)["PrivateNote"] == "manual sale"
