"""Planned documents: what the document engine built for a settlement, ready for preview and posting.

One row per document, keyed by its deterministic key (unique across the database, DESIGN §4), with
its type, date, DocNumber, total (integer cents) and its lines as JSON with every amount as exact
decimal text. ``status`` starts ``planned``; the per-document posting state (sent, posted with the
QBO Id, failed with QBO's error, attempts) is kept by :mod:`services.storage.postings`, and the
``qbo_id`` / ``qbo_error`` / ``attempts`` columns here mirror it for lists that read one table.

Rebuilding (Retry import) replaces a settlement's documents in one transaction, so readers see
the old set or the new set, never a mix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from services.documents import ROLE_OF, document_from_json, document_to_json
from services.money import to_cents
from services.records import Document, Integration
from services.storage.db import Database, metadata, utcnow

CHUNK = 2_000
PLANNED = "planned"

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("settlement_id", sa.String(100), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("doc_key", sa.String(400), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("doc_type", sa.String(30), nullable=False),
    sa.Column("doc_date", sa.Date, nullable=False),
    sa.Column("doc_number", sa.String(40), nullable=False),
    sa.Column("total_cents", sa.BigInteger, nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # document_to_json, exact decimal text
    sa.Column("status", sa.String(20), nullable=False, default=PLANNED),
    sa.Column("qbo_id", sa.String(50), nullable=False, default=""),
    sa.Column("qbo_error", sa.Text, nullable=False, default=""),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_documents_settlement", "integration_id", "settlement_id", "seq"),
)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A stored document with its state."""

    document: Document
    settlement_id: str
    seq: int
    status: str
    qbo_id: str = ""
    qbo_error: str = ""
    attempts: int = 0


def _values(integration_id: int, settlement_id: str, seq: int, doc: Document, now: Any) -> dict[str, Any]:
    return {"integration_id": integration_id, "settlement_id": settlement_id, "seq": seq, "doc_key": doc.key,
            "role": ROLE_OF[doc.type], "doc_type": doc.type.value, "doc_date": doc.date,
            "doc_number": doc.doc_number, "total_cents": to_cents(doc.total), "line_count": len(doc.lines),
            "body": json.dumps(document_to_json(doc), separators=(",", ":")), "status": PLANNED, "qbo_id": "",
            "qbo_error": "", "attempts": 0, "created_at": now, "updated_at": now}


def save_documents(db: Database, integration: Integration, settlement_id: str,
                   docs: Sequence[Document]) -> int:
    """Replace the settlement's stored documents with ``docs`` (in their order), in one transaction.

    Why: a rebuild with new mappings must not leave documents of the earlier build behind.
    Returns how many were stored.
    """
    now = utcnow()
    with db.begin() as conn:
        conn.execute(documents.delete().where(documents.c.integration_id == integration.id,
                                              documents.c.settlement_id == settlement_id))
        for start in range(0, len(docs), CHUNK):
            conn.execute(documents.insert(), [
                _values(integration.id, settlement_id, start + i, d, now)
                for i, d in enumerate(docs[start:start + CHUNK])])
    return len(docs)


def delete_documents(db: Database, integration: Integration, settlement_id: str) -> None:
    """Forget a settlement's planned documents (nothing is ready for posting afterwards)."""
    with db.begin() as conn:
        conn.execute(documents.delete().where(documents.c.integration_id == integration.id,
                                              documents.c.settlement_id == settlement_id))


def _stored(row: Any) -> StoredDocument:
    return StoredDocument(document=document_from_json(json.loads(row.body)), settlement_id=row.settlement_id,
                          seq=row.seq, status=row.status, qbo_id=row.qbo_id, qbo_error=row.qbo_error,
                          attempts=row.attempts)


def load_stored(db: Database, integration: Integration, settlement_id: str) -> list[StoredDocument]:
    """The settlement's documents with their state, in build order."""
    with db.connect() as conn:
        rows = conn.execute(sa.select(documents).where(
            documents.c.integration_id == integration.id, documents.c.settlement_id == settlement_id)
            .order_by(documents.c.seq))
        return [_stored(r) for r in rows]


def load_documents(db: Database, integration: Integration, settlement_id: str) -> list[Document]:
    """The settlement's planned documents, in build order (empty when none are ready)."""
    return [s.document for s in load_stored(db, integration, settlement_id)]


def count_documents(db: Database, integration: Integration, settlement_id: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(documents).where(
            documents.c.integration_id == integration.id,
            documents.c.settlement_id == settlement_id)).scalar_one())


def set_document_state(db: Database, keys: Iterable[str], *, status: str, qbo_id: str | None = None,
                       qbo_error: str | None = None, attempt: bool = False) -> None:
    """Mirror a posting state onto documents (``status``, QBO Id or error, one more attempt)."""
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    if qbo_id is not None:
        values["qbo_id"] = qbo_id
    if qbo_error is not None:
        values["qbo_error"] = qbo_error
    if attempt:
        values["attempts"] = documents.c.attempts + 1
    keys = list(keys)
    with db.begin() as conn:
        for start in range(0, len(keys), CHUNK):
            conn.execute(documents.update().where(documents.c.doc_key.in_(keys[start:start + CHUNK])).values(**values))
