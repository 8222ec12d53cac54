"""Stored mappings: round trip, optimistic concurrency, history, channel products from settlements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from services.errors import BadInput, ConcurrentEdit
from services.records import (
    BundleComponent,
    Category,
    Channel,
    Integration,
    ItemRef,
    Mapping,
    MappingType,
    Settlement,
    SettlementRow,
    SettlementRows,
)
from services.storage import Database
from services.storage import clients as clients_repo
from services.storage.mappings import (
    list_channel_products,
    list_history,
    load_mappings,
    mapping_version,
    save_mappings,
)

D = Decimal
MUG = ItemRef("11", "Mug")
LID = ItemRef("12", "Lid")


@pytest.fixture
def integ(db: Database) -> Integration:
    client = clients_repo.add_client(db, "Acme", kind="sandbox", realm_id="1", sandbox_url="http://x")
    return clients_repo.add_integration(db, client, "Amazon US", Channel.AMAZON)


def bundle(sku: str, *parts: tuple[ItemRef, str, str]) -> Mapping:
    return Mapping(sku, MappingType.BUNDLE, None, tuple(BundleComponent(i, D(q), D(p)) for i, q, p in parts))


def test_save_mappings__round_trip_with_exact_decimals(db: Database, integ: Integration) -> None:
    assert mapping_version(db, integ) == 0
    changes = {
        "MUG-1": Mapping("MUG-1", MappingType.ITEM, MUG, (), "A mug"),
        "SET-2": bundle("SET-2", (MUG, "2", "66.667"), (LID, "0.5", "33.333")),
    }
    version = save_mappings(db, integ, changes, who="ann", expected_version=0)
    assert version == 1 == mapping_version(db, integ)
    loaded = load_mappings(db, integ)
    assert loaded == changes
    assert loaded["SET-2"].components[0].percent == D("66.667")
    assert str(loaded["SET-2"].components[1].qty) == "0.5"


def test_save_mappings__stale_version_is_refused(db: Database, integ: Integration) -> None:
    v1 = save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, MUG)}, who="ann", expected_version=0)
    # Bob loaded version 1 too; Ann saves first
    save_mappings(db, integ, {"B": Mapping("B", MappingType.ITEM, LID)}, who="ann", expected_version=v1)
    with pytest.raises(ConcurrentEdit):
        save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, LID)}, who="bob", expected_version=v1)
    assert load_mappings(db, integ)["A"].item == MUG  # Bob's edit did not overwrite anything


def test_save_mappings__two_first_saves_one_wins(db: Database, integ: Integration) -> None:
    save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, MUG)}, who="ann", expected_version=0)
    with pytest.raises(ConcurrentEdit):
        save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, LID)}, who="bob", expected_version=0)


def test_save_mappings__no_change_keeps_version_and_history(db: Database, integ: Integration) -> None:
    m = {"A": Mapping("A", MappingType.ITEM, MUG)}
    v = save_mappings(db, integ, m, who="ann", expected_version=0)
    # the same mapping again (even with the item renamed since) is no change
    assert save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, ItemRef("11", "Mug (new)"))},
                         who="ann", expected_version=v) == v
    assert len(list_history(db, integ)) == 1


def test_save_mappings__history_records_before_and_after(db: Database, integ: Integration) -> None:
    v = save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, MUG)}, who="ann", expected_version=0)
    v = save_mappings(db, integ, {"A": bundle("A", (MUG, "1", "50"), (LID, "1", "50"))}, who="bob",
                      expected_version=v)
    save_mappings(db, integ, {"A": None}, who="cy", expected_version=v)
    assert load_mappings(db, integ) == {}
    hist = list_history(db, integ, sku="A")
    assert [h.who for h in hist] == ["cy", "bob", "ann"]
    assert hist[2].before is None and hist[2].after == {"type": "item", "item": {"id": "11", "name": "Mug"}}
    assert hist[1].after["components"][1] == {"item": {"id": "12", "name": "Lid"}, "qty": "1", "percent": "50"}
    assert hist[0].before == hist[1].after and hist[0].after is None
    assert isinstance(hist[0].at, dt.datetime)


@pytest.mark.parametrize(("case", "mapping"), [
    ("percent_99_99", bundle("S", (MUG, "1", "50"), (LID, "1", "49.99"))),
    ("zero_qty", bundle("S", (MUG, "0", "100"))),
    ("duplicate_component", bundle("S", (MUG, "1", "50"), (MUG, "1", "50"))),
    ("item_without_item", Mapping("S", MappingType.ITEM, None)),
])
def test_save_mappings__refuses_invalid(db: Database, integ: Integration, case: str, mapping: Mapping) -> None:
    with pytest.raises(BadInput):
        save_mappings(db, integ, {"S": mapping}, who="ann", expected_version=0)
    assert load_mappings(db, integ) == {} and mapping_version(db, integ) == 0


def test_save_mappings__many_at_once(db: Database, integ: Integration) -> None:
    changes: dict[str, Mapping | None] = {f"SKU-{n:05d}": Mapping(f"SKU-{n:05d}", MappingType.ITEM, MUG)
                                          for n in range(2000)}
    v = save_mappings(db, integ, changes, who="ann", expected_version=0)
    changes = {sku: (bundle(sku, (LID, "2", "100")) if n % 2 else None) for n, sku in enumerate(changes)}
    save_mappings(db, integ, changes, who="ann", expected_version=v)
    loaded = load_mappings(db, integ)
    assert len(loaded) == 1000 and all(m.type is MappingType.BUNDLE for m in loaded.values())


def test_mappings__per_integration(db: Database, integ: Integration) -> None:
    client = clients_repo.get_client(db, "Acme")
    other = clients_repo.add_integration(db, client, "Shopify", Channel.SHOPIFY)
    save_mappings(db, integ, {"A": Mapping("A", MappingType.ITEM, MUG)}, who="ann", expected_version=0)
    assert load_mappings(db, other) == {} and mapping_version(db, other) == 0


def _row(n: int, sku: str, cat: Category, day: int, qty: int | None, *, refund: bool = False,
         title: str = "") -> SettlementRow:
    return SettlementRow(source_row=n, category=cat, amount=D("1.00") if not refund else D("-1.00"),
                         date=dt.date(2026, 3, day), order_id=f"O{n}", sku=sku, title=title,
                         quantity=qty, is_refund=refund)


def test_list_channel_products__from_stored_settlements(db: Database, integ: Integration) -> None:
    from services.storage.settlements import save_settlement

    rows = (
        _row(1, "MUG-1", Category.PRODUCT_SALE, 3, 2, title="Mug, old title"),
        _row(2, "MUG-1", Category.FEE, 3, 2),  # fee rows repeat the SKU: not units
        _row(3, "MUG-1", Category.PRODUCT_SALE, 9, 1, title="Mug, blue"),
        _row(4, "MUG-1", Category.PRODUCT_REFUND, 12, None, refund=True),
        _row(5, "=HYPERLINK(1)", Category.PRODUCT_SALE, 5, 4),
        _row(6, "", Category.FEE, 5, None),
        _row(7, "ONLY-REFUND", Category.PRODUCT_REFUND, 7, 3, refund=True),
    )
    s = Settlement("S1", Channel.AMAZON, "amazon_v2", "Amazon.com", "USD", dt.date(2026, 3, 1),
                   dt.date(2026, 3, 14), dt.date(2026, 3, 16), sum((r.amount for r in rows), D(0)),
                   SettlementRows.from_rows(rows))
    save_settlement(db, integ, s)
    products = {p.sku: p for p in list_channel_products(db, integ)}
    assert sorted(products) == ["=HYPERLINK(1)", "MUG-1", "ONLY-REFUND"]
    mug = products["MUG-1"]
    assert (mug.title, mug.first_date, mug.last_date, mug.units_sold, mug.units_refunded) == \
        ("Mug, blue", dt.date(2026, 3, 3), dt.date(2026, 3, 9), 3, 1)
    only = products["ONLY-REFUND"]
    assert (only.first_date, only.units_sold, only.units_refunded) == (dt.date(2026, 3, 7), 0, 3)


def test_channel_products_signature__changes_with_settlements(db: Database, integ: Integration) -> None:
    from services.storage.mappings import channel_products_signature
    from services.storage.settlements import delete_settlement, save_settlement

    empty = channel_products_signature(db, integ)
    row = _row(1, "A", Category.PRODUCT_SALE, 3, 1)
    s = Settlement("S1", Channel.AMAZON, "amazon_v2", "Amazon.com", "USD", dt.date(2026, 3, 1),
                   dt.date(2026, 3, 14), dt.date(2026, 3, 16), row.amount,
                   SettlementRows.from_rows([row]))
    save_settlement(db, integ, s)
    one = channel_products_signature(db, integ)
    assert one != empty and channel_products_signature(db, integ) == one
    save_settlement(db, integ, s, replace=True)
    assert channel_products_signature(db, integ) not in (empty, one)
    delete_settlement(db, integ, "S1")
    assert channel_products_signature(db, integ) == empty
