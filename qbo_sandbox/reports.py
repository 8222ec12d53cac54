"""Reports (being written): ProfitAndLoss, BalanceSheet, InventoryValuationSummary."""

from __future__ import annotations

from typing import Any

from qbo_sandbox.faults import QboFault


def report(company: Any, name: str, params: dict[str, str]) -> dict[str, Any]:
    raise QboFault(5020, "Permission Denied Error", f"The report {name} is not available yet", status=400)
