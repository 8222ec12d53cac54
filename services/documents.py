"""The document engine: one settlement + mappings + settings → QBO documents (pure).

What one settlement becomes (DESIGN §3), and the choices this module makes where the design leaves
room:

**Grouping.** Rows are grouped per settlement (the default), per day or per order
(``Routing.grouping``), and every group is split by calendar month so that each document falls in
its period. Rows without an order id form the group ``no-order`` under per-order grouping. Within
a (group, month) there are at most four documents, one per role:

* ``sales`` → SalesReceipt: product sales, shipping, gift wrap, promotions (negative lines), tax
  collected, of rows that are not refunds;
* ``refunds`` → RefundReceipt: the same categories of refund rows (``is_refund`` or
  ``PRODUCT_REFUND``); line amounts are the money given back (the row's amount negated);
* ``fees`` → Purchase: every *negative* fee, reimbursement, reserve, transfer or unclassified amount
  (a zero fee too), one line per account, amount negated;
* ``credits`` → Deposit: every *positive* (or zero) amount of those categories — a fee refund is a
  Deposit line on the fee's account, so it credits the expense.

**No negative document.** Purchase and Deposit lines are positive by construction. SalesReceipt
and RefundReceipt lines of one (group, month) are balanced as follows: when the SalesReceipt's
total is negative, its negative non-inventory lines move to the RefundReceipt (negated, so they are
positive there); then when the RefundReceipt's total is negative, its negative non-inventory lines
move to the SalesReceipt (negated). Inventory lines are never negative (see below), so both totals
end non-negative, the lines keep their item and income account, and the tie-out is unchanged.

**Products.** One line per SKU per document (the rows summed). With inventory tracking off it goes
to the generic item "Product"; with tracking on to the mapped item, or split over a bundle's
components (largest remainder, :func:`services.bundles.split_amount`; component quantity = bundle
quantity × quantity per bundle). The line carries ``qty`` and a ``unit_price`` with as few decimals
(2 to 7) as put ``qty × unit_price`` strictly within half a cent of the amount (so it rounds to
``amount`` under half-up and banker's rounding alike); when none does, the line is split in two
exact lines (qty − 1 units at a cent price and 1 unit at the rest). Money without units (a partial
refund, a restocking fee kept) nets into the SKU's line; a SKU line with no units, or whose money is
negative, puts its money on a generic "Product" adjustment line without quantity (units, if any,
stay on the item at price 0), so inventory moves exactly by the units sold and returned.

**Refund quantities.** A refund row without a quantity (Amazon) that gives money back takes its
units from the original order item when this settlement holds that sale (refunded money over the
sale's unit price, rounded, at most the units sold), else from the SKU's average selling price in
this settlement, else from the mapped item's QBO ``UnitPrice``, else one unit; a sale row without a
quantity the same way (without the first step). Each line's description and the document's notes
say which was used.

**Marketplace facilitator tax.** With ``FacilitatorTax.EXCLUDE`` (the default), per order and side
(sale or refund) the withheld tax and the tax collected are left out when they net to exactly
zero; an info issue names those rows. When they do not net to zero, both are kept (a warning says
so) and the withheld part goes through the facilitator tax item.

**Keys and numbers.** Each document's key is ``client/integration/settlement/role/group/part``
(``client`` and ``integration`` are database ids, stable across renames; ``group`` is ``all``, the
day ``YYYY-MM-DD`` or the order id; ``part`` is the month, ``YYYY-MM``, with ``.2``, ``.3``... when a document is cut into several of at
most :data:`MAX_LINES` lines); ``PrivateNote`` carries it. ``DocNumber`` is at most 21 characters:
role letter + settlement id + a group suffix, or, when that is too long, role letter + the
settlement id's last 8 characters + 10 hex characters of the key's SHA-1.

**Accounting for every row.** Each row lands in exactly one line (``DocLine.source_rows``; the
rows of a bundle line are listed on its first component line), except facilitator tax left out,
which is reported. Amounts of an unknown type (``UNCLASSIFIED``) go to the suspense account with a
warning. The tie-out Σ SalesReceipt − Σ RefundReceipt − Σ Purchase + Σ Deposit is compared with the
settlement's total; a difference is an error issue naming it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from services.bulk import gc_paused
from services.bundles import component_quantities, split_amount
from services.errors import MappingNotFound
from services.money import CENT, ZERO, Money, money_str
from services.records import (
    Category,
    DocLine,
    DocType,
    Document,
    FeeKind,
    Grouping,
    Issue,
    ItemRef,
    Mapping,
    MappingType,
    QboItem,
    Settlement,
    SettlementRows,
    Severity,
    Sku,
    error,
    warning,
)
from services.routing import FacilitatorTax, Routing

MAX_LINES = 250
DOC_NUMBER_MAX = 21
MAX_PRICE_PLACES = 7
HALF_CENT = Decimal("0.005")
PRICE_STEPS = tuple(Decimal(1).scaleb(-places) for places in range(2, MAX_PRICE_PLACES + 1))

ROLE_SALES = "sales"
ROLE_REFUNDS = "refunds"
ROLE_FEES = "fees"
ROLE_CREDITS = "credits"
ROLES: dict[str, DocType] = {
    ROLE_SALES: DocType.SALES_RECEIPT,
    ROLE_REFUNDS: DocType.REFUND_RECEIPT,
    ROLE_FEES: DocType.PURCHASE,
    ROLE_CREDITS: DocType.DEPOSIT,
}
ROLE_OF: dict[DocType, str] = {v: k for k, v in ROLES.items()}
ROLE_LETTER = {ROLE_SALES: "S", ROLE_REFUNDS: "R", ROLE_FEES: "F", ROLE_CREDITS: "D"}
ROLE_ORDER = {ROLE_SALES: 0, ROLE_REFUNDS: 1, ROLE_FEES: 2, ROLE_CREDITS: 3}

PRODUCT_CATEGORIES = frozenset({Category.PRODUCT_SALE, Category.PRODUCT_REFUND})
SALES_CATEGORIES = frozenset({Category.SHIPPING, Category.GIFT_WRAP, Category.PROMOTION,
                              Category.TAX_COLLECTED, Category.TAX_WITHHELD})
CATEGORY_LABEL = {
    Category.SHIPPING: "Shipping",
    Category.GIFT_WRAP: "Gift wrap",
    Category.PROMOTION: "Promotions",
    Category.TAX_COLLECTED: "Sales tax collected",
    Category.TAX_WITHHELD: "Marketplace facilitator tax",
    Category.REIMBURSEMENT: "Reimbursements",
    Category.RESERVE: "Reserve",
    Category.TRANSFER: "Transfers",
    Category.UNCLASSIFIED: "Unclassified",
}
NO_ORDER = "no-order"
ITEM_CATEGORIES = (Category.SHIPPING, Category.GIFT_WRAP, Category.PROMOTION, Category.TAX_COLLECTED,
                   Category.TAX_WITHHELD)
ROLE_NAMES = (ROLE_SALES, ROLE_REFUNDS, ROLE_FEES, ROLE_CREDITS)  # by side code 0..3
ENUM_NAME: dict[int, str] = {id(e): e.value for e in (*Category, *FeeKind)}  # id() of a member -> its value

# How a quantity was found (the words go into line descriptions and document notes).
QTY_GIVEN = "given"
QTY_ORDER_ITEM = "from the original order item"
QTY_ASP = "from the average selling price"
QTY_ITEM_PRICE = "from the item's sales price in QuickBooks"
QTY_ASSUMED = "assumed 1 unit (no price known)"
QTY_NONE = "no units (money only)"


@dataclass(frozen=True, slots=True)
class UnmappedSku:
    """A SKU of the settlement that has product rows and no usable mapping (tracking on)."""

    sku: Sku
    title: str
    quantity: int
    rows: int
    first_date: dt.date
    last_date: dt.date
    reason: str = "not mapped"

    def as_json(self) -> dict[str, object]:
        return {"sku": self.sku, "title": self.title, "quantity": self.quantity, "rows": self.rows,
                "first_date": self.first_date.isoformat(), "last_date": self.last_date.isoformat(),
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class TieOut:
    """The settlement's total against the documents' signed sum."""

    settlement_total: Money
    documents_total: Money
    left_out: Money = ZERO  # facilitator tax left out (always nets to zero)

    @property
    def difference(self) -> Money:
        return self.documents_total - self.settlement_total

    @property
    def ok(self) -> bool:
        return self.difference == 0

    def as_json(self) -> dict[str, str | bool]:
        return {"settlement_total": money_str(self.settlement_total),
                "documents_total": money_str(self.documents_total),
                "difference": money_str(self.difference), "ok": self.ok}


# --- small pure helpers ------------------------------------------------------------------------


def signed_total(doc: Document) -> Money:
    """What a document adds to the clearing account: + for receipts/deposits, − for refunds/expenses."""
    total = doc.total
    return -total if doc.type in (DocType.REFUND_RECEIPT, DocType.PURCHASE) else total


def tie_out(settlement: Settlement, documents: tuple[Document, ...] | list[Document]) -> TieOut:
    """Σ SalesReceipt − Σ RefundReceipt − Σ Purchase + Σ Deposit against the settlement total."""
    total = ZERO
    for d in documents:
        total += signed_total(d)
    return TieOut(settlement.total, total)


def unit_price_for(amount: Money, qty: Decimal) -> Decimal | None:
    """The shortest unit price (2 to :data:`MAX_PRICE_PLACES` decimals) with
    ``round(qty × price, 2) == amount``; ``None`` when there is none (or ``qty`` is 0)."""
    if qty == 0:
        return None
    if qty == 1:
        return amount
    exact = amount / qty
    for step in PRICE_STEPS:
        price = exact.quantize(step, rounding=ROUND_HALF_UP)
        # strictly within half a cent: the amount is the product rounded whatever the rounding
        # mode (half-up or banker's), so QBO's check passes without a tie to break
        if abs(qty * price - amount) < HALF_CENT:
            return price
    return None


def exact_item_lines(amount: Money, qty: Decimal, base: DocLine) -> list[DocLine]:
    """One item line (or two when no unit price is exact) whose amounts sum to ``amount`` and whose
    every line has ``round(qty × unit_price, 2) == amount``. ``base`` gives the other fields; its
    source rows go on the first line."""
    return _item_lines(amount, qty, base.description, base.category, base.item, base.account, base.sku,
                       base.bundle_sku, base.source_rows)


def _item_lines(amount: Money, qty: Decimal, description: str, category: Category, item: ItemRef | None,
                account: str, sku: str, bundle_sku: str, rows: tuple[int, ...]) -> list[DocLine]:
    price = unit_price_for(amount, qty)
    if price is not None:
        return [DocLine(amount, description, category, item, qty, price, account, sku, bundle_sku, rows)]
    # Only reachable for qty > 1 (a quantity ≤ 1 always has an exact price of 7 decimals).
    rest_qty = qty - 1
    p = (amount / qty).quantize(CENT, rounding=ROUND_HALF_UP)
    first = (rest_qty * p).quantize(CENT, rounding=ROUND_HALF_UP)
    last_qty = qty - rest_qty
    last = amount - first
    last_price = unit_price_for(last, last_qty)
    if last_price is None:  # cannot happen for last_qty == 1; guard fractional leftovers
        last_qty, last_price = Decimal(1), last
    return [DocLine(first, description, category, item, rest_qty, p, account, sku, bundle_sku, rows),
            DocLine(last, description, category, item, last_qty, last_price, account, sku, bundle_sku, ())]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _safe(text: str) -> str:
    return text.replace("/", "_").strip() or "-"


def document_key(prefix: str, settlement_id: str, role: str, group: str, part: str) -> str:
    """``client/integration/settlement/role/group/part`` (slashes inside parts become ``_``)."""
    return f"{prefix}/{_safe(settlement_id)}/{role}/{_safe(group)}/{part}"


def doc_number(key: str, settlement_id: str, role: str, suffix: str) -> str:
    """A DocNumber of at most 21 characters (see the module docstring)."""
    letter = ROLE_LETTER[role]
    sid = settlement_id.replace(" ", "")
    plain = f"{letter}{sid}-{suffix}" if suffix else f"{letter}{sid}"
    if len(plain) <= DOC_NUMBER_MAX:
        return plain
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    return f"{letter}{sid[-8:]}-{digest}"


# --- the engine ---------------------------------------------------------------------------------


class _Acc:
    """One line being accumulated: money, units, rows, and how units were found."""

    __slots__ = ("amount", "how", "qty", "rows", "title")

    def __init__(self) -> None:
        self.amount = ZERO
        self.qty = 0
        self.rows: list[int] = []
        self.how: dict[str, int] | None = None
        self.title = ""

    def note(self, how: str) -> None:
        """Count one row whose quantity was found ``how``."""
        if self.how is None:
            self.how = {}
        self.how[how] = self.how.get(how, 0) + 1


def find_unmapped(settlement: Settlement, mappings: MappingABC[Sku, Mapping],
                  items: MappingABC[str, QboItem] | None = None) -> list[UnmappedSku]:
    """Every SKU with product rows and no usable mapping, in SKU order.

    A mapping is unusable when it is ``none``, has no item or no components, or (when ``items`` is
    given) names a QBO item that no longer exists or is inactive.
    """
    PS, PR = Category.PRODUCT_SALE, Category.PRODUCT_REFUND
    rows = settlement.rows
    skus = {sku for c, sku in zip(rows.category, rows.sku, strict=True) if c is PS or c is PR}
    bad = {sku for sku in skus if _unusable(sku, mappings.get(sku), items)}
    if not bad:
        return []
    stats: dict[Sku, list] = {}
    for c, sku, title, quantity, day in zip(rows.category, rows.sku, rows.title, rows.quantity, rows.date,
                                           strict=True):
        if (c is not PS and c is not PR) or sku not in bad:
            continue
        s = stats.get(sku)
        if s is None:
            stats[sku] = [title, abs(quantity or 0), 1, day, day]
        else:
            s[1] += abs(quantity or 0)
            s[2] += 1
            if not s[0] and title:
                s[0] = title
            if day < s[3]:
                s[3] = day
            if day > s[4]:
                s[4] = day
    out: list[UnmappedSku] = []
    for sku in sorted(stats):
        reason = _unusable(sku, mappings.get(sku), items)
        if reason:
            title, qty, rows, first, last = stats[sku]
            out.append(UnmappedSku(sku, title, qty, rows, first, last, reason))
    return out


def _unusable(sku: Sku, m: Mapping | None, items: MappingABC[str, QboItem] | None) -> str:
    if not sku:
        return "the rows have no SKU"
    if m is None or m.type is MappingType.NONE:
        return "not mapped"
    refs = [m.item] if m.type is MappingType.ITEM else [c.item for c in m.components]
    if not refs or any(ref is None or not ref.id for ref in refs):
        return "the mapping has no QuickBooks item"
    if items is not None:
        for ref in refs:
            assert ref is not None
            found = items.get(ref.id)
            if found is None or not found.active:
                return f"the QuickBooks item {ref.name!r} no longer exists or is inactive"
    return ""


def build_documents(settlement: Settlement, mappings: MappingABC[Sku, Mapping], settings: Routing, *,
                    tracking: bool, items: MappingABC[str, QboItem] | None = None,
                    key_prefix: str = "-/-") -> tuple[tuple[Document, ...], tuple[Issue, ...]]:
    """Turn ``settlement`` into the QBO documents that record it (see the module docstring).

    Why: this is the whole accounting of a payout in one pure function, so that it can be
    previewed, property-tested and rebuilt with new mappings without touching QBO.

    Args:
        settlement: the canonical settlement.
        mappings: SKU → mapping of the integration (used when ``tracking``).
        settings: the integration's routing (:func:`services.routing.routing_for`).
        tracking: inventory tracking on: product lines go to mapped items, else to "Product".
        items: the company's QBO items by id, when read: checks mappings and gives unit prices
            for refund quantities and accounts for display.
        key_prefix: ``"client/integration"`` of the document keys.

    Returns:
        The documents (by group, month, role) and issues: errors (tie-out difference, bad bundle)
        mean the documents must not be posted; warnings (unclassified amounts) and infos
        (facilitator tax left out) are shown in the preview.

    Raises:
        MappingNotFound: tracking is on and some SKUs with product rows have no usable mapping;
            ``details["unmapped"]`` lists every one of them (SKU, title, quantity, dates).
    """
    with gc_paused():  # a million small objects are made and none freed
        return _build_documents(settlement, mappings, settings, tracking=tracking, items=items,
                                key_prefix=key_prefix)


def _build_documents(settlement: Settlement, mappings: MappingABC[Sku, Mapping], settings: Routing, *,
                    tracking: bool, items: MappingABC[str, QboItem] | None = None,
                    key_prefix: str = "-/-") -> tuple[tuple[Document, ...], tuple[Issue, ...]]:
    issues: list[Issue] = []
    rows = settlement.rows
    file = settlement.source_files[0] if settlement.source_files else ""
    if tracking:
        unmapped = find_unmapped(settlement, mappings, items)
        if unmapped:
            raise MappingNotFound(
                f"Mapping not found: {len(unmapped)} SKU(s) of settlement {settlement.settlement_id} are "
                "not mapped to QuickBooks items: " + ", ".join(u.sku or "(no SKU)" for u in unmapped[:20])
                + (" …" if len(unmapped) > 20 else "") + ". Map them on Settings and Mappings, then retry.",
                details={"unmapped": [u.as_json() for u in unmapped]})

    net_sales, net_refunds = _facilitator_netting(rows, settings, issues, file)
    left_out: list[int] = []
    # rows whose units are derived after the loop: (line, order id, order item, sku, amount, refund)
    pending: list[tuple[_Acc, str, str, Sku, Money, bool]] = []

    item_prices: dict[Sku, Decimal] = {}
    if items is not None and tracking:
        for sku, m in mappings.items():
            if m.type is MappingType.ITEM and m.item is not None:
                it = items.get(m.item.id)
                if it is not None and it.unit_price:
                    item_prices[sku] = it.unit_price

    grouping = settings.grouping
    by_settlement = grouping is Grouping.SETTLEMENT
    by_day = grouping is Grouping.DAY
    # Hot loop (a million rows): groups are small ints, categories and fee kinds enter keys by
    # id() (an Enum's hash is a Python-level call), and enum membership is tested by identity.
    # Line keys: (group, side, sku: str) a product line; (group, side, id(category)) a sales-side
    # line; (group, side, id(category), fee kind id or raw type) an account line.
    groups: list[tuple[object, tuple[int, int]]] = []  # group id -> (group, (year, month))
    last: list[dt.date] = []  # group id -> latest row date
    by_date: dict[dt.date, int] = {}  # settlement / day grouping: date -> group id
    months: dict[dt.date, tuple[int, int]] = {}
    order_groups: dict[tuple[str, tuple[int, int]], int] = {}
    acc: dict[tuple, _Acc] = {}
    unclassified: dict[str, list[int]] = {}
    PS, PR = Category.PRODUCT_SALE, Category.PRODUCT_REFUND
    SH, GW, PM, TC, TW = (Category.SHIPPING, Category.GIFT_WRAP, Category.PROMOTION, Category.TAX_COLLECTED,
                          Category.TAX_WITHHELD)
    FEE, UNCL = Category.FEE, Category.UNCLASSIFIED
    OTHER_ID = id(FeeKind.OTHER)
    S_SALES, S_REFUNDS, S_FEES, S_CREDITS = 0, 1, 2, 3
    by_date_mode = by_settlement or by_day
    key: tuple

    # the columns, zipped: no row record is made
    for n, d, cat, amt, order_id, order_item, sku, title, q, is_refund, fee_kind, raw_type in zip(
            rows.source_row, rows.date, rows.category, rows.amount, rows.order_id, rows.order_item, rows.sku,
            rows.title, rows.quantity, rows.is_refund, rows.fee_kind, rows.raw_type, strict=True):
        if by_date_mode:
            gid = by_date.get(d)
            if gid is None:
                ym = (d.year, d.month)
                g: object = d if by_day else "all"
                gid = next((i for i, grp in enumerate(groups) if grp == (g, ym)), -1)
                if gid < 0:
                    gid = len(groups)
                    groups.append((g, ym))
                    last.append(d)
                by_date[d] = gid
        else:
            ym_ = months.get(d)
            if ym_ is None:
                ym_ = months[d] = (d.year, d.month)
            ok = (order_id or NO_ORDER, ym_)
            gid = order_groups.get(ok)
            if gid is None:
                gid = order_groups[ok] = len(groups)
                groups.append(ok)
                last.append(d)
            elif d > last[gid]:
                last[gid] = d
        if cat is PS or cat is PR:
            refund = is_refund or cat is PR
            key = (gid, S_REFUNDS if refund else S_SALES, sku)
            a = acc.get(key)
            if a is None:
                a = acc[key] = _Acc()
                a.title = title
            elif not a.title and title:
                a.title = title
            if refund:
                a.amount -= amt
                if q is None:
                    q = 0
                    if amt < 0:
                        pending.append((a, order_id, order_item, sku, amt, True))
                    else:
                        a.note(QTY_NONE)
            else:
                a.amount += amt
                if q is None:
                    q = 0
                    if amt > 0:
                        pending.append((a, order_id, order_item, sku, amt, False))
                    else:
                        a.note(QTY_NONE)
            a.qty += q if q >= 0 else -q
            a.rows.append(n)
        elif cat is SH or cat is TC or cat is TW or cat is PM or cat is GW:
            if (cat is TC or cat is TW) and order_id in (net_refunds if is_refund else net_sales):
                left_out.append(n)
                continue
            if is_refund:
                key = (gid, S_REFUNDS, id(cat))
                a = acc.get(key)
                if a is None:
                    a = acc[key] = _Acc()
                a.amount -= amt
            else:
                key = (gid, S_SALES, id(cat))
                a = acc.get(key)
                if a is None:
                    a = acc[key] = _Acc()
                a.amount += amt
            a.rows.append(n)
        else:
            if cat is FEE:
                sub: object = id(fee_kind) if fee_kind is not None else OTHER_ID
            elif cat is UNCL:
                sub = raw_type
                unclassified.setdefault(raw_type or "(no type)", []).append(n)
            else:
                sub = None
            if amt < 0 or (amt == 0 and cat is FEE):
                key = (gid, S_FEES, id(cat), sub)
                a = acc.get(key)
                if a is None:
                    a = acc[key] = _Acc()
                a.amount -= amt
            else:
                key = (gid, S_CREDITS, id(cat), sub)
                a = acc.get(key)
                if a is None:
                    a = acc[key] = _Acc()
                a.amount += amt
            a.rows.append(n)
    if by_settlement or by_day:
        for d, gid in by_date.items():
            if d > last[gid]:
                last[gid] = d
    if pending:
        by_item, by_sku = _sales_index(rows, {p[1] for p in pending if p[5] and p[2]}, {p[3] for p in pending})
        for a, order_id, order_item, sku, amt, refund in pending:
            if refund:
                q, how = _derive_refund_qty(order_id, order_item, sku, amt, by_item, by_sku, item_prices)
            else:
                q, how = _derive_sale_qty(sku, amt, by_sku, item_prices)
            a.qty += q
            a.note(how)

    for raw, rws in sorted(unclassified.items()):
        shown = ", ".join(str(x) for x in rws[:10]) + (" …" if len(rws) > 10 else "")
        issues.append(warning(f"{len(rws)} amount(s) of unknown type {raw!r} went to the suspense account "
                              f"{settings.account(UNCL)!r} (rows {shown}).", file, rws[0], "unclassified"))

    # Lines per document slot (group id, side), in a fixed order: products by SKU, then sales-side
    # categories, then accounts.
    by_id: dict[int, object] = {id(c): c for c in Category}
    by_id.update({id(k): k for k in FeeKind})
    per_slot: dict[tuple[int, int], list[tuple[tuple, _Acc]]] = {}
    for key, a in acc.items():
        per_slot.setdefault((key[0], key[1]), []).append((key, a))
    titles = _titles(acc)
    item_of = {c: _resolve(settings.item(c), items) for c in ITEM_CATEGORIES}
    account_of_item = {c: _item_account(item_of[c], c, settings, items) for c in ITEM_CATEGORIES}
    accounts: dict[tuple[object, object], str] = {}
    product = _resolve(settings.product_item, items)
    slots: dict[tuple[int, int], list[DocLine]] = {}
    slot_notes: dict[tuple[int, int], list[str]] = {}
    for slot, entries in per_slot.items():
        entries.sort(key=_line_sort_key)
        lines: list[DocLine] = []
        side = ROLE_NAMES[slot[1]]
        for key, a in entries:
            x = key[2]
            if isinstance(x, str):  # a product line
                if not a.title:
                    a.title = titles.get(x, "")
                new, note = _product_lines(x, a, mappings, product, tracking, items, side, issues, file)
                lines.extend(new)
                if note:
                    slot_notes.setdefault(slot, []).append(note)
            elif len(key) == 3:  # a sales-side category
                cat = _category(by_id[x])
                lines.append(DocLine(amount=a.amount, description=CATEGORY_LABEL[cat]
                                     + (" refunded" if side == ROLE_REFUNDS else ""), category=cat,
                                     item=item_of[cat], account=account_of_item[cat], source_rows=tuple(a.rows)))
            else:
                cat = _category(by_id[x])
                sub = key[3]
                kind = by_id[sub] if cat is FEE and isinstance(sub, int) else None
                acct = accounts.get((cat, kind))
                if acct is None:
                    acct = accounts[(cat, kind)] = settings.account(cat, kind if isinstance(kind, FeeKind) else None)
                if isinstance(kind, FeeKind):
                    desc = f"Marketplace fees: {kind.value}" + (" (refunded)" if side == ROLE_CREDITS else "")
                    lines.append(DocLine(amount=a.amount, description=desc, category=cat, account=acct,
                                         source_rows=tuple(a.rows), fee_kind=kind))
                else:
                    desc = CATEGORY_LABEL[cat] + (f": {sub}" if sub else "")
                    lines.append(DocLine(amount=a.amount, description=desc, category=cat, account=acct,
                                         source_rows=tuple(a.rows)))
        slots[slot] = lines

    _balance_receipts(slots)

    documents: list[Document] = []
    sid = settlement.settlement_id
    clearing = settings.clearing_account
    currency = settlement.currency
    for slot in sorted(slots, key=lambda s: (groups[s[0]][1], str(groups[s[0]][0]), s[1])):
        lines = slots[slot]
        if not lines:
            continue
        gid, side_code = slot
        side = ROLE_NAMES[side_code]
        g, ym = groups[gid]
        part = f"{ym[0]:04d}-{ym[1]:02d}"
        if by_settlement:
            group = "all"
            suffix = f"{ym[0] % 100:02d}{ym[1]:02d}"
            date = min(_month_end(*ym), max(settlement.end, last[gid]))
        elif by_day:
            assert isinstance(g, dt.date)
            group = g.isoformat()
            suffix = f"{g.month:02d}{g.day:02d}"
            date = g
        else:
            group = str(g)
            suffix = group
            date = last[gid]
        chunks = _chunk(lines) if len(lines) > MAX_LINES else [lines]
        if chunks is None:
            chunks = [lines]
            issues.append(warning(f"Document {ROLES[side].value} {group} {part} has {len(lines)} lines and "
                                  "could not be cut into parts without a negative total; it is kept whole.",
                                  file, None, "too_many_lines"))
        notes = tuple(slot_notes.get(slot, ()))
        for i, chunk in enumerate(chunks, start=1):
            p = part if i == 1 else f"{part}.{i}"
            dkey = document_key(key_prefix, sid, side, group, p)
            number = doc_number(dkey, sid, side, suffix + ("" if i == 1 else f".{i}"))
            documents.append(Document(key=dkey, type=ROLES[side], date=date, doc_number=number,
                                      lines=tuple(chunk), private_note=dkey, account=clearing,
                                      currency=currency, notes=notes))

    if left_out:
        rws = sorted(left_out)
        issues.append(Issue(Severity.INFO, f"Marketplace facilitator tax: {len(rws)} amount(s) collected and "
                            "withheld by the marketplace net to zero and are left out of the documents (rows "
                            + ", ".join(str(x) for x in rws[:10]) + (" …" if len(rws) > 10 else "") + ").",
                            file, rws[0], "facilitator_left_out"))
    result = tie_out(settlement, documents)
    if not result.ok:
        extra = ""
        if settlement.stated_total is not None and settlement.stated_total != settlement.lines_total:
            extra = (f" The report states a total of {money_str(settlement.stated_total)} but its rows add up to "
                     f"{money_str(settlement.lines_total)}.")
        issues.append(error(f"The documents add up to {money_str(result.documents_total)} but the settlement "
                            f"total is {money_str(result.settlement_total)}: a difference of "
                            f"{money_str(result.difference)}.{extra}", file, None, "tie_out"))
    return tuple(documents), tuple(issues)


# --- pieces of the engine --------------------------------------------------------------------


def _category(value: object) -> Category:
    assert isinstance(value, Category)
    return value


def _line_sort_key(entry: tuple[tuple, _Acc]) -> tuple:
    """Products by SKU, then sales-side categories, then accounts (by category, fee kind, type)."""
    key = entry[0]
    x = key[2]
    if isinstance(x, str):
        return (0, x, "")
    if len(key) == 3:
        return (1, ENUM_NAME[x], "")
    sub = key[3]
    return (2, ENUM_NAME[x], ENUM_NAME.get(sub, "") if isinstance(sub, int) else str(sub or ""))


def _titles(acc: dict[tuple, _Acc]) -> dict[Sku, str]:
    """A title per SKU from its lines that have one (refund rows often have none)."""
    return {k[2]: a.title for k, a in acc.items() if isinstance(k[2], str) and a.title}


def _facilitator_netting(rows: SettlementRows, settings: Routing, issues: list[Issue],
                         file: str) -> tuple[frozenset[str], frozenset[str]]:
    """Per side (sales, refunds), the order ids whose facilitator tax withheld and tax collected net
    to zero: their tax rows are left out. An order whose amounts do not net to zero is kept, with a
    warning."""
    if settings.facilitator_tax is not FacilitatorTax.EXCLUDE:
        return frozenset(), frozenset()
    TW, TC = Category.TAX_WITHHELD, Category.TAX_COLLECTED
    # keyed by the order id alone, one dict per side: a string's hash is cached, a tuple's is not
    withheld: tuple[dict[str, Money], dict[str, Money]] = ({}, {})
    collected: tuple[dict[str, Money], dict[str, Money]] = ({}, {})
    for c, refund, order_id, amount in zip(rows.category, rows.is_refund, rows.order_id, rows.amount, strict=True):
        if c is TW:
            w = withheld[refund]
            w[order_id] = w.get(order_id, ZERO) + amount
        elif c is TC:
            t = collected[refund]
            t[order_id] = t.get(order_id, ZERO) + amount
    out = []
    for side in (0, 1):
        got = collected[side]
        nets = frozenset(o for o, w in withheld[side].items() if got.get(o, ZERO) + w == 0)
        out.append(nets)
        mismatched = withheld[side].keys() - nets
        if mismatched:
            first: dict[str, int] = {}
            for c, refund, order_id, line in zip(rows.category, rows.is_refund, rows.order_id, rows.source_row,
                                                 strict=True):
                if (c is TW or c is TC) and refund == bool(side):
                    first.setdefault(order_id, line)
            for o in sorted(mismatched):
                issues.append(warning(f"Order {o or '(no order)'}: marketplace facilitator tax withheld "
                                      f"{money_str(withheld[side][o])} does not match the tax collected "
                                      f"{money_str(got.get(o, ZERO))}; both are kept on the documents.",
                                      file, first.get(o), "facilitator_mismatch"))
    return out[0], out[1]


def _sales_index(rows: SettlementRows, orders: set[str], skus: set[Sku],
                 ) -> tuple[dict[tuple[str, str], list], dict[Sku, list]]:
    """(order id, order item) → [units, money] for sales of ``orders``, and SKU → [units, money] for
    ``skus``, over sale rows with units and money (what refund quantities are derived from)."""
    by_item: dict[tuple[str, str], list] = {}
    by_sku: dict[Sku, list] = {}
    PS = Category.PRODUCT_SALE
    for c, refund, q, amount, order_id, order_item, sku in zip(
            rows.category, rows.is_refund, rows.quantity, rows.amount, rows.order_id, rows.order_item, rows.sku,
            strict=True):
        if c is not PS or refund:
            continue
        if q is None or q <= 0 or amount <= 0:  # only real sales say what a unit sold for
            continue
        if order_item and order_id in orders:
            k = (order_id, order_item)
            s = by_item.get(k)
            if s is None:
                by_item[k] = [q, amount]
            else:
                s[0] += q
                s[1] += amount
        if sku in skus:
            t = by_sku.get(sku)
            if t is None:
                by_sku[sku] = [q, amount]
            else:
                t[0] += q
                t[1] += amount
    return by_item, by_sku


def _units(money: Money, price: Decimal) -> int:
    if price <= 0:
        return 1
    return int((abs(money) / price).to_integral_value(rounding=ROUND_HALF_UP))


def _derive_refund_qty(order_id: str, order_item: str, sku: Sku, amount: Money, by_item: dict, by_sku: dict,
                       item_prices: dict[Sku, Decimal]) -> tuple[int, str]:
    if order_item:
        sale = by_item.get((order_id, order_item))
        if sale is not None:
            units, money = sale
            return min(units, _units(amount, money / units)), QTY_ORDER_ITEM
    return _derive_sale_qty(sku, amount, by_sku, item_prices)


def _derive_sale_qty(sku: Sku, amount: Money, by_sku: dict, item_prices: dict[Sku, Decimal]) -> tuple[int, str]:
    s = by_sku.get(sku)
    if s is not None:
        return _units(amount, s[1] / s[0]), QTY_ASP
    price = item_prices.get(sku)
    if price:
        return _units(amount, price), QTY_ITEM_PRICE
    return 1, QTY_ASSUMED


def _resolve(ref: ItemRef, items: MappingABC[str, QboItem] | None) -> ItemRef:
    """An item ref with its QBO id filled in from ``items`` by name when it has none."""
    if ref.id or not items:
        return ref
    low = ref.name.lower()
    for it in items.values():
        if it.name.lower() == low and it.active:
            return it.ref
    return ref


def _item_account(ref: ItemRef, cat: Category, settings: Routing, items: MappingABC[str, QboItem] | None) -> str:
    if items and ref.id and ref.id in items and items[ref.id].income_account:
        return items[ref.id].income_account
    return settings.item_account(cat)


def _how_words(how: dict[str, int] | None) -> str:
    if not how:
        return ""
    parts = [f"{w} ({n:,} row{'' if n == 1 else 's'})" for w, n in sorted(how.items()) if w != QTY_GIVEN]
    return "; ".join(parts)


def _product_lines(sku: Sku, a: _Acc, mappings: MappingABC[Sku, Mapping], product: ItemRef, tracking: bool,
                   items: MappingABC[str, QboItem] | None, side: str, issues: list[Issue],
                   file: str, *, zero: bool = False) -> tuple[list[DocLine], str]:
    """The item line(s) of one SKU in one document, and a note on derived quantities.

    ``zero`` puts the units at price 0 without rows (the money went to an adjustment line)."""
    qty = Decimal(a.qty)
    amount = ZERO if zero else a.amount
    rows = () if zero else tuple(a.rows)
    label = f"{sku} {a.title}".strip() if sku else (a.title or "Product")
    how = _how_words(a.how)
    note = ""
    if how:
        note = f"{sku or '(no SKU)'}: {a.qty} unit(s) {'refunded' if side == ROLE_REFUNDS else 'sold'}; quantity {how}."
    desc = label + (f" — quantity {how}" if how else "")
    cat = Category.PRODUCT_REFUND if side == ROLE_REFUNDS else Category.PRODUCT_SALE
    if qty == 0 or amount < 0:
        account = items[product.id].income_account if items and product.id in items else ""
        adjust = DocLine(amount, f"{label}: price adjustment without units" + (f" ({how})" if how else ""),
                         cat, product, None, None, account, sku, "", rows)
        if qty == 0:
            return [adjust], note
        # Units moved but the money is negative: the units at price 0, the money (and the rows) on
        # its own line, which may move to the other receipt.
        zero_lines, _ = _product_lines(sku, a, mappings, product, tracking, items, side, issues, file, zero=True)
        return [*zero_lines, adjust], note
    mapping = mappings.get(sku) if tracking else None
    if mapping is None:
        account = items[product.id].income_account if items and product.id in items else ""
        return _item_lines(amount, qty, desc, cat, product, account, sku, "", rows), note
    if mapping.type is MappingType.ITEM and mapping.item is not None:
        ref = mapping.item
        account = items[ref.id].income_account if items and ref.id in items else ""
        return _item_lines(amount, qty, desc, cat, ref, account, sku, "", rows), note
    comps = mapping.components
    parts = split_amount(amount, comps)
    quantities = component_quantities(qty, comps)
    lines: list[DocLine] = []
    for i, (c, part_amount, part_qty) in enumerate(zip(comps, parts, quantities, strict=True)):
        account = items[c.item.id].income_account if items and c.item.id in items else ""
        lines.extend(_item_lines(part_amount, part_qty, f"{desc} — bundle component {c.item.name} "
                                 f"({c.percent.normalize():f}%)", cat, c.item, account, sku, sku,
                                 rows if i == 0 else ()))
    if sum((ln.amount for ln in lines), ZERO) != amount:  # the residual check (STYLE §9)
        issues.append(error(f"Bundle {sku}: the component lines do not add up to {money_str(amount)}.",
                            file, rows[0] if rows else None, "bundle_residual"))
    return lines, note


def _is_inventory(line: DocLine) -> bool:
    return line.qty is not None


def _balance_receipts(slots: dict[tuple[int, int], list[DocLine]]) -> None:
    """Move negative non-inventory lines between the SalesReceipt (side 0) and RefundReceipt
    (side 1) of one (group, month) so that neither total is negative (see the module docstring)."""
    for (gid, side), lines in list(slots.items()):
        if side != 0 or sum((ln.amount for ln in lines), ZERO) >= 0:
            continue
        other = slots.setdefault((gid, 1), [])
        keep: list[DocLine] = []
        for ln in lines:
            if ln.amount < 0 and not _is_inventory(ln):
                other.append(replace(ln, amount=-ln.amount, description=ln.description + " (moved from sales)"))
            else:
                keep.append(ln)
        slots[(gid, side)] = keep
    for (gid, side), lines in list(slots.items()):
        if side != 1 or sum((ln.amount for ln in lines), ZERO) >= 0:
            continue
        other = slots.setdefault((gid, 0), [])
        keep = []
        for ln in lines:
            if ln.amount < 0 and not _is_inventory(ln):
                other.append(replace(ln, amount=-ln.amount, description=ln.description + " (moved from refunds)"))
            else:
                keep.append(ln)
        slots[(gid, side)] = keep


def _chunk(lines: list[DocLine]) -> list[list[DocLine]] | None:
    """Cut ``lines`` into documents of at most :data:`MAX_LINES` lines, none with a negative total.

    Positive lines are spread evenly; negative lines go, largest first, to the part with the
    largest total that has room and stays non-negative. ``None`` when that fails.
    """
    positives = [ln for ln in lines if ln.amount >= 0]
    negatives = sorted((ln for ln in lines if ln.amount < 0), key=lambda ln: ln.amount)
    count = -(-len(lines) // MAX_LINES)
    per = -(-len(positives) // count) if positives else 0
    chunks = [positives[i * per:(i + 1) * per] for i in range(count)]
    totals = [sum((ln.amount for ln in c), ZERO) for c in chunks]
    for ln in negatives:
        best = None
        for i, c in enumerate(chunks):
            if len(c) < MAX_LINES and totals[i] + ln.amount >= 0 and (best is None or totals[i] > totals[best]):
                best = i
        if best is None:
            return None
        chunks[best].append(ln)
        totals[best] += ln.amount
    return [c for c in chunks if c]


# --- JSON (storage, the command line, the preview download) ----------------------------------


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def line_to_json(line: DocLine) -> dict[str, object]:
    """A line as JSON: money as a two-decimal string, quantity and unit price as exact decimal text."""
    return {"amount": money_str(line.amount), "description": line.description, "category": line.category.value,
            "item": None if line.item is None else {"id": line.item.id, "name": line.item.name},
            "qty": _dec(line.qty), "unit_price": _dec(line.unit_price), "account": line.account,
            "sku": line.sku, "bundle_sku": line.bundle_sku, "source_rows": list(line.source_rows),
            "fee_kind": None if line.fee_kind is None else line.fee_kind.value}


def line_from_json(data: MappingABC[str, object]) -> DocLine:
    """The inverse of :func:`line_to_json` (exact)."""
    item = data.get("item")
    qty, price, kind = data.get("qty"), data.get("unit_price"), data.get("fee_kind")
    rows = data.get("source_rows") or []
    assert isinstance(rows, list)
    return DocLine(amount=Decimal(str(data["amount"])), description=str(data.get("description", "")),
                   category=Category(str(data["category"])),
                   item=ItemRef(str(item["id"]), str(item["name"])) if isinstance(item, dict) else None,
                   qty=None if qty is None else Decimal(str(qty)),
                   unit_price=None if price is None else Decimal(str(price)),
                   account=str(data.get("account", "")), sku=str(data.get("sku", "")),
                   bundle_sku=str(data.get("bundle_sku", "")), source_rows=tuple(int(n) for n in rows),
                   fee_kind=None if kind is None else FeeKind(str(kind)))


def document_to_json(doc: Document) -> dict[str, object]:
    """A document as JSON (what ``preview --json`` prints and what storage keeps)."""
    return {"key": doc.key, "type": doc.type.value, "date": doc.date.isoformat(), "doc_number": doc.doc_number,
            "total": money_str(doc.total), "account": doc.account, "currency": doc.currency,
            "private_note": doc.private_note, "notes": list(doc.notes),
            "lines": [line_to_json(ln) for ln in doc.lines]}


def document_from_json(data: MappingABC[str, object]) -> Document:
    """The inverse of :func:`document_to_json` (the stored total is checked against the lines)."""
    lines = data.get("lines") or []
    notes = data.get("notes") or []
    assert isinstance(lines, list) and isinstance(notes, list)
    doc = Document(key=str(data["key"]), type=DocType(str(data["type"])),
                   date=dt.date.fromisoformat(str(data["date"])), doc_number=str(data.get("doc_number", "")),
                   lines=tuple(line_from_json(ln) for ln in lines), private_note=str(data.get("private_note", "")),
                   account=str(data.get("account", "")), currency=str(data.get("currency", "USD")),
                   notes=tuple(str(n) for n in notes))
    if "total" in data and Decimal(str(data["total"])) != doc.total:
        raise ValueError(f"document {doc.key}: stored total {data['total']} is not the sum of its lines")
    return doc
