"""The reading side of verification: what QBO holds, turned into :mod:`services.verify` records.

Reads go through the gateway only: posted documents by Id (``Id IN (...)``, a page per 100),
every item (quantity on hand, type), and the reports ProfitAndLoss (cost of goods sold for the
settlement's period) and BalanceSheet (the inventory asset accounts at the period's end). A
*snapshot* of those figures is stored before a settlement's first document is sent and again when
all are posted, so that verification can tell what this settlement moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from services.errors import QboError
from services.money import ZERO, Money, to_money
from services.qbo.gateway import QboGateway
from services.qbo.posting import note_has_key
from services.records import Client, Document, Integration, SettlementStatus
from services.storage import Database
from services.storage import postings as store
from services.verify import ItemState, Measures, PostedDoc, PostedLine, VerifyReport, verify

READ_CHUNK = 100


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _period(documents: Sequence[Document]) -> tuple[dt.date, dt.date]:
    dates = [d.date for d in documents]
    return min(dates), max(dates)


def posted_doc(key: str, doc_type: str, entity: dict[str, Any] | None, qbo_id: str) -> PostedDoc:
    """A QBO transaction's JSON as a :class:`PostedDoc`."""
    if entity is None:
        return PostedDoc(key=key, type=doc_type, qbo_id=qbo_id, found=False)
    lines = []
    for ln in entity.get("Line") or []:
        kind = ln.get("DetailType", "")
        if kind == "SubTotalLineDetail":
            continue
        detail = ln.get(kind) or {}
        item = detail.get("ItemRef") or {}
        account = detail.get("AccountRef") or {}
        lines.append(PostedLine(amount=to_money(_dec(ln.get("Amount")) or ZERO),
                                item_id=str(item.get("value", "")), item_name=str(item.get("name", "")),
                                qty=_dec(detail.get("Qty")), account_id=str(account.get("value", ""))))
    total = _dec(entity.get("TotalAmt"))
    note = str(entity.get("PrivateNote") or "")
    voided = "voided" in note.lower() and (total or ZERO) == 0
    return PostedDoc(key=key, type=doc_type, qbo_id=str(entity.get("Id", qbo_id)), found=True,
                     total=to_money(total if total is not None else sum((x.amount for x in lines), ZERO)),
                     lines=tuple(lines), has_key=note_has_key(note, key), voided=voided)


def read_posted(gateway: QboGateway, wanted: Iterable[tuple[str, str, str]]) -> dict[str, PostedDoc]:
    """Read back ``(key, doc_type, qbo_id)`` documents: one query per type per 100 Ids."""
    out: dict[str, PostedDoc] = {}
    by_type: dict[str, list[tuple[str, str]]] = {}
    for key, doc_type, qbo_id in wanted:
        if not qbo_id:
            out[key] = PostedDoc(key=key, type=doc_type, qbo_id="", found=False)
        else:
            by_type.setdefault(doc_type, []).append((key, qbo_id))
    for doc_type, pairs in by_type.items():
        for i in range(0, len(pairs), READ_CHUNK):
            chunk = pairs[i:i + READ_CHUNK]
            ids = ", ".join(f"'{qid}'" for _, qid in chunk)
            rows = {str(r.get("Id")): r for r in gateway.query(f"SELECT * FROM {doc_type} WHERE Id IN ({ids})")}
            for key, qid in chunk:
                out[key] = posted_doc(key, doc_type, rows.get(qid), qid)
    return out


def read_items(gateway: QboGateway) -> dict[str, ItemState]:
    """Every item (inactive ones too) with its type and quantity on hand now."""
    return {i.id: ItemState(id=i.id, name=i.name, type=i.type, qty_on_hand=i.qty_on_hand)
            for i in gateway.list_items(include_inactive=True)}


# --- reports -------------------------------------------------------------------------------------


def _rows(node: Any) -> Iterator[dict[str, Any]]:
    rows = ((node or {}).get("Rows") or {}).get("Row") or []
    yield from (r for r in rows if isinstance(r, dict))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    for row in _rows(node):
        yield row
        yield from _walk(row)


def _last_amount(coldata: Any) -> Money | None:
    for cell in reversed(coldata or []):
        value = _dec((cell or {}).get("value"))
        if value is not None:
            return to_money(value)
    return None


def report_cogs(report: dict[str, Any]) -> Money | None:
    """Total cost of goods sold of a ProfitAndLoss report (``None`` when it has no COGS section)."""
    for row in _walk(report):
        if str(row.get("group", "")).upper() == "COGS":
            return _last_amount((row.get("Summary") or {}).get("ColData")) or ZERO
    return ZERO if report.get("Rows") is not None else None


def report_accounts(report: dict[str, Any], names: set[str], ids: set[str]) -> Money | None:
    """Sum of the data rows of accounts named in ``names`` (or with an Id in ``ids``)."""
    total: Money | None = None
    lowered = {n.lower() for n in names}
    for row in _walk(report):
        cols = row.get("ColData")
        if not cols:
            continue
        head = cols[0] or {}
        if str(head.get("id", "")) in ids or str(head.get("value", "")).lower() in lowered:
            amount = _last_amount(cols[1:])
            if amount is not None:
                total = (total or ZERO) + amount
    if total is None and report.get("Rows") is not None:
        return ZERO
    return total


def _inventory_assets(gateway: QboGateway) -> tuple[set[str], set[str]]:
    names, ids = set(), set()
    for acc in gateway.list_accounts():
        if acc.account_sub_type == "Inventory":
            names.add(acc.name)
            ids.add(acc.id)
    if not names:
        names.add("Inventory Asset")
    return names, ids


def measure(gateway: QboGateway, documents: Sequence[Document], *, tracking: bool) -> dict[str, str]:
    """The figures a snapshot keeps: ``qty:ID`` per item on the documents, ``cogs`` and ``asset``."""
    if not tracking or not documents:
        return {}
    start, end = _period(documents)
    item_ids = {ln.item.id for d in documents for ln in d.lines if ln.item is not None and ln.qty is not None}
    values: dict[str, str] = {}
    for item in gateway.list_items(include_inactive=True):
        if item.id in item_ids and item.qty_on_hand is not None:
            values[f"qty:{item.id}"] = str(item.qty_on_hand)
    try:
        pnl = gateway.report("ProfitAndLoss", start_date=start.isoformat(), end_date=end.isoformat())
        cogs = report_cogs(pnl)
        if cogs is not None:
            values[f"cogs:{start}:{end}"] = str(cogs)
        names, ids = _inventory_assets(gateway)
        bs = gateway.report("BalanceSheet", start_date=start.isoformat(), end_date=end.isoformat())
        asset = report_accounts(bs, names, ids)
        if asset is not None:
            values[f"asset:{end}"] = str(asset)
    except QboError:
        pass  # reports unavailable: quantities are still measured; the checks say "not measured"
    return values


def take_snapshot(db: Database, gateway: QboGateway, client_id: int, scope: str, phase: str,
                  documents: Sequence[Document], *, tracking: bool) -> None:
    """Store what QBO shows now as the ``before`` or ``after`` snapshot of a settlement."""
    values = measure(gateway, documents, tracking=tracking)
    values["taken"] = "1"
    store.save_snapshot(db, client_id, scope, phase, values, replace=phase == "after")


def _later_moves(db: Database, client_id: int, scope: str, since: dt.datetime | None) -> dict[str, Decimal]:
    if since is None:
        return {}
    moves: dict[str, Decimal] = {}
    for _, before, after in store.snapshots_after(db, client_id, since, scope):
        for name, value in after.items():
            if name in before and name != "taken":
                try:
                    moves[name] = moves.get(name, Decimal(0)) + Decimal(value) - Decimal(before[name])
                except InvalidOperation:
                    continue
    return moves


def verify_documents(db: Database, gateway: QboGateway, *, client: Client, integration_id: int,
                     settlement_id: str, documents: Sequence[Document], settlement_total: Money,
                     tracking: bool, expected_cogs: Money | None) -> VerifyReport:
    """Read back a settlement's posted documents and what they moved, and run every check."""
    scope = store.scope_of(client.id, integration_id, settlement_id)
    states = {p.key: p for p in store.list_postings(db, client.id, integration_id, settlement_id)}
    wanted = [(d.key, d.type.value, states[d.key].qbo_id if d.key in states else "") for d in documents]
    posted = read_posted(gateway, wanted)
    items = read_items(gateway)
    before, taken_at = store.get_snapshot(db, scope, "before")
    later = _later_moves(db, client.id, scope, taken_at)
    measures = Measures()
    if tracking and documents:
        start, end = _period(documents)
        now = measure(gateway, documents, tracking=True)
        qty_before = {k[4:]: Decimal(v) for k, v in before.items() if k.startswith("qty:")}
        qty_later = {k[4:]: v for k, v in later.items() if k.startswith("qty:")}
        cogs_key, asset_key = f"cogs:{start}:{end}", f"asset:{end}"
        measures = Measures(
            qty_before=qty_before, qty_later=qty_later,
            cogs_before=_money_or_none(before.get(cogs_key)), cogs_now=_money_or_none(now.get(cogs_key)),
            cogs_later=to_money(later.get(cogs_key, Decimal(0))),
            asset_before=_money_or_none(before.get(asset_key)), asset_now=_money_or_none(now.get(asset_key)),
            asset_later=to_money(later.get(asset_key, Decimal(0))))
    return verify(documents, posted, settlement_total=settlement_total, tracking=tracking, items=items,
                  measures=measures, expected_cogs=expected_cogs,
                  at=dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _money_or_none(value: str | None) -> Money | None:
    if value is None:
        return None
    return to_money(value)


def verify_settlement(db: Database, client: Client, integration: Integration, settlement_id: str, *,
                      who: str = "", gateway: QboGateway | None = None) -> VerifyReport:
    """The verification report of a posted settlement (the Verify page and ``verify`` command).

    The FIFO expectation of the cost of goods sold is the one the preview computed just before the
    first document was sent (kept in the ``before`` snapshot). A settlement whose checks all pass
    becomes ``verified``; one that stops passing goes back to ``posted``. Each run is an event.

    Raises:
        NotReady: nothing of the settlement has been posted yet.
    """
    from services.qbo.posting import NotReady
    from services.storage import documents as documents_repo
    from services.storage import settlements as settlements_repo

    info = settlements_repo.get_settlement_info(db, integration, settlement_id)
    docs = documents_repo.load_documents(db, integration, settlement_id)
    states = store.list_postings(db, client.id, integration.id, settlement_id)
    if not docs or not any(p.qbo_id for p in states):
        raise NotReady(f"Settlement {settlement_id} has nothing posted to verify yet: post it first.")
    gw = gateway or QboGateway.for_client(db, client)
    scope = store.scope_of(client.id, integration.id, settlement_id)
    before, _ = store.get_snapshot(db, scope, "before")
    expected = _money_or_none(before.get("expected_cogs"))
    report = verify_documents(db, gw, client=client, integration_id=integration.id,
                              settlement_id=settlement_id, documents=docs, settlement_total=info.total,
                              tracking=integration.inventory_tracking, expected_cogs=expected)
    words = "all checks pass" if report.ok else f"{len(report.exceptions)} of {len(report.checks)} checks fail"
    if report.ok and info.status in (SettlementStatus.POSTED, SettlementStatus.VERIFIED):
        settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.VERIFIED, who=who,
                                    event=f"Verified: {words}")
    elif not report.ok and info.status is SettlementStatus.VERIFIED:
        settlements_repo.set_status(db, integration, settlement_id, SettlementStatus.POSTED, who=who,
                                    event=f"Verification: {words}")
    else:
        settlements_repo.add_event(db, integration, settlement_id, who=who, what=f"Verification: {words}")
    return report
