"""A local HTTP server that speaks JD's routerjson protocol (and the OAuth token refresh).

The tap talks to it exactly as to ``https://api.jd.com/routerjson``: form (or query) parameters ``method``,
``app_key``, ``access_token``, ``timestamp``, ``v``, ``360buy_param_json``, ``sign``. It verifies what the
gateway verifies and answers with JD's error codes (``{"error_response": {"code", "zh_desc", "en_desc"}}``):

* the md5 signature over every sent parameter but ``sign`` (code 12; missing: 11);
* ``timestamp`` in either accepted format and within 6 minutes of the wall clock (code 8; missing: 7);
* ``app_key`` (21), ``method`` (15), ``v`` = 2.0 (5), issued and unexpired ``access_token`` (19; missing: 18),
  the app's permission for the method (24), a parsable ``360buy_param_json`` (63);
* a per-app QPS budget (code 2, optionally with ``Retry-After``).

Business rules of the order search answer inside ``jingdong_pop_order_<search|enSearch>_responce`` with
``apiResult.success = false`` (window over one month, page_size over the maximum, page beyond the deepest page,
missing order_state / optional_fields). Orders come from :class:`~.generator.JdOrderGenerator` through a per-shop
index sorted by (modified, orderId); only the requested ``optional_fields`` are returned.

Refund applications (``jingdong.pop.afs.soa.refundapply.queryPageList``) answer inside
``…_responce.queryResult{success, result[], totalCount}``, filtered by ``ids``, ``orderId``, ``status`` and the
``applyTime`` / ``checkTime`` ranges (each at most ``refund_max_window_seconds``), ``pageIndex`` 1..100,
``pageSize`` 1..50, sorted by application id (the real order is undocumented, so a tap must not rely on it).

After-sale services (``jingdong.asc.serviceAndRefund.view``) answer inside ``…_responce.pageResult{success, code,
msg, pageNumber, pageSize, totalCount, data[]}``, filtered by ``orderId`` and the apply (<= 7 days) / approve
(<= 10 days) time ranges, ``pageNumber`` from 1, ``pageSize`` 1..50, sorted by service id.

Faults (``sandbox.faults`` or ``POST /_sandbox/faults``): ``rate_limit_next`` (-> code 2), ``busy_next`` (-> 66),
``expire_token`` (tokens in use answer 19 until refreshed), ``truncate_next`` (a page loses its last order, or
with ``truncate_style="body"`` its JSON is cut), ``http_503_next``, ``stall_next``; JD-specific
``update_during_paging`` (the next N requests for a page after the first move an order of that window to a later
``modified``, as a waybill change would) and ``offline_after`` (after N more order calls, code 23 "API stopped").
``requests`` logs method, business parameters and outcome, never a token, signature or secret.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import hmac
import json
import time
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.jd import protocol as p
from orderlayer.sandboxes.jd.generator import AfterSale, Application, JdOrderGenerator

ROUTER_PATH = "/routerjson"
OAUTH_PATH = "/oauth2/refresh_token"


@dataclass
class JdFaults(Faults):
    #: The next N page requests after the first move an already-served order of the window to a later modified.
    update_during_paging: int = 0
    #: After N more successful order calls, answer code 23 (API stopped) until cleared (None = never).
    offline_after: int | None = None


@dataclass
class _ShopIndex:
    modified: list[int] = field(default_factory=list)  # ascending, parallel to `orders`
    orders: list[int] = field(default_factory=list)  # generator indexes


class _Gateway(Exception):  # noqa: N818 - control flow: an error_response to send
    def __init__(self, code: str, detail: str = "") -> None:
        zh, en = p.ERROR_DESCRIPTIONS.get(code, ("错误", "error"))
        super().__init__(f"{code} {en} {detail}".strip())
        self.code = code
        self.zh = zh
        self.en = f"{en}: {detail}" if detail else en


class _Business(Exception):  # noqa: N818 - control flow: apiResult.success = false
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


class JdSandbox(ChannelSandbox[JdOrderGenerator]):
    """One fake JD gateway serving several shops (venderIds) of one app.

    ``as_of`` is the sandbox clock for order state; request ``timestamp`` skew is checked against the real wall
    clock, as the gateway does.
    """

    server_name = "jd-sandbox"
    faults_class = JdFaults
    faults: JdFaults
    #: The tap config keys that carry secrets.
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_secret", "access_token", "refresh_token", "pii_salt")
    generator_class = JdOrderGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        app_key: str = "sandbox-jd-app-key",
        app_secret: str = "sandbox-jd-app-secret",
        token_ttl_seconds: int = 365 * 86_400,
        rotate_refresh_tokens: bool = True,
        max_page_size: int = p.MAX_PAGE_SIZE,
        max_page: int = p.DEFAULT_MAX_PAGES,
        max_window_seconds: int | None = None,
        window_end_inclusive: bool = False,
        retry_after_seconds: float | None = None,
        timestamp_tolerance_seconds: int = p.TIMESTAMP_TOLERANCE_SECONDS,
        truncate_style: str = "rows",
        order_id_as_number: bool = False,
        allowed_methods: t.Iterable[str] = (
            p.METHOD_ORDER_SEARCH, p.METHOD_ORDER_ENSEARCH, p.METHOD_REFUND_APPLY_LIST, p.METHOD_AFTER_SALE_LIST,
        ),
        refund_max_window_seconds: int = p.REFUND_MAX_WINDOW_SECONDS,
        refund_ids_as_numbers: bool = False,
        after_sale_max_window_seconds: t.Mapping[str, int] | None = None,
        after_sale_ids_as_numbers: bool = False,
        after_sale_times_as_epoch_ms: bool = False,
        extra_fields: t.Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        if truncate_style not in ("rows", "body"):
            msg = "truncate_style must be 'rows' or 'body'"
            raise ValueError(msg)
        super().__init__(*world, **common)
        self.app_key = str(app_key)
        self.app_secret = str(app_secret)
        self.qps = qps
        self.max_page_size = max_page_size
        self.max_page = max_page
        #: None = JD's rule (the end at most one calendar month after the start); else a length in seconds.
        self.max_window_seconds = max_window_seconds
        self.window_end_inclusive = window_end_inclusive
        self.retry_after_seconds = retry_after_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.truncate_style = truncate_style
        self.order_id_as_number = order_id_as_number
        self.allowed_methods = set(allowed_methods)
        self.refund_max_window_seconds = refund_max_window_seconds
        self.refund_ids_as_numbers = refund_ids_as_numbers
        self._applications: dict[str, list[Application]] = {shop: [] for shop in self.shop_ids}
        for i in range(self.generator.n_orders):
            self._applications[self.generator.shop_id_of(i)].extend(self.generator.applications(i))
        for apps in self._applications.values():
            apps.sort(key=lambda a: int(a.id))
        self.after_sale_max_window_seconds = dict(after_sale_max_window_seconds or p.AFTER_SALE_MAX_WINDOW_SECONDS)
        self.after_sale_ids_as_numbers = after_sale_ids_as_numbers
        self.after_sale_times_as_epoch_ms = after_sale_times_as_epoch_ms
        self._after_sales: dict[str, list[AfterSale]] = {shop: [] for shop in self.shop_ids}
        for i in range(self.generator.n_orders):
            self._after_sales[self.generator.shop_id_of(i)].extend(self.generator.after_sales(i))
        for services in self._after_sales.values():
            services.sort(key=lambda a: int(a.service_id))
        self.extra_fields = dict(extra_fields or {})
        self._budget = RequestBudget(qps)
        self._bumps: dict[int, int] = {}  # order index -> modified forced by a fault
        # rotate_refresh_tokens: a refresh token is single-use. Whether the platform rotates is unconfirmed
        # (docs/token-store.md): False keeps every issued refresh token valid.
        self.tokens = TokenIssuer(
            hashed_pair(self.generator.seed, self.app_key),
            clock=self.wall_time,
            ttl_seconds=token_ttl_seconds,
            rotate_refresh=rotate_refresh_tokens,
        )
        for shop in self.shop_ids:
            self.tokens.issue(shop)
        self._index: dict[str, _ShopIndex] = {}
        self._reindex()

    # ------------------------------------------------------------------ clock and data
    def modified_of(self, i: int) -> int:
        with self._lock:
            return max(self.generator.modified_at(i, self._now), self._bumps.get(i, 0))

    def order(self, i: int, *, encrypted: bool = False) -> dict:
        """Order ``i`` exactly as served now (all fields, before any tap processing)."""
        with self._lock:
            now, bump = self._now, self._bumps.get(i)
        return self._render(i, now, bump, encrypted=encrypted)

    def order_facts(self) -> t.Iterator[OrderFact]:
        """Every listed order at the sandbox clock, in neutral terms (ERP sandboxes derive from these)."""
        return self.generator.facts(self._now)

    def expected_ids(self, shop_id: str, start: int | None = None, end: int | None = None) -> set[str]:
        """Ids a sync of ``[start, end)`` must deliver (defaults: every order up to the tap_config end)."""
        with self._lock:
            idx = self._index[str(shop_id)]
            lo = 0 if start is None else bisect.bisect_left(idx.modified, start)
            hi = len(idx.orders) if end is None else bisect.bisect_left(idx.modified, end)
            return {self.generator.order_id_of(i) for i in idx.orders[lo:hi]}

    def applications(self, shop_id: str) -> list[Application]:
        """The shop's refund applications visible at the sandbox clock, by id."""
        with self._lock:
            now = self._now
        return [a for a in self._applications[str(shop_id)] if a.visible_at(now)]

    def application(self, a: Application) -> dict:
        """Application ``a`` exactly as served now (all fields, before any tap processing)."""
        with self._lock:
            now = self._now
        return self.generator.application_record(a, now)

    def after_sales(self, shop_id: str) -> list[AfterSale]:
        """The shop's after-sale services visible at the sandbox clock, by service id."""
        with self._lock:
            now = self._now
        return [a for a in self._after_sales[str(shop_id)] if a.visible_at(now)]

    def after_sale(self, a: AfterSale) -> dict:
        """Service ``a`` as the list serves it at the sandbox clock (text times)."""
        with self._lock:
            now = self._now
        return self.generator.after_sale_record(a, now)

    def _render(self, i: int, now: int, bump: int | None, *, encrypted: bool) -> dict:
        order = self.generator.order(i, now, encrypted=encrypted)
        if bump is not None and bump > p.parse_local(order["modified"]):
            order["modified"] = p.format_local(bump)
            order["venderRemark"] = "已核对地址"
        if self.extra_fields:
            order.update(json.loads(json.dumps(self.extra_fields)))
        return order

    def _reindex(self) -> None:
        gen, now = self.generator, self._now
        rows: dict[str, list[tuple[int, int, int]]] = {shop: [] for shop in self.shop_ids}
        for i in range(gen.n_orders):
            if gen.visible_at(i, now):
                modified = max(gen.modified_at(i, now), self._bumps.get(i, 0))
                rows[gen.shop_id_of(i)].append((modified, int(gen.order_id_of(i)), i))
        self._index = {}
        for shop, items in rows.items():
            items.sort()
            self._index[shop] = _ShopIndex([m for m, _, _ in items], [i for _, _, i in items])

    def revoke(self, shop_id: str) -> None:
        """The shop withdrew its authorisation: its tokens and refresh tokens stop working."""
        with self._lock:
            self.tokens.revoke(shop_id)

    def connection(self, shop_id: str) -> dict:
        """tap-jd's router and OAuth URLs, app credentials and the shop's tokens."""
        return {
            "base_url": self.base_url + ROUTER_PATH,
            "oauth_url": self.base_url + OAUTH_PATH,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "shop_id": str(shop_id),
            "access_token": self.access_token(shop_id),
            "refresh_token": self.refresh_token(shop_id),
        }

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.path == OAUTH_PATH:
            return self._oauth(request)
        params = dict(request.query)
        if request.body:
            params.update(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
        entry: dict[str, t.Any] = {"path": request.path, "method": params.get("method")}
        headers: dict[str, str] = {}
        status = 200
        try:
            if request.path != ROUTER_PATH:
                status = 404
                raise _Gateway(p.CODE_INVALID_METHOD, f"unknown path {request.path}")
            method, business = self._verify(params, entry)
            if method == p.METHOD_REFUND_APPLY_LIST:
                body: dict | bytes = self._refund_list(business, entry)
            elif method == p.METHOD_AFTER_SALE_LIST:
                body = self._after_sale_list(business, entry)
            else:
                body = self._order_search(method, business, entry)
            entry["code"] = p.CODE_OK
        except _Gateway as reply:
            entry["code"] = reply.code
            body = {"error_response": {"code": reply.code, "zh_desc": reply.zh, "en_desc": reply.en}}
            if reply.code == p.CODE_CALL_LIMITED and self.retry_after_seconds is not None:
                headers["Retry-After"] = f"{self.retry_after_seconds:g}"
        except _Business as failure:
            entry["code"] = "business"
            entry["error"] = failure.en
            if params.get("method") == p.METHOD_AFTER_SALE_LIST:
                body = {
                    p.response_key(p.METHOD_AFTER_SALE_LIST): {
                        "code": p.CODE_OK,
                        p.AFTER_SALE_RESULT_KEY: {"success": False, "code": "10001", "msg": failure.zh, "data": [], "totalCount": 0},
                    }
                }
            elif params.get("method") == p.METHOD_REFUND_APPLY_LIST:
                body = {
                    p.response_key(p.METHOD_REFUND_APPLY_LIST): {
                        "code": p.CODE_OK,
                        p.REFUND_RESULT_KEY: {"success": False, "errorMsg": failure.zh, "result": [], "totalCount": 0},
                    }
                }
            else:
                body = {
                    p.response_key(str(params.get("method"))): {
                        "code": p.CODE_OK,
                        "searchorderinfo_result": {
                            "apiResult": {"success": False, "chineseErrCode": failure.zh, "englishErrCode": failure.en},
                            "orderTotal": 0,
                            "orderInfoList": [],
                        },
                    }
                }
        entry["http_status"] = status
        self.record(entry)
        return SandboxResponse(status, body, headers)

    def _verify(self, params: dict[str, str], entry: dict) -> tuple[str, dict]:
        """Gateway checks in JD's order; returns the method and the parsed business parameters."""
        for name, missing in (
            ("app_key", p.CODE_MISSING_APP_KEY),
            ("method", p.CODE_MISSING_METHOD),
            ("v", p.CODE_MISSING_VERSION),
            ("timestamp", p.CODE_MISSING_TIMESTAMP),
            ("sign", p.CODE_MISSING_SIGNATURE),
        ):
            if not params.get(name):
                raise _Gateway(missing)
        if params["app_key"] != self.app_key:
            raise _Gateway(p.CODE_INVALID_APP_KEY)
        method = params["method"]
        if method not in (*p.ORDER_METHODS.values(), p.METHOD_REFUND_APPLY_LIST, p.METHOD_AFTER_SALE_LIST):
            raise _Gateway(p.CODE_INVALID_METHOD, method)
        if params["v"] != p.API_VERSION:
            raise _Gateway(p.CODE_UNSUPPORTED_VERSION, params["v"])
        try:
            sent_at = p.parse_timestamp(params["timestamp"])
        except ValueError:
            raise _Gateway(p.CODE_INVALID_TIMESTAMP, "format yyyy-MM-dd HH:mm:ss") from None
        if abs(self._wall() - sent_at) > self.timestamp_tolerance_seconds:
            raise _Gateway(p.CODE_INVALID_TIMESTAMP, "more than 6 minutes off")
        if not hmac.compare_digest(p.expected_sign(params, self.app_secret), params["sign"]):
            raise _Gateway(p.CODE_INVALID_SIGNATURE)
        token_value = params.get("access_token")
        if not token_value:
            raise _Gateway(p.CODE_MISSING_TOKEN)
        try:
            business = json.loads(params.get(p.PARAM_JSON) or "{}")
        except json.JSONDecodeError:
            raise _Gateway(p.CODE_JSON_INVALID) from None
        if not isinstance(business, dict):
            raise _Gateway(p.CODE_JSON_INVALID, "360buy_param_json must be an object")
        entry["params"] = business
        with self._lock:
            token = self.tokens.grant(token_value)
            if token is None or self.tokens.revoked(token.shop_id):
                raise _Gateway(p.CODE_INVALID_TOKEN)
            entry["shop_id"] = token.shop_id
            if not self.tokens.live(token_value) or self.faults.expire_token:
                if self.faults.expire_token:  # every token in use expires now
                    self.faults.expire_token = False
                    self.tokens.expire_all()
                raise _Gateway(p.CODE_INVALID_TOKEN)
            if method not in self.allowed_methods:
                raise _Gateway(p.CODE_NO_API_PERMISSION, method)
            if not self._budget.allows():
                raise _Gateway(p.CODE_CALL_LIMITED, "app QPS budget exceeded")
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _Gateway(p.CODE_CALL_LIMITED, "injected")
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Gateway(p.CODE_BACKEND_UNAVAILABLE, "injected")
        business["_shop_id"] = token.shop_id
        return method, business

    def _order_search(self, method: str, params: dict, entry: dict) -> dict | bytes:
        shop_id = params.pop("_shop_id")
        states = [s for s in str(params.get("order_state") or "").split(",") if s]
        if not states:
            raise _Business("order_state不能为空", "order_state is required")
        unknown = sorted(set(states) - set(p.ORDER_STATES))
        if unknown:
            raise _Business("订单状态不合法", f"unknown order_state {','.join(unknown)}")
        fields = [f for f in str(params.get("optional_fields") or "").split(",") if f]
        if not fields:
            raise _Business("optional_fields不能为空", "optional_fields is required")
        page = _int(params, "page", 1)
        size = _int(params, "page_size", 10)
        if page < 1:
            raise _Business("页码从1开始", "page starts at 1")
        if not 1 <= size <= self.max_page_size:
            raise _Business(f"每页条数不能超过{self.max_page_size}", f"page_size must be 1..{self.max_page_size}")
        if page > self.max_page:
            raise _Business(f"页码不能超过{self.max_page}", f"page must be <= {self.max_page}")
        start, end = self._window(params, states)
        by_created = str(params.get("dateType")) == p.DATE_TYPE_CREATED
        descending = str(params.get("sortType")) == p.SORT_DESCENDING

        with self._lock:
            if self.faults.offline_after is not None:
                if self.faults.offline_after <= 0:
                    entry["fault"] = "offline"
                    raise _Gateway(p.CODE_API_STOPPED, "injected")
                self.faults.offline_after -= 1
            members = self._members(shop_id, start, end, by_created)
            if page > 1 and self.faults.update_during_paging > 0 and members:
                self.faults.update_during_paging -= 1
                entry["fault"] = "update_during_paging"
                moved = members[0]
                self._bumps[moved] = max(self._now, end) + 1
                self._now = self._bumps[moved]
                self._reindex()
                members = self._members(shop_id, start, end, by_created)
            now, bumps = self._now, dict(self._bumps)
        gen = self.generator
        members = [i for i in members if gen.state_at(i, now) in states]
        if descending:
            members = members[::-1]
        total = len(members)
        chunk = members[(page - 1) * size : page * size]
        encrypted = method == p.METHOD_ORDER_ENSEARCH
        wanted = set(fields)
        orders = []
        for i in chunk:
            order = {k: v for k, v in self._render(i, now, bumps.get(i), encrypted=encrypted).items() if k in wanted or k in self.extra_fields}
            if self.order_id_as_number and "orderId" in order:
                order["orderId"] = int(order["orderId"])
            orders.append(order)
        truncated = bool(orders) and self.take_fault("truncate_next")
        if truncated and self.truncate_style == "rows":
            orders = orders[:-1]
        entry.update(total=total, returned=len(orders), **({"fault": "truncate"} if truncated else {}))
        body = {
            p.response_key(method): {
                "code": p.CODE_OK,
                "searchorderinfo_result": {
                    "apiResult": {"success": True, "chineseErrCode": "成功", "englishErrCode": "success"},
                    "orderTotal": total,
                    "orderInfoList": orders,
                },
            }
        }
        if truncated and self.truncate_style == "body":
            data = encode_json(body)
            return data[: len(data) * 3 // 5]
        return body

    def _refund_list(self, params: dict, entry: dict) -> dict | bytes:
        shop_id = params.pop("_shop_id")
        page = _int(params, "pageIndex", 1)
        size = _int(params, "pageSize", 10)
        if not 1 <= page <= p.REFUND_DEFAULT_MAX_PAGES:
            raise _Business(f"页码区间为1-{p.REFUND_DEFAULT_MAX_PAGES}", f"pageIndex must be 1..{p.REFUND_DEFAULT_MAX_PAGES}")
        if not 1 <= size <= p.REFUND_MAX_PAGE_SIZE:
            raise _Business(f"每页条数区间为1-{p.REFUND_MAX_PAGE_SIZE}", f"pageSize must be 1..{p.REFUND_MAX_PAGE_SIZE}")
        ranges = {field: self._refund_range(params, start_key, end_key) for field, (start_key, end_key) in p.REFUND_TIME_FILTERS.items()}
        ids = {x.strip() for x in str(params.get("ids") or "").split(",") if x.strip()}
        order_id = str(params.get("orderId") or "").strip()
        status = str(params.get("status") if params.get("status") is not None else "").strip()
        if not (ids or order_id or any(ranges.values())):
            raise _Business("查询条件不能为空", "give ids, orderId or an applyTime / checkTime range")
        with self._lock:
            now = self._now
        gen = self.generator
        chosen = []
        for a in self._applications[shop_id]:
            if not a.visible_at(now):
                continue
            record = gen.application_record(a, now)
            if ids and a.id not in ids or order_id and record["orderId"] != order_id or status and record["status"] != status:
                continue
            if not all(self._in_range(record[field], bounds) for field, bounds in ranges.items() if bounds):
                continue
            chosen.append(record)
        total = len(chosen)
        rows = chosen[(page - 1) * size : page * size]
        if self.refund_ids_as_numbers:
            rows = [{**r, "id": int(r["id"]), "orderId": int(r["orderId"])} for r in rows]
        truncated = bool(rows) and self.take_fault("truncate_next")
        if truncated and self.truncate_style == "rows":
            rows = rows[:-1]
        entry.update(total=total, returned=len(rows), **({"fault": "truncate"} if truncated else {}))
        body = {
            p.response_key(p.METHOD_REFUND_APPLY_LIST): {
                "code": p.CODE_OK,
                p.REFUND_RESULT_KEY: {"success": True, "result": rows, "totalCount": total},
            }
        }
        if truncated and self.truncate_style == "body":
            data = encode_json(body)
            return data[: len(data) * 3 // 5]
        return body

    def _after_sale_list(self, params: dict, entry: dict) -> dict | bytes:
        """``jingdong.asc.serviceAndRefund.view``: by orderId or apply / approve time ranges, pageNumber from 1."""
        shop_id = params.pop("_shop_id")
        page = _int(params, "pageNumber", 1)
        size = _int(params, "pageSize", 10)
        if page < 1:
            raise _Business("页码从1开始", "pageNumber starts at 1")
        if not 1 <= size <= p.AFTER_SALE_MAX_PAGE_SIZE:
            raise _Business(f"每页大小1-{p.AFTER_SALE_MAX_PAGE_SIZE}", f"pageSize must be 1..{p.AFTER_SALE_MAX_PAGE_SIZE}")
        ranges = {}
        for name, (start_key, end_key) in p.AFTER_SALE_TIME_FILTERS.items():
            bounds = self._refund_range(params, start_key, end_key, limit=self.after_sale_max_window_seconds[name])
            if bounds:
                ranges[name] = bounds
        order_id = str(params.get("orderId") or "").strip()
        if not (order_id or ranges):
            raise _Business("查询条件不能为空", "give orderId or an applyTime / approveTime range")
        with self._lock:
            now = self._now
        gen = self.generator
        chosen = []
        for a in self._after_sales[shop_id]:
            if not a.visible_at(now):
                continue
            record = gen.after_sale_record(a, now)
            bill = record["sameOrderServiceBill"]
            if order_id and bill["orderId"] != order_id:
                continue
            times = {"applyTime": bill["afsApplyTime"], "approveTime": bill["approveDate"] or ""}
            if not all(self._in_range(times[name], bounds) for name, bounds in ranges.items()):
                continue
            if self.after_sale_times_as_epoch_ms:
                record = gen.after_sale_record(a, now, epoch_ms=True)
            chosen.append(record)
        total = len(chosen)
        rows = chosen[(page - 1) * size : page * size]
        if self.after_sale_ids_as_numbers:
            rows = [
                {**r, "afsRefundId": None if r["afsRefundId"] is None else int(r["afsRefundId"]),
                 "sameOrderServiceBill": {**r["sameOrderServiceBill"], **{
                     k: int(r["sameOrderServiceBill"][k]) for k in ("serviceId", "afsApplyId", "orderId", "wareId")}}}
                for r in rows
            ]
        truncated = bool(rows) and self.take_fault("truncate_next")
        if truncated and self.truncate_style == "rows":
            rows = rows[:-1]
        entry.update(total=total, returned=len(rows), **({"fault": "truncate"} if truncated else {}))
        body = {
            p.response_key(p.METHOD_AFTER_SALE_LIST): {
                "code": p.CODE_OK,
                p.AFTER_SALE_RESULT_KEY: {
                    "success": True, "code": p.AFTER_SALE_OK_CODE, "msg": "成功",
                    "pageNumber": str(page), "pageSize": str(size), "totalCount": str(total), "data": rows,
                },
            }
        }
        if truncated and self.truncate_style == "body":
            data = encode_json(body)
            return data[: len(data) * 3 // 5]
        return body

    def _refund_range(self, params: dict, start_key: str, end_key: str, *, limit: int | None = None) -> tuple[int, int] | None:
        raw_start, raw_end = params.get(start_key), params.get(end_key)
        if not raw_start and not raw_end:
            return None
        try:
            start, end = p.parse_local(str(raw_start)), p.parse_local(str(raw_end))
        except ValueError:
            raise _Business("时间格式不正确", f"{start_key}/{end_key} must be yyyy-MM-dd HH:mm:ss") from None
        if end < start:
            raise _Business("结束时间不能早于开始时间", f"{end_key} is before {start_key}")
        limit = self.refund_max_window_seconds if limit is None else limit
        if end - start > limit:
            raise _Business("查询时间跨度过大", f"{start_key}..{end_key} exceeds {limit} s")
        return start, end

    def _in_range(self, value: str, bounds: tuple[int, int]) -> bool:
        if not value:
            return False
        moment = p.parse_local(value)
        return bounds[0] <= moment and (moment <= bounds[1] if self.window_end_inclusive else moment < bounds[1])

    def _window(self, params: dict, states: list[str]) -> tuple[int, int]:
        raw_start, raw_end = params.get("start_date"), params.get("end_date")
        if not raw_start and not raw_end:
            if states != ["WAIT_SELLER_STOCK_OUT"]:
                raise _Business("开始时间和结束时间不能为空", "start_date and end_date are required")
            return self._now - 30 * 86_400, self._now + 1  # "the previous month"
        try:
            start, end = p.parse_local(str(raw_start)), p.parse_local(str(raw_end))
        except ValueError:
            raise _Business("时间格式不正确", "start_date/end_date must be yyyy-MM-dd HH:mm:ss") from None
        if end < start:
            raise _Business("结束时间不能早于开始时间", "end_date is before start_date")
        if self.max_window_seconds is not None:
            too_long = end - start > self.max_window_seconds
        else:
            too_long = end > _one_month_later(start)
        if too_long:
            raise _Business("查询时间跨度不能超过一个月", "the query window exceeds one month")
        return start, end

    def _members(self, shop_id: str, start: int, end: int, by_created: bool) -> list[int]:
        """Generator indexes of the shop's listed orders in the window, ascending by (time, orderId)."""
        idx = self._index[shop_id]
        if by_created:
            gen = self.generator
            chosen = [i for i in idx.orders if start <= gen.create_time_of(i) and (gen.create_time_of(i) <= end if self.window_end_inclusive else gen.create_time_of(i) < end)]
            return sorted(chosen, key=lambda i: (gen.create_time_of(i), int(gen.order_id_of(i))))
        lo = bisect.bisect_left(idx.modified, start)
        hi = bisect.bisect_right(idx.modified, end) if self.window_end_inclusive else bisect.bisect_left(idx.modified, end)
        return idx.orders[lo:hi]

    # ------------------------------------------------------------------ OAuth
    def _oauth(self, request: SandboxRequest) -> SandboxResponse:
        params = dict(request.query)
        if request.body:
            params.update(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))
        entry: dict[str, t.Any] = {"path": request.path, "method": "oauth2.refresh_token"}
        request_id = hashlib.sha256(f"{self._wall()}:{self.tokens.issued}".encode()).hexdigest()[:16]
        if params.get("app_key") != self.app_key or params.get("app_secret") != self.app_secret:
            body: dict = {"code": 401, "msg": "invalid app_key or app_secret", "requestId": request_id}
        elif params.get("grant_type") != "refresh_token":
            body = {"code": 400, "msg": "grant_type must be refresh_token", "requestId": request_id}
        else:
            with self._lock:
                shop_id = self.tokens.holder(params.get("refresh_token") or "")
                if shop_id is None or self.tokens.revoked(shop_id):
                    body = {"code": 402, "msg": "refresh_token is invalid or expired", "requestId": request_id}
                else:
                    access, refresh = self.tokens.issue(shop_id)
                    entry["shop_id"] = shop_id
                    body = {
                        "access_token": access,
                        "expires_in": self.tokens.ttl_seconds,
                        "refresh_token": refresh,
                        "scope": "snsapi_base",
                        "open_id": hashlib.sha256(f"vender:{shop_id}".encode()).hexdigest()[:24],
                        "uid": shop_id,
                        "time": int(self._wall() * 1000),
                        "token_type": "bearer",
                        "code": 0,
                    }
        entry["code"] = str(body["code"])
        self.record(entry)
        return SandboxResponse(200, body)


def _int(params: dict, name: str, default: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool):
        raise _Business(f"{name}格式不正确", f"{name} must be a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _Business(f"{name}格式不正确", f"{name} must be a number") from None


def _one_month_later(epoch: int) -> int:
    """The same Beijing wall-clock time one calendar month later (the day clipped to the month's length)."""
    moment = dt.datetime.fromtimestamp(epoch, p.BEIJING)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    for day in (moment.day, 30, 29, 28):
        try:
            return int(moment.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    raise AssertionError("unreachable")
