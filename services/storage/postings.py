"""Posting state: per document, per settlement claim, and the snapshots verification compares.

Why this exists (DESIGN §4): a run that stops anywhere must resume without creating a document
twice. Every document of a settlement has one row keyed by its deterministic document key; its
state is written *before* a send (``sent``, attempts + 1) and *after* it (``posted`` with the QBO
Id, or ``failed`` with QBO's error). A document still ``sent`` after a stop has an unknown outcome:
the posting loop asks QBO whether the key exists before sending it again.

Two people, two processes or two app instances on one PostgreSQL posting the same settlement: the
claim is a single row per settlement taken by an atomic ``UPDATE ... WHERE state = 'idle' OR the
lease has run out``; the holder renews the lease after every batch (its heartbeat), so a crashed
run is resumed by the next one once the lease is over (or at once when the holder's process is
known to be gone).

Snapshots keep what QBO said before a run (quantities on hand, COGS, inventory asset) and after it,
so that verification can tell what this settlement moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.money import Money, from_cents, to_cents
from services.storage.db import Database, metadata, utcnow


class PostState(StrEnum):
    PLANNED = "planned"
    SENT = "sent"  # sent at least once, outcome not known yet
    POSTED = "posted"
    FAILED = "failed"  # QBO refused it (a business error); fix and post again
    UNDONE = "undone"  # deleted or voided in QBO by Undo


postings = sa.Table(
    "postings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer, nullable=False),
    sa.Column("integration_id", sa.Integer, nullable=False),
    sa.Column("settlement_id", sa.String(200), nullable=False),
    sa.Column("doc_key", sa.String(400), nullable=False, unique=True),
    sa.Column("doc_type", sa.String(30), nullable=False),
    sa.Column("doc_number", sa.String(40), nullable=False, default=""),
    sa.Column("doc_date", sa.Date, nullable=True),
    sa.Column("total_cents", sa.BigInteger, nullable=False, default=0),
    sa.Column("seq", sa.Integer, nullable=False, default=0),
    sa.Column("request_id", sa.String(36), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False, default=0),  # + 1 at each undo
    sa.Column("state", sa.String(20), nullable=False, default=PostState.PLANNED.value),
    sa.Column("qbo_id", sa.String(50), nullable=False, default=""),
    sa.Column("sync_token", sa.String(20), nullable=False, default=""),
    sa.Column("error_code", sa.String(30), nullable=False, default=""),
    sa.Column("error_message", sa.Text, nullable=False, default=""),
    sa.Column("error_hint", sa.Text, nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("batch_request_id", sa.String(36), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("sent_at", sa.DateTime, nullable=True),
    sa.Column("posted_at", sa.DateTime, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Index("ix_postings_settlement", "client_id", "integration_id", "settlement_id"),
)

posting_claims = sa.Table(
    "posting_claims",
    metadata,
    sa.Column("scope", sa.String(300), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False, default="idle"),  # idle | posting
    sa.Column("owner", sa.String(200), nullable=False, default=""),
    sa.Column("who", sa.String(200), nullable=False, default=""),
    sa.Column("started_at", sa.DateTime, nullable=True),
    sa.Column("lease_until", sa.DateTime, nullable=True),
)

posting_snapshots = sa.Table(
    "posting_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer, nullable=False),
    sa.Column("scope", sa.String(300), nullable=False),
    sa.Column("phase", sa.String(10), nullable=False),  # before | after
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("value", sa.Text, nullable=False),  # exact decimal text
    sa.Column("taken_at", sa.DateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("scope", "phase", "name", name="uq_posting_snapshot"),
)


@dataclass(frozen=True, slots=True)
class PlannedPosting:
    """What the posting loop registers for one document before anything is sent."""

    key: str
    doc_type: str
    doc_number: str
    doc_date: dt.date
    total: Money
    request_id: str
    seq: int = 0


@dataclass(frozen=True, slots=True)
class DocPosting:
    """The stored posting state of one document."""

    key: str
    client_id: int
    integration_id: int
    settlement_id: str
    doc_type: str
    doc_number: str
    doc_date: dt.date | None
    total: Money
    seq: int
    request_id: str
    generation: int
    state: PostState
    qbo_id: str
    sync_token: str
    error_code: str
    error_message: str
    error_hint: str
    attempts: int
    batch_request_id: str
    sent_at: dt.datetime | None
    posted_at: dt.datetime | None
    updated_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds a settlement's posting claim, and until when (when ``state`` is posting)."""

    scope: str
    state: str
    owner: str
    who: str
    started_at: dt.datetime | None
    lease_until: dt.datetime | None


def scope_of(client_id: int, integration_id: int, settlement_id: str) -> str:
    """The claim and snapshot scope of one settlement of one integration."""
    return f"{client_id}/{integration_id}/{settlement_id}"


def _posting(row: sa.Row) -> DocPosting:
    return DocPosting(
        key=row.doc_key, client_id=row.client_id, integration_id=row.integration_id,
        settlement_id=row.settlement_id, doc_type=row.doc_type, doc_number=row.doc_number,
        doc_date=row.doc_date, total=from_cents(row.total_cents), seq=row.seq,
        request_id=row.request_id, generation=row.generation, state=PostState(row.state), qbo_id=row.qbo_id,
        sync_token=row.sync_token, error_code=row.error_code, error_message=row.error_message,
        error_hint=row.error_hint, attempts=row.attempts, batch_request_id=row.batch_request_id,
        sent_at=row.sent_at, posted_at=row.posted_at, updated_at=row.updated_at)


# --- per-document state ----------------------------------------------------------------------


def register_planned(db: Database, client_id: int, integration_id: int, settlement_id: str,
                     planned: Iterable[PlannedPosting],
                     request_id: Callable[[str, int], str] | None = None) -> None:
    """Create the ``planned`` row of every document that has none yet.

    Rows already there keep their state (a resumed run must see what the stopped one did); rows of
    documents undone earlier go back to ``planned`` with their QBO Id cleared and the next
    *generation*, whose ``requestid`` (``request_id(key, generation)``) QBO has not seen, so that
    QBO creates them again instead of replaying the first answer.
    """
    items = list(planned)
    with db.begin() as conn:
        existing = {r.doc_key: (r.state, r.generation) for r in conn.execute(
            sa.select(postings.c.doc_key, postings.c.state, postings.c.generation).where(
                postings.c.client_id == client_id, postings.c.integration_id == integration_id,
                postings.c.settlement_id == settlement_id))}
        now = utcnow()
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        for p in items:
            values: dict[str, object] = dict(
                doc_type=p.doc_type, doc_number=p.doc_number, doc_date=p.doc_date,
                total_cents=to_cents(p.total), seq=p.seq, request_id=p.request_id)
            state, generation = existing.get(p.key, (None, 0))
            if state is None:
                inserts.append(dict(
                    client_id=client_id, integration_id=integration_id, settlement_id=settlement_id,
                    doc_key=p.key, state=PostState.PLANNED.value, qbo_id="", sync_token="",
                    error_code="", error_message="", error_hint="", attempts=0, batch_request_id="",
                    generation=0, created_at=now, updated_at=now, **values))
                continue
            if state == PostState.UNDONE.value:
                generation += 1
            elif state not in (PostState.PLANNED.value, PostState.FAILED.value):
                continue  # sent or posted: QBO may have it as it was sent
            values["request_id"] = request_id(p.key, generation) if request_id else p.request_id
            reset = state == PostState.UNDONE.value
            updates.append(dict(
                b_key=p.key, b_state=PostState.PLANNED.value if reset else state,
                b_generation=generation, b_now=now, **{f"b_{k}": v for k, v in values.items()}))
        if inserts:
            conn.execute(postings.insert(), inserts)
        if updates:
            conn.execute(postings.update().where(postings.c.doc_key == sa.bindparam("b_key")).values(
                state=sa.bindparam("b_state"), generation=sa.bindparam("b_generation"),
                updated_at=sa.bindparam("b_now"), doc_type=sa.bindparam("b_doc_type"),
                doc_number=sa.bindparam("b_doc_number"), doc_date=sa.bindparam("b_doc_date"),
                total_cents=sa.bindparam("b_total_cents"), seq=sa.bindparam("b_seq"),
                request_id=sa.bindparam("b_request_id")), updates)
            undone = [u["b_key"] for u in updates if u["b_state"] == PostState.PLANNED.value]
            for start in range(0, len(undone), 500):
                conn.execute(postings.update().where(
                    postings.c.doc_key.in_(undone[start:start + 500]),
                    postings.c.state == PostState.UNDONE.value).values(
                    qbo_id="", sync_token="", error_code="", error_message="", error_hint=""))


def list_postings(db: Database, client_id: int, integration_id: int, settlement_id: str) -> list[DocPosting]:
    """Every stored document state of one settlement, in planning order."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(postings).where(
            postings.c.client_id == client_id, postings.c.integration_id == integration_id,
            postings.c.settlement_id == settlement_id).order_by(postings.c.seq, postings.c.id))
        return [_posting(r) for r in rows]


def get_posting(db: Database, key: str) -> DocPosting | None:
    with db.connect() as conn:
        row = conn.execute(sa.select(postings).where(postings.c.doc_key == key)).first()
    return None if row is None else _posting(row)


def mark_sent(db: Database, keys: Iterable[str], batch_request_id: str) -> None:
    """Record, before the request leaves, that these documents are being sent (attempts + 1)."""
    keys = list(keys)
    if not keys:
        return
    now = utcnow()
    with db.begin() as conn:
        for start in range(0, len(keys), 500):
            conn.execute(postings.update().where(
                postings.c.doc_key.in_(keys[start:start + 500]), postings.c.state != PostState.POSTED.value).values(
                state=PostState.SENT.value, attempts=postings.c.attempts + 1,
                batch_request_id=batch_request_id, sent_at=now, updated_at=now))


def mark_posted(db: Database, results: Iterable[tuple[str, str, str]]) -> None:
    """Record QBO's Id (and SyncToken) for documents QBO has: ``(key, qbo_id, sync_token)``."""
    now = utcnow()
    rows = [{"b_key": k, "b_id": q, "b_token": t} for k, q, t in results]
    if not rows:
        return
    with db.begin() as conn:
        conn.execute(postings.update().where(postings.c.doc_key == sa.bindparam("b_key")).values(
            state=PostState.POSTED.value, qbo_id=sa.bindparam("b_id"), sync_token=sa.bindparam("b_token"),
            error_code="", error_message="", error_hint="", posted_at=now, updated_at=now), rows)


def mark_failed(db: Database, failures: Iterable[tuple[str, str, str, str]]) -> None:
    """Record QBO's refusal: ``(key, code, message, hint)``. Never downgrades a posted document."""
    now = utcnow()
    rows = [{"b_key": k, "b_code": c, "b_message": m, "b_hint": h} for k, c, m, h in failures]
    if not rows:
        return
    with db.begin() as conn:
        conn.execute(postings.update().where(
            postings.c.doc_key == sa.bindparam("b_key"), postings.c.state != PostState.POSTED.value).values(
            state=PostState.FAILED.value, error_code=sa.bindparam("b_code"),
            error_message=sa.bindparam("b_message"), error_hint=sa.bindparam("b_hint"), updated_at=now), rows)


def mark_undone(db: Database, keys: Iterable[str]) -> None:
    """Record that these documents were deleted or voided in QBO by Undo."""
    now = utcnow()
    with db.begin() as conn:
        for key in keys:
            conn.execute(postings.update().where(postings.c.doc_key == key).values(
                state=PostState.UNDONE.value, qbo_id="", sync_token="", updated_at=now))


def forget_settlement(db: Database, client_id: int, integration_id: int, settlement_id: str) -> None:
    """Drop the ``planned``/``failed``/``undone`` rows of a settlement (nothing of them is in QBO).

    Called when the documents are rebuilt (Retry import) so that stale keys do not linger.
    Rows ``sent`` or ``posted`` stay: QBO may have them.
    """
    with db.begin() as conn:
        conn.execute(postings.delete().where(
            postings.c.client_id == client_id, postings.c.integration_id == integration_id,
            postings.c.settlement_id == settlement_id,
            postings.c.state.in_([PostState.PLANNED.value, PostState.FAILED.value,
                                  PostState.UNDONE.value])))


# --- the per-settlement claim ----------------------------------------------------------------


def _claim(row: sa.Row) -> Claim:
    return Claim(scope=row.scope, state=row.state, owner=row.owner, who=row.who,
                 started_at=row.started_at, lease_until=row.lease_until)


def get_claim(db: Database, scope: str) -> Claim | None:
    with db.connect() as conn:
        row = conn.execute(sa.select(posting_claims).where(posting_claims.c.scope == scope)).first()
    return None if row is None else _claim(row)


def try_claim(db: Database, scope: str, owner: str, who: str, lease_seconds: float,
              holder_is_gone: Callable[[str], bool] | None = None) -> tuple[bool, Claim | None]:
    """Take the posting claim of ``scope`` for ``owner``, atomically.

    It is taken when it is idle or its lease has run out, or when ``holder_is_gone(owner)`` says
    the holding process no longer exists. Returns ``(True, claim)`` when taken, else
    ``(False, the holder's claim)``. One ``UPDATE ... WHERE`` decides, so two processes (or two app
    instances on one PostgreSQL) cannot both win.
    """
    now = utcnow()
    until = now + dt.timedelta(seconds=lease_seconds)
    try:
        with db.begin() as conn:
            if conn.execute(sa.select(posting_claims.c.scope).where(posting_claims.c.scope == scope)).first() is None:
                conn.execute(posting_claims.insert().values(scope=scope, state="idle", owner="", who=""))
    except IntegrityError:
        pass  # created by a concurrent claimer: fine
    values = dict(state="posting", owner=owner, who=who, started_at=now, lease_until=until)
    with db.begin() as conn:
        taken = conn.execute(posting_claims.update().where(
            posting_claims.c.scope == scope,
            sa.or_(posting_claims.c.state == "idle", posting_claims.c.lease_until < now,
                   posting_claims.c.owner == owner)).values(**values)).rowcount
    if taken == 1:
        return True, get_claim(db, scope)
    holder = get_claim(db, scope)
    if holder is not None and holder.state == "posting" and holder_is_gone and holder_is_gone(holder.owner):
        with db.begin() as conn:
            taken = conn.execute(posting_claims.update().where(
                posting_claims.c.scope == scope, posting_claims.c.owner == holder.owner,
                posting_claims.c.state == "posting").values(**values)).rowcount
        if taken == 1:
            return True, get_claim(db, scope)
        holder = get_claim(db, scope)
    return False, holder


def renew_claim(db: Database, scope: str, owner: str, lease_seconds: float) -> bool:
    """Extend the lease (the heartbeat). False when ``owner`` no longer holds the claim."""
    until = utcnow() + dt.timedelta(seconds=lease_seconds)
    with db.begin() as conn:
        return conn.execute(posting_claims.update().where(
            posting_claims.c.scope == scope, posting_claims.c.owner == owner,
            posting_claims.c.state == "posting").values(lease_until=until)).rowcount == 1


def release_claim(db: Database, scope: str, owner: str) -> None:
    """Give the claim back (only when ``owner`` still holds it)."""
    with db.begin() as conn:
        conn.execute(posting_claims.update().where(
            posting_claims.c.scope == scope, posting_claims.c.owner == owner).values(
            state="idle", owner="", lease_until=None))


# --- snapshots --------------------------------------------------------------------------------


def save_snapshot(db: Database, client_id: int, scope: str, phase: str, values: dict[str, str], *,
                  replace: bool = False) -> None:
    """Store named values of a phase (``before`` or ``after``); keeps existing ones unless ``replace``."""
    now = utcnow()
    with db.begin() as conn:
        if replace:
            conn.execute(posting_snapshots.delete().where(
                posting_snapshots.c.scope == scope, posting_snapshots.c.phase == phase))
        have = {r.name for r in conn.execute(sa.select(posting_snapshots.c.name).where(
            posting_snapshots.c.scope == scope, posting_snapshots.c.phase == phase))}
        for name, value in values.items():
            if name not in have:
                conn.execute(posting_snapshots.insert().values(
                    client_id=client_id, scope=scope, phase=phase, name=name, value=value, taken_at=now))


def get_snapshot(db: Database, scope: str, phase: str) -> tuple[dict[str, str], dt.datetime | None]:
    """The stored values of a phase and when they were taken (``({}, None)`` when none)."""
    with db.connect() as conn:
        rows = list(conn.execute(sa.select(posting_snapshots).where(
            posting_snapshots.c.scope == scope, posting_snapshots.c.phase == phase)))
    if not rows:
        return {}, None
    return {r.name: r.value for r in rows}, min(r.taken_at for r in rows)


def clear_snapshots(db: Database, scope: str) -> None:
    with db.begin() as conn:
        conn.execute(posting_snapshots.delete().where(posting_snapshots.c.scope == scope))


def snapshots_after(db: Database, client_id: int, since: dt.datetime, exclude_scope: str
                    ) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Other settlements of the client whose posting started after ``since``: (scope, before, after).

    Verification uses their moves to tell its own settlement's move from later ones.
    """
    with db.connect() as conn:
        rows = list(conn.execute(sa.select(posting_snapshots).where(
            posting_snapshots.c.client_id == client_id, posting_snapshots.c.scope != exclude_scope)))
    starts: dict[str, dt.datetime] = {}
    by: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        by.setdefault((r.scope, r.phase), {})[r.name] = r.value
        if r.phase == "before":
            starts[r.scope] = min(starts.get(r.scope, r.taken_at), r.taken_at)
    out = []
    for scope, start in sorted(starts.items()):
        if start >= since and (scope, "after") in by:
            out.append((scope, by[(scope, "before")], by[(scope, "after")]))
    return out
