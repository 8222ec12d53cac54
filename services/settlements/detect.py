"""Which report is this? Each parser recognises its own format from the file's first bytes.

The user never picks a format. :func:`detect` tries the parsers in :data:`PARSERS` in order
(most specific first) and returns the first whose ``identify(head)`` says yes; :func:`sniff`
explains what a file is when no parser claims it (empty, a workbook, binary data, another CSV).
"""

from __future__ import annotations

from types import ModuleType

from services.settlements import (
    amazon_unified,
    amazon_v1,
    amazon_v2,
    ebay,
    etsy_items,
    etsy_statement,
    shopify_orders,
    shopify_payouts,
    walmart,
)
from services.settlements.common import first_lines

HEAD_BYTES = 64 * 1024

PARSERS: tuple[ModuleType, ...] = (amazon_v2, amazon_v1, amazon_unified, walmart, shopify_payouts,
                                   shopify_orders, etsy_statement, etsy_items, ebay)


def detect(head: bytes) -> ModuleType | None:
    """The parser module for a file starting with ``head``, or ``None``."""
    for module in PARSERS:
        try:
            if module.identify(head):
                return module
        except Exception:  # an identify() must never stop detection of the others
            continue
    return None


KNOWN = ("an Amazon settlement flat file (V1 or V2), an Amazon unified transaction report, "
         "a Walmart reconciliation report, a Shopify Payments payout transactions export, "
         "an eBay transaction report or an Etsy monthly statement")


def sniff(data: bytes) -> str:
    """Why a file is not a report we read, in words for the user."""
    if not data.strip():
        return "the file is empty"
    head = data[:HEAD_BYTES]
    if head.startswith(b"PK\x03\x04"):
        return ("this is an Excel workbook or a zip archive, not a report export; download the report "
                "as a text/CSV file from the channel and upload that")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "this is an old Excel (.xls) workbook; download the report as a text/CSV file and upload that"
    if head.startswith(b"%PDF"):
        return "this is a PDF; download the report as a text/CSV file and upload that"
    if head.lstrip().startswith(b"<"):
        return "this is an XML or HTML document, not a report Settlebridge reads; upload the flat file (text/CSV)"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "this is not a text report (it holds binary data)"
    printable = sum(1 for b in head if b >= 32 or b in (9, 10, 13))
    if printable < 0.95 * len(head):
        return "this is not a text report (it holds binary data)"
    lines = first_lines(head, 1)
    first = lines[0][:120] if lines else ""
    return f"this is not {KNOWN} (its first line is {first!r})"
