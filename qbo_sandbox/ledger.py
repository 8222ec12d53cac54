"""Placeholder books (replaced by the FIFO ledger)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


class Ledger:
    def __init__(self, version: int) -> None:
        self.version = version

    @classmethod
    def build(cls, company: Any) -> Ledger:
        return cls(company.version)

    def account_balance(self, account_id: str) -> Decimal:
        return Decimal("0.00")
