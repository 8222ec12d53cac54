"""The QuickBooks Online edge: the only package that imports ``quickbooks`` and ``intuitlib``.

:mod:`services.qbo.gateway` is the one door to QBO (the real one through OAuth, or the local
sandbox); :mod:`services.qbo.oauth` connects a real company; :mod:`services.qbo.connect` reads a
company's name and plan; :mod:`services.qbo.demo` runs the embedded Demo Company.
"""

from __future__ import annotations

from services.qbo.gateway import BatchOp, BatchResult, Limits, QboGateway, RetryPolicy

__all__ = ["BatchOp", "BatchResult", "Limits", "QboGateway", "RetryPolicy"]
