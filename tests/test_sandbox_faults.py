"""Contract tests: QBO's business faults, batch, requestid replay, the throttle and injected faults,
all through the real python-quickbooks client."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
import requests
from quickbooks.batch import batch_create
from quickbooks.exceptions import QuickbooksException, SevereException
from quickbooks.objects.item import Item
from quickbooks.objects.salesreceipt import SalesReceipt

from tests.sandbox_docs import inventory_item, sale_line, sales_receipt


def _mug(qb: Any) -> Item:
    return Item.filter(Sku="MUG-11OZ-WHT", qb=qb)[0]


def test_fault__sale_before_inv_start_date_is_6270(qb_client: Any) -> None:
    item = inventory_item(qb_client, "Late Start Widget", 5, "2.00", start="2026-06-01")
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-05-31", [sale_line(item.Id, 1, "10.00")]).save(qb=qb_client)
    assert err.value.error_code == 6270
    assert "Late Start Widget" in err.value.detail
    # on the start date itself the sale goes through
    sales_receipt("2026-06-01", [sale_line(item.Id, 1, "10.00")]).save(qb=qb_client)


def test_fault__inventory_line_without_qty(qb_client: Any) -> None:
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-11-30", [sale_line(_mug(qb_client).Id, None, "14.99", "14.99")]).save(qb=qb_client)
    assert err.value.error_code == 6000 and "quantity is required" in err.value.detail


@pytest.mark.parametrize(
    ("qty", "price", "amount", "ok"),
    [
        pytest.param("3", "4.9966666667", "14.99", True, id="rounds_to_amount"),
        pytest.param("3", "4.99", "14.99", False, id="off_by_two_cents"),
        pytest.param("2", "7.495", "14.99", True, id="half_up"),
        pytest.param("1", "14.99", "15.00", False, id="off_by_one_cent"),
    ],
)
def test_fault_amount_vs_qty_times_price__case(qb_client: Any, qty: str, price: str, amount: str, ok: bool) -> None:
    receipt = sales_receipt("2026-11-30", [sale_line(_mug(qb_client).Id, qty, price, amount)])
    if ok:
        assert receipt.save(qb=qb_client).TotalAmt == Decimal(amount)
    else:
        with pytest.raises(QuickbooksException) as err:
            receipt.save(qb=qb_client)
        assert err.value.error_code == 6070


def test_fault__inventory_line_with_a_negative_rate(qb_client: Any) -> None:
    mug = _mug(qb_client)
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99"), sale_line(mug.Id, 1, "-3.00")]).save(
            qb=qb_client)
    assert err.value.error_code == 6000 and "negative rate" in err.value.detail
    # a negative quantity at a positive rate is how units come back on a receipt
    saved = sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99"), sale_line(mug.Id, -1, "14.99")]).save(
        qb=qb_client)
    assert saved.TotalAmt == Decimal("14.99")
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand - 1


def test_fault__negative_sales_receipt_total(qb_client: Any) -> None:
    shipping = Item.filter(Name="Shipping", qb=qb_client)[0]
    promo = sale_line(shipping.Id, None, "-5.00")
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-11-30", [sale_line(shipping.Id, None, "3.00"), promo]).save(qb=qb_client)
    assert err.value.error_code == 6000 and "must be positive" in err.value.detail


def test_fault__duplicate_doc_number_is_6140_when_custom_numbers_are_on(qb_client: Any) -> None:
    mug = _mug(qb_client)
    sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number="S-100").save(qb=qb_client)
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number="S-100").save(qb=qb_client)
    assert err.value.error_code == 6140 and "DocNumber=S-100" in err.value.detail


def test_fault__doc_number_longer_than_21_is_refused(qb_client: Any) -> None:
    with pytest.raises(QuickbooksException) as err:
        sales_receipt("2026-11-30", [sale_line(_mug(qb_client).Id, 1, "14.99")], doc_number="X" * 22).save(
            qb=qb_client)
    assert err.value.error_code == 2050


def test_fault__nothing_is_stored_when_a_create_is_refused(qb_client: Any) -> None:
    before = SalesReceipt.count(qb=qb_client)
    with pytest.raises(QuickbooksException):
        sales_receipt("2026-11-30", [sale_line(_mug(qb_client).Id, "1", "1.00", "2.00")]).save(qb=qb_client)
    assert SalesReceipt.count(qb=qb_client) == before


# -- requestid ----------------------------------------------------------------------------------


def test_requestid__a_repeat_returns_the_first_answer_and_creates_nothing(qb_client: Any) -> None:
    mug = _mug(qb_client)
    receipt = sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99")], note="key-1")
    first = receipt.save(qb=qb_client, request_id="sb-req-0001")
    again = sales_receipt("2026-11-30", [sale_line(mug.Id, 2, "14.99")], note="key-1")
    second = again.save(qb=qb_client, request_id="sb-req-0001")
    assert first.Id == second.Id
    assert SalesReceipt.count(qb=qb_client) == 1
    assert Item.get(mug.Id, qb=qb_client).QtyOnHand == mug.QtyOnHand - 2


def test_requestid__concurrent_repeats_create_once(qb_client: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    mug = _mug(qb_client)

    def post(_: int) -> str:
        receipt = sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number="RACE-1")
        return str(receipt.save(qb=qb_client, request_id="race-key").Id)

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(post, range(6)))
    assert len(ids) == 1
    assert SalesReceipt.count(qb=qb_client) == 1


def test_requestid__survives_a_restart(tmp_path: Any) -> None:
    from qbo_sandbox.server import SandboxServer

    srv = SandboxServer(tmp_path, seed="empty", throttle=False).start()
    try:
        status, body = srv.handle("POST", f"/v3/company/{srv.realm}/customer", {"requestid": "r-9"},
                                  {"Authorization": "Bearer t"}, b'{"DisplayName": "Once"}')
        assert status == 200
    finally:
        srv.stop()
    srv = SandboxServer(tmp_path).start()
    try:
        _, again = srv.handle("POST", f"/v3/company/{srv.realm}/customer", {"requestid": "r-9"},
                              {"Authorization": "Bearer t"}, b'{"DisplayName": "Once"}')
        assert again["Customer"]["Id"] == body["Customer"]["Id"]
        assert len(srv.company.all("Customer")) == 1
    finally:
        srv.stop()


# -- batch ----------------------------------------------------------------------------------------


def test_batch__creates_with_a_fault_per_item(qb_client: Any) -> None:
    mug = _mug(qb_client)
    good = [sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")]) for _ in range(3)]
    bad = sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99", "20.00")])
    result = batch_create([*good, bad], qb=qb_client)
    assert len(result.successes) == 3 and len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6070"
    assert SalesReceipt.count(qb=qb_client) == 3


def test_batch__more_than_30_items_is_a_fault(qb_client: Any) -> None:
    mug = _mug(qb_client)
    receipts = [sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")]) for _ in range(31)]
    from quickbooks.batch import BatchManager

    with pytest.raises(QuickbooksException) as err:
        BatchManager("create", max_request_items=31).save(receipts, qb=qb_client)
    assert err.value.error_code == 1003
    assert SalesReceipt.count(qb=qb_client) == 0
    assert len(batch_create(receipts, qb=qb_client).successes) == 31  # the client splits at 30


def test_batch__requestid_replays_the_whole_batch(qb_client: Any, sandbox: Any) -> None:
    mug = _mug(qb_client)
    body = ('{"BatchItemRequest": [' + ",".join(
        f'{{"bId": "b{i}", "operation": "create", "SalesReceipt": {{"TxnDate": "2026-11-30", "Line": ['
        f'{{"Amount": 14.99, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": '
        f'{{"ItemRef": {{"value": "{mug.Id}"}}, "Qty": 1, "UnitPrice": 14.99}}}}]}}}}' for i in range(2)) + "]}")
    url = f"{qb_client.api_url}/company/{qb_client.company_id}/batch"
    first = qb_client.post(url, body, request_id="batch-key-1")
    second = qb_client.post(url, body, request_id="batch-key-1")
    assert first == second
    assert [r["bId"] for r in first["BatchItemResponse"]] == ["b0", "b1"]
    assert SalesReceipt.count(qb=qb_client) == 2


# -- throttle and injected faults ---------------------------------------------------------------


def test_throttle__over_10_requests_a_second_is_429(qb_client: Any, sandbox: Any) -> None:
    sandbox.throttle.enabled = True
    answers = []
    for _ in range(14):
        try:
            Item.count(qb=qb_client)
            answers.append(200)
        except QuickbooksException as exc:
            answers.append(429 if "429" in str(exc.message) else 0)
    assert answers.count(429) >= 1 and answers[:10] == [200] * 10
    time.sleep(1.05)
    assert Item.count(qb=qb_client) == 31


def test_throttle__over_40_batch_calls_a_minute_is_429(qb_client: Any, sandbox: Any) -> None:
    sandbox.throttle.enabled = True
    sandbox.throttle.per_second = 1000
    sandbox.throttle.batch_per_minute = 3
    url = f"{qb_client.api_url}/company/{qb_client.company_id}/batch"
    body = '{"BatchItemRequest": [{"bId": "q", "Query": "SELECT COUNT(*) FROM Item"}]}'
    for _ in range(3):
        qb_client.post(url, body)
    with pytest.raises(QuickbooksException) as err:
        qb_client.post(url, body)
    assert "429" in str(err.value.message)


def test_injected__429_then_500_then_normal(qb_client: Any, sandbox: Any) -> None:
    sandbox.faults.add(kind="429", count=1)
    sandbox.faults.add(kind="500", count=1)
    with pytest.raises(QuickbooksException) as err:
        Item.count(qb=qb_client)
    assert "429" in str(err.value.message)
    with pytest.raises(SevereException) as severe:
        Item.count(qb=qb_client)
    assert severe.value.error_code == 10000
    assert Item.count(qb=qb_client) == 31


def test_injected__delay(qb_client: Any, sandbox: Any) -> None:
    sandbox.faults.add(kind="delay", count=1, seconds=0.3)
    start = time.monotonic()
    Item.count(qb=qb_client)
    assert time.monotonic() - start >= 0.3


def test_injected__drop_after_commit_stores_the_write(qb_client: Any, sandbox: Any) -> None:
    mug = _mug(qb_client)
    sandbox.faults.add(kind="drop_after_commit", count=1, methods=("POST",), path_contains="/salesreceipt")
    receipt = sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number="AMZ-S1-1")
    with pytest.raises(requests.exceptions.ConnectionError):
        receipt.save(qb=qb_client, request_id="drop-1")
    # the write was committed: asking QBO finds it, and a resend with the same requestid creates nothing
    found = SalesReceipt.where("DocNumber = 'AMZ-S1-1'", qb=qb_client)
    assert len(found) == 1
    again = sales_receipt("2026-11-30", [sale_line(mug.Id, 1, "14.99")], doc_number="AMZ-S1-1")
    assert again.save(qb=qb_client, request_id="drop-1").Id == found[0].Id
    assert SalesReceipt.count(qb=qb_client) == 1


def test_query__private_note_is_not_queryable(qb_client: Any) -> None:
    with pytest.raises(QuickbooksException) as err:
        SalesReceipt.where("PrivateNote = 'settlement-1/sales/1'", qb=qb_client)
    assert err.value.error_code == 4001


def test_injected__faults_over_http_and_health(sandbox: Any) -> None:
    base = sandbox.url
    health = requests.get(f"{base}/_sandbox/health", timeout=5).json()
    assert health["ok"] is True and health["realm"] == sandbox.realm
    answer = requests.post(f"{base}/_sandbox/faults", json={"kind": "500", "count": 2, "path_contains": "/item"},
                           timeout=5).json()
    assert answer["faults"][0]["kind"] == "500"
    status = requests.get(f"{base}/company/{sandbox.realm}/item/2", headers={"Authorization": "Bearer t"},
                          timeout=5).status_code
    assert status == 500
    bad = requests.post(f"{base}/_sandbox/faults", json={"kind": "explode"}, timeout=5)
    assert bad.status_code == 400



@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        pytest.param("salesreceipt", "{not json", 2010, id="bad_json"),
        pytest.param("invoice", '{"Line": []}', 500, id="unsupported_entity"),
        pytest.param("salesreceipt", '{"TxnDate": "30/11/2026", "Line": [{"Amount": 1, "DetailType": '
                     '"SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}', 2050,
                     id="bad_date"),
        pytest.param("salesreceipt", '{"Line": [{"Amount": 1, "DetailType": "JournalEntryLineDetail"}]}', 2050,
                     id="unknown_line_type"),
        pytest.param("salesreceipt", '{"Line": []}', 2020, id="no_lines"),
        pytest.param("bill", '{"Line": [{"Amount": 1, "DetailType": "AccountBasedExpenseLineDetail", '
                     '"AccountBasedExpenseLineDetail": {"AccountRef": {"value": "1"}}}]}', 2020, id="bill_no_vendor"),
        pytest.param("purchase", '{"PaymentType": "Cash", "AccountRef": {"value": "999"}, "Line": []}', 2500,
                     id="unknown_account_ref"),
    ],
)
def test_fault_bad_request__case(qb_client: Any, path: str, body: str, code: int) -> None:
    url = f"{qb_client.api_url}/company/{qb_client.company_id}/{path}"
    with pytest.raises(QuickbooksException) as err:
        qb_client.post(url, body)
    assert err.value.error_code == code
