"""The verification report: what QBO holds after posting, compared with what was meant.

Pure: it takes the planned documents and what was read back from QBO (as plain records) and
returns one :class:`Check` per fact, each with what was expected and what QBO has. The checks
(DESIGN §2 step 10):

* every planned document is in QBO (by its stored Id, carrying its key in ``PrivateNote``);
* each document's total is the planned total, and each line's item is the planned one: the
  mapped inventory item or bundle component, never the generic "Product" when inventory
  tracking is on;
* the tie-out: Σ SalesReceipt − Σ RefundReceipt − Σ Purchase + Σ Deposit as QBO holds them equals
  the settlement's total;
* each inventory item's quantity on hand moved by the planned quantity (current − before, less
  what later Settlebridge postings moved);
* Profit and Loss for the period shows the cost of goods sold, the Balance Sheet's inventory asset
  moved by the same amount the other way, and both equal the FIFO expectation.

A report is ``ok`` when every check passes; failing checks are the exceptions listed to the user.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.money import ZERO, Money, money_str
from services.records import Category, DocType, Document

PRODUCT_ITEM = "Product"
_PRODUCT_CATEGORIES = (Category.PRODUCT_SALE, Category.PRODUCT_REFUND)


@dataclass(frozen=True, slots=True)
class PostedLine:
    """One line of a document as QBO holds it."""

    amount: Money
    item_id: str = ""
    item_name: str = ""
    qty: Decimal | None = None
    account_id: str = ""


@dataclass(frozen=True, slots=True)
class PostedDoc:
    """A document read back from QBO (``found`` False when QBO no longer has it)."""

    key: str
    type: str
    qbo_id: str
    found: bool
    total: Money = ZERO
    lines: tuple[PostedLine, ...] = ()
    has_key: bool = True  # PrivateNote still carries the document's key
    voided: bool = False


@dataclass(frozen=True, slots=True)
class ItemState:
    """An item as QBO holds it now."""

    id: str
    name: str
    type: str
    qty_on_hand: Decimal | None


@dataclass(frozen=True, slots=True)
class Measures:
    """Figures read from QBO before the posting, and now (``None``: not measured).

    ``later_*`` are what Settlebridge postings of other settlements moved after this one, so that
    this settlement's own move can be told apart.
    """

    qty_before: dict[str, Decimal] = field(default_factory=dict)
    qty_later: dict[str, Decimal] = field(default_factory=dict)
    cogs_before: Money | None = None
    cogs_now: Money | None = None
    cogs_later: Money = ZERO
    asset_before: Money | None = None
    asset_now: Money | None = None
    asset_later: Money = ZERO


@dataclass(frozen=True, slots=True)
class Check:
    """One fact checked: its name, pass or fail, expected and actual (as text), and why."""

    name: str
    ok: bool
    expected: str
    actual: str
    detail: str = ""
    document: str = ""  # the document key when the check is about one document


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checks: tuple[Check, ...]
    at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def exceptions(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


def _qty(value: Decimal | None) -> str:
    if value is None:
        return "not measured"
    return format(value.normalize() if value == value.to_integral_value() else value, "f")


def _signed(value: Decimal) -> str:
    """A quantity's movement with its sign (``+3``, ``-2``, ``0``)."""
    text = _qty(value)
    return text if value <= 0 else f"+{text}"


def _money(value: Money | None) -> str:
    return "not measured" if value is None else money_str(value)


def _label(doc: Document) -> str:
    return f"{doc.type.value} {doc.doc_number or doc.key}"


def planned_qty_moves(documents: Iterable[Document]) -> dict[str, Decimal]:
    """How each item's quantity on hand should move: sales take units, refunds bring them back."""
    moves: dict[str, Decimal] = {}
    for doc in documents:
        if doc.type not in (DocType.SALES_RECEIPT, DocType.REFUND_RECEIPT):
            continue
        sign = Decimal(-1) if doc.type is DocType.SALES_RECEIPT else Decimal(1)
        for line in doc.lines:
            if line.item is not None and line.qty is not None:
                moves[line.item.id] = moves.get(line.item.id, Decimal(0)) + sign * line.qty
    return moves


def signed(doc_type: str, total: Money) -> Money:
    return -total if doc_type in (DocType.REFUND_RECEIPT.value, DocType.PURCHASE.value) else total


def _line_key(item_id: str, qty: Decimal | None, amount: Money) -> tuple[str, str, str]:
    return (item_id, _qty(qty) if qty is not None else "", money_str(amount))


def check_documents(planned: Sequence[Document], posted: dict[str, PostedDoc], *,
                    tracking: bool, items: dict[str, ItemState]) -> list[Check]:
    """Per document: present in QBO, total, and line items (never "Product" under tracking)."""
    checks: list[Check] = []
    missing = [d for d in planned if not (d.key in posted and posted[d.key].found)]
    checks.append(Check(
        "Documents in QuickBooks", not missing, str(len(planned)), str(len(planned) - len(missing)),
        "" if not missing else "Not in QuickBooks: " + ", ".join(_label(d) for d in missing[:20])
        + (" …" if len(missing) > 20 else "") + ". Post the settlement again to send them."))
    for doc in planned:
        got = posted.get(doc.key)
        if got is None or not got.found:
            continue
        label = _label(doc)
        if not got.has_key or got.voided:
            checks.append(Check(f"{label}: still Settlebridge's", False, "key in the private note, not voided",
                                "voided" if got.voided else "key missing",
                                f"QuickBooks {doc.type.value} {got.qbo_id} was changed in QuickBooks after "
                                "posting.", doc.key))
        checks.append(Check(f"{label}: total", got.total == doc.total, money_str(doc.total),
                            money_str(got.total),
                            "" if got.total == doc.total else
                            f"QuickBooks {doc.type.value} {got.qbo_id} has a different total: someone "
                            "edited it after posting, or QBO changed a line.", doc.key))
        if doc.type not in (DocType.SALES_RECEIPT, DocType.REFUND_RECEIPT):
            continue
        want = sorted(_line_key(ln.item.id if ln.item else "", ln.qty, ln.amount) for ln in doc.lines)
        have = sorted(_line_key(ln.item_id, ln.qty, ln.amount) for ln in got.lines)
        wrong = [ln for ln in got.lines if not _product_line_ok(ln, doc, tracking, items)]
        names = ", ".join(sorted({f"{ln.item_name or ln.item_id}" for ln in wrong}))
        lines_ok = want == have and not wrong
        detail = ""
        if wrong:
            detail = (f"Lines on {names}: with inventory tracking on, sales and refunds must go to the "
                      "mapped inventory items, not to the generic \"Product\" or a non-inventory item.")
        elif want != have:
            missing_lines = [w for w in want if w not in have]
            detail = "Lines differ from the plan (item, qty, amount): expected " + "; ".join(
                f"{_item_name(i, doc, items)} × {q or '-'} = {a}" for i, q, a in missing_lines[:10])
        checks.append(Check(f"{label}: line items", lines_ok,
                            f"{_lines(len(want))} on the planned items",
                            _lines(len(have)) + (f", {len(wrong)} on the wrong item" if wrong else ""),
                            detail, doc.key))
    return checks


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def _item_name(item_id: str, doc: Document, items: dict[str, ItemState]) -> str:
    if item_id in items:
        return items[item_id].name
    for ln in doc.lines:
        if ln.item is not None and ln.item.id == item_id:
            return ln.item.name
    return item_id or "(no item)"


def _product_line_ok(line: PostedLine, doc: Document, tracking: bool, items: dict[str, ItemState]) -> bool:
    """Under tracking, no units are on "Product" (a money-only adjustment line may be: a partial
    refund without units), and planned product lines are on inventory items."""
    if not tracking:
        return True
    item = items.get(line.item_id)
    if line.item_name == PRODUCT_ITEM or (item is not None and item.name == PRODUCT_ITEM):
        return not line.qty
    product_items = {ln.item.id for ln in doc.lines
                     if ln.item is not None and ln.category in _PRODUCT_CATEGORIES}
    return not (item is not None and line.item_id in product_items and item.type != "Inventory")


def check_tie_out(posted: dict[str, PostedDoc], planned: Sequence[Document], settlement_total: Money) -> Check:
    """Σ signed totals as QBO holds them equals the settlement's total, to the cent."""
    total = ZERO
    for doc in planned:
        got = posted.get(doc.key)
        if got is not None and got.found and not got.voided:
            total += signed(doc.type.value, got.total)
    diff = total - settlement_total
    return Check("Tie-out to the settlement total", diff == 0, money_str(settlement_total), money_str(total),
                 "" if diff == 0 else f"QuickBooks' documents differ from the settlement by {money_str(diff)}.")


def check_quantities(planned: Sequence[Document], items: dict[str, ItemState], measures: Measures,
                     *, tracking: bool) -> list[Check]:
    """Each inventory item's quantity on hand moved by the planned quantity."""
    if not tracking:
        return []
    checks = []
    for item_id, move in sorted(planned_qty_moves(planned).items()):
        item = items.get(item_id)
        if item is None:
            checks.append(Check(f"Quantity on hand: item {item_id}", False, _qty(move), "item not found",
                                "The item is no longer in QuickBooks (deleted or made inactive)."))
            continue
        if item.type != "Inventory":
            continue  # not tracked: the lines check already reports it
        before = measures.qty_before.get(item_id)
        name = f"Quantity on hand: {item.name}"
        if before is None or item.qty_on_hand is None:
            checks.append(Check(name, False, f"moved by {_qty(move)}", "not measured",
                                "No quantity was recorded before posting; post and verify again to "
                                "measure it."))
            continue
        later = measures.qty_later.get(item_id, Decimal(0))
        moved = item.qty_on_hand - before - later
        expected_now = before + move + later
        checks.append(Check(name, moved == move, f"{_qty(expected_now)} (moved by {_signed(move)})",
                            f"{_qty(item.qty_on_hand)} (moved by {_signed(moved)})",
                            "" if moved == move else
                            f"Moved by {_qty(moved)} instead of {_qty(move)} (before posting: {_qty(before)}): "
                            "the item or a transaction using it was changed in QuickBooks.", ""))
    return checks


def check_cogs(measures: Measures, expected_cogs: Money | None, *, tracking: bool) -> list[Check]:
    """P&L shows the COGS and the inventory asset moved by as much, both equal to the FIFO expectation."""
    if not tracking:
        return []
    checks = []
    cogs = None
    if measures.cogs_before is not None and measures.cogs_now is not None:
        cogs = measures.cogs_now - measures.cogs_before - measures.cogs_later
    asset = None
    if measures.asset_before is not None and measures.asset_now is not None:
        asset = measures.asset_now - measures.asset_before - measures.asset_later
    want = _money(expected_cogs) if expected_cogs is not None else "the FIFO cost"
    ok = cogs is not None and (expected_cogs is None or cogs == expected_cogs)
    checks.append(Check("Cost of goods sold in Profit and Loss", ok, want, _money(cogs),
                        "" if ok else ("Not measured before posting." if cogs is None else
                                       f"Profit and Loss moved by {_money(cogs)}, FIFO expects "
                                       f"{want}: check purchases, As of dates and backdated "
                                       "transactions in QuickBooks.")))
    ok2 = asset is not None and cogs is not None and asset == -cogs
    checks.append(Check("Inventory asset in the Balance Sheet", ok2,
                        _money(-cogs) if cogs is not None else "minus the cost of goods sold",
                        _money(asset),
                        "" if ok2 else ("Not measured before posting." if asset is None else
                                        "The inventory asset did not move by the cost of goods sold.")))
    return checks


def verify(planned: Sequence[Document], posted: dict[str, PostedDoc], *, settlement_total: Money,
           tracking: bool, items: dict[str, ItemState], measures: Measures,
           expected_cogs: Money | None, at: dt.datetime | None = None) -> VerifyReport:
    """Every check of the verification report, in the order the page shows them."""
    checks = [*check_documents(planned, posted, tracking=tracking, items=items),
              check_tie_out(posted, planned, settlement_total),
              *check_quantities(planned, items, measures, tracking=tracking),
              *check_cogs(measures, expected_cogs, tracking=tracking)]
    return VerifyReport(tuple(checks), at)


def report_json(report: VerifyReport) -> dict[str, object]:
    """The report as ``verify --json`` prints it: ``ok`` and ``checks``."""
    return {"ok": report.ok,
            "checks": [{"name": c.name, "ok": c.ok, "expected": c.expected, "actual": c.actual,
                        "detail": c.detail, "document": c.document} for c in report.checks],
            "exceptions": len(report.exceptions)}


def _cell(text: str) -> str | Decimal:
    """An amount (``-1234.50``) as a number for Excel; anything else stays text."""
    if re.fullmatch(r"-?\d+\.\d\d", text):
        return Decimal(text)
    return text


def to_excel(report: VerifyReport, *, settlement_id: str = "") -> bytes:
    """The verification report as an Excel workbook: a Summary sheet and a Checks sheet (one row
    per check: result, name, expected, actual, why), failures first.

    Why: the accountant files the proof that QuickBooks holds what the settlement says.
    """
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Summary"
    for row in (("Settlement", settlement_id), ("Verified at (UTC)", report.at),
                ("Result", "all checks pass" if report.ok else f"{len(report.exceptions)} exception(s)"),
                ("Checks", len(report.checks)), ("Passed", len(report.checks) - len(report.exceptions)),
                ("Failed", len(report.exceptions))):
        ws.append(list(row))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 30
    checks = wb.create_sheet("Checks")
    checks.append(["Result", "Check", "Expected", "Actual", "Why", "Document key"])
    for cell in checks[1]:
        cell.font = Font(bold=True)
    red = PatternFill("solid", fgColor="F8D7DA")
    ordered = sorted(report.checks, key=lambda c: c.ok)
    for c in ordered:
        checks.append(["pass" if c.ok else "FAIL", c.name, _cell(c.expected), _cell(c.actual), c.detail,
                       c.document])
        row = checks[checks.max_row]
        for cell in row[2:4]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"  # an amount: a number the accountant can add up
        if not c.ok:
            for cell in row:
                cell.fill = red
    for col, width in zip("ABCDEF", (8, 48, 24, 24, 80, 40), strict=True):
        checks.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
