"""The sandbox answers the real python-quickbooks client: the first slice (Account, Item,
CompanyInfo, Preferences), and its state survives a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from quickbooks.objects.account import Account
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences

from qbo_sandbox.server import SandboxServer


def test_sandbox__demo_company_reads(qb_client: Any, sandbox: Any) -> None:
    info = CompanyInfo.get(sandbox.realm, qb=qb_client)
    assert info.CompanyName == "Demo Company"
    assert {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"} in info.NameValue
    prefs = Preferences.get(qb=qb_client)
    assert prefs.ProductAndServicesPrefs.QuantityOnHand is True
    mug = Item.filter(Sku="MUG-11OZ-WHT", qb=qb_client)
    assert [i.Name for i in mug] == ["Ceramic Mug 11oz White"]
    assert Decimal(mug[0].QtyOnHand) > 0
    assert Account.count("AccountSubType = 'Inventory'", qb=qb_client) == 1


def test_sandbox__state_survives_restart(tmp_path: Path) -> None:
    first = SandboxServer(tmp_path, seed="empty", realm="4620816365000001").start()
    first.company.create("Item", {"Name": "Widget", "Type": "Service",
                                  "IncomeAccountRef": {"value": "7"}})
    first.stop()
    again = SandboxServer(tmp_path, seed="demo").start()
    try:
        assert again.realm == "4620816365000001"
        names = {i["Name"] for i in again.company.all("Item")}
        assert names == {"Widget"}
    finally:
        again.stop()
