"""Amazon's amount types, classified once for the V1 and V2 settlement flat files.

Amazon describes each amount by (transaction-type, amount-type, amount-description), e.g.
``Order / ItemPrice / Principal`` or ``other-transaction / other-transaction / Storage Fee``.
The tables below say what each is; :func:`classify` is called once per *distinct* triple of a
file, never per row. Anything not in the tables is ``UNCLASSIFIED`` (the caller warns): kept,
shown, never dropped. Every amount of a refund-like transaction is flagged ``is_refund``.
"""

from __future__ import annotations

from services.records import Category, FeeKind

C = Category
K = FeeKind

REFUND_TRANSACTIONS = frozenset(s.lower() for s in (
    "Refund", "Chargeback Refund", "A-to-z Guarantee Claim", "GuaranteeClaimRefund", "Chargeback",
    "SAFE-T Reimbursement Refund", "RefundRetrocharge",
))

# amount-description of ItemPrice amounts
ITEM_PRICE: dict[str, C] = {
    "principal": C.PRODUCT_SALE,
    "shipping": C.SHIPPING,
    "returnshipping": C.SHIPPING,
    "giftwrap": C.GIFT_WRAP,
    "tax": C.TAX_COLLECTED,
    "shippingtax": C.TAX_COLLECTED,
    "giftwraptax": C.TAX_COLLECTED,
    "taxdiscount": C.TAX_COLLECTED,
    "codtax": C.TAX_COLLECTED,
    "restockingfee": C.PRODUCT_REFUND,
    "goodwill": C.PRODUCT_REFUND,
    "exportcharge": C.SHIPPING,
    "codfee": C.SHIPPING,
    "codchargeback": C.SHIPPING,
    "other": C.PRODUCT_SALE,
}

# ItemFees (and V1 shipment / order fee types) by description
FEES: dict[str, K] = {
    "commission": K.COMMISSION,
    "refundcommission": K.COMMISSION,
    "variableclosingfee": K.COMMISSION,
    "fixedclosingfee": K.COMMISSION,
    "digitalservicesfee": K.COMMISSION,
    "digitalservicesfeefba": K.COMMISSION,
    "highvolumelistingfee": K.COMMISSION,
    "salestaxcollectionfee": K.OTHER,
    "fbaperunitfulfillmentfee": K.FULFILMENT,
    "fbaperorderfulfillmentfee": K.FULFILMENT,
    "fbaweightbasedfee": K.FULFILMENT,
    "fbapickandpackfee": K.FULFILMENT,
    "fbacustomerreturnperunitfee": K.FULFILMENT,
    "fbacustomerreturnperorderfee": K.FULFILMENT,
    "fbacustomerreturnweightbasedfee": K.FULFILMENT,
    "shippingchargeback": K.FULFILMENT,
    "giftwrapchargeback": K.FULFILMENT,
    "shippinghb": K.FULFILMENT,
    "shippingcommission": K.COMMISSION,
    "giftwrapcommission": K.COMMISSION,
    "codchargeback": K.FULFILMENT,
    "mfnpostagefee": K.FULFILMENT,
    "renewedprogramfee": K.OTHER,
    "technologyfee": K.OTHER,
}

# other-transaction (and V1 non-order rows) by description or transaction type
OTHER: dict[str, tuple[C, K | None]] = {
    "current reserve amount": (C.RESERVE, None),
    "previous reserve amount balance": (C.RESERVE, None),
    "reservedebit": (C.RESERVE, None),
    "reservecredit": (C.RESERVE, None),
    "storage fee": (C.FEE, K.STORAGE),
    "storagerenewalbilling": (C.FEE, K.STORAGE),
    "fbalongtermstoragefee": (C.FEE, K.STORAGE),
    "fba long-term storage fee": (C.FEE, K.STORAGE),
    "fbastoragefee": (C.FEE, K.STORAGE),
    "fba storage fee": (C.FEE, K.STORAGE),
    "long-term storage fee": (C.FEE, K.STORAGE),
    "storage utilization surcharge": (C.FEE, K.STORAGE),
    "subscription fee": (C.FEE, K.SUBSCRIPTION),
    "subscription": (C.FEE, K.SUBSCRIPTION),
    "cost of advertising": (C.FEE, K.ADVERTISING),
    "transactiontotalamount": (C.FEE, K.ADVERTISING),
    "advertising": (C.FEE, K.ADVERTISING),
    "servicefee": (C.FEE, K.OTHER),
    "taxamount": (C.FEE, K.OTHER),  # tax charged on a service fee (e.g. on advertising)
    "shipping label purchase": (C.FEE, K.FULFILMENT),
    "shipping label purchase for return": (C.FEE, K.FULFILMENT),
    "shippingservicesrefund": (C.FEE, K.FULFILMENT),
    "adjustment to shipping label purchase": (C.FEE, K.FULFILMENT),
    "fba inventory placement service fee": (C.FEE, K.FULFILMENT),
    "fbainboundtransportationfee": (C.FEE, K.FULFILMENT),
    "fba inbound transportation fee": (C.FEE, K.FULFILMENT),
    "inbound transportation charge": (C.FEE, K.FULFILMENT),
    "inbound transportation fee": (C.FEE, K.FULFILMENT),
    "removalcomplete": (C.FEE, K.FULFILMENT),
    "disposalcomplete": (C.FEE, K.FULFILMENT),
    "fba removal order: disposal fee": (C.FEE, K.FULFILMENT),
    "fba removal order: return fee": (C.FEE, K.FULFILMENT),
    "fba disposal fee": (C.FEE, K.FULFILMENT),
    "fba removal fee": (C.FEE, K.FULFILMENT),
    "fba inventory fee": (C.FEE, K.FULFILMENT),
    "fbacustomerreturnperunitfee": (C.FEE, K.FULFILMENT),
    "vine enrollment fee": (C.FEE, K.ADVERTISING),
    "vine fee": (C.FEE, K.ADVERTISING),
    "coupon redemption fee": (C.FEE, K.ADVERTISING),
    "couponredemptionfee": (C.FEE, K.ADVERTISING),
    "lightning deal fee": (C.FEE, K.ADVERTISING),
    "lightningdealfee": (C.FEE, K.ADVERTISING),
    "deal fee": (C.FEE, K.ADVERTISING),
    "early reviewer program fee": (C.FEE, K.ADVERTISING),
    "payable to amazon": (C.TRANSFER, None),
    "successful charge": (C.TRANSFER, None),
    "failed charge": (C.TRANSFER, None),
    "transfer": (C.TRANSFER, None),
    "reversal_reimbursement": (C.REIMBURSEMENT, None),
    "warehouse_damage": (C.REIMBURSEMENT, None),
    "warehouse_lost": (C.REIMBURSEMENT, None),
    "warehouse_damage_exception": (C.REIMBURSEMENT, None),
    "missing_from_inbound": (C.REIMBURSEMENT, None),
    "inbound_carrier_damage": (C.REIMBURSEMENT, None),
    "customerreturn": (C.REIMBURSEMENT, None),
    "customerservicesissue": (C.REIMBURSEMENT, None),
    "free_replacement_refund_items": (C.REIMBURSEMENT, None),
    "cs_error_items": (C.REIMBURSEMENT, None),
    "removal_order_lost": (C.REIMBURSEMENT, None),
    "incorrect_fees_items": (C.REIMBURSEMENT, None),
    "incorrect_fees_non_itemized": (C.REIMBURSEMENT, None),
    "compensated_clawback": (C.REIMBURSEMENT, None),
    "reimbursement_clawback": (C.REIMBURSEMENT, None),
    "miscadjustment": (C.REIMBURSEMENT, None),
    "safe-t reimbursement": (C.REIMBURSEMENT, None),
    "nonsubscriptionfeeadj": (C.REIMBURSEMENT, None),
    "buyerrecharge": (C.REIMBURSEMENT, None),
}

# whole amount-types that decide alone
BY_AMOUNT_TYPE: dict[str, tuple[C, K | None]] = {
    "promotion": (C.PROMOTION, None),
    "itemwithheldtax": (C.TAX_WITHHELD, None),
    "fba inventory reimbursement": (C.REIMBURSEMENT, None),
    "cost of advertising": (C.FEE, K.ADVERTISING),
}


def classify(transaction_type: str, amount_type: str, description: str) -> tuple[Category, FeeKind | None, bool]:
    """(category, fee kind, is_refund) of one Amazon amount; ``UNCLASSIFIED`` when unknown."""
    t = transaction_type.strip().lower()
    a = amount_type.strip().lower()
    d = description.strip().lower()
    is_refund = t in REFUND_TRANSACTIONS
    cat, kind = _classify(t, a, d)
    if is_refund and cat is C.PRODUCT_SALE:
        cat = C.PRODUCT_REFUND
    return cat, kind, is_refund


def _classify(t: str, a: str, d: str) -> tuple[C, K | None]:
    if d.startswith("marketplacefacilitator") or d.startswith("lowvaluegoods"):
        return C.TAX_WITHHELD, None
    if a == "itemprice" and d in ITEM_PRICE:
        return ITEM_PRICE[d], None
    if a in BY_AMOUNT_TYPE:
        return BY_AMOUNT_TYPE[a]
    if a in ("itemfees", "shipmentfees", "orderfees") and d in FEES:
        return C.FEE, FEES[d]
    for key in (d, a, t):
        if key in OTHER:
            return OTHER[key]
    if "advertising" in d or "advertising" in t:
        return C.FEE, K.ADVERTISING
    if "storage" in d and "fee" in d:
        return C.FEE, K.STORAGE
    if "reimbursement" in a or "reimbursement" in t:
        return C.REIMBURSEMENT, None
    return C.UNCLASSIFIED, None
