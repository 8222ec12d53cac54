"""Before posting: the preview of a settlement's documents, its readiness checks and expected margins.

DESIGN §5. The checks are pure functions over what was read from QBO:

* :func:`readiness_issues` — documents blocked because an item's "As of" date (``InvStartDate``)
  is after the document's date (QBO refuses the sale: Fault 6270); inventory tracking on while the
  QBO plan or preferences do not allow it (the words come from :mod:`services.readiness`).
* :func:`expected_cogs` — a FIFO replay (:func:`services.fifo.replay`) of each item's QBO history
  followed by the planned documents: the opening quantity at ``InvStartDate`` at ``PurchaseCost``
  (QBO does not keep the opening quantity, so it is today's ``QtyOnHand`` less the history's net
  movement), bills and purchases with item lines (inbound at their unit cost), earlier sales
  receipts (outbound) and refund receipts (returns), in (date, Id) order, then each planned sale
  line (outbound) and refund line (a return) at its document's date. The draws give the expected
  COGS of each line; draws below zero become the "units below zero" warning; per SKU and per
  bundle, revenue − COGS is the expected gross margin.

:func:`preview` is the thin part: it reads the stored documents (building them when there are
none) and the QBO data through the gateway, and returns a :class:`Preview`. When QBO cannot be
read the documents and tie-out are still shown, with a warning instead of the checks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.documents import TieOut, document_to_json, line_to_json
from services.fifo import IN, OUT, InventoryEvent, replay
from services.money import CENT, ZERO, Money, money_str
from services.records import (
    Client,
    DocLine,
    DocType,
    Document,
    Integration,
    Issue,
    QboItem,
    Severity,
    error,
    warning,
)

PLANNED_SEQ = 10**12  # planned documents come after everything QBO has on the same day
SALES_TYPES = (DocType.SALES_RECEIPT, DocType.REFUND_RECEIPT)


@dataclass(frozen=True, slots=True)
class LineCost:
    """The expected cost of one planned inventory line."""

    doc_key: str
    line: int  # index in the document's lines
    item_id: str
    item: str
    sku: str
    bundle_sku: str
    qty: Decimal
    amount: Money  # the line's money (positive)
    cost: Money  # expected COGS (a sale) or cost coming back (a refund), to the cent
    below_zero: Decimal = Decimal(0)  # units sold beyond what is on hand
    refund: bool = False


@dataclass(frozen=True, slots=True)
class Margin:
    """Expected gross margin of one SKU (or one bundle) over the settlement's documents."""

    sku: str
    kind: str  # "item" | "bundle" | "product" (tracking off: no cost known)
    revenue: Money
    cogs: Money | None
    units_sold: Decimal
    units_refunded: Decimal

    @property
    def margin(self) -> Money | None:
        return None if self.cogs is None else self.revenue - self.cogs

    @property
    def margin_percent(self) -> Decimal | None:
        if self.cogs is None or self.revenue <= 0:
            return None
        return (100 * (self.revenue - self.cogs) / self.revenue).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def as_json(self) -> dict[str, Any]:
        m, pct = self.margin, self.margin_percent
        return {"sku": self.sku, "kind": self.kind, "revenue": money_str(self.revenue),
                "cogs": None if self.cogs is None else money_str(self.cogs),
                "margin": None if m is None else money_str(m), "margin_percent": None if pct is None else str(pct),
                "units_sold": format(self.units_sold, "f"), "units_refunded": format(self.units_refunded, "f")}


@dataclass(frozen=True, slots=True)
class Preview:
    """Everything the Preview page and ``preview --json`` show for one settlement."""

    settlement_id: str
    currency: str
    status: str
    documents: tuple[Document, ...]
    tie_out: TieOut
    issues: tuple[Issue, ...] = ()  # from the build (unclassified amounts, facilitator tax...)
    readiness: tuple[Issue, ...] = ()  # DESIGN §5 checks
    blocked: tuple[str, ...] = ()  # document keys QBO would refuse (Fault 6270)
    costs: tuple[LineCost, ...] = ()
    margins: tuple[Margin, ...] = ()
    checked: bool = False  # QBO was read and the checks ran
    notes: tuple[str, ...] = field(default=())

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return (*self.issues, *self.readiness)

    def as_json(self) -> dict[str, Any]:
        """The ``preview --json`` object: ``documents`` (type, date, total, lines, key, doc_number),
        ``tie_out``, ``warnings``, ``blocked``, ``costs``, ``margins``."""
        costs: dict[tuple[str, int], LineCost] = {(c.doc_key, c.line): c for c in self.costs}
        docs = []
        for d in self.documents:
            data = document_to_json(d)
            lines = []
            for i, ln in enumerate(d.lines):
                line = line_to_json(ln)
                c = costs.get((d.key, i))
                line["expected_cogs"] = None if c is None else money_str(c.cost)
                lines.append(line)
            data["lines"] = lines
            data["blocked"] = d.key in self.blocked
            docs.append(data)
        return {"status": self.status, "settlement_id": self.settlement_id, "currency": self.currency,
                "documents": docs, "tie_out": self.tie_out.as_json(),
                "warnings": [_issue_json(i) for i in self.warnings], "blocked": list(self.blocked),
                "margins": [m.as_json() for m in self.margins], "checked": self.checked, "notes": list(self.notes)}


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {"severity": issue.severity.value, "message": issue.message, "code": issue.code, "row": issue.row,
            "file": issue.file}


# --- pure checks -------------------------------------------------------------------------------

LISTED_DOCS = 4  # documents named in one message; the rest are counted


def name_documents(documents: Sequence[Document]) -> str:
    """Documents in words for a message: "SalesReceipt S123-2603 of 2026-03-15" (a few, then a count)."""
    named = [f"{d.type.value} {d.doc_number} of {d.date.isoformat()}" for d in documents[:LISTED_DOCS]]
    more = len(documents) - len(named)
    return ", ".join(named) + (f" and {more:,} more" if more > 0 else "")



def _inventory(line: DocLine, items: Mapping[str, QboItem]) -> QboItem | None:
    if line.item is None or line.qty is None:
        return None
    found = items.get(line.item.id)
    return found if found is not None and found.type == "Inventory" else None


def readiness_issues(documents: Sequence[Document], items: Mapping[str, QboItem], *, tracking: bool,
                     tracking_problems: Iterable[str] = (),
                     accounts: Iterable[str] | None = None) -> tuple[list[Issue], list[str]]:
    """The checks that need no history: As-of dates after a document's date, items and accounts
    QBO does not have, and tracking on while QBO cannot track inventory. ``accounts`` are the names
    of the company's active accounts (not checked when ``None``). Returns (issues, keys of blocked
    documents)."""
    issues: list[Issue] = []
    blocked: list[str] = []
    if accounts is not None:
        known = {a.lower() for a in accounts}
        missing: dict[str, list[Document]] = {}
        for d in documents:
            names = {d.account} | {ln.account for ln in d.lines if d.type in (DocType.PURCHASE, DocType.DEPOSIT)}
            for name in sorted(n for n in names if n and n.lower() not in known):
                missing.setdefault(name, []).append(d)
        for name, docs in sorted(missing.items()):
            issues.append(error(f"QuickBooks has no account named {name!r}, used by {name_documents(docs)}: "
                                "create it (Settings and Mappings → Settings → Create sensible defaults) or choose "
                                "another account there, then Retry import.", code="account_missing"))
            blocked.extend(d.key for d in docs)
    if tracking:
        for p in tracking_problems:
            issues.append(error(f"Inventory tracking is on for this integration, but: {p}", code="tracking_not_ready"))
    late: dict[str, tuple[QboItem, list[Document]]] = {}
    absent: dict[str, list[Document]] = {}
    for d in documents:
        if d.type not in SALES_TYPES:
            continue
        hit = False
        for ln in d.lines:
            if ln.item is not None and (not ln.item.id or ln.item.id not in items
                                        or not items[ln.item.id].active):
                docs_of = absent.setdefault(ln.item.name, [])
                if d not in docs_of[-1:]:
                    docs_of.append(d)
                hit = True
            it = _inventory(ln, items)
            if it is not None and it.inv_start_date is not None and it.inv_start_date > d.date:
                late_docs = late.setdefault(it.id, (it, []))[1]
                if d not in late_docs[-1:]:
                    late_docs.append(d)
                hit = True
        if hit:
            blocked.append(d.key)
    names = {i.name.lower() for i in items.values() if i.active}
    for name, docs in sorted(absent.items()):
        if name.lower() in names:
            issues.append(error(f"{name_documents(docs)} name the item {name!r} without its QuickBooks id (they "
                                "were built while QuickBooks could not be read): Retry import.",
                                code="item_unresolved"))
        else:
            issues.append(error(f"QuickBooks has no active item named {name!r}, used by {name_documents(docs)}: "
                                "create it (Settings and Mappings → Settings → Create sensible defaults, or the "
                                "Mappings tab) or fix the mapping, then Retry import.", code="item_missing"))
    for it, docs in late.values():
        first = min(d.date for d in docs)
        assert it.inv_start_date is not None
        issues.append(error(
            f"Item {it.name!r} has its As of date (InvStartDate) {it.inv_start_date.isoformat()}, after the date "
            f"of {name_documents(docs)}: QuickBooks would refuse them (Fault 6270). Change the item's As of date "
            f"to {(first - dt.timedelta(days=1)).isoformat()} or earlier (QuickBooks → Sales → Products and "
            "services → the item → Edit), then Retry import.", code="inv_start_date"))
    return issues, list(dict.fromkeys(blocked))


def _lines(txn: dict[str, Any]) -> list[dict[str, Any]]:
    lines = txn.get("Line") or []
    return [ln for ln in lines if isinstance(ln, dict)]


def _seq(txn: dict[str, Any]) -> int:
    try:
        return int(str(txn.get("Id", "0")))
    except ValueError:
        return 0


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def history_events(items: Mapping[str, QboItem], history: Iterable[tuple[str, dict[str, Any]]]) -> list[InventoryEvent]:
    """Inventory events from QBO's items and transactions (``(entity, JSON)`` pairs of Bill,
    Purchase, SalesReceipt, RefundReceipt), with each item's opening quantity reconstructed."""
    events: list[InventoryEvent] = []
    net: dict[str, Decimal] = {}
    for entity, txn in history:
        date = dt.date.fromisoformat(str(txn.get("TxnDate", "1970-01-01"))[:10])
        seq = _seq(txn)
        credit = entity == "Purchase" and bool(txn.get("Credit"))
        for n, ln in enumerate(_lines(txn)):
            detail = ln.get("SalesItemLineDetail") or ln.get("ItemBasedExpenseLineDetail")
            if not isinstance(detail, dict):
                continue
            ref = detail.get("ItemRef") or {}
            item = items.get(str(ref.get("value", "")))
            if item is None or item.type != "Inventory":
                continue
            qty = _dec(detail.get("Qty"))
            if qty == 0:
                continue
            key = f"{entity}:{txn.get('Id', '')}:{ln.get('Id', n)}"
            if entity in ("Bill", "Purchase"):
                kind = OUT if credit else IN
                unit: Decimal | None = abs(_dec(ln.get("Amount")) / qty)
            else:
                kind = OUT if entity == "SalesReceipt" else IN
                unit = None
            if qty < 0:
                kind, qty = (IN if kind == OUT else OUT), -qty
                if entity != "Bill" and entity != "Purchase":
                    unit = None
            if kind == OUT:
                unit = None
            events.append(InventoryEvent(item.id, date, seq, kind, qty, unit, key))
            net[item.id] = net.get(item.id, ZERO) + (qty if kind == IN else -qty)
    for item in items.values():
        if item.type != "Inventory" or item.inv_start_date is None:
            continue
        opening = (item.qty_on_hand or ZERO) - net.get(item.id, ZERO)
        if opening > 0:
            events.append(InventoryEvent(item.id, item.inv_start_date, -1, IN, opening,
                                         item.purchase_cost or ZERO, f"Item:{item.id}:open"))
    return events


def planned_events(documents: Sequence[Document], items: Mapping[str, QboItem]) -> list[InventoryEvent]:
    """The planned documents' inventory lines as events (sales out, refunds back as returns)."""
    events: list[InventoryEvent] = []
    for n, d in enumerate(documents):
        if d.type not in SALES_TYPES:
            continue
        for i, ln in enumerate(d.lines):
            it = _inventory(ln, items)
            if it is None or not ln.qty:
                continue
            kind = OUT if d.type is DocType.SALES_RECEIPT else IN
            events.append(InventoryEvent(it.id, d.date, PLANNED_SEQ + n, kind, ln.qty, None, f"plan:{d.key}#{i}"))
    return events


def expected_cogs(documents: Sequence[Document], items: Mapping[str, QboItem],
                  history: Iterable[tuple[str, dict[str, Any]]]) -> tuple[list[LineCost], list[Margin], list[Issue]]:
    """Expected COGS per planned line, margins per SKU and bundle, and below-zero warnings."""
    events = history_events(items, history)
    events += planned_events(documents, items)
    result = replay(events)
    draws = {d.ref: d for d in result.draws if d.ref.startswith("plan:")}
    returns = {r.ref: r for r in result.returns if r.ref.startswith("plan:")}
    costs: list[LineCost] = []
    short: dict[str, tuple[Decimal, dt.date]] = {}
    short_docs: dict[str, list[Document]] = {}
    for d in documents:
        if d.type not in SALES_TYPES:
            continue
        for i, ln in enumerate(d.lines):
            ref = f"plan:{d.key}#{i}"
            it = _inventory(ln, items)
            if it is None or ln.qty is None:
                continue
            assert ln.item is not None
            if d.type is DocType.SALES_RECEIPT and ref in draws:
                dr = draws[ref]
                cost = dr.cost
                if cost == 0 and dr.short == dr.qty and it.purchase_cost:
                    # nothing on hand and no cost known yet: QBO's guess is the item's purchase cost
                    cost = (dr.qty * it.purchase_cost).quantize(CENT, rounding=ROUND_HALF_UP)
                costs.append(LineCost(d.key, i, it.id, it.name, ln.sku, ln.bundle_sku, ln.qty, ln.amount, cost,
                                      dr.short))
                if dr.short > 0:
                    units, first = short.get(it.id, (ZERO, d.date))
                    short[it.id] = (units + dr.short, min(first, d.date))
                    docs_short = short_docs.setdefault(it.id, [])
                    if d not in docs_short[-1:]:
                        docs_short.append(d)
            elif d.type is DocType.REFUND_RECEIPT and ref in returns:
                rc = returns[ref]
                unit = rc.unit_cost if rc.unit_cost or not it.purchase_cost else it.purchase_cost
                cost = (rc.qty * unit).quantize(CENT, rounding=ROUND_HALF_UP)
                costs.append(LineCost(d.key, i, it.id, it.name, ln.sku, ln.bundle_sku, ln.qty, ln.amount, cost,
                                      refund=True))
    issues = [warning(f"Item {items[i].name!r}: {name_documents(short_docs[i])} sell {format(units.normalize(), 'f')} "
                      f"unit(s) more than QuickBooks has on hand (from {first.isoformat()}). QuickBooks lets quantity "
                      "go below zero but costs those units at a guess until stock arrives: record the purchase "
                      "(bill) in QuickBooks first, dated on or before that day, or post anyway and expect COGS to be "
                      "trued up later.", code="below_zero") for i, (units, first) in sorted(short.items())]
    return costs, margins(documents, costs), issues


def margins(documents: Sequence[Document], costs: Sequence[LineCost]) -> list[Margin]:
    """Revenue − COGS per SKU (simple items), per bundle (its components together), and for
    product lines without a cost (tracking off: the generic "Product")."""
    cost_of = {(c.doc_key, c.line): c for c in costs}
    acc: dict[tuple[str, str], list] = {}
    for d in documents:
        if d.type not in SALES_TYPES:
            continue
        sign = 1 if d.type is DocType.SALES_RECEIPT else -1
        for i, ln in enumerate(d.lines):
            if ln.qty is None and not ln.sku:
                continue
            if ln.category.value not in ("product_sale", "product_refund"):
                continue
            c = cost_of.get((d.key, i))
            kind = "bundle" if ln.bundle_sku else ("item" if c is not None else "product")
            sku = ln.bundle_sku or ln.sku or "(no SKU)"
            a = acc.setdefault((sku, kind), [ZERO, ZERO, Decimal(0), Decimal(0), True])
            a[0] += sign * ln.amount
            if c is not None:
                a[1] += sign * c.cost
            elif ln.qty:
                a[4] = False  # a line with units but no cost: the cost is unknown
            if ln.qty and (not ln.bundle_sku or ln.source_rows):
                if sign > 0:
                    a[2] += ln.qty
                else:
                    a[3] += ln.qty
    out = [Margin(sku, kind, a[0], a[1] if a[4] and kind != "product" else None, a[2], a[3])
           for (sku, kind), a in acc.items()]
    return sorted(out, key=lambda m: (m.kind, m.sku))


def margin_total(rows: Sequence[Margin]) -> Margin:
    """The "Total" row of the margins: revenue and units summed; COGS summed when every row's cost is
    known (else unknown: a partial sum would overstate the margin)."""
    cogs: Money | None = ZERO
    for m in rows:
        cogs = None if cogs is None or m.cogs is None else cogs + m.cogs
    return Margin("Total", "", sum((m.revenue for m in rows), ZERO), cogs,
                  sum((m.units_sold for m in rows), Decimal(0)), sum((m.units_refunded for m in rows), Decimal(0)))


# --- the thin part that reads ------------------------------------------------------------------

HISTORY_ENTITIES = ("Bill", "Purchase", "SalesReceipt", "RefundReceipt")


def read_history(gateway: Any, keys: Iterable[str] = ()) -> list[tuple[str, dict[str, Any]]]:
    """Every Bill, Purchase, SalesReceipt and RefundReceipt of the company, except documents whose
    PrivateNote is one of ``keys`` (this settlement's own, when already posted)."""
    skip = set(keys)
    out: list[tuple[str, dict[str, Any]]] = []
    for entity in HISTORY_ENTITIES:
        for txn in gateway.query(f"SELECT * FROM {entity}"):
            if str(txn.get("PrivateNote", "")) in skip:
                continue
            out.append((entity, txn))
    return out


def preview(db: Any, client: Client, integration: Integration, settlement_id: str, *, who: str = "",
            check_qbo: bool = True) -> Preview:
    """The preview of one stored settlement: its documents (built now when none are stored), the
    tie-out, the build's warnings and, reading QBO, the readiness checks and expected margins.

    Raises:
        MappingNotFound: the documents had to be built and SKUs are unmapped.
        TieOutError: the documents had to be built and do not add up.
        NotFound: no such settlement.
    """
    from services.errors import QboError
    from services.pipeline import planned_documents
    from services.storage import settlements as settlements_repo

    documents, build_issues = planned_documents(db, client, integration, settlement_id, who=who,
                                                read_qbo=check_qbo)
    settlement_info = settlements_repo.get_settlement_info(db, integration, settlement_id)
    detail = json.loads(settlement_info.status_detail or "{}")
    from services.pipeline import issue_from_json

    issues = list(build_issues) or [issue_from_json(i) for i in detail.get("issues", [])]
    total = ZERO
    for d in documents:
        total += d.total if d.type in (DocType.SALES_RECEIPT, DocType.DEPOSIT) else -d.total
    result = TieOut(settlement_info.total, total)
    base = Preview(settlement_id, settlement_info.currency, settlement_info.status.value, tuple(documents),
                   result, tuple(issues))
    if not check_qbo:
        return base
    try:
        from services.qbo.gateway import QboGateway
        from services.readiness import inventory_problems, read_readiness, workspace_plan

        gateway = QboGateway.for_client(db, client)
        items = {i.id: i for i in gateway.list_items(include_inactive=True)}
        problems: list[str] = []
        if integration.inventory_tracking:
            problems = inventory_problems(read_readiness(gateway), workspace_plan(db))
        accounts = [a.name for a in gateway.list_accounts() if a.active]
        ready, blocked = readiness_issues(documents, items, tracking=integration.inventory_tracking,
                                          tracking_problems=problems, accounts=accounts)
        notes: list[str] = []
        costs: list[LineCost] = []
        margin_rows: list[Margin]
        if any(_inventory(ln, items) is not None for d in documents for ln in d.lines):
            history = read_history(gateway, (d.key for d in documents))
            costs, margin_rows, below = expected_cogs(documents, items, history)
            ready += below
        else:
            margin_rows = margins(documents, [])
            notes.append("No inventory item is sold in these documents: expected COGS needs inventory tracking "
                         "and mapped inventory items.")
    except QboError as exc:
        return Preview(**{**_fields(base), "readiness": (warning(
            f"QuickBooks could not be read ({exc.message}); the readiness checks and expected margins are "
            "missing.", code="qbo_unread"),)})
    return Preview(**{**_fields(base), "readiness": tuple(ready), "blocked": tuple(blocked), "costs": tuple(costs),
                      "margins": tuple(margin_rows), "checked": True, "notes": tuple(notes)})


def _fields(p: Preview) -> dict[str, Any]:
    return {f: getattr(p, f) for f in Preview.__dataclass_fields__}


def severity_counts(issues: Iterable[Issue]) -> dict[str, int]:
    """How many errors, warnings and infos (for the page's headline)."""
    out = {s.value: 0 for s in Severity}
    for i in issues:
        out[i.severity.value] += 1
    return out


# --- the download ------------------------------------------------------------------------------


def to_excel(result: Preview) -> bytes:
    """The preview as an Excel workbook: sheets Documents (one row per line, with expected COGS),
    Tie-out (the three figures, then each document with its sign), Warnings and Margins (with a
    total row). Money is written as exact numbers shown with thousands separators and two decimals;
    headers are bold and frozen, columns sized to their contents.

    Why: accountants review a settlement's accounting in a spreadsheet before they post it.
    """
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    # quantities in General: "#,##0.####" would show a whole number with a trailing point ("1.")
    money_fmt, qty_fmt, price_fmt, date_fmt = "#,##0.00", "General", "#,##0.00######", "yyyy-mm-dd"
    costs = {(c.doc_key, c.line): c for c in result.costs}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Documents"
    ws.append(["Type", "DocNumber", "Date", "Line", "Item", "Description", "Qty", "Unit price", "Amount",
               "Account", "Expected COGS", "SKU", "Bundle", "Source rows", "Blocked", "Key"])
    formats = {"C": date_fmt, "G": qty_fmt, "H": price_fmt, "I": money_fmt, "K": money_fmt}
    for d in result.documents:
        for i, ln in enumerate(d.lines, start=1):
            c = costs.get((d.key, i - 1))
            ws.append([d.type.value, d.doc_number, d.date, i, ln.item.name if ln.item else "", ln.description,
                       ln.qty, ln.unit_price, ln.amount, ln.account, None if c is None else c.cost, ln.sku,
                       ln.bundle_sku, " ".join(str(n) for n in ln.source_rows[:50])
                       + (" …" if len(ln.source_rows) > 50 else ""),
                       "yes" if d.key in result.blocked else "", d.key])
    t = result.tie_out
    tie = wb.create_sheet("Tie-out")
    for row in (("Settlement", result.settlement_id), ("Currency", result.currency),
                ("Settlement total", t.settlement_total), ("Documents total", t.documents_total),
                ("Difference", t.difference), ("Ties out", "yes" if t.ok else "NO: posting is refused"), ()):
        tie.append(list(row))
    tie.append(["Documents (SalesReceipt and Deposit add, RefundReceipt and Purchase subtract)"])
    tie.append(["Type", "DocNumber", "Date", "Total", "Counts as"])
    head_row = tie.max_row
    for d in result.documents:
        sign = 1 if d.type in (DocType.SALES_RECEIPT, DocType.DEPOSIT) else -1
        tie.append([d.type.value, d.doc_number, d.date, d.total, sign * d.total])
    tie.append(["Documents total", None, None, None, t.documents_total])
    for cell in (*tie["A"][:6], *tie[head_row], *tie[tie.max_row]):
        cell.font = Font(bold=True)
    warn = wb.create_sheet("Warnings")
    warn.append(["Severity", "File", "Row", "Problem"])
    for issue in result.warnings:
        warn.append([issue.severity.value, issue.file, issue.row, issue.message])
        warn.cell(warn.max_row, 4).alignment = Alignment(wrap_text=True, vertical="top")
    if not result.warnings:
        warn.append(["", "", None, "No warnings." if result.checked else "QuickBooks was not read: no checks ran."])
    mar = wb.create_sheet("Margins")
    mar.append(["SKU", "Kind", "Units sold", "Units refunded", "Revenue", "Expected COGS", "Gross margin",
                "Margin %"])
    rows = list(result.margins)
    for m in [*rows, margin_total(rows)] if rows else []:
        mar.append([m.sku, m.kind, m.units_sold, m.units_refunded, m.revenue, m.cogs, m.margin,
                    None if m.margin_percent is None else m.margin_percent / 100])
    if rows:
        for cell in mar[mar.max_row]:
            cell.font = Font(bold=True)
    sheet_formats = {"Documents": formats, "Tie-out": {"B": money_fmt, "C": date_fmt, "D": money_fmt,
                                                       "E": money_fmt},
                     "Warnings": {}, "Margins": {"C": qty_fmt, "D": qty_fmt, "E": money_fmt, "F": money_fmt,
                                                 "G": money_fmt, "H": "0.0%"}}
    widest = {"Description": 60, "Problem": 110, "Key": 44}
    for sheet in wb.worksheets:
        fmt = sheet_formats[sheet.title]
        header = sheet.title != "Tie-out"
        if header:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            sheet.freeze_panes = "A2"
            if sheet.max_row > 1:
                sheet.auto_filter.ref = sheet.dimensions
        for col in sheet.iter_cols():
            letter = get_column_letter(col[0].column)
            width = 8
            for cell in col:
                if letter in fmt and isinstance(cell.value, (Decimal, dt.date, int)) \
                        and not (sheet.title == "Tie-out" and cell.row < 3):
                    cell.number_format = fmt[letter]
                text = cell.value.isoformat() if isinstance(cell.value, dt.date) else (
                    f"{cell.value:,.2f}" if isinstance(cell.value, Decimal) else str(cell.value or ""))
                width = max(width, len(text) + 2)
            cap = widest.get(str(col[0].value), 40)
            sheet.column_dimensions[letter].width = min(width, cap)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
