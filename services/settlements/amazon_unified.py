"""Amazon date-range (monthly unified) transaction report: CSV, one line per transaction.

The report opens with a preamble of quoted notes ("All amounts in USD, unless specified"), then a
header; headers and values are localized (English, Portuguese, German, Spanish, French, Italian)
and money may use a decimal comma (``-1.264,70``). Each line spreads its money over category
columns (product sales, shipping credits, promotional rebates, selling fees, FBA fees, other,
...) and a ``total`` that must equal their sum. Each non-zero column becomes one SettlementRow.

The report states no settlement id for the whole file (lines carry the id of the settlement
they were paid in, several per month); the settlement id is derived from the marketplace and
the period, so that uploading the same report again is recognised as a duplicate.
"""

from __future__ import annotations

import re
from decimal import Decimal

from services.records import Category, Channel, FeeKind, Issue, ParseResult, SettlementRow, error
from services.settlements.common import (
    FormatError,
    Table,
    decode,
    fail,
    find_table,
    finish,
    first_lines,
    guess_decimal_comma,
    header_cells,
    norm_header,
    parse_amount,
    parse_date,
)

FORMAT = "amazon_unified"
CHANNEL = Channel.AMAZON
C, K = Category, FeeKind

# canonical column -> its names in the report's languages
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date/time", "data/hora", "datum/uhrzeit", "fecha y hora", "fecha/hora", "date/heure", "data/ora"),
    "settlement id": ("settlement id", "id de liquidação", "abrechnungsnummer", "identificador de pago",
                      "id de liquidación", "numéro de versement", "codice pagamento"),
    "type": ("type", "tipo", "typ"),
    "order id": ("order id", "id do pedido", "bestellnummer", "id del pedido", "numéro de la commande",
                 "numero ordine"),
    "sku": ("sku",),
    "description": ("description", "descrição", "beschreibung", "descripción", "descrizione"),
    "quantity": ("quantity", "quantidade", "menge", "cantidad", "quantité", "quantità"),
    "marketplace": ("marketplace", "mercado", "web de amazon", "marketplace amazon"),
    "product sales": ("product sales", "vendas do produto", "umsätze", "ventas de productos",
                      "ventes de produits", "vendite"),
    "product sales tax": ("product sales tax", "produktumsatzsteuer", "impuesto de ventas de productos"),
    "shipping credits": ("shipping credits", "créditos de remessa", "gutschrift für versandkosten",
                         "abonos de envío", "crédits d'expédition", "accrediti per le spedizioni"),
    "shipping credits tax": ("shipping credits tax", "steuer auf versandgutschrift"),
    "gift wrap credits": ("gift wrap credits", "créditos de embalagem de presente",
                          "gutschrift für geschenkverpackung", "abonos de envoltorio para regalo",
                          "crédits sur l'emballage cadeau", "costi relativi alla confezione regalo"),
    "giftwrap credits tax": ("giftwrap credits tax", "gift wrap credits tax"),
    "regulatory fee": ("regulatory fee",),
    "tax on regulatory fee": ("tax on regulatory fee",),
    "promotional rebates": ("promotional rebates", "descontos promocionais", "rabatte aus werbeaktionen",
                            "devoluciones promocionales", "rabais promotionnels", "sconti promozionali"),
    "promotional rebates tax": ("promotional rebates tax",),
    "sales tax collected": ("sales tax collected", "imposto de vendas coletados"),
    "marketplace withheld tax": ("marketplace withheld tax", "marketplace facilitator tax",
                                 "einbehaltene steuer auf marketplace"),
    "selling fees": ("selling fees", "tarifas de venda", "verkaufsgebühren", "tarifas de venta",
                     "frais de vente", "commissioni di vendita"),
    "fba fees": ("fba fees", "taxas fba", "gebühren zu versand durch amazon", "tarifas de logística de amazon",
                 "frais expédié par amazon", "costi del servizio logistica di amazon"),
    "other transaction fees": ("other transaction fees", "taxas de outras transações",
                               "andere transaktionsgebühren", "tarifas de otras transacciones",
                               "autres frais de transaction", "altri costi relativi alle transazioni"),
    "other": ("other", "outro", "andere", "otro", "autre", "altro"),
    "total": ("total", "gesamt", "totale"),
}
REQUIRED = ("date", "type", "total", "product sales", "selling fees")

# money columns -> (category, fee kind); "product sales" becomes a refund on refund lines,
# "other" is decided by the line's type and description
MONEY: dict[str, tuple[Category, FeeKind | None]] = {
    "product sales": (C.PRODUCT_SALE, None),
    "product sales tax": (C.TAX_COLLECTED, None),
    "shipping credits": (C.SHIPPING, None),
    "shipping credits tax": (C.TAX_COLLECTED, None),
    "gift wrap credits": (C.GIFT_WRAP, None),
    "giftwrap credits tax": (C.TAX_COLLECTED, None),
    "regulatory fee": (C.FEE, K.OTHER),
    "tax on regulatory fee": (C.FEE, K.OTHER),
    "promotional rebates": (C.PROMOTION, None),
    "promotional rebates tax": (C.TAX_COLLECTED, None),
    "sales tax collected": (C.TAX_COLLECTED, None),
    "marketplace withheld tax": (C.TAX_WITHHELD, None),
    "selling fees": (C.FEE, K.COMMISSION),
    "fba fees": (C.FEE, K.FULFILMENT),
    "other transaction fees": (C.FEE, K.OTHER),
    "other": (C.UNCLASSIFIED, None),
}

# transaction types, localized -> canonical
TYPES: dict[str, str] = {
    "order": "order", "pedido": "order", "bestellung": "order", "commande": "order", "ordine": "order",
    "refund": "refund", "reembolso": "refund", "erstattung": "refund", "remboursement": "refund",
    "rimborso": "refund", "chargeback refund": "refund", "a-to-z guarantee claim": "refund",
    "transfer": "transfer", "transferir": "transfer", "übertrag": "transfer", "transferencia": "transfer",
    "transfert": "transfer", "trasferimento": "transfer", "debt": "transfer",
    "adjustment": "adjustment", "ajuste": "adjustment", "anpassung": "adjustment", "ajustement": "adjustment",
    "modifica": "adjustment", "fee adjustment": "adjustment", "liquidations": "adjustment",
    "liquidations adjustments": "adjustment",
    "fba inventory fee": "fba_fee", "taxa de estoque fba": "fba_fee", "fba lagergebühr": "fba_fee",
    "tarifa de inventario de logística de amazon": "fba_fee", "frais de stock expédié par amazon": "fba_fee",
    "service fee": "service_fee", "taxa de serviço": "service_fee", "servicegebühr": "service_fee",
    "tarifa de servicio": "service_fee", "frais de service": "service_fee", "costo del servizio": "service_fee",
    "deal fee": "deal_fee", "amazon fees": "service_fee", "retrocharge": "adjustment",
    "shipping services": "shipping_services",
}

_CURRENCY_NOTE = re.compile(r"\b(?:in|em|en|in)\s+([A-Z]{3})\b")
_MARKET_CURRENCY = {
    "amazon.com": "USD", "amazon.ca": "CAD", "amazon.com.mx": "MXN", "amazon.com.br": "BRL",
    "amazon.co.uk": "GBP", "amazon.de": "EUR", "amazon.fr": "EUR", "amazon.it": "EUR", "amazon.es": "EUR",
    "amazon.nl": "EUR", "amazon.co.jp": "JPY", "amazon.com.au": "AUD", "amazon.in": "INR",
}


def _names(canonical: str) -> set[str]:
    return {norm_header(n) for n in COLUMNS[canonical]}


def _header_map(header: list[str]) -> dict[str, int]:
    by_name = {norm_header(h): i for i, h in reversed(list(enumerate(header)))}
    out: dict[str, int] = {}
    for canonical, names in COLUMNS.items():
        for n in names:
            i = by_name.get(norm_header(n))
            if i is not None:
                out[canonical] = i
                break
    return out


def identify(head: bytes) -> bool:
    """A CSV header (after the preamble) with a date/time, type, the category columns and total."""
    for line in first_lines(head, 30):
        if "," not in line:
            continue
        found = _header_map(header_cells(line, ","))
        if all(r in found for r in REQUIRED):
            return True
    return False


def parse(name: str, data: bytes) -> ParseResult:
    """Parse one unified transaction report; never raises for bad data."""
    try:
        return _parse(name, data)
    except FormatError as exc:
        return fail(name, exc.message, exc.row)


def _find(text: str) -> tuple[Table, dict[str, int]]:
    for names in (COLUMNS["date"], ):
        for date_name in names:
            try:
                table = find_table(text, ",", (date_name,), within=30)
            except FormatError:
                continue
            cols = _header_map(table.header)
            if all(r in cols for r in REQUIRED):
                return table, cols
    raise FormatError("no header line with date/time, type, product sales, selling fees and total")


def _other(ttype: str, desc: str) -> tuple[Category, FeeKind | None]:
    d = desc.lower()
    if ttype == "transfer":
        return C.TRANSFER, None
    if ttype in ("fba_fee", "shipping_services"):
        if any(w in d for w in ("storage", "armazenagem", "lager", "almacenamiento", "stockage", "stoccaggio")):
            return C.FEE, K.STORAGE
        return C.FEE, K.FULFILMENT
    if ttype == "deal_fee":
        return C.FEE, K.ADVERTISING
    if ttype == "service_fee":
        if any(w in d for w in ("advertising", "publicidade", "werbung", "publicidad", "publicité", "pubblicità")):
            return C.FEE, K.ADVERTISING
        if any(w in d for w in ("subscription", "assinatura", "abonnement", "suscripción", "abbonamento", "plano")):
            return C.FEE, K.SUBSCRIPTION
        return C.FEE, K.OTHER
    if ttype == "adjustment":
        if "reserve" in d or "reserva" in d:
            return C.RESERVE, None
        return C.REIMBURSEMENT, None
    if ttype in ("order", "refund"):
        return C.FEE, K.OTHER
    return C.UNCLASSIFIED, None


def _parse(name: str, data: bytes) -> ParseResult:
    text, _ = decode(data)
    table, cols = _find(text)
    issues: list[Issue] = []

    def cell(rec: list[str], canonical: str) -> str:
        i = cols.get(canonical)
        return rec[i].strip() if i is not None and i < len(rec) else ""

    money_cols = [c for c in MONEY if c in cols]
    decimal_comma = guess_decimal_comma(cell(rec, "total") for _, rec in table.rows[:2000])
    rows: list[SettlementRow] = []
    markets: list[str] = []
    width = len(table.header)
    for line, rec in table.rows:
        if len(rec) < width:
            issues.append(error(f"this line has {len(rec)} columns, the header has {width} "
                                "(is the file cut short?)", name, line, code="bad_row"))
            continue
        raw_type = cell(rec, "type")
        ttype = TYPES.get(raw_type.lower(), "")
        date = parse_date(cell(rec, "date"))
        if date is None:
            issues.append(error(f"date/time is not a date: {cell(rec, 'date')!r}", name, line, code="bad_date"))
            continue
        desc = cell(rec, "description")
        market = cell(rec, "marketplace")
        if market:
            markets.append(market.lower())
        try:
            total = parse_amount(cell(rec, "total"), decimal_comma=decimal_comma) or Decimal("0.00")
            parts = [(c, parse_amount(cell(rec, c), decimal_comma=decimal_comma)) for c in money_cols if c != "total"]
        except ValueError as exc:
            issues.append(error(str(exc), name, line, code="bad_amount"))
            continue
        parts_sum = sum((a for _, a in parts if a is not None), Decimal("0.00"))
        if parts_sum != total:
            issues.append(error(f"the amounts of this line sum to {parts_sum:.2f} but its total is {total:.2f}",
                                name, line, code="line_total_mismatch"))
        is_refund = ttype == "refund"
        qty_text = cell(rec, "quantity")
        try:
            qty = int(qty_text) if qty_text else None
        except ValueError:
            qty = None
        for column, amount in parts:
            if not amount:
                continue
            cat, kind = MONEY[column]
            if column == "other":
                cat, kind = _other(ttype, desc)
            if cat is C.PRODUCT_SALE and is_refund:
                cat = C.PRODUCT_REFUND
            if not ttype:
                cat, kind = C.UNCLASSIFIED, None
            rows.append(SettlementRow(
                line, cat, amount, date, cell(rec, "order id"), "", cell(rec, "sku"),
                desc if cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND) else "",
                qty if cat in (C.PRODUCT_SALE, C.PRODUCT_REFUND) else None, kind, is_refund,
                f"{raw_type} / {column} / {desc}"[:200], name))
    marketplace = max(set(markets), key=markets.count) if markets else ""
    dates = [r.date for r in rows]
    if not dates:
        raise FormatError("the report has no transactions", row=table.header_line + 1)
    start, end = min(dates), max(dates)
    transfers = [r.date for r in rows if r.category is C.TRANSFER]
    currency = _currency(text, marketplace)
    settlement_id = f"unified-{marketplace or 'amazon'}-{start:%Y%m%d}-{end:%Y%m%d}"
    return finish(name, fmt=FORMAT, channel=CHANNEL, rows=rows, issues=issues, settlement_id=settlement_id,
                  currency=currency, marketplace=marketplace, start=start, end=end,
                  deposit=max(transfers) if transfers else end)


def _currency(text: str, marketplace: str) -> str:
    for line in text[:4000].splitlines()[:15]:
        m = _CURRENCY_NOTE.search(line)
        if m:
            return m[1]
    return _MARKET_CURRENCY.get(marketplace, "USD")
