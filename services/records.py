"""The domain's records: plain, frozen, slotted dataclasses with tuple fields.

These are the contracts between the layers: parsers produce a :class:`Settlement`; mapping
produces :class:`Mapping` records; the document engine turns both into :class:`Document` records
that the QBO edge posts. Behaviour lives in functions elsewhere; change a record with
``dataclasses.replace``.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from itertools import repeat
from operator import attrgetter
from typing import Any, overload

from services.bulk import gc_paused
from services.money import Money

Sku = str
OrderId = str
SettlementId = str


class Channel(StrEnum):
    AMAZON = "amazon"
    SHOPIFY = "shopify"
    WALMART = "walmart"
    EBAY = "ebay"
    ETSY = "etsy"


class Category(StrEnum):
    """What a settlement row's money is, whatever the channel called it."""

    PRODUCT_SALE = "product_sale"
    PRODUCT_REFUND = "product_refund"
    SHIPPING = "shipping"
    GIFT_WRAP = "gift_wrap"
    TAX_COLLECTED = "tax_collected"
    TAX_WITHHELD = "tax_withheld"  # marketplace facilitator tax, collected and withheld again
    PROMOTION = "promotion"
    FEE = "fee"
    REIMBURSEMENT = "reimbursement"
    RESERVE = "reserve"
    TRANSFER = "transfer"
    UNCLASSIFIED = "unclassified"


class FeeKind(StrEnum):
    COMMISSION = "commission"
    FULFILMENT = "fulfilment"
    STORAGE = "storage"
    ADVERTISING = "advertising"
    SUBSCRIPTION = "subscription"
    OTHER = "other"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found in data, as a value. ``row`` is the 1-based line of the user's file."""

    severity: Severity
    message: str
    file: str = ""
    row: int | None = None
    code: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where = f"{where}, row {self.row}" if where else f"row {self.row}"
        return f"{where}: {self.message}" if where else self.message


def error(message: str, file: str = "", row: int | None = None, code: str = "") -> Issue:
    return Issue(Severity.ERROR, message, file, row, code)


def warning(message: str, file: str = "", row: int | None = None, code: str = "") -> Issue:
    return Issue(Severity.WARNING, message, file, row, code)


def has_errors(issues: tuple[Issue, ...] | list[Issue]) -> bool:
    return any(i.severity is Severity.ERROR for i in issues)


@dataclass(frozen=True, slots=True)
class SettlementRow:
    """One amount of a settlement, classified, with where it came from.

    ``is_refund`` is true for every amount of a refund transaction (refunded product, shipping,
    tax, promotion), so that the document engine can put it on a RefundReceipt. ``amount`` is
    signed as the channel paid it: positive is money to the seller.
    """

    source_row: int
    category: Category
    amount: Money
    date: dt.date
    order_id: OrderId = ""
    order_item: str = ""
    sku: Sku = ""
    title: str = ""
    quantity: int | None = None
    fee_kind: FeeKind | None = None
    is_refund: bool = False
    raw_type: str = ""  # the channel's own words, e.g. "Order / ItemPrice / Principal"
    source_file: str = ""


ROW_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(SettlementRow))
_ROW_GETTERS = tuple(attrgetter(name) for name in ROW_FIELDS)
_ROW_SETTERS = tuple(getattr(SettlementRow, name).__set__ for name in ROW_FIELDS)
_ROW_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(SettlementRow) if f.default is not MISSING}
_CHUNK = 4096


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SettlementRows(Sequence[SettlementRow]):
    """The rows of a settlement, stored by column: one tuple per :class:`SettlementRow` field.

    This is how a settlement is held: a million-row report is thirteen tuples that share their
    values (one Decimal per distinct amount, one string per distinct SKU) instead of a million
    objects. Code that reads the money in bulk (the tie-out, storage, the document engine) reads
    the columns, e.g. ``rows.amount``; code that wants records indexes or iterates, and gets
    :class:`SettlementRow` values equal to the ones the columns describe, built as they are asked
    for. Two SettlementRows are equal when their columns are.
    """

    source_row: tuple[int, ...]
    category: tuple[Category, ...]
    amount: tuple[Money, ...]
    date: tuple[dt.date, ...]
    order_id: tuple[OrderId, ...]
    order_item: tuple[str, ...]
    sku: tuple[Sku, ...]
    title: tuple[str, ...]
    quantity: tuple[int | None, ...]
    fee_kind: tuple[FeeKind | None, ...]
    is_refund: tuple[bool, ...]
    raw_type: tuple[str, ...]
    source_file: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.source_row)
        for name in ROW_FIELDS:
            if len(getattr(self, name)) != n:
                raise ValueError(f"column {name} has {len(getattr(self, name))} values, source_row has {n}")

    @classmethod
    def of(cls, n: int, columns: dict[str, Sequence[Any]], **constants: Any) -> SettlementRows:
        """Rows from ``columns`` (name -> ``n`` values); a field given in ``constants`` has that one
        value on every row, a field in neither has its SettlementRow default."""
        built: dict[str, tuple[Any, ...]] = {}
        for name in ROW_FIELDS:
            if name in columns:
                col = columns[name]
                built[name] = col if type(col) is tuple else tuple(col)
            elif name in constants:
                built[name] = (constants[name],) * n
            elif name in _ROW_DEFAULTS:
                built[name] = (_ROW_DEFAULTS[name],) * n
            else:
                raise KeyError(f"column {name} is required")
        return cls(**built)

    @classmethod
    def from_rows(cls, rows: Iterable[SettlementRow]) -> SettlementRows:
        """Rows from records (the small reports build their rows one by one)."""
        if isinstance(rows, SettlementRows):
            return rows
        records = rows if isinstance(rows, (list, tuple)) else list(rows)
        return cls(**{name: tuple(map(getter, records))
                      for name, getter in zip(ROW_FIELDS, _ROW_GETTERS, strict=True)})

    def __len__(self) -> int:
        return len(self.source_row)

    @overload
    def __getitem__(self, index: int) -> SettlementRow: ...

    @overload
    def __getitem__(self, index: slice) -> SettlementRows: ...

    def __getitem__(self, index: int | slice) -> SettlementRow | SettlementRows:
        if isinstance(index, slice):
            return SettlementRows(**{name: getattr(self, name)[index] for name in ROW_FIELDS})
        return SettlementRow(*(getattr(self, name)[index] for name in ROW_FIELDS))

    def __iter__(self) -> Iterator[SettlementRow]:
        for start in range(0, len(self), _CHUNK):
            yield from self._build(start, min(start + _CHUNK, len(self)))

    def _build(self, start: int, stop: int) -> list[SettlementRow]:
        """Records ``start:stop``, their slots written column by column (several times faster
        than the frozen dataclass constructor; the records are equal to constructed ones)."""
        with gc_paused():
            objs: list[SettlementRow] = list(map(object.__new__, repeat(SettlementRow, stop - start)))
            for name, setter in zip(ROW_FIELDS, _ROW_SETTERS, strict=True):
                deque(map(setter, objs, getattr(self, name)[start:stop]), maxlen=0)
        return objs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SettlementRows):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in ROW_FIELDS)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in ROW_FIELDS))

    def __repr__(self) -> str:
        return f"SettlementRows({len(self)} rows)"

    @property
    def total(self) -> Money:
        """The exact sum of the amounts."""
        total = Decimal("0.00")
        for amount in self.amount:
            total += amount
        return total


@dataclass(frozen=True, slots=True)
class Settlement:
    """One payout report in canonical form.

    ``total`` is the payout: what the report states when it states one, else the sum of the
    rows. ``stated_total`` keeps what the report said (``None`` when it said nothing), and
    ``lines_total`` is always the exact sum of the rows. ``rows`` are held by column
    (:class:`SettlementRows`).
    """

    settlement_id: SettlementId
    channel: Channel
    format: str
    marketplace: str
    currency: str
    start: dt.date
    end: dt.date
    deposit_date: dt.date
    total: Money
    rows: SettlementRows
    stated_total: Money | None = None
    source_files: tuple[str, ...] = ()

    @property
    def lines_total(self) -> Money:
        return self.rows.total


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a parser returns: the settlement (``None`` when nothing usable was read) and issues."""

    settlement: Settlement | None
    issues: tuple[Issue, ...] = ()


# --- Mapping ---------------------------------------------------------------------------------


class MappingType(StrEnum):
    ITEM = "item"
    BUNDLE = "bundle"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A QBO item by Id, with the name it had when it was read."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class BundleComponent:
    """One component of a bundle. ``percent`` is of the bundle's *total* sales price."""

    item: ItemRef
    qty: Decimal  # quantity per bundle, positive
    percent: Decimal  # exact, the components of one bundle sum to exactly 100


@dataclass(frozen=True, slots=True)
class Mapping:
    """What a channel product becomes in QBO: one item, or a bundle of components."""

    sku: Sku
    type: MappingType
    item: ItemRef | None = None
    components: tuple[BundleComponent, ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class ChannelProduct:
    """A SKU seen in an integration's settlements."""

    sku: Sku
    title: str
    first_date: dt.date | None
    last_date: dt.date | None
    units_sold: int
    units_refunded: int = 0


# --- Documents -------------------------------------------------------------------------------


class DocType(StrEnum):
    SALES_RECEIPT = "SalesReceipt"
    REFUND_RECEIPT = "RefundReceipt"
    PURCHASE = "Purchase"
    DEPOSIT = "Deposit"


@dataclass(frozen=True, slots=True)
class DocLine:
    """One line of a document.

    Item lines carry ``item``, ``qty`` and ``unit_price`` with ``amount == round(qty*unit_price, 2)``;
    account lines (fees, deposits, suspense) carry ``account`` only. ``source_rows`` lists the
    settlement rows (their ``source_row``) that landed on this line.
    """

    amount: Money
    description: str
    category: Category
    item: ItemRef | None = None
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    account: str = ""
    sku: Sku = ""
    bundle_sku: Sku = ""
    source_rows: tuple[int, ...] = ()
    fee_kind: FeeKind | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """One QBO transaction to post, with its deterministic key (DESIGN §4)."""

    key: str
    type: DocType
    date: dt.date
    doc_number: str
    lines: tuple[DocLine, ...]
    private_note: str = ""
    account: str = ""  # the clearing account it deposits to / pays from
    currency: str = "USD"
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> Money:
        total = Decimal("0.00")
        for line in self.lines:
            total += line.amount
        return total


# --- Clients and integrations ----------------------------------------------------------------


class Grouping(StrEnum):
    SETTLEMENT = "settlement"
    DAY = "day"
    ORDER = "order"


@dataclass(frozen=True, slots=True)
class Client:
    """One QBO company and how to reach it (the local sandbox, or OAuth to the real QBO)."""

    id: int
    name: str
    kind: str  # "sandbox" | "oauth"
    realm_id: str
    sandbox_url: str = ""
    company_name: str = ""
    plan: str = ""


@dataclass(frozen=True, slots=True)
class Integration:
    """One sales-channel account of a client; settings live here."""

    id: int
    client_id: int
    name: str
    channel: Channel
    inventory_tracking: bool = False
    grouping: Grouping = Grouping.SETTLEMENT
    settings: tuple[tuple[str, str], ...] = ()  # account routing, as sorted (key, value) pairs
    version: int = 1

    def setting(self, key: str, default: str = "") -> str:
        return dict(self.settings).get(key, default)


# --- What is read from QBO -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QboItem:
    """A QBO item as Settlebridge needs it (read through the gateway)."""

    id: str
    name: str
    type: str  # "Inventory" | "NonInventory" | "Service" | ...
    sku: str = ""
    active: bool = True
    qty_on_hand: Decimal | None = None
    inv_start_date: dt.date | None = None
    purchase_cost: Decimal | None = None
    unit_price: Decimal | None = None
    income_account: str = ""
    expense_account: str = ""
    asset_account: str = ""
    sync_token: str = "0"

    @property
    def ref(self) -> ItemRef:
        return ItemRef(self.id, self.name)


@dataclass(frozen=True, slots=True)
class QboAccount:
    id: str
    name: str
    account_type: str
    account_sub_type: str = ""
    active: bool = True


# --- Stored settlements ----------------------------------------------------------------------


class SettlementStatus(StrEnum):
    """Where a stored settlement stands, from import to verification."""

    IMPORTED = "imported"
    MAPPING_NOT_FOUND = "mapping_not_found"
    READY = "ready"
    POSTING = "posting"
    POSTED = "posted"
    POSTED_WITH_ERRORS = "posted_with_errors"
    VERIFIED = "verified"
    FAILED = "failed"


# A settlement in one of these states may be replaced by a new upload of the same id: nothing of
# it has been sent to QuickBooks. (FAILED may be either; storage asks the posting records.)
REPLACEABLE_STATUSES = frozenset({SettlementStatus.IMPORTED, SettlementStatus.MAPPING_NOT_FOUND,
                                  SettlementStatus.READY})


@dataclass(frozen=True, slots=True)
class SettlementInfo:
    """A stored settlement without its rows: what lists and status checks need.

    ``status_detail`` is JSON text (e.g. the unmapped SKUs of ``mapping_not_found``).
    """

    id: int  # the database key
    integration_id: int
    settlement_id: SettlementId
    channel: Channel
    format: str
    marketplace: str
    currency: str
    start: dt.date
    end: dt.date
    deposit_date: dt.date
    total: Money
    stated_total: Money | None
    lines_total: Money
    row_count: int
    status: SettlementStatus
    status_detail: str = "{}"
    source_files: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    created_by: str = ""
    updated_at: dt.datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class SettlementEvent:
    """Who did what to a settlement, and when (the History page reads these)."""

    settlement_id: SettlementId
    at: dt.datetime
    who: str
    what: str
    detail: str = ""
