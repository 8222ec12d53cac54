"""From a stored settlement to planned documents: the import's document step and Retry import.

:func:`prepare` loads the settlement, the integration's mappings and settings, reads the QBO item
list when inventory tracking is on (to check the mapped items still exist and for refund unit
prices), runs the pure engine (:func:`services.documents.build_documents`) and then:

* on **mapping not found** sets the settlement's status ``mapping_not_found`` with the unmapped
  SKUs as its detail, forgets any documents built before, and raises
  :class:`~services.errors.MappingNotFound` (nothing is readied for posting);
* on an **error** (the tie-out does not hold, a bundle does not split) sets ``failed`` with the
  difference, forgets the documents and raises :class:`~services.errors.TieOutError`;
* else stores the documents (replacing an earlier build) and sets ``ready``.

A settlement of which some document was already sent to QuickBooks is not rebuilt: its documents
are what QBO has (undo the posting first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.documents import TieOut, build_documents, tie_out
from services.errors import MappingNotFound, SettlebridgeError, TieOutError
from services.records import (
    Client,
    Document,
    Integration,
    Issue,
    QboItem,
    Settlement,
    SettlementStatus,
    Severity,
    has_errors,
    warning,
)
from services.routing import PRODUCT_ITEM, routing_for
from services.storage import Database
from services.storage import documents as docs_repo
from services.storage import mappings as mappings_repo
from services.storage import settlements as settlements_repo


class AlreadyPosted(SettlebridgeError):
    """Documents of this settlement were already sent to QuickBooks; undo the posting before rebuilding."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What :func:`prepare` built and stored."""

    settlement: Settlement
    documents: tuple[Document, ...]
    issues: tuple[Issue, ...]
    tie_out: TieOut
    status: SettlementStatus


def key_prefix(client: Client, integration: Integration) -> str:
    """The ``client/integration`` part of every document key (database ids: stable across renames)."""
    return f"{client.id}/{integration.id}"


def _gateway(db: Database, client: Client) -> Any:
    from services.qbo.gateway import QboGateway, RetryPolicy

    # an import must not wait long for a QBO that is down: a few quick tries, then a warning
    return QboGateway.for_client(db, client, retry=RetryPolicy(attempts=3, base_seconds=0.2, cap_seconds=1.0))


def read_items(db: Database, client: Client) -> dict[str, QboItem]:
    """The company's items (inactive ones too) by QBO id."""
    return {i.id: i for i in _gateway(db, client).list_items(include_inactive=True)}


def _ensure_product(db: Database, client: Client, items: dict[str, QboItem], name: str) -> None:
    """Create the generic item "Product" when it is missing (DESIGN §2, step 2)."""
    if name != PRODUCT_ITEM or any(i.name.lower() == name.lower() and i.active for i in items.values()):
        return
    made = _gateway(db, client).ensure_product_item()
    items[made.id] = made


def missing_items(documents: tuple[Document, ...] | list[Document]) -> dict[str, int]:
    """Item names used by receipt lines that have no QBO id (not found in QuickBooks), with counts."""
    out: dict[str, int] = {}
    for d in documents:
        for ln in d.lines:
            if ln.item is not None and not ln.item.id:
                out[ln.item.name] = out.get(ln.item.name, 0) + 1
    return out


def _sent_documents(db: Database, client: Client, integration: Integration, settlement_id: str) -> int:
    from services.storage import postings

    return sum(1 for p in postings.list_postings(db, client.id, integration.id, settlement_id)
               if p.state in (postings.PostState.SENT, postings.PostState.POSTED))


def prepare(db: Database, client: Client, integration: Integration, settlement_id: str, *, who: str = "",
            items: dict[str, QboItem] | None = None, read_qbo: bool = True,
            settlement: Settlement | None = None) -> Prepared:
    """Build and store the documents of a stored settlement with the current mappings and settings.

    Why: the import's last step and "Retry import" are the same operation; a failure leaves the
    settlement with a status that says what the user must do, and nothing half-built.

    Args:
        items: the company's QBO items by id when already read; else they are read (tracking on
            and ``read_qbo``). When QBO cannot be read the documents are still built, with a warning.
        who: the user, recorded in the settlement's history.
        settlement: the stored settlement when the caller has just stored it (the import); else
            it is loaded. It must be what is stored: storage round-trips a settlement exactly.

    Raises:
        MappingNotFound: tracking is on and SKUs are unmapped (``details["unmapped"]``).
        TieOutError: the documents do not add up to the settlement total (``details["tie_out"]``).
        AlreadyPosted: some document of the settlement was sent to QuickBooks already.
        NotFound: no such settlement.
    """
    if _sent_documents(db, client, integration, settlement_id):
        raise AlreadyPosted(f"Settlement {settlement_id} has documents in QuickBooks already; undo the "
                            "posting before rebuilding its documents.")
    if settlement is None or settlement.settlement_id != settlement_id:
        settlement = settlements_repo.load_settlement(db, integration, settlement_id)
    mappings = mappings_repo.load_mappings(db, integration)
    routing = routing_for(integration)
    extra: list[Issue] = []
    if items is None and read_qbo:
        try:
            items = read_items(db, client)
            if not integration.inventory_tracking:
                _ensure_product(db, client, items, routing.product_item.name)
        except SettlebridgeError as exc:  # QBO down, or a client not connected yet
            extra.append(warning(f"QuickBooks items could not be read ({exc.message}); mapped items were not "
                                 "checked against QuickBooks and items are named without their QBO ids.",
                                 code="items_unread"))
    try:
        documents, issues = build_documents(settlement, mappings, routing, tracking=integration.inventory_tracking,
                                            items=items, key_prefix=key_prefix(client, integration))
    except MappingNotFound as exc:
        docs_repo.delete_documents(db, integration, settlement_id)
        detail = exc.details if isinstance(exc.details, dict) else {}
        settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.MAPPING_NOT_FOUND,
                                    detail, who=who,
                                    event=f"Documents not built: mapping not found for "
                                          f"{len(detail.get('unmapped', []))} SKU(s)")
        raise
    if items is not None:
        for name, count in sorted(missing_items(documents).items()):
            extra.append(warning(f"QuickBooks has no item named {name!r} ({count} line(s)): create it (Settings "
                                 "and Mappings → Create sensible defaults) or choose another, then Retry import.",
                                 code="item_missing"))
    issues = (*extra, *issues)
    result = tie_out(settlement, documents)
    if has_errors(issues):
        docs_repo.delete_documents(db, integration, settlement_id)
        errors = [str(i) for i in issues if i.severity is Severity.ERROR]
        detail = {"error": "; ".join(errors), "tie_out": result.as_json()}
        settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.FAILED, detail, who=who,
                                    event="Documents not built: " + errors[0])
        raise TieOutError("; ".join(errors), details={"tie_out": result.as_json(), "errors": errors})
    docs_repo.save_documents(db, integration, settlement_id, documents)
    warnings = [str(i) for i in issues if i.severity is Severity.WARNING]
    settlements_repo.set_status(
        db, integration, settlement_id, SettlementStatus.READY,
        {"documents": len(documents), "warnings": warnings[:50], "tie_out": result.as_json(),
         "issues": [issue_json(i) for i in issues[:200]]}, who=who,
        event=f"{len(documents)} document(s) built, ready to post")
    return Prepared(settlement, documents, tuple(issues), result, SettlementStatus.READY)


def issue_json(issue: Issue) -> dict[str, object]:
    """An issue as stored in a settlement's status detail (the preview shows them again)."""
    return {"severity": issue.severity.value, "message": issue.message, "file": issue.file, "row": issue.row,
            "code": issue.code}


def issue_from_json(data: dict[str, object]) -> Issue:
    row = data.get("row")
    return Issue(Severity(str(data.get("severity", "warning"))), str(data.get("message", "")),
                 str(data.get("file", "")), row if isinstance(row, int) else None, str(data.get("code", "")))


def after_import(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                 who: str = "", read_qbo: bool = True) -> SettlementStatus:
    """The import's document step: :func:`prepare`, with its failures recorded as the settlement's
    status rather than raised (the import reports statuses). Returns the status set."""
    try:
        return prepare(db, client, integration, settlement_id, who=who, read_qbo=read_qbo).status
    except MappingNotFound:
        return SettlementStatus.MAPPING_NOT_FOUND
    except TieOutError:
        return SettlementStatus.FAILED
    except SettlebridgeError as exc:
        settlements_repo.add_event(db, integration, settlement_id, who=who,
                                   what=f"Documents not built: {exc.message}")
        return settlements_repo.get_settlement_info(db, integration, settlement_id).status


def planned_documents(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                      who: str = "", read_qbo: bool = True) -> tuple[list[Document], tuple[Issue, ...]]:
    """The settlement's stored documents, building them first when there are none yet.

    Raises what :func:`prepare` raises when they have to be built.
    """
    stored = docs_repo.load_documents(db, integration, settlement_id)
    if stored:
        return stored, ()
    prepared = prepare(db, client, integration, settlement_id, who=who, read_qbo=read_qbo)
    return list(prepared.documents), prepared.issues
