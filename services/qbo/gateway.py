"""The one door to QuickBooks Online: the real python-quickbooks client over HTTP.

Every call Settlebridge makes to QBO (the real one through OAuth, or the local sandbox that stands
in for it) goes through :class:`QboGateway`, built on a subclass of ``quickbooks.QuickBooks`` whose
``process_request`` is the single place where HTTP happens. There:

* a **limiter** keeps to QBO's throttles per company: at most 10 requests a second and 40 batch
  calls a minute (sliding windows shared by every gateway of the process for that company);
* a **retry** with exponential backoff and full jitter answers HTTP 429 (honouring
  ``Retry-After``), 5xx and dropped connections. A write is only ever retried with the same
  ``requestid``, which QBO de-duplicates: a write that arrives without one gets a fresh id for
  this call, so a retry after "committed, then the connection dropped" creates nothing twice;
* QBO's faults, spelled ``Fault``/``Error``/``Message`` or ``fault``/``error``/``message``, become
  :class:`services.errors.QboError` with the code, QBO's message and detail, and a sentence that
  says what it means for the accountant; HTTP 401 becomes :class:`services.errors.QboAuthError`.

Answers are QBO's raw JSON as dicts with every decimal number a ``Decimal`` (``use_decimal``);
bodies sent keep ``Decimal`` values exact as JSON numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from requests_oauthlib import OAuth2Session

from services.errors import BadInput, QboAuthError, QboError, QboUnavailable
from services.records import QboAccount, QboItem

if TYPE_CHECKING:
    from services.records import Client
    from services.storage import Database

MINOR_VERSION = 75
PAGE_SIZE = 1000
MAX_BATCH = 30
REQUEST_ID_MAX = 36
SPAN_MARGIN = 0.02  # seconds, for clock granularity

# What a QBO fault code means, in the accountant's words (QBO's own text follows it).
FAULT_HINTS: dict[str, str] = {
    "610": "The object was not found in QuickBooks (it may have been deleted there).",
    "2020": "A required field is missing.",
    "2050": "A field has a value QuickBooks does not accept.",
    "2500": "A referenced object (item, account, customer) is invalid or inactive.",
    "3200": "QuickBooks refused the connection's credentials; reconnect the company.",
    "003200": "QuickBooks refused the connection's credentials; reconnect the company.",
    "3100": "This connection may not reach that company (a wrong realm id, or the app was "
            "disconnected in QuickBooks); check the company or reconnect it.",
    "5010": "Someone changed this object in QuickBooks since it was read; read it again and retry.",
    "6000": "QuickBooks refused the document (a business validation rule).",
    "6140": "This document number is already used: custom transaction numbers are on in QuickBooks "
            "and DocNumber must be unique.",
    "6190": "The QuickBooks subscription does not allow this (plan or trial).",
    "6240": "An object with this name already exists in QuickBooks.",
    "6270": "The sale is dated before the item's inventory start date (\"As of\", InvStartDate): "
            "move the item's As of date earlier or post the document later.",
    "6430": "The QuickBooks company does not allow this with its current settings.",
    "3001": "QuickBooks is throttling this company (too many requests); try again in a minute.",
}

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


# --- Public records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchOp:
    """One item of a batch: ``operation`` is ``create``, ``update`` or ``delete``."""

    bid: str
    operation: str
    entity: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """QBO's answer to one :class:`BatchOp`: the entity as QBO holds it, or its fault."""

    bid: str
    entity: dict[str, Any] | None
    fault: QboError | None = None

    @property
    def ok(self) -> bool:
        return self.fault is None


@dataclass(frozen=True, slots=True)
class Limits:
    """QBO's throttles per company (DESIGN §4)."""

    per_second: int = 10
    batch_per_minute: int = 40


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry 429, 5xx and dropped connections."""

    attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    timeout: tuple[float, float] = (10.0, 60.0)  # (connect, read) seconds

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base·2^attempt)]."""
        return random.uniform(0.0, min(self.cap_seconds, self.base_seconds * (2 ** attempt)))


# --- The limiter -----------------------------------------------------------------------------


class _Window:
    """At most ``limit`` requests in any ``span`` seconds: a sliding window of timestamps.

    A request holds its slot from the moment it is sent until ``span`` after its answer came back
    (:meth:`RateLimiter.done` moves the stamp): QBO counts a request when it *arrives*, which is
    somewhere between the two, so counting from the answer can never exceed QBO's limit, however
    slow the network or the machine."""

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self.span = span
        self.stamps: list[list[float]] = []  # one mutable cell per request: [time]

    def add(self, at: float) -> list[float]:
        cell = [at]
        self.stamps.append(cell)
        return cell

    def wait_time(self, now: float) -> float:
        self.stamps = [c for c in self.stamps if now - c[0] < self.span]
        if len(self.stamps) < self.limit:
            return 0.0
        times = sorted(c[0] for c in self.stamps)
        return max(0.0, self.span - (now - times[len(times) - self.limit]))


class RateLimiter:
    """The per-company throttle. One instance per (API base, realm, limits) in the process, so
    that several gateways of one company share it (QBO counts per company, not per client)."""

    _registry: ClassVar[dict[tuple[str, str, Limits], RateLimiter]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._second = _Window(limits.per_second, 1.0 + SPAN_MARGIN)
        self._minute = _Window(limits.batch_per_minute, 60.0 + SPAN_MARGIN)

    @classmethod
    def for_company(cls, api_base: str, realm: str, limits: Limits) -> RateLimiter:
        key = (api_base, realm, limits)
        with cls._registry_lock:
            limiter = cls._registry.get(key)
            if limiter is None:
                limiter = cls._registry[key] = cls(limits)
            return limiter

    def acquire(self, *, batch: bool) -> tuple[float, list[list[float]]]:
        """Block until one more request (a batch call when ``batch``) is allowed. Returns the
        seconds waited and the slots taken, to hand to :meth:`done` when the answer is back."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._second.wait_time(now)
                if batch:
                    wait = max(wait, self._minute.wait_time(now))
                if wait <= 0:
                    cells = [self._second.add(now)]
                    if batch:
                        cells.append(self._minute.add(now))
                    return waited, cells
            time.sleep(wait)
            waited += wait

    def done(self, cells: list[list[float]]) -> None:
        """The answer to a request is back (or it failed): its slots count from now."""
        with self._lock:
            now = time.monotonic()
            for cell in cells:
                cell[0] = now


# --- The python-quickbooks client ------------------------------------------------------------


class BearerSession(OAuth2Session):
    """The OAuth2 session python-quickbooks sends through, with a default timeout.

    For the local sandbox (``allow_http``) plain HTTP is allowed: the request bypasses
    oauthlib's HTTPS check; the bearer header is set by python-quickbooks itself.
    """

    def __init__(self, access_token: str, *, client_id: str = "settlebridge",
                 timeout: tuple[float, float] = (10.0, 60.0), allow_http: bool = False) -> None:
        super().__init__(client_id, token={"access_token": access_token, "token_type": "Bearer"})
        self.default_timeout = timeout
        self.allow_http = allow_http

    def request(self, method: str, url: str, data: Any = None, headers: Any = None,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        if self.allow_http and url.startswith("http://"):
            return requests.Session.request(self, method, url, data=data, headers=headers, **kwargs)
        return super().request(method, url, data=data, headers=headers, **kwargs)


class _Client(QuickBooks):
    """python-quickbooks' client with our HTTP policy in ``process_request``."""

    gateway: QboGateway

    @property
    def api_url(self) -> str:
        return str(self.api_url_v3)

    def process_request(self, request_type: str, url: str, headers: Any = "", params: Any = "",
                        data: Any = "") -> requests.Response:
        return self.gateway._send(lambda: super(_Client, self).process_request(
            request_type, url, headers=headers, params=params, data=data),
            method=request_type, url=url, params=params or {})


# --- JSON helpers ----------------------------------------------------------------------------

_DEC_MARK = "\u0000dec:"
_DEC_RE = re.compile(r'"\\u0000dec:(-?[0-9.Ee+-]+)"')


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _DEC_MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_decimals(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("A float reached a QBO body; money and quantities must be Decimal.")
    return value


def to_json(body: Any) -> str:
    """``body`` as JSON, with ``Decimal`` written as exact JSON numbers (never through float)."""
    return _DEC_RE.sub(r"\1", json.dumps(_mark_decimals(body)))


def _quote(text: str) -> str:
    """A string literal of QBO's query language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def new_request_id() -> str:
    return uuid.uuid4().hex


def _fault_of(payload: Any) -> tuple[str, str, str, list[tuple[str, str, str]]] | None:
    """(code, message, detail, all errors) of a QBO fault in either spelling, else ``None``."""
    if not isinstance(payload, dict):
        return None
    fault = payload.get("Fault", payload.get("fault"))
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error", fault.get("error")) or []
    found: list[tuple[str, str, str]] = []
    for err in errors if isinstance(errors, list) else [errors]:
        if not isinstance(err, dict):
            continue
        code = str(err.get("code", err.get("Code", "")) or "")
        message = str(err.get("Message", err.get("message", "")) or "")
        detail = str(err.get("Detail", err.get("detail", "")) or "")
        found.append((code, message, detail))
    if not found:
        found.append(("", str(fault.get("type", "Fault")), ""))
    code, message, detail = found[0]
    return code, message, detail, found


def fault_error(payload: Any, *, status: int | None = None, what: str = "") -> QboError | None:
    """A :class:`QboError` (or :class:`QboAuthError`) from a QBO fault body, else ``None``."""
    parsed = _fault_of(payload)
    if parsed is None:
        return None
    code, message, detail, errors = parsed
    hint = FAULT_HINTS.get(code) or FAULT_HINTS.get(code.lstrip("0"), "")
    head = f"QuickBooks refused {what}" if what else "QuickBooks refused the request"
    words = f"{head} (error {code}): " if code else f"{head}: "
    if message and detail.lower().startswith(message.rstrip(". ").lower()):
        message = ""  # QBO's Detail often repeats its Message ("Object Not Found : ...")
    words += " ".join(p for p in (hint, message.rstrip(".") + "." if message else "", detail) if p)
    for extra_code, extra_message, extra_detail in errors[1:]:
        words += f" Also (error {extra_code}): {extra_message} {extra_detail}".rstrip()
    auth = status == 401 or code.lstrip("0") in {"3200", "3201", "3202", "100"}
    cls = QboAuthError if auth else QboError
    return cls(words.strip(), code=code, detail=detail or message, status=status, details=errors)


# --- The gateway -----------------------------------------------------------------------------


@dataclass
class _Counters:
    calls: int = 0
    retries: int = 0
    waited: float = 0.0
    log: list[str] = field(default_factory=list)


class QboGateway:
    """One company's QBO, through python-quickbooks. Thread-safe for reads; one writer at a time
    per document is the posting code's business.

    Build it with :meth:`for_client` (a stored client: the local sandbox or OAuth) or
    :meth:`for_sandbox`.
    """

    def __init__(self, *, api_base: str, realm: str, access_token: str, sandbox: bool,
                 limits: Limits | None = None, retry: RetryPolicy | None = None,
                 page_size: int = PAGE_SIZE, sleep: Callable[[float], None] = time.sleep,
                 renew_token: Callable[[], str] | None = None) -> None:
        if not realm:
            raise BadInput("The QuickBooks company has no realm id.")
        self.realm_id = realm
        self.api_base = api_base.rstrip("/")
        self.is_sandbox = sandbox
        self.limits = limits or Limits()
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self._sleep = sleep
        self._counters = _Counters()
        self._counter_lock = threading.Lock()
        self._renew_token = renew_token  # OAuth: a fresh access token when QBO says 401
        self._limiter = RateLimiter.for_company(self.api_base, realm, self.limits)
        client = _Client(company_id=realm, minorversion=MINOR_VERSION, use_decimal=True)
        client.api_url_v3 = self.api_base
        client.session = BearerSession(access_token, timeout=self.retry.timeout, allow_http=sandbox)
        client.gateway = self
        self.client = client

    # -- construction --

    @classmethod
    def for_sandbox(cls, base_url: str, realm: str, **options: Any) -> QboGateway:
        """A gateway to the local QBO sandbox at ``base_url`` (ending in ``/v3``); any non-empty
        bearer token is accepted there."""
        return cls(api_base=base_url, realm=realm, access_token="sandbox", sandbox=True, **options)

    @classmethod
    def for_client(cls, db: Database, client: Client, **options: Any) -> QboGateway:
        """The gateway of a stored client: its sandbox URL, or OAuth with tokens from storage
        (refreshed when expired; the rotated refresh token is stored).

        Raises :class:`QboAuthError` when an OAuth client has not been connected yet."""
        if client.kind == "sandbox":
            if not client.sandbox_url:
                raise BadInput(f"Client {client.name!r} has no sandbox URL.")
            return cls.for_sandbox(client.sandbox_url, client.realm_id, **options)
        from services.qbo import oauth

        token, api_base = oauth.access_token_for(db, client)

        def renew() -> str:
            return oauth.refresh(db, client, force=True).access_token

        options.setdefault("renew_token", renew)
        return cls(api_base=api_base, realm=client.realm_id, access_token=token,
                   sandbox=api_base.startswith("http://"), **options)

    # -- counters --

    @property
    def calls(self) -> int:
        """HTTP calls made (retries included)."""
        return self._counters.calls

    @property
    def retries(self) -> int:
        return self._counters.retries

    @property
    def waited_seconds(self) -> float:
        """Seconds spent waiting for the limiter and for backoff."""
        return self._counters.waited

    # -- HTTP policy (called from _Client.process_request) --

    def _send(self, do: Callable[[], requests.Response], *, method: str, url: str,
              params: dict[str, Any]) -> requests.Response:
        path = url.split("?", 1)[0]
        is_batch = path.endswith("/batch")
        # Reads and queries are safe to repeat; a write only with its requestid (QBO replays it).
        safe = method == "GET" or path.endswith("/query") or bool(params.get("requestid"))
        policy = self.retry
        attempt = 0
        renewed = False
        while True:
            waited, slots = self._limiter.acquire(batch=is_batch)
            with self._counter_lock:
                self._counters.waited += waited
                self._counters.calls += 1
            try:
                response = do()
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._limiter.done(slots)
                if not safe or attempt + 1 >= policy.attempts:
                    raise QboUnavailable(
                        "QuickBooks did not answer"
                        + (" (the write may or may not have been saved; it was not repeated)"
                           if not safe else f" after {attempt + 1} attempts")
                        + f": {type(exc).__name__}.", status=None) from exc
                self._pause(policy.backoff(attempt), f"{type(exc).__name__} on {path}")
                attempt += 1
                continue
            self._limiter.done(slots)
            status = response.status_code
            if status in _RETRYABLE_STATUS and (status == 429 or safe) and attempt + 1 < policy.attempts:
                wait = policy.backoff(attempt)
                if status == 429:
                    wait = max(wait, _retry_after(response))
                self._pause(wait, f"HTTP {status} on {path}")
                attempt += 1
                continue
            if status == 401 and self._renew_token is not None and not renewed:
                # the access token expired during a long run: refresh once (stores the rotated
                # refresh token) and repeat; QBO did not process the refused request
                renewed = True
                token = self._renew_token()
                self.client.session.token = {"access_token": token, "token_type": "Bearer"}
                continue
            if status != 200:
                raise self._http_error(response)
            head = response.content[:40].lstrip()
            if head.startswith((b'{"Fault"', b'{"fault"')):
                raise self._http_error(response)
            return response

    def _pause(self, seconds: float, why: str) -> None:
        with self._counter_lock:
            self._counters.retries += 1
            self._counters.waited += seconds
            self._counters.log.append(f"retry after {seconds:.2f}s: {why}")
        self._sleep(seconds)

    def _http_error(self, response: requests.Response) -> QboError:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        err = fault_error(payload, status=status)
        if err is not None:
            return err
        text = (response.text or "").strip()[:300]
        if status == 401:
            return QboAuthError(status=status, detail=text)
        if status == 429:
            return QboUnavailable("QuickBooks kept throttling this company (HTTP 429); try again in a "
                                  "minute.", status=status, detail=text)
        if status >= 500:
            return QboUnavailable(f"QuickBooks had a server error (HTTP {status}); nothing to fix on "
                                  "your side, try again.", status=status, detail=text)
        return QboError(f"QuickBooks answered HTTP {status}: {text}", status=status, detail=text)

    @contextmanager
    def _translate(self, what: str) -> Iterator[None]:
        """python-quickbooks' own exceptions (a Fault it parsed) as our :class:`QboError`."""
        try:
            yield
        except QboError as exc:
            if what and exc.message.startswith("QuickBooks refused the request"):
                exc.message = exc.message.replace("the request", what, 1)
                exc.args = (exc.message,)
            raise
        except QuickbooksException as exc:
            code = str(exc.error_code or "")
            payload = {"Fault": {"Error": [{"code": code, "Message": exc.message, "Detail": exc.detail}]}}
            err = fault_error(payload, status=401 if isinstance(exc, AuthorizationException) else None,
                              what=what)
            raise (err or QboError(str(exc), code=code)) from exc

    # -- generic calls --

    def _entity_url(self, entity: str) -> str:
        return f"{self.client.api_url}/company/{self.realm_id}/{entity.lower()}"

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Every row of a QBO query, page by page (``STARTPOSITION``/``MAXRESULTS``).

        ``sql`` is a query without paging clauses (when it has ``MAXRESULTS`` it runs once as
        written). Returns the entities as QBO's JSON dicts."""
        if re.search(r"\bMAXRESULTS\b", sql, re.IGNORECASE):
            return self._query_page(sql)
        rows: list[dict[str, Any]] = []
        start = 1
        while True:
            page = self._query_page(f"{sql.rstrip().rstrip(';')} STARTPOSITION {start} MAXRESULTS {self.page_size}")
            rows.extend(page)
            if len(page) < self.page_size:
                return rows
            start += self.page_size

    def _query_page(self, sql: str) -> list[dict[str, Any]]:
        with self._translate("the query"):
            answer = self.client.query(sql)
        response = answer.get("QueryResponse") or {}
        for key, value in response.items():
            if isinstance(value, list) and key[:1].isupper():
                return value
        return []

    def count(self, sql_from_where: str) -> int:
        """``SELECT COUNT(*) FROM <sql_from_where>``: e.g. ``count("Item WHERE Type = 'Inventory'")``."""
        text = sql_from_where.strip()
        if not text.upper().startswith("SELECT"):
            text = f"SELECT COUNT(*) FROM {text}"
        with self._translate("the count"):
            answer = self.client.query(text)
        return int((answer.get("QueryResponse") or {}).get("totalCount", 0))

    def read(self, entity: str, id: str) -> dict[str, Any]:
        """One entity by Id. Raises :class:`QboError` (code 610) when it does not exist."""
        with self._translate(f"reading {entity} {id}"):
            answer = self.client.get_single_object(entity, id)
        return dict(answer[entity])

    def create(self, entity: str, body: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """Create an entity. ``request_id`` (≤ 36 characters) makes the create idempotent: QBO
        answers a repeat with the first answer. Without one, a fresh id covers this call's
        retries only."""
        rid = _check_request_id(request_id) or new_request_id()
        with self._translate(f"the {entity}"):
            answer = self.client.create_object(entity, to_json(body), request_id=rid)
        return dict(answer[entity])

    def update(self, entity: str, body: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """Update an entity (``body`` has ``Id`` and ``SyncToken``; add ``"sparse": True`` for a
        sparse update)."""
        rid = _check_request_id(request_id) or new_request_id()
        with self._translate(f"the update of {entity} {body.get('Id', '')}".rstrip()):
            answer = self.client.update_object(entity, to_json(body), request_id=rid)
        return dict(answer[entity])

    def delete(self, entity: str, body: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """Delete an entity by ``Id`` and ``SyncToken``; returns QBO's ``{"status": "Deleted", ...}``."""
        rid = _check_request_id(request_id) or new_request_id()
        slim = {"Id": body["Id"], "SyncToken": body.get("SyncToken", "0")}
        with self._translate(f"the deletion of {entity} {body.get('Id', '')}"):
            answer = self.client.delete_object(entity, to_json(slim), request_id=rid)
        return dict(answer[entity])

    def void(self, entity: str, body: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
        """Void a transaction as QBO does it for that entity (SalesReceipt: a sparse update with
        ``include=void``; others ``operation=void``)."""
        rid = _check_request_id(request_id) or new_request_id()
        slim: dict[str, Any] = {"Id": body["Id"], "SyncToken": body.get("SyncToken", "0")}
        if entity in {"SalesReceipt", "Payment", "BillPayment"}:
            params = {"operation": "update", "include": "void"}
            slim["sparse"] = True
        else:
            params = {"operation": "void"}
        with self._translate(f"voiding {entity} {body.get('Id', '')}"):
            answer = self.client.post(self._entity_url(entity), to_json(slim), params=params,
                                      request_id=rid)
        return dict(answer[entity])

    def batch(self, ops: list[BatchOp], request_id: str | None = None) -> list[BatchResult]:
        """Up to 30 operations in one call. Returns one result per op, in the order given; an
        item that QBO refused carries its fault (the other items are not affected).

        ``request_id`` makes the whole batch idempotent (QBO replays the first answer)."""
        if not ops:
            return []
        if len(ops) > MAX_BATCH:
            raise BadInput(f"A batch holds at most {MAX_BATCH} operations, not {len(ops)}.")
        bids = [op.bid for op in ops]
        if len(set(bids)) != len(bids):
            raise BadInput("The bIds of a batch must be unique.")
        items = []
        for op in ops:
            if op.operation not in {"create", "update", "delete"}:
                raise BadInput(f"Unknown batch operation {op.operation!r}.")
            body = op.body
            if op.operation == "delete":
                body = {"Id": body["Id"], "SyncToken": body.get("SyncToken", "0")}
            items.append({"bId": op.bid, "operation": op.operation, op.entity: body})
        rid = _check_request_id(request_id) or new_request_id()
        url = f"{self.client.api_url}/company/{self.realm_id}/batch"
        # client.post rather than client.batch_operation: only post carries the requestid
        with self._translate("the batch"):
            answer = self.client.post(url, to_json({"BatchItemRequest": items}), request_id=rid)
        by_bid: dict[str, dict[str, Any]] = {}
        for item in answer.get("BatchItemResponse") or []:
            by_bid[str(item.get("bId"))] = item
        results: list[BatchResult] = []
        for op in ops:
            item = by_bid.get(op.bid)
            if item is None:
                results.append(BatchResult(op.bid, None, QboError(
                    f"QuickBooks gave no answer for batch item {op.bid}.", code="")))
                continue
            fault = fault_error(item, what=f"{op.entity} (batch item {op.bid})")
            if fault is not None:
                results.append(BatchResult(op.bid, None, fault))
            else:
                entity = item.get(op.entity)
                results.append(BatchResult(op.bid, dict(entity) if isinstance(entity, dict) else None))
        return results

    def company_info(self) -> dict[str, Any]:
        """CompanyInfo (company name, ``NameValue`` with ``OfferingSku``...)."""
        with self._translate("reading the company information"):
            answer = self.client.get_single_object("CompanyInfo", self.realm_id)
        return dict(answer["CompanyInfo"])

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences (``ProductAndServicesPrefs``, ``SalesFormsPrefs``...)."""
        with self._translate("reading the preferences"):
            answer = self.client.get(f"{self.client.api_url}/company/{self.realm_id}/preferences")
        return dict(answer["Preferences"])

    def report(self, name: str, **params: str) -> dict[str, Any]:
        """A QBO report (``ProfitAndLoss``, ``BalanceSheet``, ``InventoryValuationSummary``) in QBO's
        nested Rows/ColData shape; ``params`` are QBO's (``start_date``, ``end_date``...)."""
        with self._translate(f"the {name} report"):
            return dict(self.client.get_report(name, qs=dict(params)))

    # -- Settlebridge's typed reads and writes --

    def list_items(self, *, include_inactive: bool = False) -> list[QboItem]:
        """Every item of the company (active ones unless ``include_inactive``)."""
        sql = "SELECT *, Sku FROM Item"
        if include_inactive:
            sql += " WHERE Active IN (true, false)"
        return [item_record(row) for row in self.query(sql)]

    def list_accounts(self) -> list[QboAccount]:
        """Every active account of the chart of accounts."""
        return [account_record(row) for row in self.query("SELECT * FROM Account")]

    def find_item(self, name: str) -> QboItem | None:
        """The item named ``name`` (active or not), else ``None``."""
        rows = self.query(f"SELECT *, Sku FROM Item WHERE Name = {_quote(name)} AND Active IN (true, false)")
        return item_record(rows[0]) if rows else None

    def find_account(self, name: str) -> QboAccount | None:
        rows = self.query(f"SELECT * FROM Account WHERE Name = {_quote(name)}")
        if not rows:
            rows = [r for r in self.query("SELECT * FROM Account")
                    if str(r.get("FullyQualifiedName", "")).lower() == name.lower()]
        return account_record(rows[0]) if rows else None

    def _account_ref(self, account: str | QboAccount) -> dict[str, str]:
        if isinstance(account, QboAccount):
            return {"value": account.id, "name": account.name}
        found = self.find_account(account)
        if found is None:
            raise BadInput(f"QuickBooks has no account named {account!r}.")
        return {"value": found.id, "name": found.name}

    def create_item(self, *, name: str, sku: str = "", qty_on_hand: Decimal | int = 0,
                    as_of: dt.date | None = None, unit_cost: Decimal | None = None,
                    income_account: str | QboAccount = "", expense_account: str | QboAccount = "",
                    asset_account: str | QboAccount = "", item_type: str = "Inventory",
                    request_id: str | None = None) -> QboItem:
        """Create an item. An inventory item needs its opening quantity, its "As of" date
        (``InvStartDate``) and the income, cost of goods sold and inventory asset accounts
        (names or :class:`QboAccount`)."""
        if not name.strip():
            raise BadInput("An item needs a name.")
        body: dict[str, Any] = {"Name": name.strip(), "Type": item_type}
        if sku:
            body["Sku"] = sku
        if income_account:
            body["IncomeAccountRef"] = self._account_ref(income_account)
        if expense_account:
            body["ExpenseAccountRef"] = self._account_ref(expense_account)
        if unit_cost is not None:
            body["PurchaseCost"] = Decimal(unit_cost)
        if item_type == "Inventory":
            if as_of is None:
                raise BadInput(f"Inventory item {name!r} needs an As of date.")
            if not (income_account and expense_account and asset_account):
                raise BadInput(f"Inventory item {name!r} needs income, cost of goods sold and "
                               "inventory asset accounts.")
            body.update({"TrackQtyOnHand": True, "QtyOnHand": Decimal(qty_on_hand),
                         "InvStartDate": as_of.isoformat(),
                         "AssetAccountRef": self._account_ref(asset_account)})
        return item_record(self.create("Item", body, request_id=request_id))

    def ensure_account(self, name: str, account_type: str, sub_type: str = "") -> QboAccount:
        """The account named ``name``; created with ``account_type`` (QBO's AccountType, e.g.
        ``"Bank"``, ``"Expense"``) and ``sub_type`` when missing."""
        found = self.find_account(name)
        if found is not None:
            return found
        body: dict[str, Any] = {"Name": name, "AccountType": account_type}
        if sub_type:
            body["AccountSubType"] = sub_type
        return account_record(self.create("Account", body))

    def ensure_product_item(self) -> QboItem:
        """The generic non-inventory item "Product" that every sale goes to without inventory
        tracking (DESIGN §2, step 2); created when missing, with the company's product income
        account."""
        found = self.find_item("Product")
        if found is not None:
            return found
        accounts = self.list_accounts()
        income = next((a for a in accounts if a.account_sub_type == "SalesOfProductIncome"), None)
        income = income or next((a for a in accounts if a.account_type == "Income"), None)
        if income is None:
            income = self.ensure_account("Sales of Product Income", "Income", "SalesOfProductIncome")
        return self.create_item(name="Product", item_type="NonInventory", income_account=income)


def _check_request_id(request_id: str | None) -> str | None:
    if request_id is not None and not (0 < len(request_id) <= REQUEST_ID_MAX):
        raise BadInput(f"A QBO requestid has 1 to {REQUEST_ID_MAX} characters: {request_id!r}.")
    return request_id


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def _ref_name(ref: Any) -> str:
    if isinstance(ref, dict):
        return str(ref.get("name") or ref.get("value") or "")
    return ""


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def item_record(row: dict[str, Any]) -> QboItem:
    """A QBO Item's JSON as a :class:`QboItem` (account fields carry the account names)."""
    start = row.get("InvStartDate")
    return QboItem(
        id=str(row.get("Id", "")), name=str(row.get("Name", "")), type=str(row.get("Type", "")),
        sku=str(row.get("Sku") or ""), active=bool(row.get("Active", True)),
        qty_on_hand=_decimal(row.get("QtyOnHand")),
        inv_start_date=dt.date.fromisoformat(str(start)[:10]) if start else None,
        purchase_cost=_decimal(row.get("PurchaseCost")), unit_price=_decimal(row.get("UnitPrice")),
        income_account=_ref_name(row.get("IncomeAccountRef")),
        expense_account=_ref_name(row.get("ExpenseAccountRef")),
        asset_account=_ref_name(row.get("AssetAccountRef")),
        sync_token=str(row.get("SyncToken", "0")),
    )


def account_record(row: dict[str, Any]) -> QboAccount:
    """A QBO Account's JSON as a :class:`QboAccount`."""
    return QboAccount(id=str(row.get("Id", "")), name=str(row.get("Name", "")),
                      account_type=str(row.get("AccountType", "")),
                      account_sub_type=str(row.get("AccountSubType") or ""),
                      active=bool(row.get("Active", True)))
