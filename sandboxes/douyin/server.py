"""A local HTTP server that speaks the Douyin shop open-API protocol.

The tap talks to it exactly as to the real gateway (architecture principle 5): signed
query parameters, the canonical JSON body, the ``{code, msg, sub_code, sub_msg, log_id,
data}`` envelope and the documented error codes. It verifies what the platform verifies:

* the signature, recomputed from the exact body bytes with the app secret;
* ``timestamp`` within ``timestamp_tolerance_seconds`` (600) of the wall clock;
* issued access tokens, their expiry, and the shop's authorisation;
* ``size <= 100`` and (optionally) a maximum ``update_time`` window;
* a per-app QPS budget (token bucket -> code 60000).

It serves ``/afterSale/List`` (the after-sales of those orders, :mod:`.after_sales`, filtered by their own
``update_time`` and sorted by it, or one by ``aftersale_id``), ``/order/orderDetail`` (one order by
``shop_order_id``) and ``/order/searchList`` from a :class:`~.generator.OrderGenerator` through an index
sorted by (update_time, order_id), so a window is two bisects and a page is a slice,
which keeps a million orders cheap; and ``/token/refresh``.

Faults are switched on ``sandbox.faults`` (or ``POST /_sandbox/faults`` with JSON):
``rate_limit_next=N`` (next N calls -> 60000), ``busy_next=N`` (-> 20000),
``expire_token=True`` (tokens in use become expired -> 40003/isv.access-token-expired until
refreshed), ``update_during_paging=N`` (the next N mid-window page requests first move an
already-served order of that window to a later update_time, as a buyer action would),
``offline_after=N`` (after N more successful order calls, answer 70000), ``http_503_next=N``
(a gateway outage page), ``stall_next=N`` (answer after ``stall_seconds``). ``requests``
is a log of the calls (method, business params, outcome; no token, sign or secret).

Subscribed to a :class:`~orderlayer.sandboxes.kit.push.WebhookPusher`, it pushes the shop's messages for what
changes as its clock advances (:mod:`.push`: signed batches of ``doudian_trade_*`` / ``doudian_refund_*`` events).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hmac
import json
import time
import typing as t
from array import array
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.after_sales import ClockedIndex
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.douyin import protocol as p
from orderlayer.sandboxes.douyin import after_sales, catalog
from orderlayer.sandboxes.douyin import push as message_push
from orderlayer.sandboxes.douyin.generator import OrderGenerator

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.kit.push import Delivery

_ID_DIGITS = 10**19
_CENT = Decimal("0.01")


@dataclass
class DouyinFaults(Faults):
    """The kit's faults and Douyin's own (see module docstring)."""

    update_during_paging: int = 0
    offline_after: int | None = None


@dataclass
class _ShopIndex:
    update_times: array  # sorted ascending, parallel to `orders`
    orders: list[int] = field(default_factory=list)  # generator indexes


class _Fragment(str):
    """Already-serialised JSON, spliced into the response as is (prefetched pages)."""


def encode_json(payload: t.Any) -> bytes:  # noqa: ANN401
    """Compact UTF-8 JSON; :class:`_Fragment` values under ``data`` are spliced verbatim."""
    data = payload.get("data") if isinstance(payload, dict) else None
    fragments: dict[str, str] = {}
    if isinstance(data, dict) and any(isinstance(v, _Fragment) for v in data.values()):
        placeholders = {}
        for key, value in data.items():
            if isinstance(value, _Fragment):
                marker = f"\x00fragment:{key}\x00"  # NUL never occurs in order data
                placeholders[key] = marker
                fragments[json.dumps(marker)] = str(value)
        payload = {**payload, "data": {**data, **placeholders}}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    for marker, fragment in fragments.items():
        text = text.replace(marker, fragment, 1)
    return text.encode("utf-8")


class _Reply(Exception):  # noqa: N818 - control flow: an error envelope to send
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = "", status: int = 200) -> None:
        super().__init__(sub_msg or msg)
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.status = status


class DouyinSandbox(ChannelSandbox[OrderGenerator]):
    """One fake Douyin gateway serving several shops of one app.

    ``as_of`` is the sandbox clock for order state (what has happened by then); request
    ``timestamp`` staleness is checked against the real wall clock, as the platform does.
    """

    server_name = "douyin-sandbox"
    faults_class = DouyinFaults
    faults: DouyinFaults
    generator_class = OrderGenerator

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *world: t.Any,
        qps: float | None = 50.0,
        token_ttl_seconds: int = 7 * 86_400,
        rotate_refresh_tokens: bool = True,
        max_window_seconds: int | None = None,
        window_end_inclusive: bool = False,
        retry_after_seconds: float | None = None,
        timestamp_tolerance_seconds: int = 600,
        extra_fields: t.Mapping[str, t.Any] | None = None,
        extra_sku_fields: t.Mapping[str, t.Any] | None = None,
        push_batch: int = 20,
        push_sign_method: str = p.SIGN_METHOD_MD5,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, **common)
        #: events per pushed POST, and how pushes are signed (md5, or hmac-sha256 with a sign-method header)
        self.push_batch = push_batch
        self.push_sign_method = push_sign_method
        self.app_key = str(app_key)
        self.app_secret = str(app_secret)
        self.qps = qps
        self.max_window_seconds = max_window_seconds
        self.window_end_inclusive = window_end_inclusive
        self.retry_after_seconds = retry_after_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.extra_fields = dict(extra_fields or {})
        self.extra_sku_fields = dict(extra_sku_fields or {})
        self._bumps: dict[int, int] = {}  # order index -> update_time forced by a fault
        self._budget = RequestBudget(qps)
        # rotate_refresh_tokens: a refresh token is single-use. Whether the platform rotates is unconfirmed
        # (docs/token-store.md): False keeps every issued refresh token valid.
        self.tokens = TokenIssuer(
            hashed_pair(self.generator.seed, self.app_key, length=40, prefixes=("at.", "rt.")),
            clock=self.wall_time,
            ttl_seconds=token_ttl_seconds,
            rotate_refresh=rotate_refresh_tokens,
        )
        for shop in self.shop_ids:
            self.tokens.issue(shop)
        self._index: dict[str, _ShopIndex] = {}
        self._after_sales = ClockedIndex(self._after_sale_entries)
        self._index_version = 0
        self._reindex()
        # Next-page prefetch: while the tap digests page p, page p+1 is rendered here.
        self._prefetch_pool: ThreadPoolExecutor | None = None
        self._prefetched: OrderedDict[tuple, Future[str]] = OrderedDict()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        if self._prefetch_pool is None:
            self._prefetch_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="douyin-sandbox-prefetch")
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._prefetch_pool is not None:
            self._prefetch_pool.shutdown(wait=True, cancel_futures=True)
        self._prefetched.clear()
        self._prefetch_pool = None

    # ------------------------------------------------------------------ clock and data
    def update_time_of(self, i: int) -> int:
        with self._lock:
            return max(self.generator.update_time_at(i, self._now), self._bumps.get(i, 0))

    def order(self, i: int) -> dict:
        """Order ``i`` exactly as the sandbox serves it now (before any tap processing)."""
        with self._lock:
            now, bump = self._now, self._bumps.get(i)
        return self._render(i, now, bump)

    def _render(self, i: int, now: int, bump: int | None) -> dict:
        order = self.generator.order(i, now)
        if bump is not None and bump > order["update_time"]:
            # A seller remark changed the order after the generator's last event.
            order["update_time"] = bump
            order["seller_remark_stars"] = 1 + (bump % 5)
            order["seller_words"] = "已核对地址"
            for sku in order["sku_order_list"]:
                sku["update_time"] = bump
        if self.extra_fields:
            order.update(json.loads(json.dumps(self.extra_fields)))
        if self.extra_sku_fields:
            for sku in order["sku_order_list"]:
                sku.update(json.loads(json.dumps(self.extra_sku_fields)))
        return order

    def _reindex(self) -> None:
        gen = self.generator
        now = self._now
        uts = gen.update_times_at(now)
        for i, bumped in self._bumps.items():
            uts[i] = max(uts[i], bumped)
        per_shop: list[list[int]] = [[] for _ in self.shop_ids]
        shop_of = gen._shop  # noqa: SLF001 - same package, compact array
        for i in range(gen.n_orders):
            per_shop[shop_of[i]].append(i)
        id_number = gen.order_id_number
        index = {}
        for k, members in enumerate(per_shop):
            # Sort by (update_time, order_id): all ids have 19 digits, so comparing them as
            # numbers orders them exactly like the strings; one int key sorts fastest.
            members.sort(key=lambda i: uts[i] * _ID_DIGITS + id_number(i))
            index[self.shop_ids[k]] = _ShopIndex(array("q", (uts[i] for i in members)), members)
        self._index = index
        self._index_version += 1  # invalidates prefetched pages

    def order_facts(self) -> t.Iterator[OrderFact]:
        """Every order as served now, in neutral terms (what an ERP would receive of it)."""
        status_of = {1: "pending_payment", 105: "paid", 2: "paid", 101: "shipped", 3: "shipped", 5: "completed", 4: "cancelled"}
        for i in range(self.generator.n_orders):
            order = self.order(i)
            refunded = sum(
                int(sku["pay_amount"]) for sku in order["sku_order_list"]
                if str((sku.get("after_sale_info") or {}).get("refund_status")) == "3"
            )
            yield OrderFact(
                channel="douyin",
                shop_id=str(order["shop_id"]),
                channel_order_id=str(order["order_id"]),
                ordered_at=dt.datetime.fromtimestamp(int(order["create_time"]), dt.timezone.utc),
                paid_at=dt.datetime.fromtimestamp(int(order["pay_time"]), dt.timezone.utc) if order.get("pay_time") else None,
                status=status_of.get(int(order["order_status"]), "paid"),
                paid_amount=(Decimal(int(order["pay_amount"])) / 100).quantize(_CENT),
                currency="CNY",
                refund_amount=(Decimal(refunded) / 100).quantize(_CENT),
                tracking_numbers=tuple(sorted({str(x["tracking_no"]) for x in order.get("logistics_info") or [] if x.get("tracking_no")})),
            )

    # ------------------------------------------------------------------ message push
    push_acknowledged = staticmethod(p.push_acknowledged)

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """The signed message pushes of what changed in (after_ts, until_ts] (:mod:`.push`)."""
        events = message_push.events(self.generator, after_ts, until_ts)
        return message_push.deliveries(self.app_key, self.app_secret, events, batch=self.push_batch, sign_method=self.push_sign_method)

    # ------------------------------------------------------------------ tokens
    def revoke(self, shop_id: str) -> None:
        """The shop withdrew its authorisation of the app (-> 30001)."""
        with self._lock:
            self.tokens.revoke(shop_id)

    def connection(self, shop_id: str) -> dict:
        """tap-douyin's app credentials and the shop's tokens."""
        return {
            "base_url": self.base_url,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "shop_id": str(shop_id),
            "access_token": self.access_token(shop_id),
            "refresh_token": self.refresh_token(shop_id),
        }

    # ------------------------------------------------------------------ log
    def _log_id(self) -> str:
        stamp = dt.datetime.fromtimestamp(self._wall(), dt.timezone.utc).strftime("%Y%m%d%H%M%S")
        return f"{stamp}{self._log_seq:012d}"

    # ------------------------------------------------------------------ protocol
    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        # Douyin's calls are POSTs; its transport faults (one per call, stalls logged) are in handle().
        if request.method != "POST":
            return SandboxResponse(405, {"code": p.CODE_INVALID_PLATFORM_PARAM, "msg": "use POST"})
        return self.handle(request)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Process one API call: the envelope (pages spliced in already serialised), or a gateway's 503 page."""
        path, query, body = request.path, request.query, request.body
        entry: dict[str, t.Any] = {"at": self._wall(), "path": path, "method": query.get("method")}
        headers: dict[str, str] = {}
        with self._lock:
            stall = self.faults.stall_seconds if self.faults.stall_next > 0 else 0.0
            if stall:
                self.faults.stall_next -= 1
            outage = not stall and self.faults.http_503_next > 0  # one fault per call
            if outage:
                self.faults.http_503_next -= 1
        if stall:
            entry["fault"] = "stall"
            time.sleep(stall)
        if outage:
            entry.update(fault="http_503", code=None, sub_code=None, http_status=503)
            self.record(entry)
            return SandboxResponse(
                503, b"<html><body>503 Service Temporarily Unavailable</body></html>", {"Content-Type": "text/html"}
            )
        try:
            data = self._dispatch(path, query, body, entry)
            envelope = {"code": p.CODE_OK, "msg": "success", "sub_code": "", "sub_msg": "", "data": data}
            status = 200
        except _Reply as reply:
            envelope = {"code": reply.code, "msg": reply.msg, "sub_code": reply.sub_code, "sub_msg": reply.sub_msg, "data": {}}
            status = reply.status
            if reply.code == p.CODE_RATE_LIMITED and self.retry_after_seconds is not None:
                headers["Retry-After"] = f"{self.retry_after_seconds:g}"
        entry["code"] = envelope["code"]
        entry["sub_code"] = envelope["sub_code"]
        entry["http_status"] = status
        self.record(entry)
        envelope["log_id"] = self._log_id()
        return SandboxResponse(status, encode_json(envelope), headers)

    def _dispatch(self, path: str, query: dict[str, str], body: bytes, entry: dict) -> dict:
        routes = {
            p.ORDER_SEARCH_LIST_PATH: self._search_list,
            p.ORDER_DETAIL_PATH: self._order_detail,
            p.AFTER_SALE_LIST_PATH: self._after_sale_list,
            p.TOKEN_REFRESH_PATH: self._token_refresh,
        }
        route = routes.get(path)
        if route is None:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的method", "isv.method-invalid", f"unknown API path {path}", 404)
        method = p.method_for_path(path)
        for name in ("app_key", "method", "timestamp", "v", "sign"):
            if not query.get(name):
                sub = p.SUB_SIGNATURE_MISSING if name == "sign" else "isv.parameter-missing"
                raise _Reply(p.CODE_MISSING_PLATFORM_PARAM, "缺少平台参数", sub, f"missing query parameter {name}")
        if query["app_key"] != self.app_key:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", "isv.app-key-invalid", "unknown app_key")
        if query["method"] != method:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", "isv.method-invalid", f"method {query['method']} does not match path {path}")
        if query["v"] != p.API_VERSION:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", "isv.version-invalid", "v must be 2")
        sign_method = query.get("sign_method") or p.SIGN_METHOD_MD5
        if sign_method not in p.SIGN_METHODS:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", "isv.sign-method-invalid", f"unsupported sign_method {sign_method}")
        try:
            ts = int(query["timestamp"])
        except ValueError:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_TIMESTAMP_INVALID, "timestamp must be Unix seconds") from None
        if abs(self._wall() - ts) > self.timestamp_tolerance_seconds:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_TIMESTAMP_INVALID, "timestamp is more than 10 minutes off")
        try:
            param_json = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_PARAMETER_INVALID, "body is not UTF-8") from None
        expected = p.expected_sign(
            app_key=self.app_key,
            app_secret=self.app_secret,
            method=method,
            param_json=param_json,
            timestamp=query["timestamp"],
            sign_method=sign_method,
        )
        if not hmac.compare_digest(expected, query["sign"]):
            raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_SIGNATURE_INVALID, "签名错误 (signature does not match)")
        try:
            params = json.loads(param_json) if param_json else {}
        except json.JSONDecodeError:
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "param_json is not JSON") from None
        if not isinstance(params, dict):
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "param_json must be an object")
        entry["params"] = {k: ("***" if k == "refresh_token" else v) for k, v in params.items()}

        with self._lock:
            if not self._budget.allows():
                raise _Reply(p.CODE_RATE_LIMITED, "访问太频繁", "isv.request-limit", "app QPS budget exceeded")
            if self.faults.rate_limit_next > 0:
                self.faults.rate_limit_next -= 1
                entry["fault"] = "rate_limit"
                raise _Reply(p.CODE_RATE_LIMITED, "访问太频繁", "isv.request-limit", "injected rate limit")
            if self.faults.busy_next > 0:
                self.faults.busy_next -= 1
                entry["fault"] = "busy"
                raise _Reply(p.CODE_SERVICE_UNAVAILABLE, "服务不可用", p.SUB_SERVICE_ERROR, "injected: service busy")
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
        return route(query, params, entry)

    def _shop_for_token(self, query: dict[str, str], entry: dict) -> str:
        token_value = query.get("access_token")
        if not token_value:
            raise _Reply(p.CODE_MISSING_PLATFORM_PARAM, "缺少平台参数", p.SUB_TOKEN_MISSING, "access_token is required")
        with self._lock:
            token = self.tokens.grant(token_value)
            if token is None:
                raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_TOKEN_NOT_EXIST, "access_token does not exist")
            entry["shop_id"] = token.shop_id
            if not self.tokens.live(token_value):
                raise _Reply(p.CODE_INVALID_PLATFORM_PARAM, "无效的平台参数", p.SUB_TOKEN_EXPIRED, "access_token has expired")
            if self.tokens.revoked(token.shop_id):
                raise _Reply(p.CODE_PERMISSION, "权限不足", p.SUB_AUTHORIZATION_CLOSED, "the shop closed its authorisation of this app")
            return token.shop_id

    def _token_refresh(self, query: dict[str, str], params: dict, entry: dict) -> dict:
        if params.get("grant_type") != "refresh_token":
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "grant_type must be refresh_token")
        refresh = params.get("refresh_token")
        if not refresh:
            raise _Reply(p.CODE_BUSINESS_FAILED, "业务处理失败", p.SUB_REFRESH_TOKEN_INVALID, "refresh_token is missing")
        with self._lock:
            shop_id = self.tokens.holder(refresh)
            if shop_id is None:
                raise _Reply(p.CODE_BUSINESS_FAILED, "业务处理失败", p.SUB_REFRESH_TOKEN_INVALID, "refresh_token is invalid or already used")
            if self.tokens.revoked(shop_id):
                raise _Reply(p.CODE_PERMISSION, "权限不足", p.SUB_AUTHORIZATION_CLOSED, "the shop closed its authorisation of this app")
            entry["shop_id"] = shop_id
            access, new_refresh = self.tokens.issue(shop_id)
        return {
            "access_token": access,
            "expires_in": self.tokens.ttl_seconds,
            "refresh_token": new_refresh,
            "scope": "SCOPE",
            "shop_id": int(shop_id),
            "shop_name": self._shop_name(shop_id),
            "authority_id": "",
            "auth_subject_type": "MiniApp",
        }

    def _shop_name(self, shop_id: str) -> str:
        return catalog.SHOP_NAMES[self.shop_ids.index(shop_id) % len(catalog.SHOP_NAMES)]

    def _search_list(self, query: dict[str, str], params: dict, entry: dict) -> dict:
        shop_id = self._shop_for_token(query, entry)
        page = _int_param(params, "page", 0)
        size = _int_param(params, "size", 10)
        if page < 0:
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "page must be >= 0")
        if not 1 <= size <= p.MAX_PAGE_SIZE:
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"size must be between 1 and {p.MAX_PAGE_SIZE}")
        start = _int_param(params, "update_time_start", None)
        end = _int_param(params, "update_time_end", None)
        if start is not None and end is not None:
            if end < start:
                raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "update_time_end is before update_time_start")
            if self.max_window_seconds is not None and end - start > self.max_window_seconds:
                raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"update_time range exceeds {self.max_window_seconds} seconds")
        order_by = params.get("order_by") or "create_time"
        if order_by not in ("create_time", "update_time"):
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "order_by must be create_time or update_time")
        asc = bool(params.get("order_asc", False))
        c_start = _int_param(params, "create_time_start", None)
        c_end = _int_param(params, "create_time_end", None)

        with self._lock:
            if self.faults.offline_after is not None:
                if self.faults.offline_after <= 0:
                    entry["fault"] = "offline"
                    raise _Reply(p.CODE_API_OFFLINE, "API已下线", "isp.api-service-off", "injected: API offline")
                self.faults.offline_after -= 1
            members = self._window(shop_id, start, end)
            if page > 0 and self.faults.update_during_paging > 0 and members:
                self.faults.update_during_paging -= 1
                entry["fault"] = "update_during_paging"
                moved = members[0]
                self._bumps[moved] = max(self._now, end if end is not None else self._now) + 1
                self._now = max(self._now, self._bumps[moved])
                self._reindex()
                members = self._window(shop_id, start, end)
            now = self._now
            bumps = dict(self._bumps)
            version = self._index_version

        gen = self.generator
        if c_start is not None or c_end is not None:
            members = [i for i in members if (c_start is None or gen.create_time_of(i) >= c_start) and (c_end is None or gen.create_time_of(i) <= c_end)]
        if order_by == "create_time":
            members = sorted(members, key=lambda i: (gen.create_time_of(i), gen.order_id_of(i)))
        if not asc:
            members = members[::-1]
        total = len(members)
        entry["total"] = total
        entry["returned"] = len(members[page * size : (page + 1) * size])
        query_key = (shop_id, version, json.dumps({k: v for k, v in params.items() if k != "page"}, sort_keys=True), size)
        fragment = self._take_prefetched((*query_key, page))
        if fragment is None:
            fragment = self._encode_orders(members[page * size : (page + 1) * size], now, bumps)
        if (page + 1) * size < total:
            self._prefetch((*query_key, page + 1), members[(page + 1) * size : (page + 2) * size], now, bumps)
        return {"page": page, "size": size, "total": total, "shop_order_list": _Fragment(fragment)}

    def _order_detail(self, query: dict[str, str], params: dict, entry: dict) -> dict:
        """``order.orderDetail``: the shop order ``shop_order_id`` as searchList serves it now, under
        ``shop_order_detail``; an id the shop does not have answers 50002 (the real sub_code is unconfirmed)."""
        shop_id = self._shop_for_token(query, entry)
        order_id = params.get("shop_order_id")
        if not isinstance(order_id, str) or not order_id:
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "shop_order_id must be a non-empty string")
        i = self.generator.index_of_order_id(order_id)
        with self._lock:
            now = self._now
            bump = None if i is None else self._bumps.get(i)
        if i is None or self.generator.shop_id_of(i) != shop_id or self.generator.create_time_of(i) > now:
            entry["returned"] = 0
            raise _Reply(p.CODE_BUSINESS_FAILED, "业务处理失败", "isv.business-failed", "订单不存在 (no such order in this shop)")
        entry["returned"] = 1
        return {"shop_order_detail": self._render(i, now, bump)}

    def after_sale_items(self, shop_id: str) -> list[dict]:
        """Every after-sale item of the shop as served now, ascending by (update_time, aftersale_id)."""
        with self._lock:
            now = self._now
        return [item for _key, i, slot in self._after_sales.at(shop_id, now) for item in self._after_sale_item(i, slot, now)]

    def _after_sale_entries(self, shop_id: str, now: int) -> t.Iterator[tuple[tuple[int, int], int, after_sales.Slot]]:
        gen = self.generator
        for i in gen.indexes_for_shop(shop_id):
            for slot in after_sales.slots_of(gen, i):
                updated = slot.update_time_at(now)
                if updated is not None:
                    yield (updated, int(after_sales.after_sale_id(gen, i, slot.slot))), i, slot

    def _after_sale_item(self, i: int, slot: after_sales.Slot, now: int) -> list[dict]:
        return [item for s, item in after_sales.items_of(self.generator, i, now) if s == slot]

    def _after_sale_list(self, query: dict[str, str], params: dict, entry: dict) -> dict:
        """``afterSale/List``: pages from 0, ``size`` <= 100, ``update_start_time`` / ``update_end_time`` (seconds,
        the end exclusive unless ``window_end_inclusive``), ``order_by`` ``["update_time asc"]`` or the default
        (apply time, newest first)."""
        shop_id = self._shop_for_token(query, entry)
        page = _int_param(params, "page", 0)
        size = _int_param(params, "size", 10)
        if page < 0 or not 1 <= size <= p.MAX_PAGE_SIZE:
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"page must be >= 0 and size between 1 and {p.MAX_PAGE_SIZE}")
        start = _int_param(params, "update_start_time", None)
        end = _int_param(params, "update_end_time", None)
        if start is not None and end is not None:
            if end < start:
                raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "update_end_time is before update_start_time")
            if self.max_window_seconds is not None and end - start > self.max_window_seconds:
                raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"update time range exceeds {self.max_window_seconds} seconds")
        order_by = params.get("order_by") or []
        if not isinstance(order_by, list) or any(o not in ("update_time asc", "update_time desc", "apply_time asc", "apply_time desc") for o in order_by):
            raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, "order_by must list '<field> asc|desc'")
        wanted = params.get("aftersale_id")
        with self._lock:
            now = self._now
            if wanted:  # one after-sale by id, whatever its time (the SDK's AftersaleId filter)
                members = [m for m in self._after_sales.at(shop_id, now) if str(m[0][1]) == str(wanted)]
            else:
                members = self._after_sales.window(shop_id, now, start if start is not None else 0, end if end is not None else now + 1, end_inclusive=self.window_end_inclusive)
        if order_by != ["update_time asc"]:
            members = sorted(members, key=lambda m: m[2].apply, reverse=not order_by or order_by[0].endswith("desc"))
        chunk = members[page * size : (page + 1) * size]
        entry["total"] = len(members)
        entry["returned"] = len(chunk)
        items = [item for _key, i, slot in chunk for item in self._after_sale_item(i, slot, now)]
        return {"items": items, "has_more": (page + 1) * size < len(members), "total": len(members), "page": page, "size": size}

    def _encode_orders(self, chunk: list[int], now: int, bumps: dict[int, int]) -> str:
        return json.dumps([self._render(i, now, bumps.get(i)) for i in chunk], ensure_ascii=False, separators=(",", ":"))

    def _prefetch(self, key: tuple, chunk: list[int], now: int, bumps: dict[int, int]) -> None:
        pool = self._prefetch_pool
        if pool is None:
            return
        with self._lock:
            if key in self._prefetched:
                return
            try:
                self._prefetched[key] = pool.submit(self._encode_orders, chunk, now, bumps)
            except RuntimeError:  # pool shut down by stop()
                return
            while len(self._prefetched) > 8:
                self._prefetched.popitem(last=False)

    def _take_prefetched(self, key: tuple) -> str | None:
        with self._lock:
            future = self._prefetched.pop(key, None)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - fall back to rendering inline
            return None

    def _window(self, shop_id: str, start: int | None, end: int | None) -> list[int]:
        """Generator indexes of the shop's orders with update_time in the window, ascending."""
        idx = self._index[shop_id]
        lo = 0 if start is None else bisect.bisect_left(idx.update_times, start)
        if end is None:
            hi = len(idx.orders)
        elif self.window_end_inclusive:
            hi = bisect.bisect_right(idx.update_times, end)
        else:
            hi = bisect.bisect_left(idx.update_times, end)
        return idx.orders[lo:hi]


def _int_param(params: dict, name: str, default: int | None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _Reply(p.CODE_INVALID_BUSINESS_PARAM, "无效的业务参数", p.SUB_PARAMETER_INVALID, f"{name} must be an integer") from None
