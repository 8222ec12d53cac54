"""The sandbox as a company: its seeds, its file across restarts, its command line, CompanyInfo and
Preferences, through the real python-quickbooks client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.vendor import Vendor

from qbo_sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]


def test_demo__company_plan_and_preferences(qb_client: Any, sandbox: Any) -> None:
    info = CompanyInfo.get(sandbox.realm, qb=qb_client)
    assert info.CompanyName == "Demo Company"
    assert {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"} in info.NameValue
    assert [c.CompanyName for c in CompanyInfo.all(qb=qb_client)] == ["Demo Company"]
    prefs = Preferences.get(qb=qb_client)
    assert prefs.ProductAndServicesPrefs.QuantityWithPriceAndRate is True
    assert prefs.ProductAndServicesPrefs.QuantityOnHand is True
    assert prefs.SalesFormsPrefs.CustomTxnNumbers is True


def test_demo__chart_items_and_purchase_history(qb_client: Any) -> None:
    subtypes = {a.AccountSubType for a in Account.all(max_results=1000, qb=qb_client)}
    assert {"Inventory", "SuppliesMaterialsCogs", "SalesOfProductIncome", "OpeningBalanceEquity",
            "AccountsPayable", "UndepositedFunds", "Checking", "BankCharges"} <= subtypes
    assert {"Shipping Income", "Merchant Fees"} <= {a.Name for a in Account.all(max_results=1000, qb=qb_client)}
    items = Item.where("Type = 'Inventory'", max_results=1000, qb=qb_client)
    assert len(items) == 30
    assert all(i.InvStartDate == "2025-12-31" and i.Sku and i.PurchaseCost > 0 for i in items)
    bills = Bill.all(max_results=1000, qb=qb_client)
    months = {b.TxnDate[:7] for b in bills}
    assert months == {f"2026-{m:02d}" for m in range(1, 12)}
    costs: dict[str, set[Decimal]] = {}
    for b in bills:
        for line in b.Line:
            detail = getattr(line, "ItemBasedExpenseLineDetail", None)
            if detail is not None:
                costs.setdefault(detail.ItemRef.value, set()).add(Decimal(detail.UnitPrice))
    assert any(len(c) >= 3 for c in costs.values())  # costs change over the year
    assert Vendor.count(qb=qb_client) == 5


def test_empty__minimal_chart(tmp_path: Path) -> None:
    srv = SandboxServer(tmp_path, seed="empty", throttle=False).start()
    try:
        names = {a["Name"] for a in srv.company.all("Account")}
        assert {"Inventory Asset", "Cost of Goods Sold", "Opening Balance Equity", "Undeposited Funds",
                "Sales of Product Income", "Accounts Payable (A/P)"} <= names
        assert len(names) == 10
        assert srv.company.all("Item") == [] and srv.company.all("Bill") == []
    finally:
        srv.stop()


def test_store__state_survives_restart_and_seed_applies_once(tmp_path: Path) -> None:
    first = SandboxServer(tmp_path, seed="empty", realm="4620816365000001").start()
    income = next(a["Id"] for a in first.company.all("Account") if a["Name"] == "Services")
    first.company.create("Item", {"Name": "Widget", "Type": "Service", "IncomeAccountRef": {"value": income}})
    first.stop()
    again = SandboxServer(tmp_path, seed="demo").start()
    try:
        assert again.realm == "4620816365000001"
        assert {i["Name"] for i in again.company.all("Item")} == {"Widget"}
    finally:
        again.stop()
    with pytest.raises(ValueError, match="4620816365000001"):
        SandboxServer(tmp_path, realm="123")


def test_preferences__update_turns_inventory_off(qb_client: Any) -> None:
    prefs = Preferences.get(qb=qb_client)
    prefs.ProductAndServicesPrefs.QuantityOnHand = False
    prefs.save(qb=qb_client)
    again = Preferences.get(qb=qb_client)
    assert again.ProductAndServicesPrefs.QuantityOnHand is False
    assert again.SyncToken == "1"


def test_companyinfo__stale_update_is_5010(qb_client: Any, sandbox: Any) -> None:
    info = CompanyInfo.get(sandbox.realm, qb=qb_client)
    info.SyncToken = "7"
    with pytest.raises(QuickbooksException) as err:
        qb_client.update_object("CompanyInfo", info.to_json())
    assert err.value.error_code == 5010


def test_query__by_get_and_minorversion(sandbox: Any) -> None:
    answer = requests.get(f"{sandbox.url}/company/{sandbox.realm}/query",
                          params={"query": "select count(*) from Vendor", "minorversion": "75"},
                          headers={"Authorization": "Bearer t", "Accept": "application/json"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["QueryResponse"] == {"totalCount": 5}
    other = requests.get(f"{sandbox.url}/company/1234/query", params={"query": "select * from Item"},
                         headers={"Authorization": "Bearer t"}, timeout=5)
    assert other.status_code == 403


def test_cli__prints_url_and_realm_and_serves(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "qbo_sandbox", "--port", "0", "--data", str(tmp_path),
                             "--seed", "empty", "--realm", "555000111"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        url = next(line.split("=", 1)[1].strip() for line in lines if line.startswith("base_url="))
        assert any(line.strip() == "realm=555000111" for line in lines)
        deadline = time.monotonic() + 10
        while True:
            try:
                health = requests.get(f"{url}/_sandbox/health", timeout=2).json()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health["realm"] == "555000111"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli__bad_seed_is_exit_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "qbo_sandbox", "--data", str(tmp_path), "--seed", "full"],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=30)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_store__one_sandbox_per_directory(tmp_path: Path) -> None:
    from qbo_sandbox.server import SandboxBusy, running

    first = SandboxServer(tmp_path, seed="empty").start()
    try:
        assert running(tmp_path) == {"url": first.url, "realm": first.realm, "pid": os.getpid()}
        with pytest.raises(SandboxBusy, match=first.url):
            SandboxServer(tmp_path)
    finally:
        first.stop()
    assert running(tmp_path) is None
    SandboxServer(tmp_path).stop()  # free again


def test_start__a_taken_port_gives_the_directory_back(tmp_path: Path, sandbox: Any) -> None:
    with pytest.raises(OSError):
        SandboxServer(tmp_path, seed="empty", port=sandbox.port).start()
    SandboxServer(tmp_path, port=0).start().stop()


def test_auth__401_in_qbos_lower_case_shape(sandbox: Any) -> None:
    answer = requests.get(f"{sandbox.url}/company/{sandbox.realm}/item/1", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["fault"]["error"][0]["code"] == "3200"
