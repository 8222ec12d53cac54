"""Posting a settlement's documents to QuickBooks Online exactly once (DESIGN §4).

The algorithm:

1. **Identity.** Every document has a deterministic key (client, integration, settlement, role,
   group, part). Its QBO ``requestid`` is a UUIDv5 of the key (36 characters), the key is written
   into ``PrivateNote`` between markers (``[sb:KEY]``), and a batch's ``requestid`` is a UUIDv5 of
   the keys it carries, so that re-sending the same batch is replayed by QBO, not re-created.
2. **Claim.** One run per settlement at a time: an atomic claim row with a lease renewed after
   every batch (:mod:`services.storage.postings`). A second run is told
   (:class:`~services.errors.PostingInProgress`); a crashed run's claim is taken over when its
   lease runs out, or at once when its process is known to be gone.
3. **State before and after each send.** Documents of a batch are marked ``sent`` (attempts + 1)
   before the request leaves and ``posted`` (QBO Id) or ``failed`` (QBO's error in words) after.
4. **Resume.** Documents already ``posted`` are not sent again. Documents left ``sent`` (the reply
   was lost: a crash, a dropped connection after QBO committed) are looked up in QBO first, by
   ``DocNumber`` and the key in ``PrivateNote``; only those QBO does not have are sent again.
5. **Limits.** Batches of at most 30 through the gateway, which keeps to 10 requests a second and
   40 batch calls a minute per company and retries 429 (waiting) and 5xx (backoff). When QBO
   cannot be reached even so, the run stops; nothing is lost and the next run resumes.
6. **Business errors** (Fault 6270, 6000, 6140, ...) stop that document only; its outcome says
   what QBO said and what to do about it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.errors import (
    BadInput,
    MappingNotFound,
    PostingInProgress,
    QboAuthError,
    QboError,
    QboUnavailable,
    SettlebridgeError,
    TieOutError,
)
from services.money import ZERO, Money, money_str
from services.qbo.gateway import MAX_BATCH, BatchOp, BatchResult, QboGateway
from services.records import Client, DocType, Document, Integration, SettlementInfo, SettlementStatus
from services.storage import Database
from services.storage import postings as store
from services.storage.postings import DocPosting, PlannedPosting, PostState

NAMESPACE = uuid.UUID("5d0c4a53-6d1e-4c39-9c7e-4f1b3b2a9e10")
NOTE_OPEN = "[sb:"
NOTE_CLOSE = "]"
LEASE_SECONDS = 90.0
TRANSPORT_RETRIES = 3
QBO_APP = "https://app.qbo.intuit.com/app"

# Where a transaction opens in QuickBooks Online (the real one).
_LINK_PAGE = {
    DocType.SALES_RECEIPT.value: "salesreceipt",
    DocType.REFUND_RECEIPT.value: "refundreceipt",
    DocType.PURCHASE.value: "expense",
    DocType.DEPOSIT.value: "deposit",
}

# What to do about a QBO business error on a document, by Fault code.
WHAT_TO_DO: dict[str, str] = {
    "610": "An item or account on this document was deleted or made inactive in QuickBooks: "
           "reactivate it (or fix the mapping / account setting) and post again.",
    "2020": "A required field is missing: check the integration's account settings and post again.",
    "2050": "A value is not accepted: check the document in the preview and the account settings.",
    "2500": "An item or account on this document is invalid or inactive in QuickBooks: fix the "
            "mapping or the account setting, then post again.",
    "5010": "Someone changed this document in QuickBooks meanwhile: post again.",
    "6000": "Read QuickBooks' reason above, correct the item, account or setting it names, then post "
            "again; documents already posted are not sent twice.",
    "6140": "The document number is already used in QuickBooks by another transaction: turn off "
            "'Custom transaction numbers' duplicates or rename the other transaction, then post again.",
    "6190": "The QuickBooks subscription does not allow this: check the company's plan.",
    "6210": "The books are closed for this date in QuickBooks: change the closing date "
            "(Settings → Account and Settings → Advanced) or ask the owner, then post again.",
    "6270": "Move the item's \"As of\" date (InvStartDate) in QuickBooks to on or before the "
            "document's date (or recreate the item with an earlier As of date), then post again.",
    "6430": "The company's settings do not allow this: check Account and Settings → Sales in "
            "QuickBooks.",
}


# --- identity ----------------------------------------------------------------------------------


def request_id_for(key: str, generation: int = 0) -> str:
    """The document's QBO ``requestid``: a UUIDv5 of its key (36 characters, deterministic).

    ``generation`` counts the undos of the document: after an undo the document is a new request.
    """
    return str(uuid.uuid5(NAMESPACE, key if generation == 0 else f"{key}#{generation}"))


def batch_request_id(request_ids: Sequence[str]) -> str:
    """A batch's ``requestid``: a UUIDv5 of the request ids of the documents it carries, in order.

    The same documents in the same batch give the same id, so QBO replays a repeated batch.
    """
    return str(uuid.uuid5(NAMESPACE, "batch\n" + "\n".join(request_ids)))


def note_marker(key: str) -> str:
    return f"{NOTE_OPEN}{key}{NOTE_CLOSE}"


def private_note(doc: Document) -> str:
    """``PrivateNote``: exactly the key (the document engine's note), or a longer note with the key
    between markers; QBO keeps at most 4000 characters."""
    note = doc.private_note.strip()
    if note in ("", doc.key):
        return doc.key
    marker = note_marker(doc.key)
    if marker in note:
        return note[:4000]
    head = note[: 4000 - len(marker) - 1]
    return f"{head} {marker}".strip()


def note_has_key(note: object, key: str) -> bool:
    """Whether a ``PrivateNote`` names the document ``key`` (and not another key it is a prefix of)."""
    return isinstance(note, str) and (note.strip() == key or note_marker(key) in note)


def is_voided(entity: dict[str, Any]) -> bool:
    """A voided transaction keeps its note (prefixed "Voided") with every amount zero."""
    note = str(entity.get("PrivateNote") or "")
    total = entity.get("TotalAmt")
    return note.startswith("Voided") and (total in (None, 0) or Decimal(str(total)) == 0)


def _live_with_key(rows: Iterable[dict[str, Any]], key: str) -> dict[str, Any] | None:
    return next((r for r in rows if note_has_key(r.get("PrivateNote"), key) and not is_voided(r)), None)


def qbo_link(client: Client | None, doc_type: str, qbo_id: str) -> str:
    """Where the posted document opens in QuickBooks Online (``""`` for the local sandbox, which
    has no web pages: :func:`qbo_where` says so)."""
    if not qbo_id or (client is not None and client.kind == "sandbox"):
        return ""
    return f"{QBO_APP}/{_LINK_PAGE.get(doc_type, doc_type.lower())}?txnId={qbo_id}"


def qbo_where(client: Client | None, doc_type: str, qbo_id: str) -> str:
    """Where the document lives, in words: ``QuickBooks Online`` or the local sandbox."""
    if not qbo_id:
        return ""
    if client is not None and client.kind == "sandbox":
        return "local sandbox (a stand-in for QuickBooks Online; no web page)"
    return "QuickBooks Online"


# --- the JSON body ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    """The company's accounts by name, full name and Id, for ``AccountRef`` values."""

    by_key: dict[str, tuple[str, str]]  # lower-cased name / full name / id -> (id, name)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> Accounts:
        by: dict[str, tuple[str, str]] = {}
        for r in rows:
            id_, name = str(r.get("Id", "")), str(r.get("Name", ""))
            for k in (str(r.get("FullyQualifiedName") or ""), name):
                if k:
                    by.setdefault(k.lower(), (id_, name))
            by[f"#{id_}"] = (id_, name)
        return cls(by)

    def ref(self, account: str) -> dict[str, str]:
        """An ``AccountRef`` for an account name, full name or Id. Raises :class:`BadInput`."""
        text = account.strip()
        hit = self.by_key.get(text.lower()) or self.by_key.get(f"#{text}")
        if hit is None:
            raise BadInput(f"QuickBooks has no account {text!r}; choose an existing account in the "
                           "integration's settings (Settings and Mappings).")
        return {"value": hit[0], "name": hit[1]}


def _dec(value: Decimal) -> Decimal:
    return value.normalize() if value == value.to_integral_value() else value


def build_body(doc: Document, accounts: Accounts) -> tuple[str, dict[str, Any]]:
    """The QBO entity name and JSON body of one document (Decimals stay exact).

    Receipts carry item lines (``SalesItemLineDetail`` with ``Qty`` and ``UnitPrice`` when the
    line has a quantity); a receipt line without an item is refused here, since QBO needs one.
    Purchases carry account lines paid from the clearing account; deposits account lines into it.

    Raises:
        BadInput: an account is not in QBO, or a receipt line has no item.
    """
    body: dict[str, Any] = {"TxnDate": doc.date.isoformat(), "PrivateNote": private_note(doc)}
    if doc.doc_number:
        body["DocNumber"] = doc.doc_number[:21]
    lines: list[dict[str, Any]] = []
    if doc.type in (DocType.SALES_RECEIPT, DocType.REFUND_RECEIPT):
        if doc.account:
            body["DepositToAccountRef"] = accounts.ref(doc.account)
        elif doc.type is DocType.REFUND_RECEIPT:
            raise BadInput(f"Document {doc.key}: a refund receipt needs the clearing account it "
                           "is paid from (QBO requires DepositToAccountRef).")
        for n, line in enumerate(doc.lines, start=1):
            if line.item is None:
                raise BadInput(f"Document {doc.key}, line {n} ({line.description}): a receipt line "
                               "needs a QuickBooks item.")
            detail: dict[str, Any] = {"ItemRef": {"value": line.item.id, "name": line.item.name}}
            if line.qty is not None and line.unit_price is not None:
                detail["Qty"] = _dec(line.qty)
                detail["UnitPrice"] = line.unit_price
            lines.append({"LineNum": n, "Amount": line.amount, "Description": line.description[:4000],
                          "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
    elif doc.type is DocType.PURCHASE:
        body["PaymentType"] = "Cash"
        body["AccountRef"] = accounts.ref(doc.account)
        for n, line in enumerate(doc.lines, start=1):
            lines.append({"LineNum": n, "Amount": line.amount, "Description": line.description[:4000],
                          "DetailType": "AccountBasedExpenseLineDetail",
                          "AccountBasedExpenseLineDetail": {"AccountRef": accounts.ref(line.account)}})
    elif doc.type is DocType.DEPOSIT:
        body["DepositToAccountRef"] = accounts.ref(doc.account)
        for n, line in enumerate(doc.lines, start=1):
            lines.append({"LineNum": n, "Amount": line.amount, "Description": line.description[:4000],
                          "DetailType": "DepositLineDetail",
                          "DepositLineDetail": {"AccountRef": accounts.ref(line.account)}})
    else:  # pragma: no cover - DocType is closed
        raise BadInput(f"Unknown document type {doc.type!r}.")
    body["Line"] = lines
    return doc.type.value, body


def signed_total(doc_type: str, total: Money) -> Money:
    """A document's contribution to the tie-out (DESIGN §3): refunds and purchases subtract."""
    return -total if doc_type in (DocType.REFUND_RECEIPT.value, DocType.PURCHASE.value) else total


def tie_out(documents: Sequence[Document], settlement_total: Money) -> Money:
    """The tie-out difference: Σ signed document totals minus the settlement total."""
    total = ZERO
    for d in documents:
        total += signed_total(d.type.value, d.total)
    return total - settlement_total


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is: documents done of total, documents a second, seconds left (estimate)."""

    done: int
    total: int
    rate: float
    seconds_left: float | None


@dataclass(frozen=True, slots=True)
class DocOutcome:
    """One document's outcome: ``posted`` (created by this run), ``already_posted``, ``failed``
    or ``pending`` (not sent: the run stopped before it)."""

    key: str
    type: str
    doc_number: str
    date: dt.date | None
    total: Money
    status: str
    qbo_id: str = ""
    link: str = ""
    where: str = ""
    error: str = ""
    error_code: str = ""
    what_to_do: str = ""
    attempts: int = 0


@dataclass
class PostReport:
    """What a run did. ``stopped`` says why it stopped early (QBO unreachable...), else empty."""

    documents: list[DocOutcome] = field(default_factory=list)
    stopped: str = ""
    calls: int = 0
    seconds: float = 0.0

    def _of(self, status: str) -> list[DocOutcome]:
        return [d for d in self.documents if d.status == status]

    @property
    def created(self) -> list[DocOutcome]:
        return self._of("posted")

    @property
    def already_posted(self) -> list[DocOutcome]:
        return self._of("already_posted")

    @property
    def failed(self) -> list[DocOutcome]:
        return self._of("failed")

    @property
    def pending(self) -> list[DocOutcome]:
        return self._of("pending")

    @property
    def all_posted(self) -> bool:
        return all(d.status in ("posted", "already_posted") for d in self.documents)


def explain(err: QboError) -> tuple[str, str, str]:
    """(code, QBO's refusal in words, what to do) for a fault on one document."""
    code = err.code.lstrip("0") or err.code
    message = re.sub(r" \(batch item [^)]*\)", "", err.message)  # the batch's plumbing, not the accountant's
    todo = WHAT_TO_DO.get(code, "")
    if not todo:
        todo = ("Correct what QuickBooks names above, then post again; documents already posted "
                "are not sent twice.")
    return err.code, message, todo


# --- the run ------------------------------------------------------------------------------------


def owner_id() -> str:
    """This run's identity in the claim: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def holder_is_gone(owner: str) -> bool:
    """True when the claim's holder ran on this host and its process no longer exists."""
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # another run of this very process (a thread): alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _in_progress(holder: store.Claim | None) -> PostingInProgress:
    who = (holder.who if holder else "") or "Someone"
    since = f" at {holder.started_at:%Y-%m-%d %H:%M} UTC" if holder and holder.started_at else ""
    return PostingInProgress(
        f"{who} started posting this settlement{since} and is still at it; wait for that run to "
        "finish, then look at the outcome (posting again then sends only what is missing).",
        details={"status": "posting_in_progress"})


class _Run:
    """One posting run of one settlement's documents (holds the claim while it runs)."""

    def __init__(self, db: Database, gateway: QboGateway, client: Client | None, scope: str,
                 owner: str, documents: Sequence[Document],
                 progress: Callable[[Progress], None] | None, lease_seconds: float) -> None:
        self.db = db
        self.gw = gateway
        self.client = client
        self.scope = scope
        self.owner = owner
        self.docs = {d.key: d for d in documents}
        self.progress = progress
        self.lease = lease_seconds
        self.outcomes: dict[str, DocOutcome] = {}
        self.started = time.monotonic()
        self.done_now = 0
        self.to_send_total = 0
        self._accounts: Accounts | None = None

    # -- bookkeeping --

    def outcome(self, key: str, status: str, *, qbo_id: str = "", err: QboError | None = None,
                attempts: int = 0, error: str = "", code: str = "", todo: str = "") -> None:
        doc = self.docs[key]
        if err is not None:
            code, error, todo = explain(err)
        self.outcomes[key] = DocOutcome(
            key=key, type=doc.type.value, doc_number=doc.doc_number, date=doc.date, total=doc.total,
            status=status, qbo_id=qbo_id, link=qbo_link(self.client, doc.type.value, qbo_id),
            where=qbo_where(self.client, doc.type.value, qbo_id),
            error=error, error_code=code, what_to_do=todo, attempts=attempts)

    def tick(self, n: int) -> None:
        self.done_now += n
        if self.progress is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done_now / elapsed
        left = self.to_send_total - self.done_now
        self.progress(Progress(done=len(self.docs) - self.to_send_total + self.done_now,
                               total=len(self.docs), rate=rate,
                               seconds_left=(left / rate) if rate > 0 else None))

    def heartbeat(self) -> None:
        if not store.renew_claim(self.db, self.scope, self.owner, self.lease):
            raise _in_progress(store.get_claim(self.db, self.scope))

    def accounts(self) -> Accounts:
        if self._accounts is None:
            self._accounts = Accounts.from_rows(self.gw.query("SELECT * FROM Account"))
        return self._accounts

    # -- asking QBO what it has --

    def find_in_qbo(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The documents among ``keys`` that QBO already has: key -> entity (by DocNumber + note)."""
        found: dict[str, dict[str, Any]] = {}
        by_type: dict[str, list[str]] = {}
        for k in keys:
            by_type.setdefault(self.docs[k].type.value, []).append(k)
        for entity, ks in by_type.items():
            numbered = [k for k in ks if self.docs[k].doc_number]
            for i in range(0, len(numbered), MAX_BATCH):
                chunk = numbered[i:i + MAX_BATCH]
                numbers = sorted({self.docs[k].doc_number[:21] for k in chunk})
                listed = ", ".join(_quote(n) for n in numbers)
                rows = self.gw.query(f"SELECT * FROM {entity} WHERE DocNumber IN ({listed})")
                for k in chunk:
                    hit = _live_with_key(rows, k)
                    if hit is not None:
                        found[k] = hit
            unnumbered = [k for k in ks if not self.docs[k].doc_number]
            if unnumbered:  # no DocNumber to narrow by: read the documents of those dates
                dates = sorted({self.docs[k].date for k in unnumbered})
                rows = self.gw.query(f"SELECT * FROM {entity} WHERE TxnDate >= '{dates[0].isoformat()}' "
                                     f"AND TxnDate <= '{dates[-1].isoformat()}'")
                for k in unnumbered:
                    hit = _live_with_key(rows, k)
                    if hit is not None:
                        found[k] = hit
        return found

    # -- sending --

    def send(self, keys: list[str], states: dict[str, DocPosting]) -> None:
        """Send ``keys`` in batches of at most 30; stop (leaving the rest pending) when QBO is
        unreachable even after the gateway's retries."""
        bodies: dict[str, tuple[str, dict[str, Any]]] = {}
        sendable: list[str] = []
        for k in keys:
            try:
                bodies[k] = build_body(self.docs[k], self.accounts())
                sendable.append(k)
            except BadInput as exc:
                todo = ("Fix the setting named above, rebuild the documents (Retry import) and post "
                        "again.")
                store.mark_failed(self.db, [(k, "settlebridge", exc.message, todo)])
                self.outcome(k, "failed", error=exc.message, code="settlebridge", todo=todo,
                             attempts=states[k].attempts)
                self.tick(1)
        for i in range(0, len(sendable), MAX_BATCH):
            self.send_batch(sendable[i:i + MAX_BATCH], bodies, states)

    def send_batch(self, keys: list[str], bodies: dict[str, tuple[str, dict[str, Any]]],
                   states: dict[str, DocPosting]) -> None:
        remaining = list(keys)
        for attempt in range(TRANSPORT_RETRIES + 1):
            self.heartbeat()
            rid = batch_request_id([states[k].request_id for k in remaining])
            store.mark_sent(self.db, remaining, rid)
            ops = [BatchOp(bid=str(n), operation="create", entity=bodies[k][0], body=bodies[k][1])
                   for n, k in enumerate(remaining)]
            try:
                results = self.gw.batch(ops, request_id=rid)
            except QboAuthError:
                raise
            except QboError as exc:
                if not _is_transport(exc):
                    raise
                # The outcome is unknown: ask QBO which documents it has, send the others again.
                try:
                    found = self.find_in_qbo(remaining)
                except QboError as lookup_exc:
                    if not _is_transport(lookup_exc):
                        raise
                    found = {}
                self.record_found(found, status="posted")
                remaining = [k for k in remaining if k not in found]
                if not remaining:
                    return
                if attempt == TRANSPORT_RETRIES:
                    raise _Stop(f"QuickBooks could not be reached ({exc.message}); "
                                f"{len(remaining)} document(s) were not confirmed. Nothing is lost: "
                                "post again to resume.") from exc
                continue
            self.record_results(remaining, results, states)
            return

    def record_found(self, found: dict[str, dict[str, Any]], *, status: str) -> None:
        if not found:
            return
        store.mark_posted(self.db, [(k, str(e.get("Id", "")), str(e.get("SyncToken", "0")))
                                    for k, e in found.items()])
        for k, e in found.items():
            self.outcome(k, status, qbo_id=str(e.get("Id", "")))
        self.tick(len(found))

    def record_results(self, keys: list[str], results: list[BatchResult],
                       states: dict[str, DocPosting]) -> None:
        posted: list[tuple[str, str, str]] = []
        failed: list[tuple[str, str, str, str]] = []
        duplicates: list[str] = []
        for k, r in zip(keys, results, strict=True):
            if r.fault is None and r.entity is not None:
                posted.append((k, str(r.entity.get("Id", "")), str(r.entity.get("SyncToken", "0"))))
            elif r.fault is not None and r.fault.code == "6140":
                duplicates.append(k)  # the number is taken: maybe by this very document
            else:
                err = r.fault or QboError("QuickBooks gave no document back.", code="")
                code, message, todo = explain(err)
                failed.append((k, code, message, todo))
        store.mark_posted(self.db, posted)
        for k, qbo_id, _ in posted:
            self.outcome(k, "posted", qbo_id=qbo_id, attempts=states[k].attempts + 1)
        if duplicates:
            found = self.find_in_qbo(duplicates)
            self.record_found(found, status="already_posted")
            for k in duplicates:
                if k not in found:
                    r = results[keys.index(k)]
                    assert r.fault is not None
                    code, message, todo = explain(r.fault)
                    failed.append((k, code, message, todo))
        store.mark_failed(self.db, failed)
        for k, code, message, todo in failed:
            self.outcome(k, "failed", error=message, code=code, todo=todo, attempts=states[k].attempts + 1)
        self.tick(len(posted) + len(failed))


class _Stop(Exception):
    """The run stops early (QBO unreachable); the message says why."""


def _probe(run: _Run, keys: Sequence[str]) -> list[str]:
    """The first documents of each type among ``keys`` (one query each): QBO having any of them
    means another database (a restored backup, a second installation) posted this settlement."""
    by_type: dict[str, list[str]] = {}
    for k in keys:
        bucket = by_type.setdefault(run.docs[k].type.value, [])
        if len(bucket) < MAX_BATCH and run.docs[k].doc_number:
            bucket.append(k)
    return [k for bucket in by_type.values() for k in bucket]


def _is_transport(exc: QboError) -> bool:
    return isinstance(exc, QboUnavailable) or (exc.status is not None and (exc.status == 429 or exc.status >= 500))


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def post_documents(db: Database, gateway: QboGateway, *, client: Client | None, integration_id: int,
                   settlement_id: str, documents: Sequence[Document], who: str = "",
                   progress: Callable[[Progress], None] | None = None,
                   lease_seconds: float = LEASE_SECONDS,
                   before_send: Callable[[], None] | None = None,
                   after_all_posted: Callable[[], None] | None = None,
                   on_claimed: Callable[[], None] | None = None) -> PostReport:
    """Post ``documents`` of one settlement so that QBO ends up with each exactly once.

    Safe to call again at any time: documents already posted are reported ``already_posted``,
    documents whose earlier send has an unknown outcome are looked up in QBO first, and only what
    QBO does not have is sent. ``on_claimed`` runs once the claim is held (the settlement's status
    moves to posting); ``before_send`` runs under the claim before the first send of a settlement
    that has nothing posted yet (the verification snapshot); ``after_all_posted`` runs under the
    claim when every document is posted.

    Raises:
        PostingInProgress: another run holds this settlement's claim.
        QboAuthError: QBO refused the connection (nothing is lost; reconnect and post again).
    """
    client_id = client.id if client is not None else 0
    scope = store.scope_of(client_id, integration_id, settlement_id)
    keys = [d.key for d in documents]
    if len(set(keys)) != len(keys):
        raise BadInput("Two documents share a key; rebuild the documents (Retry import).")
    owner = owner_id()
    ok, holder = store.try_claim(db, scope, owner, who, lease_seconds, holder_is_gone)
    if not ok:
        raise _in_progress(holder)
    calls0 = gateway.calls
    report = PostReport()
    run = _Run(db, gateway, client, scope, owner, documents, progress, lease_seconds)
    try:
        if on_claimed is not None:
            on_claimed()
        store.register_planned(db, client_id, integration_id, settlement_id, [
            PlannedPosting(key=d.key, doc_type=d.type.value, doc_number=d.doc_number, doc_date=d.date,
                           total=d.total, request_id=request_id_for(d.key), seq=n)
            for n, d in enumerate(documents)], request_id=request_id_for)
        states = {p.key: p for p in store.list_postings(db, client_id, integration_id, settlement_id)}
        for k in keys:
            s = states[k]
            if s.state is PostState.POSTED and s.qbo_id:
                run.outcome(k, "already_posted", qbo_id=s.qbo_id, attempts=s.attempts)
        todo = [k for k in keys if k not in run.outcomes]
        run.to_send_total = len(todo)
        run.tick(0)  # the total is known: say so before the first batch leaves
        try:
            if todo:
                unknown = [k for k in todo if states[k].state is PostState.SENT]
                never = [k for k in todo if states[k].state is PostState.PLANNED and states[k].attempts == 0]
                if never and run.find_in_qbo(_probe(run, never)):
                    unknown += never  # QBO has documents this database never sent: ask about all
                if unknown:
                    run.record_found(run.find_in_qbo(unknown), status="already_posted")
                    todo = [k for k in todo if k not in run.outcomes]
                nothing_posted = all(states[k].state is not PostState.POSTED for k in keys) and \
                    not any(o.status == "already_posted" for o in run.outcomes.values())
                if before_send is not None and nothing_posted:
                    before_send()
                    run.heartbeat()
                run.send(todo, states)
        except _Stop as stop:
            report.stopped = str(stop)
        except QboError as exc:
            if isinstance(exc, QboAuthError) or not _is_transport(exc):
                raise
            report.stopped = (f"QuickBooks could not be reached ({exc.message}). Nothing is lost: "
                              "post again to resume.")
        final = {p.key: p for p in store.list_postings(db, client_id, integration_id, settlement_id)}
        for k in keys:
            if k not in run.outcomes:
                s = final[k]
                if s.state is PostState.FAILED:
                    run.outcome(k, "failed", error=s.error_message, code=s.error_code,
                                todo=s.error_hint, attempts=s.attempts)
                else:
                    run.outcome(k, "pending", attempts=s.attempts)
        report.documents = [run.outcomes[k] for k in keys]
        if report.all_posted and after_all_posted is not None:
            after_all_posted()
    finally:
        store.release_claim(db, scope, owner)
    report.calls = gateway.calls - calls0
    report.seconds = time.monotonic() - run.started
    return report


def document_outcomes(db: Database, client: Client, integration_id: int, settlement_id: str
                      ) -> list[DocOutcome]:
    """The stored outcome of every document of a settlement (for pages that show it later)."""
    out = []
    for p in store.list_postings(db, client.id, integration_id, settlement_id):
        status = {PostState.POSTED: "posted", PostState.FAILED: "failed"}.get(p.state, p.state.value)
        out.append(DocOutcome(key=p.key, type=p.doc_type, doc_number=p.doc_number, date=p.doc_date,
                              total=p.total, status=status, qbo_id=p.qbo_id,
                              link=qbo_link(client, p.doc_type, p.qbo_id),
                              where=qbo_where(client, p.doc_type, p.qbo_id), error=p.error_message,
                              error_code=p.error_code, what_to_do=p.error_hint, attempts=p.attempts))
    return out


def undo_documents(db: Database, gateway: QboGateway, *, client: Client, integration_id: int,
                   settlement_id: str, who: str = "", mode: str = "delete") -> list[DocOutcome]:
    """Delete (or void) in QBO every document Settlebridge posted for a settlement.

    Documents are found by their stored QBO Id and checked to carry the key in ``PrivateNote`` so
    that nothing else is touched; documents left ``sent`` are looked up first. Each document's
    state becomes ``undone``. Runs under the settlement's posting claim.

    Raises:
        PostingInProgress: a posting run holds the claim.
        BadInput: ``mode`` is neither ``delete`` nor ``void``.
    """
    if mode not in ("delete", "void"):
        raise BadInput("Undo either deletes or voids the documents.")
    scope = store.scope_of(client.id, integration_id, settlement_id)
    owner = owner_id()
    ok, holder = store.try_claim(db, scope, owner, who, LEASE_SECONDS, holder_is_gone)
    if not ok:
        raise _in_progress(holder)
    out: list[DocOutcome] = []
    try:
        rows = store.list_postings(db, client.id, integration_id, settlement_id)
        for p in rows:
            if p.state not in (PostState.POSTED, PostState.SENT):
                continue
            entity: dict[str, Any] | None = None
            if p.qbo_id:
                try:
                    entity = gateway.read(p.doc_type, p.qbo_id)
                except QboError as exc:
                    if exc.code != "610":
                        raise
            else:
                rows_found = gateway.query(
                    f"SELECT * FROM {p.doc_type} WHERE DocNumber = {_quote(p.doc_number)}") if p.doc_number else []
                entity = _live_with_key(rows_found, p.key)
            if entity is not None and is_voided(entity):
                entity = None  # voided earlier: nothing left to undo
            status = "undone"
            error = ""
            if entity is not None and not note_has_key(entity.get("PrivateNote"), p.key):
                status, error = "failed", (f"{p.doc_type} {p.qbo_id} in QuickBooks no longer carries this "
                                           "document's key; it was left alone.")
            elif entity is not None:
                try:
                    if mode == "void" and p.doc_type == DocType.SALES_RECEIPT.value:
                        gateway.void(p.doc_type, entity)
                    else:
                        gateway.delete(p.doc_type, entity)
                except QboError as exc:
                    status, error = "failed", exc.message
            if status == "undone":
                store.mark_undone(db, [p.key])
            out.append(DocOutcome(key=p.key, type=p.doc_type, doc_number=p.doc_number, date=p.doc_date,
                                  total=p.total, status=status, qbo_id=p.qbo_id, error=error))
            renewed = store.renew_claim(db, scope, owner, LEASE_SECONDS)
            if not renewed:
                raise _in_progress(store.get_claim(db, scope))
    finally:
        store.release_claim(db, scope, owner)
    return out




# --- a stored settlement: status, events, snapshots ------------------------------------------------


class NotReady(SettlebridgeError):
    """This settlement is not ready to post: its documents have not been built."""


def _load_for_posting(db: Database, integration: Integration, settlement_id: str
                      ) -> tuple[SettlementInfo, list[Document]]:
    from services.storage import documents as documents_repo
    from services.storage import settlements as settlements_repo

    info = settlements_repo.get_settlement_info(db, integration, settlement_id)
    if info.status is SettlementStatus.MAPPING_NOT_FOUND:
        detail = json.loads(info.status_detail or "{}")
        raise MappingNotFound(details={"unmapped": detail.get("unmapped", [])})
    docs = documents_repo.load_documents(db, integration, settlement_id)
    if info.status is SettlementStatus.IMPORTED or not docs:
        raise NotReady(f"Settlement {settlement_id} has no documents ready to post: build them with "
                       "Retry import (or fix what the import reported) first.")
    return info, docs


def check_tie_out(info: SettlementInfo, documents: Sequence[Document]) -> None:
    """Refuse to post when the documents do not add up to the settlement's total (DESIGN §3).

    Raises:
        TieOutError: naming both totals and the difference.
    """
    diff = tie_out(documents, info.total)
    if diff != 0:
        raise TieOutError(
            f"Settlement {info.settlement_id}: the documents add up to {money_str(info.total + diff)} but "
            f"the settlement's total is {money_str(info.total)} (difference {money_str(diff)}). Nothing "
            "was posted; rebuild the documents (Retry import) after fixing what the preview shows.",
            details={"difference": money_str(diff)})


def _mirror(db: Database, report: PostReport) -> None:
    """Copy each outcome onto the stored documents (for lists that read one table)."""
    from services.storage import documents as documents_repo

    for o in report.documents:
        if o.status in ("posted", "already_posted"):
            documents_repo.set_document_state(db, [o.key], status="posted", qbo_id=o.qbo_id, qbo_error="")
        elif o.status == "failed":
            documents_repo.set_document_state(db, [o.key], status="failed", qbo_error=o.error)


def expected_cogs(documents: Sequence[Document], gateway: QboGateway) -> Money | None:
    """The FIFO expectation of the documents' net cost of goods sold (sales' COGS less the cost of
    returned units), from the preview's replay of the items' history in QBO; ``None`` when no line
    is on an inventory item. Read just before the first send, so QBO's history is without them."""
    from services import preview

    items = {i.id: i for i in gateway.list_items(include_inactive=True)}
    if not any(ln.item is not None and ln.qty and ln.item.id in items and items[ln.item.id].type == "Inventory"
               for d in documents for ln in d.lines):
        return None
    history = preview.read_history(gateway, (d.key for d in documents))
    costs, _, _ = preview.expected_cogs(documents, items, history)
    total = ZERO
    for c in costs:
        total += -c.cost if c.refund else c.cost
    return total


def post_settlement(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                    who: str = "", progress: Callable[[Progress], None] | None = None,
                    gateway: QboGateway | None = None) -> PostReport:
    """Post a stored settlement's planned documents (the Post page and ``post`` command).

    Moves the settlement ready → posting → posted / posted with errors (failed when QBO could not
    be reached: post again to resume), records who did it, and keeps the verification snapshots.

    Raises:
        MappingNotFound: the settlement is waiting for mappings; nothing is posted.
        NotReady: no documents have been built.
        TieOutError: the documents do not add up to the settlement's total; nothing is posted.
        PostingInProgress: someone else is posting it right now.
    """
    from services.qbo.verify_read import take_snapshot
    from services.storage import settlements as settlements_repo

    info, docs = _load_for_posting(db, integration, settlement_id)
    check_tie_out(info, docs)
    gw = gateway or QboGateway.for_client(db, client)
    scope = store.scope_of(client.id, integration.id, settlement_id)
    tracking = integration.inventory_tracking

    held: list[bool] = []

    def claimed() -> None:
        held.append(True)
        if info.status is not SettlementStatus.POSTING:
            settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.POSTING,
                                        who=who, event="Posting started")
        else:
            settlements_repo.add_event(db, integration, settlement_id, who=who, what="Posting resumed")

    def before() -> None:
        store.clear_snapshots(db, scope)
        take_snapshot(db, gw, client.id, scope, "before", docs, tracking=tracking)
        cogs = expected_cogs(docs, gw) if tracking else None
        if cogs is not None:
            store.save_snapshot(db, client.id, scope, "before", {"expected_cogs": str(cogs)})

    def after() -> None:
        take_snapshot(db, gw, client.id, scope, "after", docs, tracking=tracking)

    try:
        report = post_documents(db, gw, client=client, integration_id=integration.id,
                                settlement_id=settlement_id, documents=docs, who=who, progress=progress,
                                on_claimed=claimed, before_send=before, after_all_posted=after)
    except SettlebridgeError as exc:
        if held:  # this run had started: say so in the settlement's status and history
            settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.FAILED,
                                        {"stopped": exc.message}, who=who,
                                        event=f"Posting stopped: {exc.message}")
        raise
    _mirror(db, report)
    summary = (f"{len(report.created)} created, {len(report.already_posted)} already posted, "
               f"{len(report.failed)} failed" + (f", {len(report.pending)} not sent" if report.pending else ""))
    if report.all_posted:
        keep = info.status is SettlementStatus.VERIFIED and not report.created
        status = SettlementStatus.VERIFIED if keep else SettlementStatus.POSTED
    elif report.failed and not report.pending:
        status = SettlementStatus.POSTED_WITH_ERRORS
    else:
        status = SettlementStatus.FAILED
    detail: dict[str, Any] = {"created": len(report.created), "already_posted": len(report.already_posted),
                              "failed": len(report.failed), "pending": len(report.pending)}
    if report.stopped:
        detail["stopped"] = report.stopped
    settlements_repo.set_status(db, integration, settlement_id, status, detail, who=who,
                                event=f"Posted: {summary}" if not report.stopped else
                                f"Posting stopped: {summary}. {report.stopped}")
    return report


def undo_settlement(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                    who: str = "", mode: str = "delete", gateway: QboGateway | None = None) -> list[DocOutcome]:
    """Undo a posting: delete (or void) the documents Settlebridge created for the settlement in
    QBO, then set it back to ready (so that it can be posted again, e.g. after a mapping fix).

    Raises:
        PostingInProgress: a posting run holds the settlement.
    """
    from services.storage import documents as documents_repo
    from services.storage import settlements as settlements_repo

    gw = gateway or QboGateway.for_client(db, client)
    out = undo_documents(db, gw, client=client, integration_id=integration.id, settlement_id=settlement_id,
                         who=who, mode=mode)
    undone = [o.key for o in out if o.status == "undone"]
    documents_repo.set_document_state(db, undone, status="planned", qbo_id="", qbo_error="")
    failed = [o for o in out if o.status == "failed"]
    verb = "Voided" if mode == "void" else "Deleted"
    if not failed:
        store.clear_snapshots(db, store.scope_of(client.id, integration.id, settlement_id))
        settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.READY, who=who,
                                    event=f"Undo: {verb.lower()} {len(undone)} document(s) in QuickBooks")
    else:
        settlements_repo.add_event(db, integration, settlement_id, who=who,
                                   what=f"Undo incomplete: {verb.lower()} {len(undone)}, {len(failed)} failed",
                                   detail="; ".join(o.error for o in failed)[:2000])
    return out
