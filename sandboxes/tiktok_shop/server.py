"""A local HTTP server that speaks the TikTok Shop Partner API (202309) as the tap meets it.

It verifies what the gateway verifies, with the documented codes and messages:

* the path and HTTP method (36009009 / 36009010), the ``app_key`` and the presence of ``sign``
  (36009004), the ``timestamp`` window of 5 minutes back to 30 s ahead of the wall clock (36009004);
* the HMAC-SHA256 signature over path + sorted query + the exact body bytes (106001, HTTP 401);
* the ``x-tts-access-token`` header: unknown (36009004, HTTP 401) or expired (105002, HTTP 401);
* ``shop_cipher``: missing (106013) or not the token's shop (101000);
* a 50-QPS budget per app, shop and API (HTTP 429, 36009002), ``page_size`` 1–100 and, optionally,
  a maximum ``update_time`` window (both 36009004: the sandbox's wording, the real limits are unconfirmed).

It serves ``POST /order/202309/orders/search`` and ``POST /return_refund/202309/returns/search`` (the
returns of :mod:`.returns`; both with cursor paging: ``page_token`` is an opaque offset bound to the query, the
worst case for a record updated while the client pages), ``GET /authorization/202309/shops`` and the auth
host's ``GET /api/v2/token/refresh``.

Faults (``sandbox.set_faults(...)`` or ``POST /_sandbox/faults``): ``rate_limit_next`` (HTTP 429 +
36009002, with ``Retry-After`` when ``retry_after_seconds`` is set), ``busy_next`` (36009007 request
timeout), ``expire_token`` (tokens in use answer 105002 until refreshed), ``truncate_next`` (a search
page's body cut in half), ``http_503_next``, ``stall_next``, and ``update_during_paging`` (before a
later page is served, an order already served from that window is updated past the window's end).
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
import typing as t
from dataclasses import dataclass

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.push import Delivery
from orderlayer.sandboxes.kit.tokens import TokenIssuer
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kit.synth import OrderFact, digest
from orderlayer.sandboxes.tiktok_shop import protocol as p
from orderlayer.sandboxes.tiktok_shop import catalog
from orderlayer.sandboxes.tiktok_shop.generator import OrderGenerator
from orderlayer.sandboxes.tiktok_shop.returns import CancellationBook, ReturnBook

DEFAULT_SHOP_IDS = ("7494105515082810525", "7494105515082810526", "7494105515082810527")
DEFAULT_APP_KEY = "6a1bk2tts9v3q"
DEFAULT_APP_SECRET = "sandbox-tts-app-secret-4f1c"
_SECRET_QUERY_KEYS = frozenset({"sign", "access_token", "app_secret", "refresh_token"})


@dataclass
class TikTokFaults(Faults):
    #: The next N later-page requests first update an order already served from that window.
    update_during_paging: int = 0


class _Reply(Exception):  # noqa: N818 - control flow: an error envelope to send
    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _invalid(message: str, status: int = 400) -> _Reply:
    return _Reply(p.CODE_INVALID_PARAMETER, message, status)


class TikTokShopSandbox(ChannelSandbox[OrderGenerator]):
    """One fake TikTok Shop gateway (and auth host) serving several shops of one app.

    ``as_of`` is the clock of order state; ``timestamp`` and token expiry are checked against the
    wall clock, as the platform does.
    """

    server_name = "tiktok-shop-sandbox"
    faults_class = TikTokFaults
    faults: TikTokFaults
    #: Tap config keys that hold secrets.
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_secret", "access_token", "refresh_token", "pii_salt")
    generator_class = OrderGenerator
    default_shop_ids = DEFAULT_SHOP_IDS

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        app_key: str = DEFAULT_APP_KEY,
        app_secret: str = DEFAULT_APP_SECRET,
        shop_regions: t.Sequence[str] | None = None,
        token_ttl_seconds: int = 7 * 86_400,
        rotate_refresh_tokens: bool = True,
        max_page_size: int = p.MAX_PAGE_SIZE,
        max_window_seconds: int | None = None,
        retry_after_seconds: float | None = None,
        extra_fields: t.Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, shop_regions=shop_regions, **common)
        self.app_key = str(app_key)
        self.app_secret = str(app_secret)
        self.qps = qps
        self.max_page_size = max_page_size
        self.max_window_seconds = max_window_seconds
        self.retry_after_seconds = retry_after_seconds
        self.extra_fields = json.loads(json.dumps(dict(extra_fields or {})))
        self._bumps: dict[int, int] = {}  # order index -> update_time forced by a fault
        self._index: dict[int, list[tuple[int, str, int]]] = {}
        self.returns = ReturnBook(self.generator)
        self.cancellations = CancellationBook(self.generator)
        #: the after-sale searches: path -> (the answer's list, the book of records)
        self._after_sales: dict[str, tuple[str, t.Any]] = {
            p.RETURN_SEARCH_PATH: ("return_orders", self.returns),
            p.CANCELLATION_SEARCH_PATH: ("cancellations", self.cancellations),
        }
        self._after_sale_index: dict[tuple[str, int], list[tuple[int, str, int]]] = {}
        self._budgets: dict[tuple[str, str], RequestBudget] = {}  # per shop and API
        self._by_order_id = {tl.order_id: tl.index for tl in self.generator.timelines}
        # rotate_refresh_tokens: a refresh token is single-use. Whether the platform rotates is unconfirmed
        # (docs/token-store.md): False keeps every issued refresh token valid. Refresh tokens live a year.
        self.tokens = TokenIssuer(
            self._mint,
            clock=self.wall_time,
            ttl_seconds=token_ttl_seconds,
            refresh_ttl_seconds=365 * 86_400,
            rotate_refresh=rotate_refresh_tokens,
        )
        for shop in self.shop_ids:
            self.tokens.issue(shop)

    # ------------------------------------------------------------------ public interface
    def shop_cipher(self, shop_id: str) -> str:
        k = self.shop_ids.index(str(shop_id))
        return f"ROW_{base64.urlsafe_b64encode(digest(self.generator.seed, k, b'tts-cipher').to_bytes(32, 'little')).decode()[:27]}"

    def shop_currency(self, shop_id: str) -> str:
        return self.generator.regions[self.shop_ids.index(str(shop_id))].currency

    def connection(self, shop_id: str) -> dict:
        """tap-tiktok-shop's API and auth hosts, app credentials, the shop's cipher and tokens."""
        shop_id = str(shop_id)
        return {
            "base_url": self.base_url,
            "auth_base_url": self.base_url,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "shop_id": shop_id,
            "shop_cipher": self.shop_cipher(shop_id),
            "access_token": self.access_token(shop_id),
            "refresh_token": self.refresh_token(shop_id),
        }

    def sync_start(self) -> int:
        return self.start_ts - 1  # a second early: the earliest order is well inside the first window

    def order(self, i: int) -> dict:
        """Order ``i`` exactly as the search serves it now (before any tap processing)."""
        with self._lock:
            now, bump = self._now, self._bumps.get(i)
        return self._render(i, now, bump)

    def order_facts(self) -> t.Iterator[OrderFact]:
        """Every order in neutral terms at the sandbox clock (for the ERP sandboxes)."""
        return self.generator.order_facts(self._now)

    def update_time_of(self, i: int) -> int | None:
        with self._lock:
            base = self.generator.update_time_at(i, self._now)
            return None if base is None else max(base, self._bumps.get(i, 0))

    def ids_updated_between(self, shop_id: str, start: int, end: int) -> set[str]:
        """Ids of the shop's orders whose update_time is in ``[start, end)`` now."""
        with self._lock:
            index = self._shop_index(self.shop_ids.index(str(shop_id)))
        lo = bisect.bisect_left(index, (start, "", -1))
        hi = bisect.bisect_left(index, (end, "", -1))
        return {order_id for _, order_id, _ in index[lo:hi]}

    def after_sale_record(self, path: str, r: int) -> dict:
        """Record ``r`` of the after-sale search at ``path`` exactly as it is served now."""
        book = self._after_sales[path][1]
        rec = book.records[r]
        return book.render(rec, self._now, self.generator.timelines[rec.order_index].order_id)

    def after_sale_ids_updated_between(self, path: str, shop_id: str, start: int, end: int) -> set[str]:
        """Ids of the shop's records of the after-sale search at ``path`` whose update_time is in ``[start, end)`` now."""
        index = self._shop_after_sale_index(path, self.shop_ids.index(str(shop_id)))
        lo = bisect.bisect_left(index, (start, "", -1))
        hi = bisect.bisect_left(index, (end, "", -1))
        return {ident for _, ident, _ in index[lo:hi]}

    def return_record(self, r: int) -> dict:
        return self.after_sale_record(p.RETURN_SEARCH_PATH, r)

    def return_ids_updated_between(self, shop_id: str, start: int, end: int) -> set[str]:
        return self.after_sale_ids_updated_between(p.RETURN_SEARCH_PATH, shop_id, start, end)

    def _reindex(self) -> None:
        self._index.clear()  # rebuilt per shop on demand
        self._after_sale_index.clear()

    # ------------------------------------------------------------------ tokens
    def _mint(self, shop_id: str, serial: int) -> tuple[str, str]:
        raw = digest(self.generator.seed, f"{shop_id}:{serial}", b"tts-token").to_bytes(32, "little")
        access, refresh = (base64.urlsafe_b64encode(part).decode().rstrip("=") for part in (raw[:24], raw[8:]))
        return "TTP_" + access, "TTP_" + refresh

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        entry: dict[str, t.Any] = {
            "path": request.path,
            "method": request.method,
            "query": {k: v for k, v in request.query.items() if k not in _SECRET_QUERY_KEYS},
        }
        headers: dict[str, str] = {}
        truncate = False
        try:
            data = self._dispatch(request, entry)
            envelope = {"code": p.CODE_OK, "message": "Success", "data": data}
            status = 200
            truncate = request.path in (p.ORDER_SEARCH_PATH, *self._after_sales) and self.take_fault("truncate_next")
        except _Reply as reply:
            envelope = {"code": reply.code, "message": reply.message, "data": None}
            status = reply.status
            if reply.code == p.CODE_TOO_MANY_REQUESTS and self.retry_after_seconds is not None:
                headers["Retry-After"] = f"{self.retry_after_seconds:g}"
        entry.update(code=envelope["code"], http_status=status)
        self.record(entry)
        envelope["request_id"] = f"{self.now.strftime('%Y%m%d%H%M%S')}{entry['seq']:020X}"
        if truncate:
            entry["fault"] = "truncate"
            body = encode_json(envelope)
            return SandboxResponse(200, body[: len(body) // 2], headers)
        return SandboxResponse(status, envelope, headers)

    def _dispatch(self, request: SandboxRequest, entry: dict) -> dict:
        routes: dict[str, tuple[str, t.Callable[[SandboxRequest, dict, str], dict]]] = {
            p.ORDER_SEARCH_PATH: ("POST", self._search_orders),
            p.RETURN_SEARCH_PATH: ("POST", self._search_after_sales),
            p.CANCELLATION_SEARCH_PATH: ("POST", self._search_after_sales),
            p.AUTHORIZED_SHOPS_PATH: ("GET", self._authorized_shops),
            p.ORDER_DETAIL_PATH: ("GET", self._order_detail),
        }
        if request.path == p.TOKEN_REFRESH_PATH:
            return self._refresh(request, entry)
        if request.path not in routes:
            raise _Reply(p.CODE_INVALID_PATH, "Invalid path. The specified path does not match any available endpoint.", 404)
        method, route = routes[request.path]
        if request.method != method:
            raise _Reply(p.CODE_INVALID_METHOD, "Invalid method. The HTTP method used is not supported by this endpoint.", 405)
        query = request.query
        if query.get("app_key") != self.app_key:
            raise _invalid("Invalid credentials. Invalid `app_key` query parameter.", 401)
        if not query.get("sign"):
            raise _invalid("Missing credentials. The request does not include a required signature in the query.", 401)
        self._check_timestamp(query.get("timestamp"))
        body = b"" if "multipart/form-data" in request.headers.get("content-type", "") else request.body
        expected = p.expected_sign(self.app_secret, request.path, query, body)
        if not hmac.compare_digest(expected, query["sign"]):
            raise _Reply(p.CODE_SIGN_INVALID, "Invalid credentials. The `sign` query parameter is invalid.", 401)
        shop_id = self._shop_for_token(request.headers.get(p.ACCESS_TOKEN_HEADER), entry)
        if self.qps:
            with self._lock:
                budget = self._budgets.setdefault((shop_id, request.path), RequestBudget(self.qps))
            if not budget.allows():
                raise _Reply(p.CODE_TOO_MANY_REQUESTS, "Too many requests. You've made too many requests in a short period of time.", 429)
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _Reply(p.CODE_TOO_MANY_REQUESTS, "Too many requests. You've made too many requests in a short period of time.", 429)
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Reply(p.CODE_REQUEST_TIMEOUT, "Request timeout. The request to the endpoint timed out.")
        return route(request, entry, shop_id)

    def _check_timestamp(self, value: str | None) -> None:
        try:
            ts = int(value or "")
        except ValueError:
            ts = -1
        if ts < 0:
            raise _invalid("Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.")
        wall = self.wall_time()
        if ts < wall - p.TIMESTAMP_MAX_AGE_SECONDS:
            raise _invalid("Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.")
        if ts > wall + p.TIMESTAMP_MAX_AHEAD_SECONDS:
            raise _invalid("Invalid timestamp. The value of the `timestamp` query parameter must not exceed the current time by more than 30 seconds.")

    def _shop_for_token(self, value: str | None, entry: dict) -> str:
        with self._lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
            token = self.tokens.grant(value or "")
            if token is None:
                raise _invalid("Invalid credentials. The `x-tts-access-token` header is invalid.", 401)
            entry["shop_id"] = token.shop_id
            if not self.tokens.live(value or ""):
                raise _Reply(p.CODE_TOKEN_EXPIRED, "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.", 401)
            return token.shop_id

    def _authorized_shops(self, request: SandboxRequest, entry: dict, shop_id: str) -> dict:  # noqa: ARG002
        k = self.shop_ids.index(shop_id)
        region = self.generator.regions[k]
        return {"shops": [{
            "id": shop_id,
            "name": catalog.SHOP_NAMES[k % len(catalog.SHOP_NAMES)],
            "region": region.code,
            "seller_type": "LOCAL",
            "cipher": self.shop_cipher(shop_id),
            "code": f"{region.code}LC{shop_id[-6:]}",
        }]}

    def _refresh(self, request: SandboxRequest, entry: dict) -> dict:
        if request.method != "GET":
            raise _Reply(p.CODE_INVALID_METHOD, "Invalid method. The HTTP method used is not supported by this endpoint.", 405)
        query = request.query
        if query.get("app_key") != self.app_key:
            raise _invalid("Invalid credentials. Invalid `app_key` query parameter.", 401)
        if not hmac.compare_digest(query.get("app_secret", ""), self.app_secret):
            raise _invalid("Invalid credentials. The `app_secret` query parameter is invalid.", 401)
        if query.get("grant_type") != "refresh_token":
            raise _invalid("Invalid grant_type. Only `refresh_token` is accepted.")
        with self._lock:
            shop_id = self.tokens.holder(query.get("refresh_token", ""))
            if shop_id is None:
                raise _invalid("Invalid credentials. The `refresh_token` is invalid or expired.", 401)
            entry["shop_id"] = shop_id
            access, refresh = self.tokens.issue(shop_id)
            token = self.tokens.grant(access)
            refresh_expires_at = self.tokens.refresh_expires_at(refresh)
        region = self.generator.regions[self.shop_ids.index(shop_id)]
        return {
            "access_token": access,
            "access_token_expire_in": int(token.expires_at),
            "refresh_token": refresh,
            "refresh_token_expire_in": int(refresh_expires_at),
            "open_id": f"open-{shop_id[-8:]}",
            "seller_name": catalog.SHOP_NAMES[self.shop_ids.index(shop_id) % len(catalog.SHOP_NAMES)],
            "seller_base_region": region.code,
            "user_type": 0,
            "granted_scopes": ["seller.order.info", "seller.authorization.info"],
        }

    # ------------------------------------------------------------------ searches
    def _search_query(self, request: SandboxRequest, entry: dict, shop_id: str) -> tuple[dict, dict[str, int | None], str, str, int, int]:
        """What both searches check alike: the cipher, the JSON body, page size, sort and the page token.

        Returns the body, its time bounds, the sort field and order, the page size and the offset."""
        query = request.query
        self._check_cipher(query, shop_id)
        if "application/json" not in request.headers.get("content-type", ""):
            raise _Reply(36009022, "Invalid request format. The request body format must be `application/json`.")
        size = _int(query.get("page_size"), "page_size")
        if size is None or not 1 <= size <= self.max_page_size:
            raise _invalid(f"Invalid parameter. The `page_size` query parameter must be between 1 and {self.max_page_size}.")
        sort_field = query.get("sort_field") or "create_time"
        sort_order = (query.get("sort_order") or "DESC").upper()
        if sort_field not in p.SORT_FIELDS or sort_order not in p.SORT_ORDERS:
            raise _invalid("Invalid parameter. `sort_field` must be create_time or update_time and `sort_order` ASC or DESC.")
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError:
            raise _invalid("Invalid request body. The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _invalid("Invalid request body. The body must be a JSON object.")
        entry["body"] = body
        bounds = {name: _int(body.get(name), name) for name in ("update_time_ge", "update_time_lt", "create_time_ge", "create_time_lt")}
        ge, lt = bounds["update_time_ge"], bounds["update_time_lt"]
        if ge is not None and lt is not None:
            if lt < ge:
                raise _invalid("Invalid parameter. `update_time_lt` is before `update_time_ge`.")
            if self.max_window_seconds is not None and lt - ge > self.max_window_seconds:
                raise _invalid(f"Invalid parameter. The update_time range exceeds {self.max_window_seconds} seconds.")
        fingerprint = hashlib.sha256(
            json.dumps([request.path, shop_id, body, sort_field, sort_order, size], sort_keys=True).encode()
        ).hexdigest()[:16]
        offset = _decode_page_token(query.get("page_token"), fingerprint)
        entry["fingerprint"] = fingerprint
        return body, bounds, sort_field, sort_order, size, offset

    def _check_cipher(self, query: t.Mapping[str, str], shop_id: str) -> None:
        cipher = query.get("shop_cipher")
        if not cipher:
            raise _Reply(p.CODE_SHOP_CIPHER_MISSING, "Missing identifier. The `shop_cipher` query parameter is required to identify the target shop.")
        if cipher != self.shop_cipher(shop_id):
            raise _Reply(p.CODE_TOKEN_SHOP_MISMATCH, "Invalid query or header. The `x-tts-access-token` header is not associated with the shop of `shop_cipher`.")

    def _order_detail(self, request: SandboxRequest, entry: dict, shop_id: str) -> dict:
        """Get Order Detail: the shop's orders of ``ids`` that exist now, in the order asked; unknown ids left out."""
        self._check_cipher(request.query, shop_id)
        ids = [part for part in request.query.get("ids", "").split(",") if part]
        if not 1 <= len(ids) <= p.MAX_DETAIL_IDS or not all(part.isdigit() for part in ids):
            raise _invalid(f"Invalid parameter. `ids` must list 1 to {p.MAX_DETAIL_IDS} order ids, separated by commas.")
        entry["ids"] = len(ids)
        k = self.shop_ids.index(shop_id)
        with self._lock:
            now, bumps = self._now, dict(self._bumps)
        found = [
            i for i in (self._by_order_id.get(order_id) for order_id in dict.fromkeys(ids))
            if i is not None and self.generator.timelines[i].shop_index == k and self.generator.update_time_at(i, now) is not None
        ]
        entry["returned"] = len(found)
        return {"orders": [self._render(i, now, bumps.get(i)) for i in found]}

    # ------------------------------------------------------------------ webhooks
    push_acknowledged = staticmethod(p.push_acknowledged)

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """The signed webhooks of what changed in (after_ts, until_ts], oldest first: ``ORDER_STATUS_CHANGE`` when an
        order's status moved, ``PACKAGE_UPDATE`` when a package was made ready, split or collected, and
        ``CANCELLATION_STATUS_CHANGE`` / ``RETURN_STATUS_CHANGE`` for each step of an after-sale request. A change
        that moves no status (an order's payment while on hold) is pushed by nothing: the poll finds it."""
        gen = self.generator
        sent_at = int(self.wall_time())  # TikTok stamps the time it sends, not the change's
        found: dict[tuple[int, str, int], tuple[str, dict]] = {}  # (time, record, type) -> (shop, data)
        moved: set[tuple[str, int]] = set()  # (order id, time) of each order version (after-sale steps move none)
        for tl in gen.timelines:
            shop = gen.shop_ids[tl.shop_index]
            if self.push_shops is not None and shop not in self.push_shops:
                continue
            for name, ts in tl.events.items():
                if not after_ts < ts <= until_ts:
                    continue
                status = gen.status_at(tl.index, ts)
                moved.add((tl.order_id, ts))
                if status != gen.status_at(tl.index, ts - 1):
                    data = {"order_id": tl.order_id, "order_status": status, "is_on_hold_order": status == "ON_HOLD", "update_time": ts}
                    found[(ts, tl.order_id, p.ORDER_STATUS_CHANGE)] = (shop, data)
                if name in ("rts", "partial", "collect"):
                    found[(ts, tl.order_id, p.PACKAGE_UPDATE)] = (shop, {"order_id": tl.order_id, "update_time": ts})
        for rt in self.returns.records:
            tl = gen.timelines[rt.order_index]
            for ts in rt.events.values():
                if after_ts < ts <= until_ts and (self.push_shops is None or gen.shop_ids[tl.shop_index] in self.push_shops):
                    data = {"order_id": tl.order_id, "return_id": rt.return_id, "return_role": "BUYER", "return_type": rt.return_type,
                            "return_status": self.returns.status_at(rt, ts), "create_time": rt.events["request"], "update_time": ts}
                    found[(ts, rt.return_id, p.RETURN_STATUS_CHANGE)] = (gen.shop_ids[tl.shop_index], data)
        for ct in self.cancellations.records:
            tl = gen.timelines[ct.order_index]
            for ts in ct.events.values():
                if after_ts < ts <= until_ts and (self.push_shops is None or gen.shop_ids[tl.shop_index] in self.push_shops):
                    status = self.cancellations.render(ct, ts, tl.order_id)["cancel_status"]
                    data = {"order_id": tl.order_id, "cancel_id": ct.cancel_id, "cancellations_role": ct.role, "cancel_status": status, "update_time": ts}
                    found[(ts, ct.cancel_id, p.CANCELLATION_STATUS_CHANGE)] = (gen.shop_ids[tl.shop_index], data)
        return [
            self._webhook(kind, record, ts, shop, data, sent_at, moved) for (ts, record, kind), (shop, data) in sorted(found.items())
        ]

    def _webhook(self, kind: int, record: str, ts: int, shop: str, data: dict, sent_at: int, moved: set[tuple[str, int]]) -> Delivery:
        notification = str(int(hashlib.sha256(f"{self.generator.seed}/{shop}/{record}/{kind}/{ts}".encode()).hexdigest()[:15], 16))
        body = encode_json({"type": kind, "tts_notification_id": notification, "shop_id": shop, "timestamp": sent_at, "data": data})
        headers = {"Content-Type": "application/json", p.WEBHOOK_SIGNATURE_HEADER: p.webhook_signature(self.app_key, self.app_secret, body)}
        change = (data["order_id"], ts)
        return Delivery(body, headers, (notification,), ts, p.WEBHOOK_SIGNATURE_HEADER, (change,) if change in moved else ())

    def _search_orders(self, request: SandboxRequest, entry: dict, shop_id: str) -> dict:
        body, bounds, sort_field, sort_order, size, offset = self._search_query(request, entry, shop_id)
        lt = bounds["update_time_lt"]
        k = self.shop_ids.index(shop_id)
        with self._lock:
            members = self._members(k, bounds, body.get("order_status"))
            if offset > 0 and members and self.take_fault("update_during_paging"):
                entry["fault"] = "update_during_paging"
                moved = members[0]  # already served on an earlier page
                self._bumps[moved] = max(self._now, lt if lt is not None else self._now) + 1
                self._now = max(self._now, self._bumps[moved])
                self._index.clear()
                members = self._members(k, bounds, body.get("order_status"))
            now, bumps = self._now, dict(self._bumps)
        gen = self.generator
        created = (lambda i: (gen.timelines[i].events["create"], gen.timelines[i].order_id)) if sort_field == "create_time" else None
        return _page("orders", members, created, sort_order, offset, size, entry, lambda i: self._render(i, now, bumps.get(i)))

    def _search_after_sales(self, request: SandboxRequest, entry: dict, shop_id: str) -> dict:
        """The shop's returns or cancellations by update/create time (and ``order_ids``), the orders' cursor paging."""
        body, bounds, sort_field, sort_order, size, offset = self._search_query(request, entry, shop_id)
        order_ids = body.get("order_ids")
        if order_ids is not None and not (isinstance(order_ids, list) and all(isinstance(o, str) for o in order_ids)):
            raise _invalid("Invalid parameter. `order_ids` must be a list of strings.")
        key, book = self._after_sales[request.path]
        index = self._shop_after_sale_index(request.path, self.shop_ids.index(shop_id))
        ge, lt = bounds["update_time_ge"], bounds["update_time_lt"]
        lo = 0 if ge is None else bisect.bisect_left(index, (ge, "", -1))
        hi = len(index) if lt is None else bisect.bisect_left(index, (lt, "", -1))
        gen = self.generator
        c_ge, c_lt = bounds["create_time_ge"], bounds["create_time_lt"]
        members = []
        for _, _, r in index[lo:hi]:
            rec = book.records[r]
            created = rec.events["request"]
            if (c_ge is not None and created < c_ge) or (c_lt is not None and created >= c_lt):
                continue
            if order_ids and gen.timelines[rec.order_index].order_id not in order_ids:
                continue
            members.append(r)
        created = (lambda r: (book.records[r].events["request"], book.records[r].ident)) if sort_field == "create_time" else None
        return _page(key, members, created, sort_order, offset, size, entry, lambda r: self.after_sale_record(request.path, r))

    def _shop_after_sale_index(self, path: str, k: int) -> list[tuple[int, str, int]]:
        """The shop's records of one after-sale search that exist now, ascending by (update_time, id)."""
        with self._lock:
            index = self._after_sale_index.get((path, k))
            if index is None:
                gen, book = self.generator, self._after_sales[path][1]
                index = []
                for r, rec in enumerate(book.records):
                    if gen.timelines[rec.order_index].shop_index != k:
                        continue
                    updated = book.update_time_at(rec, self._now)
                    if updated is not None:
                        index.append((updated, rec.ident, r))
                index.sort()
                self._after_sale_index[(path, k)] = index
            return index

    def _members(self, k: int, bounds: dict[str, int | None], status: t.Any) -> list[int]:  # noqa: ANN401
        """The shop's orders in the update/create ranges, ascending by (update_time, id)."""
        index = self._shop_index(k)
        ge, lt = bounds["update_time_ge"], bounds["update_time_lt"]
        lo = 0 if ge is None else bisect.bisect_left(index, (ge, "", -1))
        hi = len(index) if lt is None else bisect.bisect_left(index, (lt, "", -1))
        gen = self.generator
        c_ge, c_lt = bounds["create_time_ge"], bounds["create_time_lt"]
        out = []
        for _, _, i in index[lo:hi]:
            create = gen.timelines[i].events["create"]
            if (c_ge is not None and create < c_ge) or (c_lt is not None and create >= c_lt):
                continue
            if status and gen.status_at(i, self._now) != status:
                continue
            out.append(i)
        return out

    def _shop_index(self, k: int) -> list[tuple[int, str, int]]:
        with self._lock:
            index = self._index.get(k)
            if index is None:
                gen = self.generator
                index = []
                for tl in gen.timelines:
                    if tl.shop_index != k:
                        continue
                    base = gen.update_time_at(tl.index, self._now)
                    if base is not None:
                        index.append((max(base, self._bumps.get(tl.index, 0)), tl.order_id, tl.index))
                index.sort()
                self._index[k] = index
            return index

    def _render(self, i: int, now: int, bump: int | None) -> dict:
        order = self.generator.order(i, now)
        if bump is not None and bump > order["update_time"]:
            order["update_time"] = bump  # a seller note changed the order after its last lifecycle event
            order["seller_note"] = "Address confirmed with buyer"
        if self.extra_fields:
            order.update(json.loads(json.dumps(self.extra_fields)))
        return order


def _page(
    key: str,
    members: list[int],
    created: t.Callable[[int], tuple] | None,
    sort_order: str,
    offset: int,
    size: int,
    entry: dict,
    render: t.Callable[[int], dict],
) -> dict:
    """One page of a search: ``members`` ascend by update time (re-sorted by ``created`` when the sort field is the
    create time), reversed for DESC; the cursor is the next offset bound to the query's fingerprint."""
    if created is not None:
        members = sorted(members, key=created)
    if sort_order == "DESC":
        members = members[::-1]
    page = members[offset : offset + size]
    more = offset + size < len(members)
    entry.update(total=len(members), returned=len(page), offset=offset)
    return {
        key: [render(i) for i in page],
        "next_page_token": _encode_page_token(offset + size, entry["fingerprint"]) if more else "",
        "total_count": len(members),
    }


def _int(value: t.Any, name: str) -> int | None:  # noqa: ANN401
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _invalid(f"Invalid parameter. `{name}` must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid parameter. `{name}` must be an integer.") from None


def _encode_page_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_page_token(token: str | None, fingerprint: str) -> int:
    """The offset a token stands for; it is only valid with the query it was issued for."""
    if not token:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(payload["o"])
        same_query = payload["f"] == fingerprint
    except (ValueError, KeyError, TypeError):
        raise _invalid("Invalid parameter. The `page_token` is invalid.") from None
    if not same_query or offset < 0:
        raise _invalid("Invalid parameter. The `page_token` does not belong to this query; keep the filters and sort unchanged.")
    return offset
