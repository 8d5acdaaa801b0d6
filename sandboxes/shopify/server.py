"""A local Shopify Admin REST sandbox serving several shops, one path prefix per shop.

``https://{shop}.myshopify.com/admin/api/{version}/orders.json`` becomes
``{base_url}/shops/{shop}/admin/api/{version}/orders.json``. It behaves as the platform does in
shared/channels/shopify.md: ``X-Shopify-Access-Token`` per shop (401 for a missing, unknown, expired or
other shop's token; 403 without the ``read_orders`` scope), the client credentials grant at
``/admin/oauth/access_token`` (24-hour tokens), ``status`` defaulting to ``open``, inclusive
``updated_at_min``/``updated_at_max``, orders newest id first, cursor paging through ``Link`` with an opaque
``page_info`` that may be accompanied only by ``limit``/``fields``, ``limit`` <= 250, a per-shop leaky bucket
(429 + ``Retry-After`` when full, ``X-Shopify-Shop-Api-Call-Limit`` on every answer), the 60-day history
limit without ``read_all_orders``, and an unsupported API version answered by the oldest supported one.
Faults: rate limit, busy (HTTP 500), expired tokens, truncated pages, 503 pages, stalls, and an order
updated while a window is being paged.

Returns (the generator's ``Return`` objects) are Admin GraphQL only: ``POST /admin/api/{version}/graphql.json``
with ``{query, variables}`` answers an ``orders(first:, after:, query:, sortKey: UPDATED_AT)`` connection whose
nodes carry ``returns``. The sandbox does not execute GraphQL: it checks the query asks for the order
connection and its returns, reads the ``updated_at`` bounds of the search string and the cursor from the
variables, and answers the full node shape (``docs/channels/shopify.md`` "After-sales"). A full bucket (or the
``rate_limit_next`` fault) answers HTTP 200 with a ``THROTTLED`` error, as GraphQL does; ``read_returns``
missing answers ``ACCESS_DENIED``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
import re
import secrets
import typing as t
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.push import Delivery
from orderlayer.sandboxes.kit.tokens import TokenIssuer
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.shopify import protocol as p
from orderlayer.sandboxes.shopify.generator import ShopifyOrderGenerator

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from orderlayer.sandboxes.kit.synth import OrderFact

_SHOP_ROUTE = re.compile(r"^/shops/(?P<shop>[^/]+)(?P<rest>/.*)$")
_ORDERS_ROUTE = re.compile(r"^/admin/api/(?P<version>[^/]+)/orders\.json$")
_GRAPHQL_ROUTE = re.compile(r"^/admin/api/(?P<version>[^/]+)/graphql\.json$")
_SEARCH_BOUND = re.compile(r"updated_at:(?P<op>>=|<=)'(?P<time>[^']+)'")
_SEARCH_ID = re.compile(r"(?<![\w.])id:(?P<id>\d+)")

UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
FORBIDDEN = "[API] This action requires merchant approval for read_orders scope."
#: The webhook topic of each order event (those not named: ``orders/updated``); fulfilments are ``orders/fulfilled``
#: once nothing is left to ship, else ``orders/partially_fulfilled``; a refund is ``refunds/create`` (and
#: ``returns/close`` when it settles a return).
ORDER_EVENT_TOPICS = {"created": "orders/create", "paid": "orders/paid", "cancelled": "orders/cancelled"}
RETURN_EVENT_TOPICS = {
    "return_requested": "returns/request", "return_declined": "returns/decline", "return_shipped": "returns/approve",
    "return_received": "returns/update",
}
REFUND_EVENTS = ("refund", "late_refund")
#: Names the sandbox's webhook event ids (stable: a redelivery repeats its event id).
_EVENT_NAMESPACE = uuid.UUID("6f1d3c2e-5b0a-4e57-9a51-0c7f3b2d8e11")
THROTTLED = "Exceeded {qps:g} calls per second for api client. Reduce request rates to resume uninterrupted service."


@dataclass
class ShopifyFaults(Faults):
    #: The next N pages after the first of a window move one not yet returned order of that window past
    #: its end (an update during paging; cursor paging must neither skip nor repeat the others).
    update_during_paging: int = 0
    #: The next N GraphQL calls answer THROTTLED (HTTP 200 with an error, as GraphQL's cost limit does).
    graphql_throttled_next: int = 0


def _mint(shop: str, serial: int) -> tuple[str, str]:  # noqa: ARG001 - Shopify tokens are random
    return "shpat_" + secrets.token_hex(16), ""


class _LeakyBucket:
    """Shopify's per app-and-store bucket: ``size`` calls, leaking ``rate`` per second."""

    def __init__(self, size: int, rate: float | None, clock: Callable[[], float]) -> None:
        self.size = size
        self.rate = rate
        self._clock = clock
        self._level = 0.0
        self._stamp = clock()

    def take(self) -> bool:
        now = self._clock()
        if self.rate is not None:
            self._level = max(0.0, self._level - (now - self._stamp) * self.rate)
        self._stamp = now
        if self.rate is not None and self._level + 1 > self.size:
            return False
        self._level = self._level + 1 if self.rate is not None else 1.0
        return True

    def header(self) -> str:
        return f"{min(self.size, math.ceil(self._level))}/{self.size}"

    def free(self) -> float:
        """Calls the bucket still holds (the whole size when there is no limit)."""
        return float(self.size) if self.rate is None else max(0.0, self.size - self._level)


class _Answer(Exception):  # noqa: N818 - control flow: a finished error response
    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None, fault: str | None = None) -> None:
        super().__init__(status)
        self.response = SandboxResponse(status, body, headers or {})
        self.fault = fault


class ShopifySandbox(ChannelSandbox[ShopifyOrderGenerator]):
    """Deterministic Shopify shops behind the real REST protocol (see module docstring)."""

    server_name = "ShopifySandbox"
    faults_class = ShopifyFaults
    faults: ShopifyFaults
    #: Tap config keys that hold secrets (the demo puts them in environment variables, not files).
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("access_token", "client_secret", "pii_salt")
    SUPPORTED_VERSIONS: t.ClassVar[tuple[str, ...]] = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
    generator_class = ShopifyOrderGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = p.STANDARD_LEAK_PER_SECOND,
        bucket_size: int = p.STANDARD_BUCKET_SIZE,
        retry_after_seconds: float = 2.0,
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        token_ttl_seconds: int = 86_400,
        read_all_orders: bool = True,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, **common)
        self.qps = qps
        self.bucket_size = bucket_size
        self.retry_after_seconds = retry_after_seconds
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_seconds = token_ttl_seconds
        self._touched: dict[int, int] = {}  # order index -> extra update time (update during paging)
        # A custom app's static token per shop (it never expires), and client-credentials grants that do.
        self.tokens = TokenIssuer(_mint, clock=self.wall_time, ttl_seconds=None)
        self._buckets = {shop: _LeakyBucket(bucket_size, qps, self.wall_time) for shop in self.shop_ids}
        # GraphQL has its own cost bucket per app and shop (the sandbox charges every query the same cost)
        graphql_calls = int(p.GRAPHQL_BUCKET // p.GRAPHQL_QUERY_COST)
        graphql_rate = None if qps is None else qps * p.GRAPHQL_RESTORE_PER_SECOND / p.GRAPHQL_QUERY_COST / p.STANDARD_LEAK_PER_SECOND
        self._graphql_buckets = {shop: _LeakyBucket(graphql_calls, graphql_rate, self.wall_time) for shop in self.shop_ids}
        scopes = {"read_orders", "read_all_orders", "read_returns"} if read_all_orders else {"read_orders", "read_returns"}
        self._scopes = {shop: set(scopes) for shop in self.shop_ids}
        self._by_shop = {shop: sorted(self.generator.indexes_for_shop(shop), key=lambda i: -self.generator.plans[i].order_id)
                         for shop in self.shop_ids}
        self._request_seq = 0
        for shop in self.shop_ids:
            self.tokens.issue(shop)

    # ------------------------------------------------------------------ public interface
    def shop_base_url(self, shop: str) -> str:
        return f"{self.base_url}/shops/{shop}"

    def connection(self, shop_id: str) -> dict:
        """tap-shopify's shop URL, static token, client credentials, API version and a client budget."""
        if shop_id not in self.shop_ids:
            msg = f"unknown shop {shop_id!r}; this sandbox serves {self.shop_ids}"
            raise KeyError(msg)
        config: dict[str, t.Any] = {
            "shop_id": shop_id,
            "base_url": self.shop_base_url(shop_id),
            "access_token": self.access_token(shop_id),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "api_version": p.DEFAULT_API_VERSION,
        }
        if self.qps is not None:
            config["max_requests_per_second"] = self.qps
        return config

    def order(self, i: int) -> dict:
        """Order ``i`` exactly as the sandbox serves it now (personal data in plain text)."""
        return self._render(i, self._now)

    def update_time_of(self, i: int) -> int:
        return max(self.generator.updated_at(i, self._now), self._touched.get(i, 0))

    def order_facts(self) -> Iterator[OrderFact]:
        """Every order's neutral facts at the sandbox clock (what ERP sandboxes derive their orders from)."""
        return self.generator.facts(self._now)

    def revoke_scope(self, shop: str, scope: str = "read_orders") -> None:
        with self._lock:
            self._scopes[shop].discard(scope)

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        match = _SHOP_ROUTE.match(request.path)
        entry: dict[str, t.Any] = {"method": request.method, "path": request.path}
        try:
            if match is None or match.group("shop") not in self.shop_ids:
                raise _Answer(404, {"errors": "Not Found"})
            shop, rest = match.group("shop"), match.group("rest")
            entry.update(shop=shop, path=rest)
            if rest == p.TOKEN_PATH and request.method == "POST":
                response = self._token_grant(shop, request)
            elif (graphql := _GRAPHQL_ROUTE.match(rest)) is not None and request.method == "POST":
                response = self._graphql(shop, graphql.group("version"), request, entry)
            else:
                orders = _ORDERS_ROUTE.match(rest)
                if orders is None or request.method != "GET":
                    raise _Answer(404, {"errors": "Not Found"})
                response = self._orders(shop, orders.group("version"), request, entry)
        except _Answer as answer:
            response = answer.response
            if answer.fault:
                entry["fault"] = answer.fault
        entry["http_status"] = response.status
        if "error" not in entry and response.status >= 400 and isinstance(response.body, dict):
            entry["error"] = p.error_text(json.dumps(response.body))
        self.record(entry)
        return response

    def _token_grant(self, shop: str, request: SandboxRequest) -> SandboxResponse:
        content_type = request.headers.get("content-type", "")
        try:
            body = request.json() if "json" in content_type else dict(parse_qsl(request.body.decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            body = {}
        if body.get("grant_type") != p.GRANT_CLIENT_CREDENTIALS:
            raise _Answer(400, {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})
        if body.get("client_id") != self.client_id or not secrets.compare_digest(str(body.get("client_secret", "")), self.client_secret):
            raise _Answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        with self._lock:
            token = self.tokens.issue_access(shop, ttl_seconds=self.token_ttl_seconds)
            scope = ",".join(sorted(self._scopes[shop]))
        return SandboxResponse(200, {"access_token": token, "scope": scope, "expires_in": self.token_ttl_seconds - 1})

    def _authorise(self, shop: str, request: SandboxRequest) -> None:
        value = request.headers.get(p.ACCESS_TOKEN_HEADER.lower())
        with self._lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
            token = self.tokens.grant(value or "")
            expired = token is not None and not self.tokens.live(value or "")
            if token is None or token.shop_id != shop or expired:
                raise _Answer(401, {"errors": UNAUTHORIZED}, fault="expired_token" if expired else None)
            if "read_orders" not in self._scopes[shop]:
                raise _Answer(403, {"errors": FORBIDDEN})

    def _orders(self, shop: str, version: str, request: SandboxRequest, entry: dict) -> SandboxResponse:
        served = self._served_version(version)
        entry["params"] = dict(request.query)
        self._authorise(shop, request)
        headers = {p.API_VERSION_HEADER: served}
        with self._lock:
            self._request_seq += 1
            headers[p.REQUEST_ID_HEADER] = f"sbx-{self._request_seq:06d}"
            bucket = self._buckets[shop]
            if self.take_fault("rate_limit_next") or not bucket.take():
                headers.update({p.CALL_LIMIT_HEADER: f"{bucket.size}/{bucket.size}", "Retry-After": f"{self.retry_after_seconds:.1f}"})
                raise _Answer(429, {"errors": THROTTLED.format(qps=self.qps or p.STANDARD_LEAK_PER_SECOND)}, headers, fault="rate_limit")
            headers[p.CALL_LIMIT_HEADER] = bucket.header()
        if self.take_fault("busy_next"):
            raise _Answer(500, {"errors": "Internal Server Error"}, headers, fault="busy")
        query = self._query(shop, request.query)
        page, links = self._page(shop, served, query, entry)
        if links:
            headers["Link"] = p.format_link_header(links)
        body = encode_json({"orders": page})
        if self.take_fault("truncate_next"):
            entry["fault"] = "truncated"
            body = body[: max(1, len(body) // 2)]
        entry["returned"] = len(page)
        return SandboxResponse(200, body, headers)

    def _graphql(self, shop: str, version: str, request: SandboxRequest, entry: dict) -> SandboxResponse:
        """The order connection with each order's returns, ascending by (updated_at, id)."""
        served = self._served_version(version)
        self._authorise(shop, request)
        headers = {p.API_VERSION_HEADER: served}
        try:
            body = request.json()
        except ValueError:
            raise _Answer(400, {"errors": "Bad Request"}) from None
        query, variables = (body.get("query"), body.get("variables") or {}) if isinstance(body, dict) else (None, {})
        if not isinstance(query, str) or not isinstance(variables, dict):
            raise _Answer(400, {"errors": {"query": ["Required parameter missing or invalid"]}})
        if not re.search(r"\borders\s*\(", query) or not re.search(r"\breturns\s*\(", query):
            return SandboxResponse(200, {"errors": [{"message": "This sandbox answers the order connection with its returns only"}]}, headers)
        entry["variables"] = variables
        with self._lock:
            self._request_seq += 1
            headers[p.REQUEST_ID_HEADER] = f"sbx-{self._request_seq:06d}"
            bucket = self._graphql_buckets[shop]
            faulted = self.take_fault("graphql_throttled_next") or self.take_fault("rate_limit_next")
            throttled = faulted or not bucket.take()
            allowed = "read_returns" in self._scopes[shop]
            available = 0.0 if throttled else bucket.free() * p.GRAPHQL_QUERY_COST
        restore = p.GRAPHQL_RESTORE_PER_SECOND if bucket.rate is None else bucket.rate * p.GRAPHQL_QUERY_COST
        cost = {"requestedQueryCost": p.GRAPHQL_QUERY_COST, "actualQueryCost": None if throttled else p.GRAPHQL_QUERY_COST,
                "throttleStatus": {"maximumAvailable": p.GRAPHQL_BUCKET, "currentlyAvailable": available, "restoreRate": restore}}
        if throttled:
            entry["fault"] = "throttled"
            return SandboxResponse(200, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                         "extensions": {"cost": cost}}, headers)
        if not allowed:
            return SandboxResponse(200, {"errors": [{"message": "Access denied for returns field. Required access: `read_returns` access scope.",
                                                     "extensions": {"code": "ACCESS_DENIED"}, "path": ["orders", "nodes", 0, "returns"]}]}, headers)
        first = variables.get("first", 50)
        if not isinstance(first, int) or not 1 <= first <= p.MAX_GRAPHQL_FIRST:
            return SandboxResponse(200, {"errors": [{"message": f"first must be between 1 and {p.MAX_GRAPHQL_FIRST}"}]}, headers)
        search = str(variables.get("query") or "")
        bounds: dict[str, int] = {}
        for match in _SEARCH_BOUND.finditer(search):
            bounds[match.group("op")] = self._param_time(shop, "query", match.group("time"))
        named = [int(m.group("id")) for m in _SEARCH_ID.finditer(search)] or None
        offset = 0
        if variables.get("after"):
            cursor = self._decode_cursor_payload(shop, str(variables["after"]))
            if cursor.get("search") != search:
                return SandboxResponse(200, {"errors": [{"message": "Invalid cursor for this query"}]}, headers)
            offset = int(cursor.get("offset", 0))
        with self._lock:
            now = self._now
            members = sorted(
                (self.update_time_of(i), self.generator.plans[i].order_id, i)
                for i in self._by_shop[shop]
                if self._matches(i, {"status": "any", "updated_at_min": bounds.get(">="), "updated_at_max": bounds.get("<="), "ids": named}, now)
            )
        page = members[offset : offset + first]
        more = offset + first < len(members)
        nodes = []
        for updated, order_id, i in page:
            zone = self.generator.zones[self.generator.plans[i].shop_index]
            returns = self.generator.returns_of(i, now)
            nodes.append({
                "id": f"gid://shopify/Order/{order_id}",
                "legacyResourceId": str(order_id),
                "updatedAt": dt.datetime.fromtimestamp(updated, zone).astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
                "returns": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": returns},
            })
        end = self._encode_cursor({"shop": shop, "search": search, "offset": offset + len(page)}) if page else None
        entry.update(returned=len(page), offset=offset, total=len(members))
        return SandboxResponse(200, {
            "data": {"orders": {"pageInfo": {"hasNextPage": more, "endCursor": end}, "nodes": nodes}},
            "extensions": {"cost": cost},
        }, headers)

    def _decode_cursor_payload(self, shop: str, value: str) -> dict:
        try:
            payload = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (ValueError, binascii.Error):
            payload = None
        if not isinstance(payload, dict) or payload.get("shop") != shop:
            raise _Answer(200, {"errors": [{"message": "Invalid cursor"}]})
        return payload

    def _served_version(self, version: str) -> str:
        if not p.API_VERSION_PATTERN.match(version):
            raise _Answer(404, {"errors": "Not Found"})
        if version in self.SUPPORTED_VERSIONS or version == "unstable":
            return version
        if version < self.SUPPORTED_VERSIONS[0]:
            return self.SUPPORTED_VERSIONS[0]  # retired: the oldest supported version answers
        raise _Answer(404, {"errors": "Not Found"})  # a release that does not exist yet

    # ---- query parameters
    def _query(self, shop: str, params: dict[str, str]) -> dict[str, t.Any]:
        limit = params.get("limit", str(p.DEFAULT_LIMIT))
        if not limit.isdigit() or not 1 <= int(limit) <= p.MAX_LIMIT:
            raise _Answer(400, {"errors": {"limit": [f"must be an integer between 1 and {p.MAX_LIMIT}"]}})
        if "page_info" in params:
            extra = sorted(set(params) - {"page_info"} - p.PAGE_INFO_COMPANIONS)
            if extra:
                raise _Answer(400, {"errors": {"page_info": [f"only limit and fields may accompany page_info; remove {', '.join(extra)}"]}})
            cursor = self._decode_cursor(shop, params["page_info"])
            return {**cursor, "limit": int(limit)}
        status = params.get("status", "open")
        if status not in p.STATUS_VALUES:
            raise _Answer(400, {"errors": {"status": [f"must be one of {', '.join(p.STATUS_VALUES)}"]}})
        bounds: dict[str, t.Any] = {}
        for key in ("updated_at_min", "updated_at_max"):
            if key in params:
                bounds[key] = self._param_time(shop, key, params[key])
        if "ids" in params:  # "Retrieve only orders specified by a comma-separated list of order IDs"
            ids = params["ids"].split(",")
            if not all(part.strip().isdigit() for part in ids):
                raise _Answer(400, {"errors": {"ids": ["must be a comma-separated list of order ids"]}})
            bounds["ids"] = [int(part) for part in ids]
        return {"status": status, **bounds, "limit": int(limit), "after_id": None, "before_id": None}

    def _param_time(self, shop: str, key: str, value: str) -> int:
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _Answer(400, {"errors": {key: ["must be an ISO-8601 time, e.g. 2024-04-25T16:15:47-04:00"]}}) from None
        if parsed.tzinfo is None:  # the admin reads a bare time in the shop's zone
            parsed = parsed.replace(tzinfo=self.generator.zones[self.shop_ids.index(shop)])
        return int(parsed.timestamp())

    @staticmethod
    def _encode_cursor(payload: dict) -> str:
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_cursor(self, shop: str, value: str) -> dict:
        try:
            payload = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (ValueError, binascii.Error):
            raise _Answer(400, {"errors": {"page_info": ["Invalid value."]}}) from None
        if not isinstance(payload, dict) or payload.get("shop") != shop:
            raise _Answer(400, {"errors": {"page_info": ["Invalid value."]}})
        return {k: payload.get(k) for k in ("status", "updated_at_min", "updated_at_max", "ids", "after_id", "before_id")}

    # ---- results
    def _matches(self, i: int, query: dict, now: int) -> bool:
        gen = self.generator
        plan = gen.plans[i]
        if plan.created > now:
            return False
        if "read_all_orders" not in self._scopes[gen.shop_ids[plan.shop_index]] and plan.created < now - p.DEFAULT_HISTORY_DAYS * 86_400:
            return False
        seen = {k for k, v in plan.events.items() if v <= now}
        status = query.get("status") or "open"
        if status == "open" and ("closed" in seen or "cancelled" in seen):
            return False
        if status == "closed" and "closed" not in seen:
            return False
        if status == "cancelled" and "cancelled" not in seen:
            return False
        updated = max(gen.updated_at(i, now), self._touched.get(i, 0))
        low, high = query.get("updated_at_min"), query.get("updated_at_max")
        ids = query.get("ids")
        return (low is None or updated >= low) and (high is None or updated <= high) and (ids is None or plan.order_id in ids)

    def _page(self, shop: str, version: str, query: dict, entry: dict) -> tuple[list[dict], dict[str, str]]:
        with self._lock:
            now = self._now
            candidates = [i for i in self._by_shop[shop] if self._matches(i, query, now)]  # newest id first
            ids = [self.generator.plans[i].order_id for i in candidates]
            if query["after_id"] is not None:
                start = next((k for k, oid in enumerate(ids) if oid < query["after_id"]), len(ids))
                chosen = candidates[start : start + query["limit"]]
                if chosen and self.take_fault("update_during_paging"):
                    self._touch(candidates[start + query["limit"] :], query, entry)
            elif query["before_id"] is not None:
                older = [k for k, oid in enumerate(ids) if oid > query["before_id"]]
                chosen = [candidates[k] for k in older[-query["limit"] :]]
                start = older[-query["limit"]] if older[-query["limit"] :] else 0
            else:
                start, chosen = 0, candidates[: query["limit"]]
            more = start + len(chosen) < len(candidates)
            page = [self._render(i, now) for i in chosen]
        filters = {k: query.get(k) for k in ("status", "updated_at_min", "updated_at_max", "ids")}
        url = f"{self.shop_base_url(shop)}{p.orders_path(version)}"
        links: dict[str, str] = {}
        if chosen and more:
            cursor = self._encode_cursor({"shop": shop, **filters, "after_id": self.generator.plans[chosen[-1]].order_id})
            links["next"] = f"{url}?{urlencode({'limit': query['limit'], 'page_info': cursor})}"
        if chosen and start > 0:
            cursor = self._encode_cursor({"shop": shop, **filters, "before_id": self.generator.plans[chosen[0]].order_id})
            links["previous"] = f"{url}?{urlencode({'limit': query['limit'], 'page_info': cursor})}"
        return page, links

    def _touch(self, remaining: list[int], query: dict, entry: dict) -> None:
        """Move one order not yet returned past the window end: it leaves this window's results."""
        if not remaining:
            return
        victim = remaining[0]
        high = query.get("updated_at_max") or self._now
        self._touched[victim] = max(self._now, high) + 1
        self._now = max(self._now, self._touched[victim])
        entry["fault"] = "update_during_paging"
        entry["touched"] = self.generator.plans[victim].order_id

    def _render(self, i: int, now: int) -> dict:
        order = self.generator.render(i, now)
        touched = self._touched.get(i)
        if touched is not None and touched <= now and touched > self.generator.updated_at(i, now):
            zone = self.generator.zones[self.generator.plans[i].shop_index]
            order["updated_at"] = dt.datetime.fromtimestamp(touched, zone).isoformat()
            order["tags"] = "touched"
        return order

    # ------------------------------------------------------------------ webhooks
    #: The API version of the sandbox's webhook subscriptions: the order bodies it pushes are of this version.
    webhook_api_version: str = p.DEFAULT_API_VERSION

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """One signed delivery per topic of each order event in (after_ts, until_ts], oldest first: the order (as it
        was right after the event) for ``orders/*``, the refund for ``refunds/create``, the return for
        ``returns/*``."""
        gen = self.generator
        events = sorted(
            (ts, plan.order_id, event, plan.index)
            for plan in gen.plans
            if self.push_shops is None or gen.shop_ids[plan.shop_index] in self.push_shops
            for event, ts in plan.events.items()
            if after_ts < ts <= until_ts
        )
        return [self._delivery(i, event, topic, ts, body) for ts, _, event, i in events for topic, body in self._webhooks(i, event, ts)]

    def _webhooks(self, i: int, event: str, ts: int) -> list[tuple[str, dict]]:
        """(topic, body) of the webhooks one order event triggers."""
        plan = self.generator.plans[i]
        order = self._render(i, ts)
        if event in REFUND_EVENTS:
            refund = order["refunds"][0 if event == "refund" else -1]
            found = [("refunds/create", refund)]
            if event == "refund" and "return_requested" in plan.events:
                found.append(("returns/close", self._return_body(i, ts)))
            return found
        if event in RETURN_EVENT_TOPICS:
            return [(RETURN_EVENT_TOPICS[event], self._return_body(i, ts))]
        if event.startswith("fulfil") and not event.endswith("cancelled"):
            return [("orders/fulfilled" if order["fulfillment_status"] == "fulfilled" else "orders/partially_fulfilled", order)]
        return [(ORDER_EVENT_TOPICS.get(event, "orders/updated"), order)]

    def _return_body(self, i: int, ts: int) -> dict:
        """A return as the REST webhook payload shows it: numeric id, lower-case status, its order."""
        node = self.generator.returns_of(i, ts)[0]
        order_id = self.generator.plans[i].order_id
        return {
            "id": int(node["id"].rsplit("/", 1)[-1]), "admin_graphql_api_id": node["id"], "name": node["name"],
            "status": node["status"].lower(), "order": {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}"},
        }

    def _delivery(self, i: int, event: str, topic: str, ts: int, body: dict) -> Delivery:
        plan = self.generator.plans[i]
        shop = self.generator.shop_ids[plan.shop_index]
        raw = encode_json(body)
        event_id = str(uuid.uuid5(_EVENT_NAMESPACE, f"{shop}/{plan.order_id}/{event}/{topic}"))
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": p.shop_domain(shop),
            "X-Shopify-API-Version": self.webhook_api_version,
            "X-Shopify-Webhook-Id": str(uuid.uuid5(_EVENT_NAMESPACE, f"delivery/{event_id}")),
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            p.WEBHOOK_HMAC_HEADER: p.webhook_signature(self.client_secret, raw),
        }
        # every event moves its order's updated_at: the version a freshness measurement waits for
        return Delivery(raw, headers, (event_id,), ts, p.WEBHOOK_HMAC_HEADER, ((str(plan.order_id), ts),))

    def __repr__(self) -> str:
        return f"ShopifySandbox(shops={self.shop_ids}, n_orders={self.generator.n_orders}, now={self.now.isoformat()})"

