"""One sandbox company: its entities in memory, written through to the store on every change.

The operations mirror QBO's v3 endpoints: create, read, full and sparse update, delete (list
entities are made inactive instead), void, query and batch. Every answer is either a plain
dict (the JSON body) or a :class:`~qbo_sandbox.faults.QboFault`. Entity-specific rules (what
a SalesReceipt requires, how TotalAmt is computed, which faults QBO raises) live in
:mod:`qbo_sandbox.entities`; the books in :mod:`qbo_sandbox.ledger`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from qbo_sandbox import entities, qlang
from qbo_sandbox.faults import QboFault, not_found, required, stale
from qbo_sandbox.store import Store

PACIFIC = timezone(timedelta(hours=-8))

ENTITY_NAMES = (
    "Account", "Item", "Vendor", "Customer", "Bill", "Purchase", "SalesReceipt", "RefundReceipt",
    "Deposit", "CompanyInfo", "Preferences",
)
BY_LOWER = {n.lower(): n for n in ENTITY_NAMES}
LIST_ENTITIES = frozenset({"Account", "Item", "Vendor", "Customer"})
TRANSACTIONS = frozenset({"Bill", "Purchase", "SalesReceipt", "RefundReceipt", "Deposit"})
SINGLETONS = frozenset({"CompanyInfo", "Preferences"})
SALES_FORMS = ("SalesReceipt", "RefundReceipt")
# fields QBO stores but does not filter or sort on (a memo is no idempotency key)
NOT_QUERYABLE = frozenset({"privatenote", "line", "customermemo", "description", "purchasedesc"})
PRIVATE = "_sb"  # key of the sandbox's own bookkeeping inside an entity; never sent out


def now_text() -> str:
    return datetime.now(PACIFIC).isoformat(timespec="milliseconds")


def public(body: dict[str, Any]) -> dict[str, Any]:
    """The entity as QBO shows it: without the sandbox's private bookkeeping."""
    return {k: v for k, v in body.items() if k != PRIVATE}


class Company:
    """The state of one realm. All methods run under the company's lock."""

    def __init__(self, store: Store, realm: str) -> None:
        self.store = store
        self.realm = realm
        self.lock = threading.RLock()
        self.data: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in ENTITY_NAMES}
        self.requests: dict[str, tuple[int, str]] = {}
        self.counters: dict[str, int] = {}
        self.seq = 0
        self.version = 0  # bumped on every change; the ledger caches against it
        for type_, id_, body in store.load_entities(realm):
            self.data.setdefault(type_, {})[id_] = body
        self.requests = store.load_requests(realm)
        self.counters = dict(store.get_meta("counters") or {})
        self.seq = int(store.get_meta("seq") or 0)
        self._ledger: Any = None
        self._defer = 0
        self.doc_numbers: dict[str, tuple[str, str]] = {}  # sales forms' DocNumber -> (type, id)
        self._index_all()

    def _index_all(self) -> None:
        self.doc_numbers = {}
        for type_ in SALES_FORMS:
            for body in self.data[type_].values():
                if body.get("DocNumber"):
                    self.doc_numbers[str(body["DocNumber"])] = (type_, body["Id"])

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Write to the file once at the end (a batch), not after every operation."""
        with self.lock:
            self._defer += 1
            try:
                yield
            finally:
                self._defer -= 1
                if not self._defer:
                    self.commit()

    # -- helpers --------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The entity's proper name from any spelling (URL paths are lower case)."""
        found = BY_LOWER.get(name.lower())
        if found is None:
            raise QboFault(500, "Unsupported Operation",
                           f"Operation on entity '{name}' is not supported by the sandbox")
        return found

    def next_id(self, type_: str) -> str:
        n = self.counters.get(type_, 0) + 1
        # QBO's ids are small integers; accounts and items share nothing, so keep them apart
        self.counters[type_] = n
        return str(n)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def get(self, type_: str, id_: str) -> dict[str, Any]:
        body = self.data[type_].get(str(id_))
        if body is None:
            raise not_found(type_, str(id_))
        return body

    def all(self, type_: str) -> list[dict[str, Any]]:
        return list(self.data[type_].values())

    def save(self, type_: str, body: dict[str, Any]) -> None:
        if type_ in SALES_FORMS:
            old = self.data[type_].get(body["Id"])
            if old is not None and old.get("DocNumber"):
                self.doc_numbers.pop(str(old["DocNumber"]), None)
            if body.get("DocNumber"):
                self.doc_numbers[str(body["DocNumber"])] = (type_, body["Id"])
        self.data[type_][body["Id"]] = body
        self.store.put(self.realm, type_, body["Id"], body)
        self.version += 1

    def remove(self, type_: str, id_: str) -> None:
        old = self.data[type_].pop(id_, None)
        if old is not None and type_ in SALES_FORMS and old.get("DocNumber"):
            self.doc_numbers.pop(str(old["DocNumber"]), None)
        self.store.delete(self.realm, type_, id_)
        self.version += 1

    def commit(self) -> None:
        if self._defer:
            return
        self.store.set_meta("counters", self.counters)
        self.store.set_meta("seq", self.seq)
        self.store.commit()

    def wrap(self, type_: str, body: dict[str, Any]) -> dict[str, Any]:
        return {type_: public(body), "time": now_text()}

    def preferences(self) -> dict[str, Any]:
        return self.data["Preferences"].get("1") or {}

    # -- operations -----------------------------------------------------------------------------

    def read(self, type_: str, id_: str) -> dict[str, Any]:
        type_ = self.canonical(type_)
        with self.lock:
            if type_ in SINGLETONS:
                body = self.data[type_].get("1")
                if body is None:
                    raise not_found(type_, id_)
                return self.wrap(type_, self.decorate(type_, body))
            return self.wrap(type_, self.decorate(type_, self.get(type_, id_)))

    def decorate(self, type_: str, body: dict[str, Any]) -> dict[str, Any]:
        """Fields QBO computes on the way out (an account's balance)."""
        if type_ == "Account":
            balance = self.ledger().account_balance(body["Id"])
            body = {**body, "CurrentBalance": balance, "CurrentBalanceWithSubAccounts": balance}
        return body

    def create(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        type_ = self.canonical(type_)
        with self.lock:
            with self._writing():
                body = self._create(type_, payload)
            return self.wrap(type_, self.decorate(type_, body))

    def _create(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        if type_ in SINGLETONS:
            raise QboFault(500, "Unsupported Operation", f"Operation Create is not supported on {type_}")
        body = entities.prepare(self, type_, copy.deepcopy(payload), None)
        body["Id"] = self.next_id(type_)
        body["SyncToken"] = "0"
        stamp = now_text()
        body["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
        body["domain"] = "QBO"
        body["sparse"] = False
        body.setdefault(PRIVATE, {})["seq"] = self.next_seq()
        entities.after_save(self, type_, None, body)
        self.save(type_, body)
        return body

    def update(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        type_ = self.canonical(type_)
        with self.lock:
            with self._writing():
                body = self._update(type_, payload)
            return self.wrap(type_, self.decorate(type_, body))

    def _update(self, type_: str, payload: dict[str, Any], private: dict[str, Any] | None = None) -> dict[str, Any]:
        payload = {k: copy.deepcopy(v) for k, v in payload.items() if k != PRIVATE}
        if type_ in SINGLETONS:
            current = self.data[type_].get("1")
            if current is None:
                raise not_found(type_, "1")
        else:
            if "Id" not in payload or payload["Id"] in (None, ""):
                raise required("Id")
            current = self.get(type_, str(payload["Id"]))
        if str(payload.get("SyncToken", "")) != current["SyncToken"]:
            raise stale(type_, current["Id"], payload.get("SyncToken"), current["SyncToken"])
        sparse = payload.get("sparse") in (True, "true")
        if sparse or type_ in SINGLETONS:
            merged = copy.deepcopy(current)
            _merge(merged, {k: v for k, v in payload.items() if k not in ("sparse", "SyncToken", "Id")})
        else:
            merged = {k: v for k, v in payload.items() if k not in ("sparse",)}
            merged[PRIVATE] = copy.deepcopy(current.get(PRIVATE, {}))
        if private is not None:
            merged[PRIVATE] = private
        merged.pop("MetaData", None)
        body = entities.prepare(self, type_, merged, current)
        body["Id"] = current["Id"]
        body["SyncToken"] = str(int(current["SyncToken"]) + 1)
        body["MetaData"] = {"CreateTime": current["MetaData"]["CreateTime"], "LastUpdatedTime": now_text()}
        body["domain"] = "QBO"
        body["sparse"] = False
        body.setdefault(PRIVATE, {}).setdefault("seq", current.get(PRIVATE, {}).get("seq", 0))
        entities.after_save(self, type_, current, body)
        self.save(type_, body)
        return body

    def delete(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        type_ = self.canonical(type_)
        with self._writing():
            answer = self._delete(type_, payload)
        return answer

    def _delete(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        if type_ in SINGLETONS:
            raise QboFault(500, "Unsupported Operation", f"Operation Delete is not supported on {type_}")
        current = self.get(type_, str(payload.get("Id", "")))
        if str(payload.get("SyncToken", current["SyncToken"])) != current["SyncToken"]:
            raise stale(type_, current["Id"], payload.get("SyncToken"), current["SyncToken"])
        if type_ in LIST_ENTITIES:
            # QBO keeps list entities for history: a delete makes them inactive
            body = self._update(type_, {"Id": current["Id"], "SyncToken": current["SyncToken"],
                                        "sparse": True, "Active": False})
            return self.wrap(type_, body)
        entities.after_delete(self, type_, current)
        self.remove(type_, current["Id"])
        return {type_: {"status": "Deleted", "domain": "QBO", "Id": current["Id"]}, "time": now_text()}

    def void(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        type_ = self.canonical(type_)
        with self.lock:
            with self._writing():
                if type_ not in TRANSACTIONS or type_ in ("Bill", "Deposit"):
                    raise QboFault(500, "Unsupported Operation", f"Operation Void is not supported on {type_}")
                current = self.get(type_, str(payload.get("Id", "")))
                if str(payload.get("SyncToken", current["SyncToken"])) != current["SyncToken"]:
                    raise stale(type_, current["Id"], payload.get("SyncToken"), current["SyncToken"])
                voided = entities.voided(current)
                voided["SyncToken"] = current["SyncToken"]
                body = self._update(type_, voided, private=voided.pop(PRIVATE))
            return self.wrap(type_, body)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write under the lock: committed when the block ends; rolled back, with memory put
        back to what the store holds, when it raises anything but a QBO fault (a fault is raised
        before anything changed)."""
        with self.lock:
            try:
                yield
                self.commit()
            except QboFault:
                raise
            except BaseException:
                self.store.rollback()
                self.reload_if_needed()
                raise

    def reload_if_needed(self) -> None:
        """After a failed write, put memory back to what the store holds."""
        self.data = {n: {} for n in ENTITY_NAMES}
        for type_, id_, body in self.store.load_entities(self.realm):
            self.data.setdefault(type_, {})[id_] = body
        self.counters = dict(self.store.get_meta("counters") or {})
        self.seq = int(self.store.get_meta("seq") or 0)
        self._index_all()
        self.version += 1

    # -- query ----------------------------------------------------------------------------------

    def query(self, text: str) -> dict[str, Any]:
        try:
            q = qlang.parse(text)
        except qlang.QueryError as exc:
            raise QboFault(4000, "Error parsing query", str(exc)) from None
        entity = BY_LOWER.get(q.entity.lower())
        if entity is None:
            raise QboFault(4000, "Error parsing query",
                           f"QueryParserError: Invalid entity name: {q.entity}")
        if q.max_results < 0:
            raise QboFault(4000, "Error parsing query", "QueryValidationError: MAXRESULTS must be positive")
        for name in [c.field for c in q.where] + [f for f, _ in q.order]:
            if name.split(".")[0].lower() in NOT_QUERYABLE:
                raise QboFault(4001, "Invalid query",
                               f"QueryValidationError: property '{name}' is not queryable")
        with self.lock:
            rows = self.all(entity)
            where = list(q.where)
            if entity in LIST_ENTITIES and not any(c.field.lower() == "active" for c in where):
                where.append(qlang.Condition("Active", "=", (True,)))
            rows = [r for r in rows if all(qlang.matches(r, c) for c in where)]
            if q.count:
                return {"QueryResponse": {"totalCount": len(rows)}, "time": now_text()}
            order = q.order or (("Id", False),)
            for fld, desc in reversed(order):
                rows.sort(key=_sorter(fld), reverse=desc)
            page = rows[q.start - 1: q.start - 1 + q.max_results]
            shown = [self._select(entity, self.decorate(entity, r), q.fields) for r in page]
            response: dict[str, Any] = {}
            if shown:
                response = {entity: shown, "startPosition": q.start, "maxResults": len(shown)}
            return {"QueryResponse": response, "time": now_text()}

    @staticmethod
    def _select(entity: str, body: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
        body = public(body)
        if not fields or "*" in fields:
            return body
        wanted = {f.lower() for f in fields} | {"id", "synctoken", "domain", "sparse"}
        out = {k: v for k, v in body.items() if k.lower() in wanted}
        out["sparse"] = True
        return out

    # -- the books ------------------------------------------------------------------------------

    def ledger(self) -> Any:
        from qbo_sandbox.ledger import Ledger

        with self.lock:
            if self._ledger is None or self._ledger.version != self.version:
                self._ledger = Ledger.build(self)
            return self._ledger


def _sorter(name: str) -> Any:
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        return qlang.sort_key(row, name)
    return key


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and key != PRIVATE:
            _merge(target[key], value)
        else:
            target[key] = value
