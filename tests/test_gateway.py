"""The gateway against the real local sandbox, through python-quickbooks over HTTP; and its pure
helpers (fault words, exact JSON numbers, backoff, the limiter's window) as tables of cases."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest

from services.errors import BadInput, QboAuthError, QboError, QboUnavailable
from services.qbo.gateway import (
    BatchOp,
    Limits,
    QboGateway,
    RetryPolicy,
    _Window,
    fault_error,
    to_json,
)

FAST = RetryPolicy(attempts=6, base_seconds=0.01, cap_seconds=0.05)
UNLIMITED = Limits(per_second=10_000, batch_per_minute=10_000)


def gateway(sandbox: Any, **options: Any) -> QboGateway:
    options.setdefault("retry", FAST)
    options.setdefault("limits", UNLIMITED)
    return QboGateway.for_sandbox(sandbox.url, sandbox.realm, **options)


def _inventory_item(g: QboGateway) -> dict[str, Any]:
    rows = g.query("SELECT * FROM Item WHERE Type = 'Inventory'")
    assert rows, "the demo company has inventory items"
    return rows[0]


def _sale(item: dict[str, Any], date: str, doc_number: str, qty: int = 1,
          price: Decimal = Decimal("10.00")) -> dict[str, Any]:
    return {"TxnDate": date, "DocNumber": doc_number, "Line": [{
        "DetailType": "SalesItemLineDetail", "Amount": qty * price,
        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": Decimal(qty), "UnitPrice": price}}]}


# --- reads ------------------------------------------------------------------------------------


def test_gateway__query_reads_every_page(sandbox: Any) -> None:
    g = gateway(sandbox, page_size=7)
    total = g.count("Item")
    rows = g.query("SELECT * FROM Item")
    assert total > 14
    assert len(rows) == total
    assert len({r["Id"] for r in rows}) == total  # no row twice across pages
    # count + one call per page (the last one short, or an empty page when it divides evenly)
    assert g.calls == 1 + total // 7 + 1


def test_gateway__query_over_a_thousand_rows(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Customer")
    for start in range(0, 1005, 30):
        ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"Bulk customer {i:04d}"})
               for i in range(start, min(start + 30, 1005))]
        assert all(r.ok for r in g.batch(ops))
    calls = g.calls
    rows = g.query("SELECT * FROM Customer")
    assert len(rows) == before + 1005
    assert g.calls - calls == 2  # STARTPOSITION 1 and 1001, MAXRESULTS 1000


def test_gateway__numbers_are_decimal_and_items_typed(sandbox: Any) -> None:
    g = gateway(sandbox)
    items = g.list_items()
    inventory = [i for i in items if i.type == "Inventory"]
    assert inventory
    first = inventory[0]
    assert isinstance(first.qty_on_hand, Decimal)
    assert isinstance(first.purchase_cost, Decimal)
    assert isinstance(first.inv_start_date, dt.date)
    assert first.asset_account and first.income_account and first.expense_account
    accounts = g.list_accounts()
    assert any(a.account_type == "Cost of Goods Sold" for a in accounts)


def test_gateway__report_with_date_parameters(sandbox: Any) -> None:
    g = gateway(sandbox)
    report = g.report("BalanceSheet", start_date="2026-01-01", end_date="2026-12-31")
    assert report["Header"]["ReportName"] == "BalanceSheet"
    assert report["Header"]["EndPeriod"] == "2026-12-31"
    assert report["Rows"]["Row"]


def test_gateway__company_info_and_preferences(sandbox: Any) -> None:
    g = gateway(sandbox)
    assert g.company_info()["CompanyName"] == "Demo Company"
    assert g.preferences()["ProductAndServicesPrefs"]["QuantityOnHand"] is True


# --- writes -----------------------------------------------------------------------------------


def test_gateway__create_read_update_delete(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = _inventory_item(g)
    start = str(item["InvStartDate"])
    date = (dt.date.fromisoformat(start) + dt.timedelta(days=30)).isoformat()
    created = g.create("SalesReceipt", _sale(item, date, "GW-CRUD-1", qty=2, price=Decimal("12.345")))
    assert created["TotalAmt"] == Decimal("24.69")
    read = g.read("SalesReceipt", created["Id"])
    assert read["DocNumber"] == "GW-CRUD-1"
    updated = g.update("SalesReceipt", {"Id": read["Id"], "SyncToken": read["SyncToken"], "sparse": True,
                                        "PrivateNote": "settlebridge key"})
    assert updated["PrivateNote"] == "settlebridge key"
    assert updated["SyncToken"] != read["SyncToken"]
    deleted = g.delete("SalesReceipt", updated)
    assert deleted["status"] == "Deleted"
    with pytest.raises(QboError) as info:
        g.read("SalesReceipt", created["Id"])
    assert info.value.code == "610"


def test_gateway__void_keeps_the_document_at_zero(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = _inventory_item(g)
    date = (dt.date.fromisoformat(str(item["InvStartDate"])) + dt.timedelta(days=30)).isoformat()
    created = g.create("SalesReceipt", _sale(item, date, "GW-VOID-1"))
    g.void("SalesReceipt", created)
    assert g.read("SalesReceipt", created["Id"])["TotalAmt"] == Decimal("0")


def test_gateway__requestid_replay_creates_once(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Customer")
    first = g.create("Customer", {"DisplayName": "Replay Customer"}, request_id="sb-replay-0001")
    again = g.create("Customer", {"DisplayName": "Replay Customer"}, request_id="sb-replay-0001")
    assert again["Id"] == first["Id"]
    assert g.count("Customer") == before + 1


def test_gateway__batch_with_per_item_faults(sandbox: Any) -> None:
    g = gateway(sandbox)
    customer = g.create("Customer", {"DisplayName": "Batch Customer"})
    ops = [
        BatchOp("ok", "create", "Customer", {"DisplayName": "Batch New Customer"}),
        BatchOp("stale", "update", "Customer", {"Id": customer["Id"], "SyncToken": "99", "sparse": True,
                                                 "CompanyName": "Stale"}),
        BatchOp("gone", "delete", "SalesReceipt", {"Id": "987654", "SyncToken": "0"}),
    ]
    results = g.batch(ops, request_id="sb-batch-0001")
    assert [r.bid for r in results] == ["ok", "stale", "gone"]
    assert results[0].ok and results[0].entity is not None
    assert results[0].entity["DisplayName"] == "Batch New Customer"
    assert results[1].fault is not None and results[1].fault.code == "5010"
    assert "changed this object in QuickBooks" in results[1].fault.message
    assert results[2].fault is not None and results[2].fault.code == "610"
    # the same batch again is replayed: nothing created twice
    again = g.batch(ops, request_id="sb-batch-0001")
    assert again[0].entity is not None and again[0].entity["Id"] == results[0].entity["Id"]
    assert g.count("Customer WHERE DisplayName = 'Batch New Customer'") == 1


def test_gateway__batch_refuses_more_than_thirty(sandbox: Any) -> None:
    g = gateway(sandbox)
    ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"C{i}"}) for i in range(31)]
    with pytest.raises(BadInput, match="at most 30"):
        g.batch(ops)
    assert g.calls == 0


def test_gateway__create_item_ensure_account_and_product(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = g.create_item(name="Gateway Mug", sku="GW-MUG", qty_on_hand=Decimal(12), as_of=dt.date(2026, 1, 5),
                         unit_cost=Decimal("3.25"), income_account="Sales of Product Income",
                         expense_account="Cost of Goods Sold", asset_account="Inventory Asset")
    assert (item.type, item.sku, item.qty_on_hand, item.inv_start_date) == \
        ("Inventory", "GW-MUG", Decimal(12), dt.date(2026, 1, 5))
    assert item.purchase_cost == Decimal("3.25")
    account = g.ensure_account("Etsy Clearing", "Bank", "CashOnHand")
    assert g.ensure_account("Etsy Clearing", "Bank").id == account.id
    product = g.ensure_product_item()
    assert (product.name, product.type) == ("Product", "NonInventory")
    assert g.ensure_product_item().id == product.id


# --- faults in words --------------------------------------------------------------------------


def test_gateway__sale_before_as_of_date_is_6270_in_words(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = _inventory_item(g)
    early = (dt.date.fromisoformat(str(item["InvStartDate"])) - dt.timedelta(days=1)).isoformat()
    with pytest.raises(QboError) as info:
        g.create("SalesReceipt", _sale(item, early, "GW-6270"))
    assert info.value.code == "6270"
    assert "before the item's inventory start date" in info.value.message
    assert item["Name"] in info.value.message  # QBO's own detail names the item


def test_gateway__duplicate_doc_number_is_6140_in_words(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = _inventory_item(g)
    date = (dt.date.fromisoformat(str(item["InvStartDate"])) + dt.timedelta(days=3)).isoformat()
    g.create("SalesReceipt", _sale(item, date, "GW-DUP-1"))
    with pytest.raises(QboError) as info:
        g.create("SalesReceipt", _sale(item, date, "GW-DUP-1"))
    assert info.value.code == "6140"
    assert "document number is already used" in info.value.message


def test_gateway__missing_object_is_610_in_words(sandbox: Any) -> None:
    g = gateway(sandbox)
    with pytest.raises(QboError) as info:
        g.read("Item", "999999")
    assert info.value.code == "610"
    assert "not found in QuickBooks" in info.value.message
    assert "reading Item 999999" in info.value.message


def test_gateway__no_bearer_token_is_an_auth_error(sandbox: Any) -> None:
    g = QboGateway(api_base=sandbox.url, realm=sandbox.realm, access_token="", sandbox=True, retry=FAST)
    with pytest.raises(QboAuthError):
        g.company_info()


# --- retries ----------------------------------------------------------------------------------


def test_gateway__a_burst_of_429_then_success(sandbox: Any) -> None:
    g = gateway(sandbox)
    sandbox.faults.add(kind="429", count=3)
    assert g.company_info()["CompanyName"] == "Demo Company"
    assert (g.calls, g.retries) == (4, 3)


def test_gateway__429_on_a_create_is_retried_without_duplicates(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Customer")
    sandbox.faults.add(kind="429", count=2, methods=("POST",), path_contains="/customer")
    g.create("Customer", {"DisplayName": "Throttled Customer"})
    assert g.count("Customer") == before + 1
    assert g.retries == 2


def test_gateway__500_then_success(sandbox: Any) -> None:
    g = gateway(sandbox)
    sandbox.faults.add(kind="500", count=2)
    assert len(g.query("SELECT * FROM Account")) > 10
    assert g.retries == 2


def test_gateway__429_for_too_long_gives_up_in_words(sandbox: Any) -> None:
    g = gateway(sandbox, retry=RetryPolicy(attempts=3, base_seconds=0.01, cap_seconds=0.02))
    sandbox.faults.add(kind="429", count=5)
    with pytest.raises(QboError) as info:
        g.company_info()
    assert info.value.status == 429
    assert info.value.code == "3001"  # the lower-case "fault" spelling was read
    assert "throttling" in info.value.message
    assert g.calls == 3


def test_gateway__drop_after_commit_creates_exactly_one(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Customer")
    sandbox.faults.add(kind="drop_after_commit", count=1, methods=("POST",), path_contains="/customer")
    created = g.create("Customer", {"DisplayName": "Dropped Customer"}, request_id="sb-drop-0001")
    assert g.retries == 1
    assert g.count("Customer") == before + 1
    assert g.read("Customer", created["Id"])["DisplayName"] == "Dropped Customer"


def test_gateway__drop_after_commit_without_caller_requestid_still_once(sandbox: Any) -> None:
    g = gateway(sandbox)
    item = _inventory_item(g)
    date = (dt.date.fromisoformat(str(item["InvStartDate"])) + dt.timedelta(days=5)).isoformat()
    before = g.count("SalesReceipt")
    sandbox.faults.add(kind="drop_after_commit", count=1, methods=("POST",), path_contains="/salesreceipt")
    g.create("SalesReceipt", _sale(item, date, "GW-DROP-2"))
    assert g.count("SalesReceipt") == before + 1


def test_gateway__drop_after_commit_on_a_batch_posts_once(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Customer")
    sandbox.faults.add(kind="drop_after_commit", count=1, methods=("POST",), path_contains="/batch")
    ops = [BatchOp(str(i), "create", "Customer", {"DisplayName": f"Dropped batch {i}"}) for i in range(5)]
    results = g.batch(ops, request_id="sb-drop-batch-1")
    assert all(r.ok for r in results)
    assert g.count("Customer") == before + 5


def test_gateway__limiter_keeps_to_ten_a_second(sandbox: Any) -> None:
    sandbox.throttle.enabled = True
    sandbox.throttle.reset()
    g = gateway(sandbox, limits=Limits(per_second=10, batch_per_minute=40), retry=FAST)
    started = time.monotonic()
    for _ in range(21):
        g.company_info()
    elapsed = time.monotonic() - started
    assert elapsed >= 2.0  # 21 requests at 10 a second need two full windows
    assert g.retries == 0  # and the sandbox's throttle never had to refuse one


# --- pure helpers -----------------------------------------------------------------------------

FAULT_CASES = [
    ("upper", {"Fault": {"Error": [{"Message": "Object Not Found", "Detail": "gone", "code": "610"}],
                         "type": "ValidationFault"}}, None, "610", QboError),
    ("lower", {"fault": {"error": [{"message": "ThrottleExceeded", "detail": "limit", "code": "3001"}],
                         "type": "SERVICE"}}, 429, "3001", QboError),
    ("auth", {"fault": {"error": [{"message": "AuthenticationFailed", "detail": "Token expired",
                                   "code": "3200"}], "type": "AUTHENTICATION"}}, 401, "3200", QboAuthError),
    ("batch_item", {"bId": "7", "Fault": {"Error": [{"Message": "Stale Object Error", "code": "5010"}]}},
     None, "5010", QboError),
    ("no_errors", {"Fault": {"type": "SystemFault"}}, 500, "", QboError),
]


@pytest.mark.parametrize(("case", "body", "status", "code", "kind"), FAULT_CASES, ids=[c[0] for c in FAULT_CASES])
def test_fault_error__case(case: str, body: dict[str, Any], status: int | None, code: str,
                           kind: type[QboError]) -> None:
    err = fault_error(body, status=status)
    assert err is not None
    assert type(err) is kind
    assert err.code == code
    assert err.message.startswith("QuickBooks refused")


def test_fault_error__detail_that_repeats_the_message_is_said_once() -> None:
    body = {"Fault": {"Error": [{"Message": "Object Not Found",
                                 "Detail": "Object Not Found : Something you're trying to use has been made inactive.",
                                 "code": "610"}], "type": "ValidationFault"}}
    err = fault_error(body)
    assert err is not None
    assert err.message.count("Object Not Found") == 1
    assert "made inactive" in err.message


def test_fault_error__not_a_fault() -> None:
    assert fault_error({"Customer": {"Id": "1"}}) is None
    assert fault_error(None) is None


JSON_CASES = [
    ("money", {"Amount": Decimal("12.30")}, '{"Amount": 12.30}'),
    ("many_places", {"UnitPrice": Decimal("3.3333333333333333333")}, '{"UnitPrice": 3.3333333333333333333}'),
    ("negative_nested", {"Line": [{"Amount": Decimal("-0.01")}]}, '{"Line": [{"Amount": -0.01}]}'),
    ("date", {"TxnDate": dt.date(2026, 3, 1)}, '{"TxnDate": "2026-03-01"}'),
    ("text_unchanged", {"Memo": "dec:1"}, '{"Memo": "dec:1"}'),
]


@pytest.mark.parametrize(("case", "body", "text"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_to_json__case(case: str, body: dict[str, Any], text: str) -> None:
    assert to_json(body) == text


def test_to_json__refuses_floats() -> None:
    with pytest.raises(TypeError):
        to_json({"Amount": 1.5})


@pytest.mark.parametrize("attempt", [0, 1, 3, 10])
def test_backoff__within_bounds(attempt: int) -> None:
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=8.0)
    waits = [policy.backoff(attempt) for _ in range(200)]
    assert all(0 <= w <= min(8.0, 0.5 * 2 ** attempt) for w in waits)
    assert max(waits) > min(waits)  # jittered


WINDOW_CASES = [
    ("empty", 3, 1.0, [], 5.0, 0.0),
    ("full", 3, 1.0, [4.1, 4.5, 4.9], 5.0, 0.1),
    ("expired", 3, 1.0, [3.0, 4.5, 4.9], 5.0, 0.0),
    ("minute", 2, 60.0, [10.0, 20.0], 30.0, 40.0),
    ("unordered", 2, 1.0, [4.8, 4.5, 4.9], 5.0, 0.8),
]


@pytest.mark.parametrize(("case", "limit", "span", "times", "now", "wait"), WINDOW_CASES,
                         ids=[c[0] for c in WINDOW_CASES])
def test_window__case(case: str, limit: int, span: float, times: list[float], now: float, wait: float) -> None:
    window = _Window(limit, span)
    for t in times:
        window.add(t)
    assert window.wait_time(now) == pytest.approx(wait)


def test_gateway__a_slow_answer_times_out_and_is_retried(sandbox: Any) -> None:
    g = gateway(sandbox, retry=RetryPolicy(attempts=3, base_seconds=0.01, cap_seconds=0.02, timeout=(2.0, 0.3)))
    sandbox.faults.add(kind="delay", count=1, seconds=1.0)
    assert g.company_info()["CompanyName"] == "Demo Company"
    assert g.retries == 1


def test_gateway__always_slow_is_unavailable_in_words(sandbox: Any) -> None:
    g = gateway(sandbox, retry=RetryPolicy(attempts=2, base_seconds=0.01, cap_seconds=0.02, timeout=(2.0, 0.2)))
    sandbox.faults.add(kind="delay", count=2, seconds=0.6)
    with pytest.raises(QboUnavailable, match="did not answer after 2 attempts"):
        g.company_info()


def test_gateway__inactive_items_only_when_asked(sandbox: Any) -> None:
    g = gateway(sandbox)
    made = g.create_item(name="Retired Widget", item_type="NonInventory", income_account="Sales of Product Income")
    g.update("Item", {"Id": made.id, "SyncToken": made.sync_token, "sparse": True, "Active": False})
    assert made.id not in {i.id for i in g.list_items()}
    retired = {i.id: i for i in g.list_items(include_inactive=True)}[made.id]
    assert retired.active is False
    assert retired.name.startswith("Retired Widget")  # QBO renames it "... (deleted)"
    assert g.find_item("Retired Widget") is None  # the name is free again, as in QBO


def test_gateway__names_with_quotes_are_found(sandbox: Any) -> None:
    g = gateway(sandbox)
    before = g.count("Account")
    account = g.ensure_account("Owner's Investment", "Equity")
    assert account.account_sub_type == "OwnersEquity"  # the seeded one, not a new account
    assert g.count("Account") == before
