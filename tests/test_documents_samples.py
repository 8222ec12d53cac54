"""The document engine on every public sample report the parsers read: the tie-out holds to the
cent, every row lands in exactly one line (or is facilitator tax that nets to zero), no document
is negative, and Amount == round(Qty × UnitPrice, 2), for every grouping, tracking off and on
(with every SKU mapped)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from services.documents import build_documents, tie_out
from services.records import Category, Grouping, ItemRef, Mapping, MappingType, Settlement, Severity
from services.routing import routing_from_settings
from services.settlements import parse_upload


def _settlements(samples: Path) -> list[Settlement]:
    files = [(p.name, p.read_bytes()) for p in sorted(samples.iterdir()) if p.suffix in (".txt", ".csv")]
    out = []
    for result in parse_upload(files):
        if result.settlement is not None and not [i for i in result.issues if i.severity is Severity.ERROR]:
            out.append(result.settlement)
    return out


@pytest.mark.parametrize("grouping", list(Grouping), ids=[g.value for g in Grouping])
@pytest.mark.parametrize("tracking", [False, True], ids=["untracked", "tracked"])
def test_samples__every_rule_holds(samples: Path, grouping: Grouping, tracking: bool) -> None:
    settlements = _settlements(samples)
    assert settlements, "no sample could be parsed"
    routing = routing_from_settings({}, grouping=grouping)
    for s in settlements:
        skus = {r.sku for r in s.rows if r.category in (Category.PRODUCT_SALE, Category.PRODUCT_REFUND)}
        mappings = {sku: Mapping(sku, MappingType.ITEM, ItemRef("1", "Item")) for sku in skus}
        if "" in skus and tracking:  # a channel without SKUs cannot be tracked
            continue
        docs, issues = build_documents(s, mappings, routing, tracking=tracking, key_prefix="1/1")
        result = tie_out(s, docs)
        assert result.ok or s.stated_total not in (None, s.lines_total), (s.settlement_id, result)
        if s.stated_total in (None, s.lines_total):
            assert not [i for i in issues if i.severity is Severity.ERROR], (s.settlement_id, issues)
        # one line of a report may carry several amounts (rows share a source_row): compare counts
        seen = Counter(n for d in docs for ln in d.lines for n in ln.source_rows)
        every = Counter(r.source_row for r in s.rows)
        assert not seen - every, "a row landed in two lines"
        tax = {r.source_row for r in s.rows if r.category in (Category.TAX_COLLECTED, Category.TAX_WITHHELD)}
        assert set(every - seen) <= tax
        for d in docs:
            assert d.total >= 0 and len(d.doc_number) <= 21
            for ln in d.lines:
                if ln.qty is not None:
                    assert (ln.qty * ln.unit_price).quantize(Decimal("0.01")) == ln.amount
