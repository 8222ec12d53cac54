"""Stored settlements: the settlement, its rows, the files it came from, and its events.

Money is stored as integer cents and read back as :class:`~decimal.Decimal`, so a settlement
round-trips exactly on SQLite and PostgreSQL. Rows keep their position (``seq``) so that a loaded
settlement equals the one that was saved, row for row.

Saving is all or nothing: one transaction writes the settlement, every row and the file records,
or nothing at all. Rows go in with ``executemany`` in chunks (and ``COPY`` on PostgreSQL), so that
a settlement of a million rows stores in seconds without building one huge list.

Duplicates: a settlement id already stored for the integration is refused with
:class:`~services.errors.DuplicateSettlement`, naming when and from which file it was imported.
``replace=True`` replaces it in place (same database key, version + 1, events kept) while nothing
of it was sent to QuickBooks (:func:`_refuse_replacement` says exactly when).

File records: one row per (file, settlement). A file's SHA-256 identifies an exact upload; the
same companion file (e.g. a Shopify orders export) may legitimately serve several payouts, so the
uniqueness is per settlement, and :func:`find_imported_files` answers "was this file seen before".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.bulk import gc_paused
from services.errors import DuplicateSettlement, NotFound
from services.money import from_cents, to_cents
from services.records import (
    REPLACEABLE_STATUSES,
    Category,
    Channel,
    FeeKind,
    Integration,
    Settlement,
    SettlementEvent,
    SettlementInfo,
    SettlementRows,
    SettlementStatus,
)
from services.storage.db import Database, metadata, utcnow

CHUNK = 5_000

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("settlement_id", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("format", sa.String(50), nullable=False),
    sa.Column("marketplace", sa.String(100), nullable=False, default=""),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date, nullable=False),
    sa.Column("deposit_date", sa.Date, nullable=False),
    sa.Column("total_cents", sa.BigInteger, nullable=False),
    sa.Column("stated_total_cents", sa.BigInteger, nullable=True),
    sa.Column("lines_total_cents", sa.BigInteger, nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("status_detail", sa.Text, nullable=False, default="{}"),
    sa.Column("source_files", sa.Text, nullable=False, default="[]"),  # JSON list of names
    sa.Column("file_sha256s", sa.Text, nullable=False, default="[]"),  # JSON list, same order
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.UniqueConstraint("integration_id", "settlement_id", name="uq_settlement_per_integration"),
)

settlement_rows = sa.Table(
    "settlement_rows",
    metadata,
    sa.Column("settlement_pk", sa.Integer, sa.ForeignKey("settlements.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),  # position in Settlement.rows
    sa.Column("source_row", sa.Integer, nullable=False),
    sa.Column("category", sa.String(30), nullable=False),
    sa.Column("fee_kind", sa.String(20), nullable=True),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("order_id", sa.String(100), nullable=False, default=""),
    sa.Column("order_item", sa.String(100), nullable=False, default=""),
    sa.Column("sku", sa.String(200), nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("quantity", sa.Integer, nullable=True),
    sa.Column("is_refund", sa.Boolean, nullable=False, default=False),
    sa.Column("raw_type", sa.Text, nullable=False, default=""),
    sa.Column("source_file", sa.String(500), nullable=False, default=""),
)

imported_files = sa.Table(
    "imported_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("settlement_pk", sa.Integer, sa.ForeignKey("settlements.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("imported_by", sa.String(200), nullable=False, default=""),
    sa.UniqueConstraint("integration_id", "sha256", "settlement_pk", name="uq_imported_file"),
    sa.Index("ix_imported_files_sha", "integration_id", "sha256"),
)

settlement_events = sa.Table(
    "settlement_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("settlement_pk", sa.Integer, sa.ForeignKey("settlements.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("who", sa.String(200), nullable=False, default=""),
    sa.Column("what", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)

_ROW_COLUMNS = ("settlement_pk", "seq", "source_row", "category", "fee_kind", "amount_cents", "date",
                "order_id", "order_item", "sku", "title", "quantity", "is_refund", "raw_type",
                "source_file")


@dataclass(frozen=True, slots=True)
class ImportedFile:
    """A file seen before: its name then, the settlement it fed, and when."""

    sha256: str
    name: str
    settlement_id: str
    status: SettlementStatus
    imported_at: dt.datetime
    imported_by: str


def _when(at: dt.datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "an earlier import"


def _info(row: Any) -> SettlementInfo:
    return SettlementInfo(
        id=row.id, integration_id=row.integration_id, settlement_id=row.settlement_id,
        channel=Channel(row.channel), format=row.format, marketplace=row.marketplace,
        currency=row.currency, start=row.start, end=row.end, deposit_date=row.deposit_date,
        total=from_cents(row.total_cents),
        stated_total=None if row.stated_total_cents is None else from_cents(row.stated_total_cents),
        lines_total=from_cents(row.lines_total_cents), row_count=row.row_count,
        status=SettlementStatus(row.status), status_detail=row.status_detail,
        source_files=tuple(json.loads(row.source_files or "[]")), created_at=row.created_at,
        created_by=row.created_by, updated_at=row.updated_at, version=row.version,
    )


class _Memo(dict[Any, Any]):
    """A converter that converts each distinct value once (rows repeat amounts, days and types)."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.convert(key)
        return value


def _row_chunks(pk: int, rows: SettlementRows, *, iso_dates: bool) -> Iterator[list[tuple[Any, ...]]]:
    """The rows in chunks of ``CHUNK``, as tuples in ``_ROW_COLUMNS`` order, read column by column
    (each distinct amount and day is converted once)."""
    cents = _Memo(to_cents).__getitem__
    days = _Memo(dt.date.isoformat if iso_dates else (lambda d: d)).__getitem__
    category, kind = _CATEGORY_TEXT.__getitem__, _KIND_TEXT.__getitem__
    for start in range(0, len(rows), CHUNK):
        stop = min(start + CHUNK, len(rows))

        def part(name: str, start: int = start, stop: int = stop) -> tuple[Any, ...]:
            return getattr(rows, name)[start:stop]  # type: ignore[no-any-return]

        yield list(zip(
            (pk,) * (stop - start), range(start, stop), part("source_row"), map(category, part("category")),
            map(kind, part("fee_kind")), map(cents, part("amount")), map(days, part("date")), part("order_id"),
            part("order_item"), part("sku"), part("title"), part("quantity"), part("is_refund"), part("raw_type"),
            part("source_file"), strict=True))


_CATEGORY_TEXT = {c: c.value for c in Category}
_KIND_TEXT: dict[FeeKind | None, str | None] = {None: None, **{k: k.value for k in FeeKind}}


def _insert_rows(conn: Any, pk: int, rows: SettlementRows) -> None:
    """Insert every row of a settlement in chunks (``COPY`` on PostgreSQL, executemany elsewhere),
    reading the settlement's columns (no row record is made)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # COPY with psycopg's own row encoder: the fastest way into PostgreSQL.
        cursor = conn.connection.driver_connection.cursor()
        cols = ", ".join(f'"{c}"' for c in _ROW_COLUMNS)
        with cursor.copy(f"COPY settlement_rows ({cols}) FROM STDIN") as copy:
            copy.set_types(["int4", "int4", "int4", "text", "text", "int8", "date", "text", "text", "text",
                            "text", "int4", "bool", "text", "text"])
            for chunk in _row_chunks(pk, rows, iso_dates=False):
                for values in chunk:
                    copy.write_row(values)
        return
    if conn.dialect.name == "sqlite":
        # The driver directly, with plain tuples: SQLAlchemy's per-value processing triples the time.
        # Dates as ISO text and booleans as 0/1 are exactly what SQLAlchemy's SQLite types store.
        cursor = conn.connection.driver_connection.cursor()
        sql = (f"INSERT INTO settlement_rows ({', '.join(_ROW_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in _ROW_COLUMNS)})")
        for chunk in _row_chunks(pk, rows, iso_dates=True):
            cursor.executemany(sql, chunk)
        cursor.close()
        return
    for chunk in _row_chunks(pk, rows, iso_dates=False):
        conn.execute(settlement_rows.insert(), [dict(zip(_ROW_COLUMNS, values, strict=True)) for values in chunk])


def _existing(conn: Any, integration: Integration, settlement_id: str) -> Any:
    return conn.execute(sa.select(settlements).where(
        settlements.c.integration_id == integration.id,
        settlements.c.settlement_id == settlement_id)).first()


def duplicate_message(existing: SettlementInfo | Any, file_name: str = "") -> str:
    """The words for a duplicate: which settlement, when and by whom it was imported, from which file."""
    when = _when(existing.created_at)
    by = f" by {existing.created_by}" if existing.created_by else ""
    files = existing.source_files if isinstance(existing, SettlementInfo) else tuple(
        json.loads(existing.source_files or "[]"))
    source = f" from {files[0]!r}" if files else ""
    if file_name:
        return (f"File {file_name!r} was already imported on {when}{by} "
                f"(settlement {existing.settlement_id}, status {existing.status}).")
    return f"Settlement {existing.settlement_id} was already imported on {when}{by}{source}."


def _documents_in_quickbooks(conn: Any, integration_id: int, settlement_id: str) -> int:
    """How many documents of the settlement were sent to QuickBooks (and not undone)."""
    from services.storage.postings import PostState, postings

    return int(conn.execute(sa.select(sa.func.count()).select_from(postings).where(
        postings.c.integration_id == integration_id, postings.c.settlement_id == settlement_id,
        postings.c.state.in_([PostState.SENT.value, PostState.POSTED.value]))).scalar_one())


def _refuse_replacement(conn: Any, existing: Any, action: str = "replaced") -> None:
    """Refuse to replace (or delete) a settlement that QuickBooks may hold documents of.

    Allowed: the statuses before posting, and ``failed`` when no document was sent (its documents
    could not be built, e.g. they did not tie out). Refused: anything posted or being posted, and
    any settlement with a document sent to QuickBooks and not undone, whatever its status says.
    """
    status = SettlementStatus(existing.status)
    sent = _documents_in_quickbooks(conn, existing.integration_id, existing.settlement_id)
    if (status in REPLACEABLE_STATUSES or status is SettlementStatus.FAILED) and not sent:
        return
    reason = (f"{sent} of its documents were sent to QuickBooks" if sent
              else "it is being posted or has been posted to QuickBooks")
    raise DuplicateSettlement(
        f"Settlement {existing.settlement_id} cannot be {action}: its status is {status.value} "
        f"({reason}). Its documents in QuickBooks would no longer match what Settlebridge holds; "
        "undo the posting first (History page) if the settlement must change.",
        details={"settlement_id": existing.settlement_id, "status": status.value})


def save_settlement(db: Database, integration: Integration, settlement: Settlement,
                    files: Sequence[tuple[str, str]] = (), *, who: str = "",
                    replace: bool = False) -> SettlementInfo:
    """Store ``settlement`` for ``integration`` with its rows and source files, all or nothing.

    Args:
        files: ``(name, sha256)`` of the uploaded files this settlement was read from.
        who: the user, recorded on the settlement and its "imported" event.
        replace: replace a settlement of the same id that has not been sent to QuickBooks.

    Returns:
        The stored settlement's :class:`SettlementInfo` (status ``imported``).

    Raises:
        DuplicateSettlement: the id is already stored (and ``replace`` is false), or the stored one
            has been posted and cannot be replaced.
    """
    now = utcnow()
    values = {
        "integration_id": integration.id, "settlement_id": settlement.settlement_id,
        "channel": settlement.channel.value, "format": settlement.format,
        "marketplace": settlement.marketplace, "currency": settlement.currency,
        "start": settlement.start, "end": settlement.end, "deposit_date": settlement.deposit_date,
        "total_cents": to_cents(settlement.total),
        "stated_total_cents": None if settlement.stated_total is None else to_cents(settlement.stated_total),
        "lines_total_cents": to_cents(settlement.lines_total), "row_count": len(settlement.rows),
        "status": SettlementStatus.IMPORTED.value, "status_detail": "{}",
        "source_files": json.dumps(list(settlement.source_files or [n for n, _ in files])),
        "file_sha256s": json.dumps([sha for _, sha in files]), "updated_at": now,
    }
    try:
        with db.begin() as conn:
            existing = _existing(conn, integration, settlement.settlement_id)
            if existing is not None:
                if not replace:
                    raise DuplicateSettlement(duplicate_message(existing), details={
                        "settlement_id": existing.settlement_id, "status": existing.status,
                        "imported_at": _when(existing.created_at)})
                _refuse_replacement(conn, existing)
                pk = existing.id
                conn.execute(settlement_rows.delete().where(settlement_rows.c.settlement_pk == pk))
                conn.execute(imported_files.delete().where(imported_files.c.settlement_pk == pk))
                conn.execute(settlements.update().where(settlements.c.id == pk).values(
                    **values, version=existing.version + 1))
                what, detail = "replaced", (f"replaced version {existing.version} "
                                            f"(imported {_when(existing.created_at)})")
            else:
                pk = conn.execute(settlements.insert().values(
                    **values, created_at=now, created_by=who, version=1)).inserted_primary_key[0]
                what, detail = "imported", ""
            with gc_paused():
                _insert_rows(conn, pk, settlement.rows)
            seen: set[str] = set()
            file_rows = []
            for name, sha in files:
                if sha not in seen:
                    seen.add(sha)
                    file_rows.append({"integration_id": integration.id, "sha256": sha, "name": name,
                                      "settlement_pk": pk, "imported_at": now, "imported_by": who})
            if file_rows:
                conn.execute(imported_files.insert(), file_rows)
            names = ", ".join(n for n, _ in files) or ", ".join(settlement.source_files)
            conn.execute(settlement_events.insert().values(
                settlement_pk=pk, at=now, who=who, what=what,
                detail=(detail + "; " if detail else "") + (f"from {names}; " if names else "")
                + f"{len(settlement.rows)} rows, total {settlement.total} {settlement.currency}"))
    except IntegrityError:
        # Someone else stored the same settlement between our check and our insert.
        with db.connect() as conn:
            existing = _existing(conn, integration, settlement.settlement_id)
        if existing is None:
            raise
        raise DuplicateSettlement(duplicate_message(existing)) from None
    return get_settlement_info(db, integration, settlement.settlement_id)


def _select_info() -> Any:
    return sa.select(*[c for c in settlements.c if c.name != "file_sha256s"])


def get_settlement_info(db: Database, integration: Integration, settlement_id: str) -> SettlementInfo:
    """A stored settlement's info. Raises :class:`NotFound`."""
    with db.connect() as conn:
        row = conn.execute(_select_info().where(
            settlements.c.integration_id == integration.id,
            settlements.c.settlement_id == settlement_id)).first()
    if row is None:
        raise NotFound(f"Integration {integration.name!r} has no settlement {settlement_id!r}.")
    return _info(row)


def find_settlement(db: Database, integration: Integration, settlement_id: str) -> SettlementInfo | None:
    """The stored settlement of that id, or ``None``."""
    try:
        return get_settlement_info(db, integration, settlement_id)
    except NotFound:
        return None


def list_settlements(db: Database, integration: Integration) -> list[SettlementInfo]:
    """Every stored settlement of ``integration``, newest period first."""
    with db.connect() as conn:
        rows = conn.execute(_select_info().where(settlements.c.integration_id == integration.id)
                            .order_by(settlements.c.end.desc(), settlements.c.settlement_id.desc()))
        return [_info(r) for r in rows]


def load_settlement(db: Database, integration: Integration, settlement_id: str) -> Settlement:
    """The stored settlement, rows in their original order, money as exact Decimals.

    Raises :class:`NotFound`.
    """
    info = get_settlement_info(db, integration, settlement_id)
    columns: list[list[Any]] = [[] for _ in _ROW_COLUMNS[2:]]
    categories = {c.value: c for c in Category}
    kinds: dict[str | None, FeeKind | None] = {None: None, "": None, **{k.value: k for k in FeeKind}}
    amounts = _Memo(from_cents)
    days = _Memo(lambda d: d if isinstance(d, dt.date) else dt.date.fromisoformat(d[:10]))
    # The driver's cursor directly: SQLAlchemy's row and type processing (SQLite's Date type parses
    # every value with a regular expression) would double the time of a million-row load. Rows are
    # read into the settlement's columns; days and amounts repeat, so each distinct one is
    # converted once.
    names = ", ".join(c for c in _ROW_COLUMNS[2:])
    sql = f"SELECT {names} FROM settlement_rows WHERE settlement_pk = {int(info.id)} ORDER BY seq"
    with db.connect() as conn, gc_paused():
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(sql)
        while batch := cursor.fetchmany(CHUNK):
            for column, values in zip(columns, zip(*batch, strict=True), strict=True):
                column.extend(values)
        cursor.close()
    (source_row, category, fee_kind, cents, date, order_id, order_item, sku, title, quantity, is_refund,
     raw_type, source_file) = columns
    rows = SettlementRows(
        source_row=tuple(source_row), category=tuple(map(categories.__getitem__, category)),
        amount=tuple(map(amounts.__getitem__, cents)), date=tuple(map(days.__getitem__, date)),
        order_id=tuple(order_id), order_item=tuple(order_item), sku=tuple(sku), title=tuple(title),
        quantity=tuple(quantity), fee_kind=tuple(map(kinds.__getitem__, fee_kind)),
        is_refund=tuple(map(bool, is_refund)), raw_type=tuple(raw_type), source_file=tuple(source_file))
    return Settlement(
        settlement_id=info.settlement_id, channel=info.channel, format=info.format,
        marketplace=info.marketplace, currency=info.currency, start=info.start, end=info.end,
        deposit_date=info.deposit_date, total=info.total, rows=rows,
        stated_total=info.stated_total, source_files=info.source_files)


def find_imported_files(db: Database, integration: Integration,
                        sha256s: Iterable[str]) -> list[ImportedFile]:
    """Files of ``integration`` already imported, among ``sha256s`` (one entry per settlement fed)."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return []
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(imported_files.c.sha256, imported_files.c.name, imported_files.c.imported_at,
                      imported_files.c.imported_by, settlements.c.settlement_id, settlements.c.status)
            .join(settlements, settlements.c.id == imported_files.c.settlement_pk)
            .where(imported_files.c.integration_id == integration.id, imported_files.c.sha256.in_(wanted))
            .order_by(imported_files.c.imported_at, imported_files.c.id))
        return [ImportedFile(sha256=r.sha256, name=r.name, settlement_id=r.settlement_id,
                             status=SettlementStatus(r.status), imported_at=r.imported_at,
                             imported_by=r.imported_by) for r in rows]


def settlement_file_shas(db: Database, integration: Integration,
                         settlement_ids: Iterable[str]) -> dict[str, set[str]]:
    """The SHA-256 of every file each settlement was imported from (companions included)."""
    wanted = sorted(set(settlement_ids))
    out: dict[str, set[str]] = {sid: set() for sid in wanted}
    if not wanted:
        return out
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(settlements.c.settlement_id, imported_files.c.sha256)
            .join(imported_files, imported_files.c.settlement_pk == settlements.c.id)
            .where(settlements.c.integration_id == integration.id, settlements.c.settlement_id.in_(wanted)))
        for r in rows:
            out[r.settlement_id].add(r.sha256)
    return out


def imported_file_message(seen: ImportedFile, name: str) -> str:
    """The words for a file uploaded again."""
    same = "" if seen.name == name else f" as {seen.name!r}"
    by = f" by {seen.imported_by}" if seen.imported_by else ""
    return (f"File {name!r} was already imported{same} on {_when(seen.imported_at)}{by} "
            f"(settlement {seen.settlement_id}, status {seen.status.value}).")


def _pk(conn: Any, integration: Integration, settlement_id: str) -> int:
    pk = conn.execute(sa.select(settlements.c.id).where(
        settlements.c.integration_id == integration.id,
        settlements.c.settlement_id == settlement_id)).scalar()
    if pk is None:
        raise NotFound(f"Integration {integration.name!r} has no settlement {settlement_id!r}.")
    return int(pk)


def set_status(db: Database, integration: Integration, settlement_id: str, status: SettlementStatus,
               detail: dict[str, Any] | None = None, *, who: str = "", event: str = "",
               expected_version: int | None = None) -> SettlementInfo:
    """Set a settlement's status (and its detail, e.g. the unmapped SKUs) and bump its version.

    Args:
        event: when given, also records an event with these words (``what``).
        expected_version: when given, the change applies only if the stored version is this one.

    Raises:
        NotFound: no such settlement.
        ConcurrentEdit: ``expected_version`` is stale.
    """
    from services.errors import ConcurrentEdit

    now = utcnow()
    with db.begin() as conn:
        pk = _pk(conn, integration, settlement_id)
        q = settlements.update().where(settlements.c.id == pk)
        if expected_version is not None:
            q = q.where(settlements.c.version == expected_version)
        done = conn.execute(q.values(
            status=SettlementStatus(status).value,
            status_detail=json.dumps(detail or {}, sort_keys=True, default=str),
            updated_at=now, version=settlements.c.version + 1))
        if done.rowcount == 0:
            raise ConcurrentEdit(f"Settlement {settlement_id} was changed by someone else; reload it.")
        if event:
            conn.execute(settlement_events.insert().values(
                settlement_pk=pk, at=now, who=who, what=event,
                detail=f"status {SettlementStatus(status).value}"))
    return get_settlement_info(db, integration, settlement_id)


def add_event(db: Database, integration: Integration, settlement_id: str, *, who: str, what: str,
              detail: str = "") -> None:
    """Record that ``who`` did ``what`` to a settlement now (the History page lists these)."""
    with db.begin() as conn:
        pk = _pk(conn, integration, settlement_id)
        conn.execute(settlement_events.insert().values(
            settlement_pk=pk, at=utcnow(), who=who, what=what, detail=detail))


def list_events(db: Database, integration: Integration,
                settlement_id: str | None = None) -> list[SettlementEvent]:
    """Events of one settlement, or of every settlement of ``integration``, oldest first."""
    q = (sa.select(settlements.c.settlement_id, settlement_events.c.at, settlement_events.c.who,
                   settlement_events.c.what, settlement_events.c.detail)
         .join(settlements, settlements.c.id == settlement_events.c.settlement_pk)
         .where(settlements.c.integration_id == integration.id)
         .order_by(settlement_events.c.at, settlement_events.c.id))
    if settlement_id is not None:
        q = q.where(settlements.c.settlement_id == settlement_id)
    with db.connect() as conn:
        return [SettlementEvent(settlement_id=r.settlement_id, at=r.at, who=r.who, what=r.what,
                                detail=r.detail) for r in conn.execute(q)]


def delete_settlement(db: Database, integration: Integration, settlement_id: str) -> None:
    """Delete a stored settlement with its rows, files and events, if nothing of it was posted.

    Raises:
        NotFound: no such settlement.
        DuplicateSettlement: it has been posted (or a posting was attempted); it stays.
    """
    with db.begin() as conn:
        existing = _existing(conn, integration, settlement_id)
        if existing is None:
            raise NotFound(f"Integration {integration.name!r} has no settlement {settlement_id!r}.")
        _refuse_replacement(conn, existing, "deleted")
        pk = existing.id
        for table in (settlement_rows, imported_files, settlement_events):
            conn.execute(table.delete().where(table.c.settlement_pk == pk))
        conn.execute(settlements.delete().where(settlements.c.id == pk))
