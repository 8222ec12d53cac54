"""Stored mappings: what each channel product of an integration becomes in QBO, and their history.

Tables:

- ``mappings``: one row per (integration, SKU): type ``item`` or ``bundle``, the item's QBO Id and
  the name it had when mapped, and the title seen in the reports;
- ``bundle_components``: the components of a bundle mapping, in order, with the quantity per
  bundle and the percentage as exact decimal text (never through float);
- ``mapping_versions``: one counter per integration. :func:`save_mappings` takes the version the
  editor loaded and refuses with :class:`~services.errors.ConcurrentEdit` when someone saved in
  between (an atomic ``UPDATE ... WHERE version = expected``, so it holds on SQLite and
  PostgreSQL and between several app instances);
- ``mapping_history``: one row per changed SKU per save: when, who, before and after as JSON.

Channel products are not stored here: :func:`list_channel_products` reads them from the stored
settlement rows (first and last sale date, units sold and refunded per SKU).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.bundles import validate_bundle
from services.errors import BadInput, ConcurrentEdit
from services.mapping import mapping_to_json, same_mapping
from services.records import (
    BundleComponent,
    Category,
    ChannelProduct,
    Integration,
    ItemRef,
    Mapping,
    MappingType,
    Sku,
    has_errors,
)
from services.storage.db import Database, metadata, utcnow

mappings_table = sa.Table(
    "mappings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("sku", sa.String(200), nullable=False),
    sa.Column("type", sa.String(10), nullable=False),  # item | bundle
    sa.Column("item_id", sa.String(50), nullable=False, default=""),
    sa.Column("item_name", sa.String(300), nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False, default=utcnow),
    sa.Column("updated_by", sa.String(200), nullable=False, default=""),
    sa.UniqueConstraint("integration_id", "sku", name="uq_mapping_sku"),
)

bundle_components_table = sa.Table(
    "bundle_components",
    metadata,
    sa.Column("mapping_id", sa.Integer, sa.ForeignKey("mappings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.String(50), nullable=False),
    sa.Column("item_name", sa.String(300), nullable=False),
    sa.Column("qty", sa.String(50), nullable=False),  # exact decimal text
    sa.Column("percent", sa.String(50), nullable=False),  # exact decimal text
)

mapping_versions_table = sa.Table(
    "mapping_versions",
    metadata,
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

mapping_history_table = sa.Table(
    "mapping_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("sku", sa.String(200), nullable=False),
    sa.Column("before", sa.Text, nullable=False),  # JSON, "null" when there was no mapping
    sa.Column("after", sa.Text, nullable=False),  # JSON, "null" when the mapping was cleared
    sa.Index("ix_mapping_history_integration", "integration_id", "id"),
)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of one SKU's mapping: when, who, and the mapping before and after (JSON form)."""

    at: dt.datetime
    who: str
    sku: Sku
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# --- reads ---------------------------------------------------------------------------------------


def mapping_version(db: Database, integration: Integration) -> int:
    """The integration's mappings version (0 before the first save). Pass it back to save."""
    with db.connect() as conn:
        return _version(conn, integration.id)


def _version(conn: Any, integration_id: int) -> int:
    v = conn.execute(sa.select(mapping_versions_table.c.version).where(
        mapping_versions_table.c.integration_id == integration_id)).scalar()
    return int(v or 0)


def load_mappings(db: Database, integration: Integration) -> dict[Sku, Mapping]:
    """Every mapping of ``integration`` by SKU (only SKUs that are mapped).

    Why: the document engine turns each sale line's SKU into QBO item lines with this, and the
    mapping tab shows it. Bundle components come in their saved order with exact decimals.
    """
    with db.connect() as conn:
        return _load(conn, integration.id)


def _load(conn: Any, integration_id: int) -> dict[Sku, Mapping]:
    m, bc = mappings_table, bundle_components_table
    rows = conn.execute(sa.select(m).where(m.c.integration_id == integration_id).order_by(m.c.sku)).all()
    comps: dict[int, list[BundleComponent]] = {}
    q = (sa.select(bc).join(m, m.c.id == bc.c.mapping_id)
         .where(m.c.integration_id == integration_id).order_by(bc.c.mapping_id, bc.c.position))
    for c in conn.execute(q):
        comps.setdefault(c.mapping_id, []).append(
            BundleComponent(ItemRef(c.item_id, c.item_name), Decimal(c.qty), Decimal(c.percent)))
    out: dict[Sku, Mapping] = {}
    for r in rows:
        if r.type == MappingType.BUNDLE.value:
            out[r.sku] = Mapping(r.sku, MappingType.BUNDLE, None, tuple(comps.get(r.id, ())), r.title)
        else:
            out[r.sku] = Mapping(r.sku, MappingType.ITEM, ItemRef(r.item_id, r.item_name), (), r.title)
    return out


def list_history(db: Database, integration: Integration, *, sku: Sku | None = None,
                 limit: int = 500) -> list[HistoryEntry]:
    """The latest mapping changes of ``integration`` (newest first), optionally of one SKU.

    Why: an accountant must be able to see who re-mapped a SKU, when, and what it was before.
    """
    h = mapping_history_table
    q = sa.select(h).where(h.c.integration_id == integration.id)
    if sku is not None:
        q = q.where(h.c.sku == sku)
    q = q.order_by(h.c.id.desc()).limit(limit)
    with db.connect() as conn:
        return [HistoryEntry(r.at, r.who, r.sku, json.loads(r.before), json.loads(r.after))
                for r in conn.execute(q)]


def channel_products_signature(db: Database, integration: Integration) -> str:
    """A short text that changes whenever the integration's stored settlements change.

    Why: the mapping tab caches :func:`list_channel_products` (an aggregate over every stored
    row) under this key, so a rerun does not re-aggregate 20,000 SKUs when nothing was imported.
    """
    try:
        from services.storage.settlements import settlements
    except ImportError:
        return "none"
    s = settlements
    q = sa.select(sa.func.count(s.c.id), sa.func.coalesce(sa.func.sum(s.c.id), 0),
                  sa.func.coalesce(sa.func.sum(s.c.version), 0), sa.func.coalesce(sa.func.sum(s.c.row_count), 0)
                  ).where(s.c.integration_id == integration.id)
    with db.connect() as conn:
        row = conn.execute(q).one()
    return ":".join(str(v) for v in row)


def list_channel_products(db: Database, integration: Integration) -> list[ChannelProduct]:
    """Every SKU seen in the integration's stored settlements, with sales dates and units.

    Why: the mapping tab lists exactly what the channel sells, and item creation proposes an
    "As of" date before the first sale. Units sold count product-sale rows, units refunded the
    product-refund rows (a blank refund quantity counts as one unit); dates are of sale rows,
    else of any row of the SKU. The title is the latest non-empty one. Sorted by SKU.
    """
    try:
        from services.storage.settlements import settlement_rows, settlements
    except ImportError:  # settlement storage not present in this build
        return []
    s, r = settlements, settlement_rows
    is_sale = sa.and_(r.c.category == Category.PRODUCT_SALE.value, sa.not_(r.c.is_refund))
    is_refund = sa.or_(r.c.category == Category.PRODUCT_REFUND.value,
                       sa.and_(r.c.category == Category.PRODUCT_SALE.value, r.c.is_refund))
    sale_date = sa.case((is_sale, r.c.date), else_=None)
    q = (sa.select(
        r.c.sku,
        sa.func.min(sale_date).label("first_sale"),
        sa.func.max(sale_date).label("last_sale"),
        sa.func.min(r.c.date).label("first_any"),
        sa.func.max(r.c.date).label("last_any"),
        sa.func.sum(sa.case((is_sale, sa.func.abs(sa.func.coalesce(r.c.quantity, 0))), else_=0)).label("sold"),
        sa.func.sum(sa.case((is_refund, sa.func.abs(sa.func.coalesce(r.c.quantity, 1))), else_=0)).label("refunded"),
    ).select_from(r.join(s, s.c.id == r.c.settlement_pk))
        .where(s.c.integration_id == integration.id, r.c.sku != "")
        .group_by(r.c.sku).order_by(r.c.sku))
    # the latest non-empty title per SKU
    latest = (sa.select(r.c.sku, r.c.title, r.c.date, r.c.settlement_pk, r.c.seq)
              .select_from(r.join(s, s.c.id == r.c.settlement_pk))
              .where(s.c.integration_id == integration.id, r.c.sku != "", r.c.title != ""))
    titles: dict[str, tuple[Any, ...]] = {}
    with db.connect() as conn:
        for t in conn.execute(latest):
            key = (t.date, t.settlement_pk, t.seq)
            if t.sku not in titles or key > titles[t.sku][0]:
                titles[t.sku] = (key, t.title)
        rows = conn.execute(q).all()
    return [ChannelProduct(sku=row.sku, title=titles[row.sku][1] if row.sku in titles else "",
                           first_date=row.first_sale or row.first_any,
                           last_date=row.last_sale or row.last_any,
                           units_sold=int(row.sold or 0), units_refunded=int(row.refunded or 0))
            for row in rows]


# --- writes --------------------------------------------------------------------------------------


def _check(changes: MappingABC[Sku, Mapping | None]) -> None:
    issues = []
    for sku, m in changes.items():
        if not sku.strip():
            raise BadInput("A mapping needs a SKU.")
        if m is None or m.type is MappingType.NONE:
            continue
        if m.sku != sku:
            raise ValueError(f"mapping for {m.sku!r} filed under {sku!r}")
        if m.type is MappingType.ITEM and (m.item is None or not m.item.id):
            raise BadInput(f"SKU {sku}: choose a QBO inventory item.")
        if m.type is MappingType.BUNDLE:
            issues.extend(validate_bundle(m.components, sku=sku))
    if has_errors(issues):
        raise BadInput("; ".join(i.message for i in issues), details={"problems": [str(i) for i in issues]})


def save_mappings(db: Database, integration: Integration, changes: MappingABC[Sku, Mapping | None], *,
                  who: str, expected_version: int) -> int:
    """Apply ``changes`` (SKU → new mapping, ``None`` to clear) in one transaction.

    Why: the grid, the Excel import and the CLI all save through here, so every change is
    validated, versioned and written to the history the same way.

    Args:
        changes: only the SKUs to change; SKUs not named keep their mapping.
        who: the user (or "cli") recorded in the history.
        expected_version: :func:`mapping_version` as it was when the edits started.

    Returns:
        The new version (unchanged when nothing actually changed).

    Raises:
        ConcurrentEdit: someone saved this integration's mappings since ``expected_version``.
        BadInput: a bundle is invalid (percentages not 100, quantity not positive, ...) or an
            item mapping has no item.
    """
    _check(changes)
    m, bc, h, v = mappings_table, bundle_components_table, mapping_history_table, mapping_versions_table
    now = utcnow()
    try:
        with db.begin() as conn:
            current = _load(conn, integration.id) if changes else {}
            effective = {sku: new for sku, new in changes.items() if not same_mapping(current.get(sku), new)}
            if not effective:
                version = _version(conn, integration.id)
                if version != expected_version:
                    raise ConcurrentEdit()
                return version
            if expected_version == 0:
                conn.execute(v.insert().values(integration_id=integration.id, version=1))
                new_version = 1
            else:
                res = conn.execute(v.update().where(v.c.integration_id == integration.id,
                                                    v.c.version == expected_version)
                                   .values(version=v.c.version + 1))
                if res.rowcount != 1:
                    raise ConcurrentEdit()
                new_version = expected_version + 1
            ids = dict(conn.execute(sa.select(m.c.sku, m.c.id).where(
                m.c.integration_id == integration.id, m.c.sku.in_(list(effective)))).all()) \
                if len(effective) < 500 else dict(conn.execute(sa.select(m.c.sku, m.c.id).where(
                    m.c.integration_id == integration.id)).all())
            gone = [ids[sku] for sku in effective if sku in ids]
            for chunk in _chunks(gone, 500):
                conn.execute(bc.delete().where(bc.c.mapping_id.in_(chunk)))
                conn.execute(m.delete().where(m.c.id.in_(chunk)))
            new_rows = []
            for sku, new in effective.items():
                if new is None or new.type is MappingType.NONE:
                    continue
                item = new.item if new.type is MappingType.ITEM else None
                new_rows.append({"integration_id": integration.id, "sku": sku, "type": new.type.value,
                                 "item_id": item.id if item else "", "item_name": item.name if item else "",
                                 "title": new.title, "updated_at": now, "updated_by": who})
            if new_rows:
                conn.execute(m.insert(), new_rows)
            bundles = {sku: new for sku, new in effective.items()
                       if new is not None and new.type is MappingType.BUNDLE}
            if bundles:
                new_ids = dict(conn.execute(sa.select(m.c.sku, m.c.id).where(
                    m.c.integration_id == integration.id, m.c.type == MappingType.BUNDLE.value)).all())
                comp_rows = [{"mapping_id": new_ids[sku], "position": n, "item_id": c.item.id,
                              "item_name": c.item.name, "qty": str(c.qty), "percent": str(c.percent)}
                             for sku, new in bundles.items() for n, c in enumerate(new.components)]
                conn.execute(bc.insert(), comp_rows)
            conn.execute(h.insert(), [
                {"integration_id": integration.id, "at": now, "who": who, "sku": sku,
                 "before": json.dumps(mapping_to_json(current.get(sku))), "after": json.dumps(mapping_to_json(new))}
                for sku, new in effective.items()])
            return new_version
    except IntegrityError:  # two first saves at once: the other one inserted version 1
        raise ConcurrentEdit() from None


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
