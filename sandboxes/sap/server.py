"""A local SAP Gateway serving ``API_SALES_ORDER_SRV/A_SalesOrder`` (OData V2, JSON) from channel orders.

What it checks, as the Gateway does (shared/channels/sap_s4hana.md): HTTP Basic credentials of the
communication user, or a Bearer token from the OAuth client-credentials endpoint (tokens expire; an expired one
answers 401 ``invalid_token``); the ``$filter`` on ``LastChangeDateTime`` must use ``datetimeoffset'…'``
literals (a ``datetime'…'`` literal answers 400 "Invalid token", KBA 2310920); ``$inlinecount=allpages`` answers
HTTP 500 (KBA 3616518); ``$top`` above ``max_top`` is refused. It serves ``$orderby=LastChangeDateTime,SalesOrder``,
``$top``/``$skip``, ``$expand=to_Item`` and, when ``server_page_size`` is set, server-driven paging with
``d.__next`` / ``$skiptoken``.

Faults (``sandbox.faults`` / ``POST /_sandbox/faults``): ``rate_limit_next`` (429 + Retry-After),
``busy_next`` (503 with a Gateway error body), ``http_503_next`` (HTML 503), ``stall_next``,
``truncate_next`` (a body cut mid-JSON), ``expire_token`` (Bearer tokens in use are rejected until a new one is
fetched), ``forbid_next`` (403: the user lacks the authorisation), ``update_during_paging`` (the next N
continuation requests first move an already-served order to the sandbox clock, as a clerk's change would).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import typing as t
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

from orderlayer.sandboxes.kit.erp_derive import ErpOrder
from orderlayer.sandboxes.kit.erp import ErpSandbox
from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.sap import protocol as p
from orderlayer.sandboxes.sap.generator import SAP_FORMATS, last_change_ms, render_sales_order

_SAFE = "$,'():"  # system options and literals unescaped, as the Gateway writes its links
_JSON = {"Content-Type": "application/json;charset=utf-8", "DataServiceVersion": "2.0"}


@dataclass
class SapFaults(Faults):
    #: The next N calls answer 403 (the communication user lacks the service authorisation).
    forbid_next: int = 0
    #: The next N continuation requests first move an already-served order to the sandbox clock.
    update_during_paging: int = 0


class SapSandbox(ErpSandbox):
    """One S/4HANA system (one sales organisation) holding the sales orders of a company's channel shops."""

    formats = SAP_FORMATS
    server_name = "sap-sandbox"
    faults_class = SapFaults
    faults: SapFaults
    #: Tap config keys that are secrets.
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("password", "client_secret", "pii_salt")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        channel_orders: Iterable[OrderFact],
        *,
        customer_codes: Mapping[tuple[str, str], str] | None = None,
        username: str = "SALES_ORDER_COMM_USER",
        password: str = "sandbox-Passw0rd!",  # noqa: S107 - a sandbox credential
        client_id: str = "SALES_ORDER_OAUTH_CLIENT",
        client_secret: str = "sandbox-oauth-secret",  # noqa: S107 - a sandbox credential
        system_zone: str = "Asia/Shanghai",
        qps: float | None = None,
        retry_after_seconds: float = 1.0,
        token_ttl_seconds: int = 3_600,
        server_page_size: int | None = None,
        max_top: int = p.MAX_TOP,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: t.Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            seed, as_of, channel_orders, customer_codes=customer_codes, zone=system_zone, host=host, port=port, wall_clock=wall_clock
        )
        self.username = username
        self.password = password
        self.client_id = client_id
        self.client_secret = client_secret
        self.retry_after_seconds = retry_after_seconds
        self.token_ttl_seconds = token_ttl_seconds
        self.server_page_size = server_page_size
        self.max_top = max_top
        self._budget = RequestBudget(qps)
        self._tokens: dict[str, float] = {}  # bearer token -> wall-clock expiry
        self._issued = 0
        self._bumps: dict[str, int] = {}  # order key -> LastChangeDateTime ms forced by a fault
        self._cache_lock = threading.Lock()
        self._cache: tuple[tuple, list[tuple[int, ErpOrder]]] | None = None

    # ------------------------------------------------------------------ public interface
    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def tap_config(self, *, pii_salt: str = "sandbox-pii-salt", auth_method: str = p.AUTH_BASIC, **overrides: t.Any) -> dict:  # noqa: ANN401
        """A complete tap-sap config for this system (the sandbox must be started)."""
        start = dt.datetime.fromtimestamp(self.start_ts, dt.timezone.utc)
        end = dt.datetime.fromtimestamp(self._now + 1, dt.timezone.utc)
        config: dict[str, t.Any] = {
            "base_url": self.base_url,
            "auth_method": auth_method,
            "username": self.username,
            "password": self.password,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "pii_salt": pii_salt,
        }
        if auth_method == p.AUTH_OAUTH2:
            config.update(client_id=self.client_id, client_secret=self.client_secret)
            del config["username"], config["password"]
        config.update(overrides)
        return config

    def visible(self, now: int | None = None) -> list[tuple[int, ErpOrder]]:
        """``(LastChangeDateTime ms, order)`` of every order existing at ``now``, in the service's sort order."""
        now = self._now if now is None else now
        key = (now, tuple(sorted(self._bumps.items())))
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1]
            rows = [(max(last_change_ms(o, now), self._bumps.get(o.key, 0)), o) for o in self.erp.visible_orders(now)]
            rows.sort(key=lambda row: (row[0], row[1].erp_order_id))
            self._cache = (key, rows)
            return rows

    def entity(self, order: ErpOrder, changed_ms: int, now: int | None = None) -> dict:
        now = self._now if now is None else now
        root = self.base_url + p.SERVICE_PATH
        entity = render_sales_order(order, now, service_root=root, zone=self.zone)
        if changed_ms != last_change_ms(order, now):  # moved by update_during_paging
            entity["LastChangeDateTime"] = p.format_odata_date(changed_ms, offset=True)
            entity["LastChangeDate"] = p.format_odata_date(p.date_only_ms(changed_ms // 1000, self.zone))
            entity["SDDocumentReason"] = "Z01"
        return entity

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.method == "POST" and request.path == p.OAUTH_TOKEN_PATH:
            return self._token(request)
        if request.path.rstrip("/") == p.SALES_ORDER_PATH and request.method == "GET":
            return self._sales_orders(request)
        self.record({"path": request.path, "outcome": "not_found", "http_status": 404})
        return self._error(404, "/IWFND/MED/170", f"No service found for namespace '', name '{request.path}', version '0001'")

    def _error(self, status: int, code: str, message: str, headers: dict | None = None) -> SandboxResponse:
        body = p.odata_error(code, message, transaction_id=hashlib.md5(message.encode()).hexdigest().upper())  # noqa: S324
        return SandboxResponse(status, body, {**_JSON, **(headers or {})})

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        if request.headers.get("authorization") != p.basic_authorization(self.client_id, self.client_secret):
            self.record({"path": request.path, "outcome": "invalid_client", "http_status": 401})
            return SandboxResponse(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        if form.get("grant_type") != "client_credentials":
            self.record({"path": request.path, "outcome": "unsupported_grant_type", "http_status": 400})
            return SandboxResponse(400, {"error": "unsupported_grant_type"})
        with self._lock:
            self._issued += 1
            token = hashlib.sha256(f"{self.seed}:{self.client_id}:{self._issued}".encode()).hexdigest()
            self._tokens[token] = self.wall_time() + self.token_ttl_seconds
        self.record({"path": request.path, "outcome": "token_issued", "http_status": 200})
        return SandboxResponse(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_seconds, "scope": "API_SALES_ORDER_SRV_0001"})

    def _authenticate(self, request: SandboxRequest) -> SandboxResponse | None:
        header = request.headers.get("authorization", "")
        with self._lock:
            if self.faults.expire_token:  # one shot: every token issued so far expires now
                self._tokens.clear()
                self.faults.expire_token = False
        if header.startswith("Bearer "):
            token = header[len("Bearer ") :]
            with self._lock:
                expiry = self._tokens.get(token)
            if expiry is None or expiry < self.wall_time():
                return SandboxResponse(
                    401,
                    b"<html><body>Token expired or invalid</body></html>",
                    {"Content-Type": "text/html", "WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            return None
        if header != p.basic_authorization(self.username, self.password):
            return SandboxResponse(
                401,
                b"<html><head><title>Logon Error Message</title></head><body>Logon failed</body></html>",
                {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="SAP NetWeaver Application Server [S4H/100]"'},
            )
        return None

    def _sales_orders(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        entry: dict[str, t.Any] = {"path": request.path, "filter": q.get("$filter"), "top": q.get("$top"), "skip": q.get("$skip"), "skiptoken": q.get("$skiptoken")}
        denied = self._authenticate(request)
        if denied is not None:
            self.record({**entry, "outcome": "unauthorized", "http_status": 401})
            return denied
        if self.take_fault("forbid_next"):
            self.record({**entry, "outcome": "forbidden", "http_status": 403})
            return self._error(403, "/IWFND/CM_CONSUMER/101", f"No authorization to access Service 'API_SALES_ORDER_SRV_0001' (user {self.username})")
        if self.take_fault("rate_limit_next") or (not self._budget.allows()):
            self.record({**entry, "outcome": "rate_limited", "http_status": 429})
            return SandboxResponse(429, {"error": {"code": "429", "message": {"lang": "en", "value": "Too Many Requests"}}}, {**_JSON, "Retry-After": f"{self.retry_after_seconds:g}"})
        if self.take_fault("busy_next"):
            self.record({**entry, "outcome": "busy", "http_status": 503})
            return self._error(503, "/IWFND/CM_BEC/026", "SAP Gateway: the backend system is currently busy; try again later")
        if q.get("$inlinecount") == "allpages":
            self.record({**entry, "outcome": "inlinecount_500", "http_status": 500})
            return self._error(500, "/IWBEP/CX_MGW_TECH_EXCEPTION", "In the context of Data Services an unknown internal server error occurred")
        try:
            start_ms, end_ms = p.parse_window_filter(q.get("$filter", ""))
        except ValueError:
            self.record({**entry, "outcome": "bad_filter", "http_status": 400})
            text = q.get("$filter", "")
            position = text.find("datetime'")
            return self._error(400, "/IWBEP/CM_MGW_RT/022", f"Invalid token detected at position {max(position, 0) + 1}")
        if q.get("$orderby", "").replace(" ", "") != p.ORDER_BY:
            self.record({**entry, "outcome": "bad_orderby", "http_status": 400})
            return self._error(400, "/IWBEP/CM_MGW_RT/004", f"Property path in $orderby not supported here: {q.get('$orderby')}")
        try:
            top = int(q.get("$top", self.max_top))
            skip = int(q.get("$skip", "0"))
            skiptoken = int(q.get("$skiptoken", "0"))
        except ValueError:
            self.record({**entry, "outcome": "bad_paging", "http_status": 400})
            return self._error(400, "/IWBEP/CM_MGW_RT/003", "$top, $skip and $skiptoken must be integers")
        if top < 0 or skip < 0 or top > self.max_top:
            self.record({**entry, "outcome": "top_too_large", "http_status": 400})
            return self._error(400, "/IWBEP/CM_MGW_RT/003", f"$top must be between 0 and {self.max_top}")
        if skip > 0 and self.take_fault("update_during_paging"):
            self._bump_one(start_ms)

        now = self._now
        rows = [row for row in self.visible(now) if start_ms <= row[0] < end_ms]
        first = skip + skiptoken
        stop = min(skip + top, len(rows))
        if self.server_page_size:
            stop = min(stop, first + self.server_page_size)
        served = rows[first:stop]
        expand = "to_Item" in (q.get("$expand") or "")
        results = []
        for changed_ms, order in served:
            entity = self.entity(order, changed_ms, now)
            if not expand:
                entity["to_Item"] = {"__deferred": {"uri": entity["__metadata"]["uri"] + "/to_Item"}}
            results.append(entity)
        data: dict[str, t.Any] = {"results": results}
        if stop < min(skip + top, len(rows)):
            next_query = {k: v for k, v in q.items() if k != "$skiptoken"}
            next_query["$skiptoken"] = str(stop - skip)
            query = "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}" for k, v in next_query.items())
            data["__next"] = f"{self.base_url}{p.SALES_ORDER_PATH}?{query}"
        self.record({**entry, "outcome": "ok", "http_status": 200, "returned": len(results), "next": "__next" in data})
        body = encode_json({"d": data})
        if self.take_fault("truncate_next"):
            body = body[: max(1, len(body) // 2)]
        return SandboxResponse(200, body, dict(_JSON))

    def _bump_one(self, seek_ms: int) -> None:
        """Move the earliest already-served order (before the continuation point) to the sandbox clock."""
        candidates = [(ms, o) for ms, o in self.visible() if ms < seek_ms and o.key not in self._bumps]
        if candidates:
            _, order = candidates[-1]
            with self._lock:
                self._bumps[order.key] = self._now * 1000 + 999
