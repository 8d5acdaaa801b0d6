"""`SandboxServer`: the plumbing every platform sandbox shares — a threaded local HTTP server, a request log,
switchable faults and the ``/_sandbox/*`` control endpoints.

A channel's sandbox subclasses it and implements :meth:`SandboxServer.handle`, speaking the platform's
protocol (signature, timestamps, tokens, envelopes, error codes) exactly as the tap will meet it in production.
The log never holds secrets: subclasses record the method, business parameters and outcome only.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import sys
import threading
import time
import typing as t
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["Faults", "SandboxRequest", "SandboxResponse", "SandboxServer", "encode_json", "forward_to"]


@dataclass
class Faults:
    """Switchable failure modes; counters are consumed one call at a time (:meth:`SandboxServer.take_fault`)."""

    #: The next N calls answer the platform's rate-limit error.
    rate_limit_next: int = 0
    #: The next N calls answer the platform's "system busy" error.
    busy_next: int = 0
    #: Tokens (or sessions) in use are expired until the client renews them.
    expire_token: bool = False
    #: The next N list pages are cut short (fewer rows than the page claims, or a broken body).
    truncate_next: int = 0
    #: The next N calls answer HTTP 503 with an HTML body (a gateway outage).
    http_503_next: int = 0
    #: The next N calls stall ``stall_seconds`` before answering (client read timeouts).
    stall_next: int = 0
    stall_seconds: float = 1.0


@dataclass(frozen=True)
class SandboxRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> t.Any:  # noqa: ANN401
        return json.loads(self.body or b"{}")


@dataclass
class SandboxResponse:
    status: int
    body: bytes | dict | list
    headers: dict[str, str] = field(default_factory=dict)


def encode_json(payload: t.Any) -> bytes:  # noqa: ANN401
    """Compact UTF-8 JSON. Python ints stay exact (a 19-digit id is written digit for digit)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def forward_to(now: int, as_of: dt.datetime | int) -> int:
    """The new sandbox clock for :meth:`SandboxServer.advance`: ``as_of`` in epoch seconds, never before ``now``.

    Served data is a function of the clock, so moving it back would un-happen orders a tap has already read.
    """
    ts = int(as_of.timestamp()) if isinstance(as_of, dt.datetime) else int(as_of)
    if ts < now:
        msg = "the sandbox clock only moves forward"
        raise ValueError(msg)
    return ts


class InFlight:
    """Counts the requests a sandbox is answering, so a test can wait for a stalled answer (one the client
    already gave up on) to finish and reach the request log, instead of sleeping a guessed time."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def track(self) -> t.Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def settle(self, timeout: float = 30.0) -> None:
        """Return once no request is being answered; TimeoutError after ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._count == 0, timeout):
                msg = f"the sandbox was still answering {self._count} request(s) after {timeout} s"
                raise TimeoutError(msg)


class SandboxServer(abc.ABC):
    """A local fake of one platform gateway (see module docstring)."""

    #: Shown in the ``Server`` header and the thread name.
    server_name = "sandbox"
    faults_class: type[Faults] = Faults

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, wall_clock: t.Callable[[], float] = time.time) -> None:
        self.faults = self.faults_class()
        self._host = host
        self._port = port
        self._wall = wall_clock
        self._lock = threading.RLock()
        self._log: list[dict] = []
        self._log_seq = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = InFlight()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every request has been answered and logged (see :class:`InFlight`)."""
        self.in_flight.settle(timeout)

    # ------------------------------------------------------------------ protocol (subclasses)
    @abc.abstractmethod
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one platform call."""

    def advance(self, as_of: dt.datetime) -> None:  # noqa: ARG002
        """Move the sandbox clock forward (later lifecycle events become visible)."""
        msg = f"{type(self).__name__} has no clock to advance"
        raise ValueError(msg)

    def expire_tokens(self) -> None:
        """Every token or session issued so far is expired (the client must renew)."""
        self.set_faults(expire_token=True)

    def state(self) -> dict:
        """What ``GET /_sandbox/state`` reports (never secrets)."""
        return {"faults": asdict(self.faults)}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        """Bind (port 0 = ephemeral), serve in a background thread, return the base URL."""
        if self._server is not None:
            return self.base_url
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"sandbox": self})
        self._server = _QuietServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns quickly
            name=self.server_name,
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> t.Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            msg = "sandbox is not started"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ faults and log
    def set_faults(self, **changes: t.Any) -> Faults:  # noqa: ANN401
        known = {f.name for f in fields(self.faults)}
        with self._lock:
            for key, value in changes.items():
                if key not in known:
                    msg = f"unknown fault {key!r}; known: {sorted(known)}"
                    raise ValueError(msg)
                setattr(self.faults, key, value)
            return type(self.faults)(**asdict(self.faults))

    def take_fault(self, name: str) -> bool:
        """Consume one of the ``name`` counter's pending faults; True if one was pending."""
        with self._lock:
            pending = getattr(self.faults, name)
            if isinstance(pending, bool):
                return pending
            if pending and pending > 0:
                setattr(self.faults, name, pending - 1)
                return True
            return False

    @property
    def requests(self) -> list[dict]:
        """Copy of the request log (oldest first)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def record(self, entry: dict) -> dict:
        with self._lock:
            self._log_seq += 1
            entry.setdefault("at", self._wall())
            entry["seq"] = self._log_seq
            self._log.append(entry)
            return entry

    def wall_time(self) -> float:
        return self._wall()

    # ------------------------------------------------------------------ transport faults
    def transport_fault(self, request: SandboxRequest) -> SandboxResponse | None:
        """Gateway-level faults common to every platform: a stall, then maybe a 503 page."""
        if self.take_fault("stall_next"):
            time.sleep(self.faults.stall_seconds)
        if self.take_fault("http_503_next"):
            self.record({"path": request.path, "fault": "http_503", "http_status": 503})
            return SandboxResponse(
                503, b"<html><body>503 Service Temporarily Unavailable</body></html>", {"Content-Type": "text/html"}
            )
        return None

    # ------------------------------------------------------------------ control endpoints
    def control(self, path: str, payload: dict) -> dict:
        if path == "/_sandbox/faults":
            return asdict(self.set_faults(**payload))
        if path == "/_sandbox/advance":
            value = payload.get("as_of")
            if not isinstance(value, str):
                msg = 'advance needs {"as_of": "<ISO-8601 with offset>"}'
                raise ValueError(msg)
            self.advance(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
            return {"advanced_to": value}
        if path == "/_sandbox/expire_tokens":
            self.expire_tokens()
            return {"expired": True}
        msg = f"unknown sandbox control path {path}"
        raise KeyError(msg)

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        return self.transport_fault(request) or self.handle(request)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: t.Any, client_address: t.Any) -> None:  # noqa: ANN401
        # A client that timed out and hung up is expected in fault tests; stay quiet.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    sandbox: SandboxServer
    protocol_version = "HTTP/1.1"  # keep-alive: the tap reuses one connection
    # Headers and body in one segment, no Nagle: otherwise every response waits ~40 ms for a delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True

    def _request(self) -> SandboxRequest:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        return SandboxRequest(self.command, parts.path, query, headers, body)

    def _serve(self) -> None:
        with self.sandbox.in_flight.track():
            self._answer()

    def _answer(self) -> None:
        request = self._request()
        if request.path.startswith("/_sandbox/"):
            try:
                if request.method == "GET" and request.path == "/_sandbox/state":
                    self._send(SandboxResponse(200, self.sandbox.state()))
                else:
                    self._send(SandboxResponse(200, self.sandbox.control(request.path, request.json())))
            except KeyError as exc:
                self._send(SandboxResponse(404, {"error": str(exc)}))
            except (ValueError, TypeError) as exc:
                self._send(SandboxResponse(400, {"error": str(exc)}))
            return
        self._send(self.sandbox.dispatch(request))

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

    def version_string(self) -> str:
        return f"{self.sandbox.server_name}/1"

    def _send(self, response: SandboxResponse) -> None:
        data = response.body if isinstance(response.body, bytes) else encode_json(response.body)
        headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
        self.send_response(response.status)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002, ANN401
        # The request line may carry tokens and signatures: never print it.
        return
