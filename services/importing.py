"""Importing settlement files: parse, refuse duplicates, store, then build documents.

One upload (one or several files, companion exports together) may hold several settlements.
Each is handled on its own and is all or nothing: a settlement whose parse found an error is not
stored at all; one that parsed cleanly is stored with every row in one transaction. Every problem
of every file is collected in one pass, so the accountant fixes a whole upload at once.

Duplicates: when the upload is exactly the files of a settlement imported before, it is refused
before parsing (a 190 MB report is not read again for nothing). Otherwise each parsed settlement whose id is
already stored for the integration is refused, naming when and from which file it was imported,
unless ``replace`` asks to replace it and nothing of it was sent to QuickBooks.

After a settlement is stored, :func:`after_store` is the step where its documents are built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.errors import DuplicateSettlement, MappingNotFound, SettlebridgeError
from services.money import ZERO
from services.records import (
    Client,
    Integration,
    Issue,
    Settlement,
    SettlementStatus,
    Severity,
    error,
    has_errors,
)
from services.storage import Database
from services.storage import settlements as repo

# Per-settlement outcome words beyond SettlementStatus: refused before storing.
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class SettlementImport:
    """What became of one settlement of an upload.

    ``status`` is the stored status (``imported``, later ``mapping_not_found`` or ``ready``) when
    ``stored``; else ``duplicate`` (already imported) or ``rejected`` (errors in the file, or
    nothing readable). ``summary`` is :func:`services.settlements.summarize` of what was read.
    """

    settlement_id: str
    status: str
    stored: bool
    summary: dict[str, Any] = field(default_factory=dict, compare=False)
    issues: tuple[Issue, ...] = ()
    files: tuple[str, ...] = ()
    replaced: bool = False
    settlement: Settlement | None = field(default=None, compare=False, repr=False)
    #: on ``mapping_not_found``: every unmapped SKU (``sku``, ``title``, ``quantity``, ``first_date``,
    #: ``last_date``, ``reason``), as the document step recorded them
    unmapped: tuple[dict[str, Any], ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an upload did: one entry per settlement (or unreadable file), in upload order."""

    settlements: tuple[SettlementImport, ...]

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for s in self.settlements for i in s.issues)

    @property
    def stored(self) -> tuple[SettlementImport, ...]:
        return tuple(s for s in self.settlements if s.stored)

    @property
    def status(self) -> str:
        """``ok``; ``error`` (a file could not be used); ``duplicate``; or a stored status that
        needs the user (``mapping_not_found``)."""
        statuses = {s.status for s in self.settlements}
        if REJECTED in statuses or not self.settlements:
            return "error"
        if DUPLICATE in statuses:
            return DUPLICATE
        for needs_user in (SettlementStatus.MAPPING_NOT_FOUND, SettlementStatus.FAILED):
            if needs_user.value in statuses:
                return needs_user.value
        return "ok"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def after_store(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                who: str = "", settlement: Settlement | None = None) -> None:
    """The step after a settlement is stored: build its documents and set its status.

    It marks the settlement ``imported``, then the document pipeline (:func:`services.pipeline.prepare`)
    builds the documents with the integration's mappings and settings, store them (replacing any
    built before, since a replaced settlement keeps its database key), and set the status to
    ``ready``, or to ``mapping_not_found`` with ``{"unmapped": [...]}`` as the status detail
    (the ``import`` command prints that list). It may raise a :class:`SettlebridgeError` after
    setting the status (e.g. :class:`MappingNotFound`): :func:`import_files` keeps the settlement
    stored and reports the message as an error of that settlement. ``settlement`` is the one just
    stored, when the caller holds it (it is then not read back).
    """
    from services.pipeline import prepare

    if repo.get_settlement_info(db, integration, settlement_id).status is not SettlementStatus.IMPORTED:
        repo.set_status(db, integration, settlement_id, SettlementStatus.IMPORTED, who=who)
    prepare(db, client, integration, settlement_id, who=who, settlement=settlement)


def _already_imported_outcome(db: Database, integration: Integration,
                              files: Sequence[tuple[str, bytes]], shas: dict[str, str]) -> ImportOutcome | None:
    """The upload is exactly what was imported before: refuse without parsing. ``None`` otherwise.

    It is when every uploaded file was imported before and some stored settlement was imported
    from files all of which are in this upload. A companion export reused with a new payout file
    is not (the new file was never imported), nor is a companion alone (the parser says what it
    needs).
    """
    if not files:
        return None
    seen = repo.find_imported_files(db, integration, shas.values())
    uploaded = set(shas.values())
    if uploaded - {s.sha256 for s in seen}:
        return None
    sources = repo.settlement_file_shas(db, integration, {s.settlement_id for s in seen})
    whole = {sid for sid, file_shas in sources.items() if file_shas and file_shas <= uploaded}
    if not whole:
        return None
    per_settlement: dict[str, list[Issue]] = {}
    names: dict[str, list[str]] = {}
    for name, _ in files:
        for s in seen:
            if s.sha256 == shas[name] and s.settlement_id in whole:
                per_settlement.setdefault(s.settlement_id, []).append(
                    error(repo.imported_file_message(s, name), name, code="duplicate"))
                names.setdefault(s.settlement_id, []).append(name)
    return ImportOutcome(tuple(
        SettlementImport(settlement_id=sid, status=DUPLICATE, stored=False, issues=tuple(issues),
                         files=tuple(dict.fromkeys(names[sid])))
        for sid, issues in per_settlement.items()))


def import_files(db: Database, client: Client, integration: Integration,
                 files: Sequence[tuple[str, bytes]], *, who: str, replace: bool = False) -> ImportOutcome:
    """Import an upload for ``integration``: parse, refuse duplicates, store, build documents.

    Args:
        files: ``(file name, bytes)`` as uploaded; companion exports go in the same call.
        who: the user, recorded on each settlement and its events.
        replace: replace settlements already imported that have not been sent to QuickBooks.

    Returns:
        One :class:`SettlementImport` per settlement found (or per unusable file), each with its
        summary and issues. Never raises for bad data or duplicates; those are in the outcome.
    """
    from services.settlements import parse_upload, summarize

    shas: dict[str, str] = {}
    for name, data in files:
        shas.setdefault(name, sha256(data))
    if not replace:
        refused = _already_imported_outcome(db, integration, files, shas)
        if refused is not None:
            return refused
    seen = {(s.sha256, s.settlement_id): s for s in repo.find_imported_files(db, integration, shas.values())}
    out: list[SettlementImport] = []
    for result in parse_upload(files):
        settlement = result.settlement
        issues = tuple(result.issues)
        if settlement is None:
            file_names = tuple(dict.fromkeys(i.file for i in issues if i.file))
            out.append(SettlementImport("", REJECTED, False, issues=issues, files=file_names))
            continue
        own = [n for n in settlement.source_files if n in shas] or [n for n, _ in files]
        summary = summarize(settlement)
        base = SettlementImport(settlement.settlement_id, REJECTED, False, summary, issues, tuple(own),
                                settlement=settlement)
        if has_errors(issues):
            note = Issue(Severity.INFO, f"Settlement {settlement.settlement_id} was not imported: nothing "
                         "of it was stored. Fix the problems above and upload it again.", own[0],
                         code="not_stored")
            out.append(dataclasses.replace(base, issues=(*issues, note)))
            continue
        was_there = repo.find_settlement(db, integration, settlement.settlement_id)
        try:
            repo.save_settlement(db, integration, settlement, [(n, shas[n]) for n in own], who=who,
                                 replace=replace)
        except DuplicateSettlement as exc:
            message = exc.message
            again = [(n, seen[(shas[n], settlement.settlement_id)]) for n in own
                     if (shas[n], settlement.settlement_id) in seen]
            if again and not replace:
                message = repo.imported_file_message(again[0][1], again[0][0])
            if not replace:
                message += " To replace it (only before it is posted), import again with replace."
            out.append(dataclasses.replace(base, status=DUPLICATE, issues=(*issues, error(message, own[0], code="duplicate"))))
            continue
        except ValueError as exc:  # an amount with a fraction of a cent: a parser defect, said in words
            out.append(dataclasses.replace(base, issues=(
                *issues, error(f"Settlement {settlement.settlement_id} could not be stored: {exc}", own[0],
                               code="not_stored"))))
            continue
        try:
            after_store(db, client, integration, settlement.settlement_id, who=who, settlement=settlement)
        except SettlebridgeError as exc:  # stored, but its documents could not be built: say why
            code = "mapping_not_found" if isinstance(exc, MappingNotFound) else "documents_not_built"
            issues = (*issues, error(exc.message, own[0], code=code))
        info = repo.get_settlement_info(db, integration, settlement.settlement_id)
        unmapped: tuple[dict[str, Any], ...] = ()
        if info.status is SettlementStatus.MAPPING_NOT_FOUND:
            with contextlib.suppress(ValueError, AttributeError):
                unmapped = tuple(json.loads(info.status_detail or "{}").get("unmapped", ()))
        out.append(dataclasses.replace(base, status=info.status.value, stored=True, issues=issues,
                                       replaced=was_there is not None, unmapped=unmapped))
    return ImportOutcome(tuple(out))


# --- Where the money went (the page's chart, the CLI's breakdown) ----------------------------------

_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Product sales", ("product_sale",)),
    ("Shipping and gift wrap", ("shipping", "gift_wrap")),
    ("Refunds", ("product_refund",)),
    ("Promotions", ("promotion",)),
    ("Tax collected", ("tax_collected",)),
    ("Tax withheld by the marketplace", ("tax_withheld",)),
    ("Fees: commission", ("fee:commission",)),
    ("Fees: fulfilment", ("fee:fulfilment",)),
    ("Fees: storage", ("fee:storage",)),
    ("Fees: advertising", ("fee:advertising",)),
    ("Fees: subscription", ("fee:subscription",)),
    ("Fees: other", ("fee:other",)),
    ("Reimbursements", ("reimbursement",)),
    ("Reserves", ("reserve",)),
    ("Transfers", ("transfer",)),
    ("Unclassified", ("unclassified",)),
)


def where_the_money_went(summary: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """The settlement's money by kind, in an accountant's order, from a summary's ``by_category``.

    Every category lands in exactly one group (an unknown key goes to "Other"), so the amounts
    sum to the settlement's ``lines_total``; groups with no rows are left out.
    """
    by_category = {k: Decimal(v) for k, v in summary.get("by_category", {}).items()}
    out: list[tuple[str, Decimal]] = []
    known: set[str] = set()
    for label, keys in _GROUPS:
        known.update(keys)
        present = [by_category[k] for k in keys if k in by_category]
        if present:
            out.append((label, sum(present, ZERO)))
    other = [v for k, v in by_category.items() if k not in known]
    if other:
        out.append(("Other", sum(other, ZERO)))
    return out


def fees_total(summary: dict[str, Any]) -> Decimal:
    """All marketplace fees of a summary (negative: money kept by the marketplace)."""
    return sum((Decimal(v) for k, v in summary.get("by_category", {}).items() if k.startswith("fee")), ZERO)
