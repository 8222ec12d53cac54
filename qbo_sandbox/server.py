"""The HTTP face of the sandbox: QBO's v3 paths over :mod:`http.server`, with faults on demand.

Paths: ``/v3/company/{realm}/{entity}[/{id}]`` (create, read, update, ``?operation=delete``,
``?operation=void`` or ``?operation=update&include=void``), ``/query``, ``/batch``,
``/reports/{name}``, ``/companyinfo/{realm}``, ``/preferences``; and the sandbox's own
``/_sandbox/health``, ``/_sandbox/faults`` and ``/_sandbox/throttle``. Any non-empty bearer token
is accepted. A POST that carries ``requestid`` is answered once and replayed from then on.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from qbo_sandbox import jsonx
from qbo_sandbox.company import Company, now_text
from qbo_sandbox.faults import QboFault, system_failure, unauthorized
from qbo_sandbox.store import Store

DEFAULT_REALM = "9130350000000001"
MAX_BATCH = 30
FAULT_KINDS = ("429", "500", "delay", "drop_after_commit")


@dataclass
class Fault:
    kind: str
    count: int = 1
    seconds: float = 0.0
    methods: tuple[str, ...] = ("GET", "POST")
    path_contains: str = ""


class Faults:
    """Faults to inject: each matching request uses up one count of the first matching fault."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, count: int = 1, seconds: float = 0.0,
            methods: tuple[str, ...] | list[str] = ("GET", "POST"), path_contains: str = "") -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, int(count), float(seconds), tuple(m.upper() for m in methods),
                                      path_contains))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.__dict__.copy() for f in self._faults]

    def take(self, method: str, path: str, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.kind in kinds and method in f.methods and f.path_contains in path and f.count > 0:
                    f.count -= 1
                    if f.count <= 0:
                        self._faults.remove(f)
                    return f
        return None


@dataclass
class Throttle:
    """QBO's limits per realm: requests per second and batch calls per minute."""

    enabled: bool = True
    per_second: int = 10
    batch_per_minute: int = 40
    _recent: deque[float] = field(default_factory=deque)
    _batches: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, batch: bool) -> bool:
        if not self.enabled:
            return True
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            while self._batches and now - self._batches[0] >= 60.0:
                self._batches.popleft()
            if len(self._recent) >= self.per_second:
                return False
            if batch and len(self._batches) >= self.batch_per_minute:
                return False
            self._recent.append(now)
            if batch:
                self._batches.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._recent.clear()
            self._batches.clear()


class _Drop(Exception):
    """Close the connection without an answer (after the write was committed)."""


class SandboxBusy(RuntimeError):
    """Another sandbox process already serves this data directory."""


RUNNING_FILE = "sandbox.json"
LOCK_FILE = ".sandbox.lock"


def running(data_dir: Path) -> dict[str, Any] | None:
    """The sandbox serving ``data_dir`` in some process, as ``{"url", "realm", "pid"}``, if any.

    Lets a second app instance use the running sandbox instead of opening the same file twice.
    """
    path = Path(data_dir) / RUNNING_FILE
    try:
        info = jsonx.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and _lock_held(Path(data_dir)) else None


def _lock_held(data_dir: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Unix: no cross-process lock
        return True
    try:
        with open(data_dir / LOCK_FILE, "a+") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


class SandboxServer:
    """A running sandbox: ``SandboxServer(dir).start()``, then ``.url``, ``.realm``, ``.faults``.

    One sandbox owns a data directory at a time: a second one (in another process) raises
    :class:`SandboxBusy`; :func:`running` tells where the first one answers.
    """

    def __init__(self, data_dir: Path, seed: str = "demo", realm: str | None = None, port: int = 0,
                 host: str = "127.0.0.1", throttle: bool = True) -> None:
        from qbo_sandbox import seeds

        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._acquire()
        try:
            self._open(seeds, seed, realm, port, host, throttle)
        except BaseException:
            self._release()
            raise

    def _acquire(self) -> Any:
        try:
            import fcntl
        except ImportError:  # pragma: no cover
            return None
        handle = open(self.data_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the server's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            info = running(self.data_dir) or {}
            raise SandboxBusy(f"{self.data_dir} is already served by another sandbox"
                              + (f" at {info.get('url')} (pid {info.get('pid')})" if info else "")) from None
        return handle

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing drops the flock
            self._lock_file = None

    def _open(self, seeds: Any, seed: str, realm: str | None, port: int, host: str, throttle: bool) -> None:
        self.store = Store(self.data_dir)
        if self.store.is_new():
            realm = realm or DEFAULT_REALM
            seeds.apply(self.store, seed, realm)
        stored = str(self.store.get_meta("realm"))
        if realm is not None and realm != stored:
            raise ValueError(f"{self.data_dir} holds company {stored}, not {realm}")
        self.realm = stored
        self.company = Company(self.store, self.realm)
        self._stopped = False
        self.faults = Faults()
        self.throttle = Throttle(enabled=throttle)
        self.host = host
        self.port = port
        self.calls = 0  # API requests answered (not counting /_sandbox control calls)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The value for ``QuickBooks.api_url_v3``."""
        return f"{self.base}/v3"

    def start(self) -> SandboxServer:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        try:
            self._httpd = _QuietServer((self.host, self.port), handler)
        except OSError:
            self.stop()  # the port is taken: give the directory back before the caller retries
            raise
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        import os

        (self.data_dir / RUNNING_FILE).write_text(
            jsonx.dumps({"url": self.url, "realm": self.realm, "pid": os.getpid()}), encoding="utf-8")
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="qbo-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until interrupted (starting first if need be); the command line's loop."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, close the file and give up the data directory (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
            with contextlib.suppress(OSError):
                (self.data_dir / RUNNING_FILE).unlink()
        self.store.close()
        self._release()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, raw: bytes) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON body). Raises _Drop to close without answer."""
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["_sandbox"] or parts[:2] == ["v3", "_sandbox"]:
            return self._control(method, parts[-1] if parts else "", raw)
        self.calls += 1
        auth = headers.get("Authorization") or ""
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise unauthorized()
        if len(parts) < 4 or parts[0] != "v3" or parts[1] != "company":
            raise QboFault(404, "Resource not found", f"No QBO resource at {path}", status=404, type_="SERVICE")
        if parts[2] != self.realm:
            raise QboFault(3100, "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                           f"The sandbox serves company {self.realm}, not {parts[2]}", status=403,
                           type_="AUTHORIZATION")
        batch = parts[3].lower() == "batch"
        if not self.throttle.admit(batch):
            return 429, _throttled()
        injected = self.faults.take(method, path, ("429", "500", "delay"))
        if injected is not None:
            if injected.kind == "429":
                return 429, _throttled()
            if injected.kind == "500":
                raise system_failure()
            time.sleep(injected.seconds)
        request_id = query.get("requestid")
        if method == "POST" and request_id:
            with self.company.lock:
                seen = self.company.requests.get(request_id)
                if seen is not None:
                    return seen[0], jsonx.loads(seen[1])
                status, body = self._route(method, parts[3:], query, raw)
                if status == 200:  # QBO replays what it did; a refusal may be retried
                    self.company.requests[request_id] = (status, jsonx.dumps(body))
                    self.store.put_request(self.realm, request_id, status, jsonx.dumps(body))
                    self.store.commit()
        else:
            status, body = self._route(method, parts[3:], query, raw)
        writes = parts[3].lower() not in ("query", "reports")
        if method == "POST" and writes and self.faults.take(method, path, ("drop_after_commit",)) is not None:
            raise _Drop()
        return status, body

    def _control(self, method: str, what: str, raw: bytes) -> tuple[int, Any]:
        if what == "health":
            return 200, {"ok": True, "realm": self.realm, "url": self.url, "faults": self.faults.pending(),
                         "throttle": {"enabled": self.throttle.enabled, "per_second": self.throttle.per_second,
                                      "batch_per_minute": self.throttle.batch_per_minute},
                         "note": "local QuickBooks Online stand-in, not Intuit's service"}
        body = jsonx.loads(raw or b"{}") if method == "POST" else {}
        if what == "faults":
            if method == "DELETE" or body.get("clear"):
                self.faults.clear()
            elif method == "POST":
                try:
                    self.faults.add(kind=str(body.get("kind")), count=int(body.get("count", 1)),
                                    seconds=float(body.get("seconds", 0)),
                                    methods=tuple(body.get("methods", ("GET", "POST"))),
                                    path_contains=str(body.get("path_contains", "")))
                except ValueError as exc:
                    return 400, {"error": str(exc)}
            return 200, {"faults": self.faults.pending()}
        if what == "throttle" and method == "POST":
            if "enabled" in body:
                self.throttle.enabled = bool(body["enabled"])
            if "per_second" in body:
                self.throttle.per_second = int(body["per_second"])
            if "batch_per_minute" in body:
                self.throttle.batch_per_minute = int(body["batch_per_minute"])
            self.throttle.reset()
            return 200, {"enabled": self.throttle.enabled}
        return 404, {"error": f"unknown sandbox control {what!r}"}

    def _route(self, method: str, parts: list[str], query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        company = self.company
        head = parts[0].lower()
        if head == "query":
            text = raw.decode("utf-8") if method == "POST" else query.get("query", "")
            return 200, company.query(text)
        if head == "batch":
            return 200, self._batch(_json(raw))
        if head == "reports":
            from qbo_sandbox import reports

            if len(parts) < 2:
                raise QboFault(404, "Resource not found", "a report name is required", status=404)
            return 200, reports.report(company, parts[1], query)
        if head == "companyinfo":
            return 200, company.read("CompanyInfo", parts[1] if len(parts) > 1 else "1") \
                if method == "GET" else company.update("CompanyInfo", _json(raw))
        if head == "preferences":
            return 200, company.read("Preferences", "1") if method == "GET" else company.update(
                "Preferences", _json(raw))
        if method == "GET":
            if len(parts) < 2:
                raise QboFault(405, "Unsupported Operation", "GET needs an entity id", status=400)
            return 200, company.read(head, parts[1])
        body = _json(raw)
        operation = query.get("operation", "")
        if operation == "delete":
            return 200, company.delete(head, body)
        if operation == "void" or query.get("include") == "void":
            return 200, company.void(head, body)
        if body.get("Id") not in (None, "", 0, "0"):
            return 200, company.update(head, body)
        return 200, company.create(head, body)

    def _batch(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise QboFault(2020, "Required param missing, need to supply the required value for the API",
                           "Required parameter BatchItemRequest is missing in the request")
        if len(items) > MAX_BATCH:
            raise QboFault(1003, "Batch Request exceeds the maximum number of items",
                           f"Batch Request exceeds the maximum number of items: {len(items)} > {MAX_BATCH}")
        answers = []
        with self.company.deferred():
            answers = self._batch_items(items)
        return {"BatchItemResponse": answers, "time": now_text()}

    def _batch_items(self, items: list[Any]) -> list[dict[str, Any]]:
        answers = []
        for entry in items:
            bid = entry.get("bId")
            out: dict[str, Any] = {"bId": bid}
            try:
                answers.append({**out, **self._batch_item(entry)})
            except QboFault as fault:
                answers.append({**out, "Fault": fault.body()})
        return answers

    def _batch_item(self, entry: dict[str, Any]) -> dict[str, Any]:
        company = self.company
        if "Query" in entry:
            return {"QueryResponse": company.query(str(entry["Query"]))["QueryResponse"]}
        operation = str(entry.get("operation", "create")).lower()
        names = [k for k in entry if k not in ("bId", "operation", "optionsData")]
        if len(names) != 1:
            raise QboFault(2020, "Required param missing, need to supply the required value for the API",
                           "Each batch item needs exactly one entity")
        type_ = names[0]
        payload = entry[type_]
        if operation == "create":
            answer = company.create(type_, payload)
        elif operation == "update":
            answer = company.update(type_, payload)
        elif operation == "delete":
            answer = company.delete(type_, payload)
        else:
            raise QboFault(2020, "Unsupported Operation", f"Batch operation {operation!r} is not supported")
        answer.pop("time", None)
        return answer


def _json(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        body = jsonx.loads(raw)
    except ValueError as exc:
        raise QboFault(2010, "Request has invalid or unsupported property",
                       f"Could not parse the request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise QboFault(2010, "Request has invalid or unsupported property", "The request body must be an object")
    return body


def _throttled() -> dict[str, Any]:
    # QBO answers throttling in its lower-case spelling
    return {"fault": {"error": [{"message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                                 "detail": "The request limit was reached.", "code": "3001"}],
                      "type": "SERVICE"}, "time": now_text()}


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a killed posting run, a timeout) is ordinary here."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, ConnectionReset
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    sandbox: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "QBO-Sandbox/1.0"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes: without this, Nagle's algorithm meets the
        # client's delayed ACK and every answer waits ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the app log enough
        pass

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            status, body = self.sandbox.handle(method, split.path, query, self.headers, raw)
        except _Drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except QboFault as fault:
            if fault.status == 401:  # QBO answers authentication failures in its lower-case spelling
                body = {"fault": {"error": [{"message": fault.message, "detail": fault.detail, "code": fault.code}],
                                  "type": fault.type}, "time": now_text()}
                status = 401
            else:
                status, body = fault.status, {"Fault": fault.body(), "time": now_text()}
        except Exception as exc:  # a sandbox defect: answer like QBO's system fault, keep serving
            status, body = 500, {"Fault": {"Error": [{
                "Message": "An application error has occurred while processing your request",
                "Detail": f"System Failure Error: {type(exc).__name__}: {exc}", "code": "10000"}],
                "type": "SystemFault"}, "time": now_text()}
        data = jsonx.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("intuit_tid", f"sandbox-{time.monotonic_ns()}")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")
