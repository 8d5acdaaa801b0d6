"""A local HTTP server that speaks the youzanyun (有赞云) open-API protocol.

The tap talks to it exactly as to ``open.youzanyun.com``: ``POST /auth/token`` (self-use app "silent" grant) and
``POST /api/youzan.trades.sold.get/{version}?access_token=...`` with a JSON body, answered in the platform's
three shapes (success / business error / ``gw_err_resp``), all with HTTP 200. It checks what the gateway checks:

* path form (4001), API name and version (4005), method and content type (4007), JSON body (4004);
* the token: missing or authorisation closed (4201), expired (4202), unknown (4203), no capability (4204);
* ``page_size`` and ``page_no`` <= 100 and start <= end (business 5000), a range of at most 3 months, an end at
  most 7 days past the clock (106000003), and times in ``yyyy-MM-dd HH:mm:ss`` (gateway 5001 otherwise);
* a per-app QPS budget (gateway 4101).

Faults (``set_faults`` or ``POST /_sandbox/faults``): ``rate_limit_next`` (4101), ``busy_next`` (business
106000001, a timeout), ``expire_token`` (every token in use expires -> 4202), ``truncate_next`` (a page misses
its last row), ``http_503_next``, ``stall_next``, ``update_during_paging`` (the next N requests for a later
page first move an order of that window past its end, as a buyer action would) and ``offline_after`` (after N
more order calls every call fails with gateway 5002: a sync killed half-way). ``requests`` logs each call
(API, business parameters, outcome) without tokens or secrets.

Pushes: subscribed (``subscribe``), it posts each trade event as a message signed with ``Event-Sign`` as the clock
advances (:meth:`YouzanSandbox.push_deliveries`; docs/channels/youzan.md "Push"); ``trades.sold.get`` filters by
``tid`` for a push's fetch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import typing as t
from dataclasses import dataclass
from urllib.parse import quote

import simplejson

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.push import Delivery
from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair
from orderlayer.sandboxes.kit.after_sales import ClockedIndex
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse
from orderlayer.sandboxes.youzan import protocol as p
from orderlayer.sandboxes.youzan import refunds
from orderlayer.sandboxes.youzan.generator import DAY, YouzanOrderGenerator

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from orderlayer.sandboxes.kit.synth import OrderFact

ORDER_BY = ("created_desc", "update_asc")


@dataclass
class YouzanFaults(Faults):
    #: The next N requests for page >= 2 first move an order of the window past the window's end.
    update_during_paging: int = 0
    #: After N more successful order calls, every order call fails (gateway 5002, not retriable): a sync
    #: killed half-way, to prove it resumes from its last state.
    offline_after: int | None = None


class _Answer(Exception):  # noqa: N818 - control flow: an error answer to send
    def __init__(self, code: int, message: str, *, gateway: bool, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.gateway = gateway
        self.headers = headers or {}


def _gateway(code: int, message: str, **kwargs: t.Any) -> _Answer:  # noqa: ANN401
    return _Answer(code, message, gateway=True, **kwargs)


def _business(code: int, message: str) -> _Answer:
    return _Answer(code, message, gateway=False)


class YouzanSandbox(ChannelSandbox[YouzanOrderGenerator]):
    """One fake youzanyun gateway for one self-use app authorised by several shops (kdt_id).

    ``as_of`` is the sandbox clock for order state; token expiry is checked against the wall clock.
    """

    server_name = "youzan-sandbox"
    faults_class = YouzanFaults
    #: Tap config keys holding secrets (the demo and tests keep them out of logs and reports).
    SECRET_CONFIG_KEYS: tuple[str, ...] = ("client_secret", "access_token", "pii_salt")
    generator_class = YouzanOrderGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 20.0,
        client_id: str = "yzsandboxclient0001",
        client_secret: str = "yz-sandbox-client-secret",
        token_ttl_seconds: int = 7 * DAY,
        amounts_as: str = "string",
        line_refund_state: bool = False,
        order_by: str = "created_desc",
        window_end_inclusive: bool = True,
        retry_after_seconds: float | None = None,
        plaintext_pii_per_10000: int | None = None,
        extra_order_fields: t.Mapping[str, t.Any] | None = None,
        extra_line_fields: t.Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        if order_by not in ORDER_BY:
            msg = f"order_by must be one of {ORDER_BY}"
            raise ValueError(msg)
        extra = {} if plaintext_pii_per_10000 is None else {"plaintext_pii_per_10000": plaintext_pii_per_10000}
        super().__init__(*world, **extra, **common)
        self.client_id = client_id
        self.client_secret = client_secret
        self.amounts_as = amounts_as
        self.line_refund_state = line_refund_state
        self.order_by = order_by
        self.window_end_inclusive = window_end_inclusive
        self.retry_after_seconds = retry_after_seconds
        # fields the fact sheet does not list (a newer API version): the tap must pass them through
        self.extra_order_fields = json.dumps(dict(extra_order_fields or {}))
        self.extra_line_fields = json.dumps(dict(extra_line_fields or {}))
        self._budget = RequestBudget(qps)
        self._bumps: dict[int, int] = {}  # order index -> update time forced by a fault
        self._refunds = ClockedIndex(self._refund_entries)
        # Youzan grants access tokens only (a new grant replaces a refresh token).
        self.tokens = TokenIssuer(
            hashed_pair(self.generator.seed, self.client_id), clock=self.wall_time, ttl_seconds=token_ttl_seconds
        )
        self._no_permission: set[str] = set()
        self.ip_blocked = False
        for shop in self.shop_ids:
            self.tokens.issue(shop)
        self._index: dict[str, tuple[list[int], list[int]]] = {}
        self._reindex()

    # ------------------------------------------------------------------ clock and data
    @property
    def start_ts(self) -> int:
        """Epoch of the earliest generated order: a sync from here covers every order."""
        return self.generator.first_create_ts

    def update_time_of(self, i: int) -> int:
        with self._lock:
            return max(self.generator.update_time_at(i, self._now), self._bumps.get(i, 0))

    def order(self, i: int) -> dict:
        """``full_order_info`` of order ``i`` exactly as served now (before any tap processing)."""
        with self._lock:
            now, bump = self._now, self._bumps.get(i)
        return self._render(i, now, bump)

    def _render(self, i: int, now: int, bump: int | None) -> dict:
        order = self.generator.render(i, now, amounts_as=self.amounts_as, line_refund_state=self.line_refund_state)
        if bump is not None and p.format_local(bump) > order["order_info"]["update_time"]:
            # A seller memo changed the order after its last lifecycle event.
            order["order_info"]["update_time"] = p.format_local(bump)
            order["remark_info"]["trade_memo"] = "已核对地址"
            order["remark_info"]["star"] = 1 + bump % 5
        order["order_info"].update(json.loads(self.extra_order_fields))
        for line in order["orders"]:
            line.update(json.loads(self.extra_line_fields))
        return order

    def expected_tids(self, shop_id: str, start: int, end: int | None = None) -> set[str]:
        """Order numbers a lossless sync of ``[start, end]`` (default: up to the clock) must deliver."""
        end = self._now if end is None else end
        with self._lock:
            return {
                self.generator.tid_of(i)
                for i in self.generator.indexes_for_shop(shop_id)
                if start <= max(self.generator.update_time_at(i, self._now), self._bumps.get(i, 0)) <= end
            }

    def order_facts(self) -> Iterator[OrderFact]:
        """Every order's neutral facts at the sandbox clock (for the ERP sandboxes)."""
        return self.generator.order_facts(self._now)

    def _reindex(self) -> None:
        gen = self.generator
        index = {}
        for shop in self.shop_ids:
            members = gen.indexes_for_shop(shop)
            times = {i: max(gen.update_time_at(i, self._now), self._bumps.get(i, 0)) for i in members}
            members.sort(key=lambda i: (times[i], gen.tid_of(i)))
            index[shop] = ([times[i] for i in members], members)
        self._index = index

    def _window(self, shop_id: str, start: int | None, end: int | None) -> list[int]:
        times, members = self._index[shop_id]
        lo = 0 if start is None else bisect.bisect_left(times, start)
        if end is None:
            hi = len(members)
        else:
            hi = bisect.bisect_right(times, end) if self.window_end_inclusive else bisect.bisect_left(times, end)
        return members[lo:hi]

    # ------------------------------------------------------------------ pushes
    push_acknowledged = staticmethod(p.push_acknowledged)

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """One signed JSON message per trade event in (after_ts, until_ts], oldest first (docs/channels/youzan.md
        "Push"): ``Event-Sign`` = md5(client_id + body + client_secret), ``Event-Type`` the event's type."""
        gen = self.generator
        events = []
        for i, tl in enumerate(gen.timelines):
            happened = {"create": tl.create, **{name: tl.at(name, until_ts) for name in p.PUSH_TYPES if name != "create"}}
            events.extend((at, i, name) for name, at in happened.items() if after_ts < at <= until_ts)
        return [self._delivery(i, name, at) for at, i, name in sorted(events)]

    def _delivery(self, i: int, name: str, at: int) -> Delivery:
        gen = self.generator
        tid = gen.tid_of(i)
        shop = gen.shop_ids[gen.timelines[i].shop]
        # the generator renders no state before its as_of: an event replayed from before it shows the as_of state
        status = self._render(i, max(at, gen.as_of_ts), None)["order_info"]["status"]
        message = {
            "client_id": self.client_id, "id": tid, "kdt_id": int(shop), "kdt_name": f"沙箱店铺{shop}", "mode": 1,
            "msg": quote(json.dumps({"tid": tid, "status": status, "update_time": p.format_local(at)}, ensure_ascii=False)),
            "sendCount": 0, "status": status, "test": False, "type": p.PUSH_TYPES[name], "version": at,
        }
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        headers = {
            "Content-Type": "application/json;charset=UTF-8",
            "Client-Id": self.client_id,
            "Event-Type": p.PUSH_TYPES[name],
            "Event-Sign": p.push_sign(self.client_id, body, self.client_secret),
        }
        # every event moves update_time (source_updated_at) to its time
        return Delivery(body.encode("utf-8"), headers, (f"{tid}:{name}:{at}",), at, signature_header="Event-Sign", changes=((tid, at),))

    # ------------------------------------------------------------------ tokens and shops
    def revoke(self, shop_id: str) -> None:
        """The shop closed its authorisation of the app (API -> 4201, token grant -> 1103)."""
        with self._lock:
            self.tokens.revoke(shop_id)

    def deny_permission(self, shop_id: str) -> None:
        """The app lacks the order capability for this shop (API -> 4204)."""
        with self._lock:
            self._no_permission.add(str(shop_id))

    def connection(self, shop_id: str) -> dict:
        """tap-youzan's gateway, client credentials, the shop (kdt_id) and its access token."""
        return {
            "base_url": self.base_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "kdt_id": str(shop_id),
            "access_token": self.access_token(str(shop_id)),
        }

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        entry: dict[str, t.Any] = {"path": request.path, "http_method": request.method}
        headers: dict[str, str] = {}
        try:
            if request.path == p.TOKEN_PATH:
                entry["method"] = "auth.token"
                return self._token(request, entry)
            data = self._api(request, entry)
            body: dict = {"trace_id": self._trace_id(), "code": p.CODE_OK, "success": True, "message": "successful", "data": data}
            entry.update(code=p.CODE_OK, layer="business")
        except _Answer as answer:
            headers = answer.headers
            entry.update(code=answer.code, layer="gateway" if answer.gateway else "business")
            if answer.gateway:
                body = {"gw_err_resp": {"trace_id": self._trace_id(), "err_msg": answer.message, "err_code": answer.code}}
            else:
                body = {"code": answer.code, "data": None, "success": False, "message": answer.message, "request_id": None}
        entry["http_status"] = 200
        self.record(entry)
        return SandboxResponse(200, _encode(body), headers)

    def _trace_id(self) -> str:
        return f"yz7-0a3e-{int(self._wall() * 1000)}-{self._log_seq + 1}"

    # ---- /auth/token
    def _token(self, request: SandboxRequest, entry: dict) -> SandboxResponse:
        def refuse(code: int, message: str) -> SandboxResponse:
            entry.update(code=code, layer="token", http_status=200)
            self.record(entry)
            return SandboxResponse(200, _encode({"success": False, "code": code, "data": None, "message": message}))

        if "application/json" not in request.headers.get("content-type", ""):
            return refuse(p.TOKEN_BAD_SECRET, "Content type not supported,Please use 'application/json;charset=UTF-8'")
        try:
            body = request.json()
        except ValueError:
            return refuse(p.TOKEN_BAD_SECRET, "body is not JSON")
        if not isinstance(body, dict):
            return refuse(p.TOKEN_BAD_SECRET, "body must be a JSON object")
        entry["params"] = {k: v for k, v in body.items() if k != "client_secret"}
        if body.get("client_id") != self.client_id:
            return refuse(p.TOKEN_NO_CLIENT, "Client 不存在")
        if body.get("client_secret") != self.client_secret:
            return refuse(p.TOKEN_BAD_SECRET, "client_secret 不正确")
        if body.get("authorize_type") != p.AUTHORIZE_SILENT:
            return refuse(1005, "authorize_type 不支持")
        shop = str(body.get("grant_id") or "")
        with self._lock:
            if shop not in self.shop_ids or self.tokens.revoked(shop):
                return refuse(p.TOKEN_NO_CLIENT, "授权关系不存在")
            entry["shop_id"] = shop
            reusable = self.tokens.live(self.tokens.access_token(shop))
            token = self.tokens.access_token(shop) if reusable and body.get("refresh") is not True else self.tokens.issue(shop)[0]
            expires = self.tokens.grant(token).expires_at
        entry.update(code=p.CODE_OK, layer="token", http_status=200, refreshed=not reusable or body.get("refresh") is True)
        self.record(entry)
        data = {"access_token": token, "expires": int(expires * 1000), "scope": "trade shop item", "authority_id": shop}
        return SandboxResponse(200, _encode({"success": True, "code": p.CODE_OK, "message": "success", "data": data}))

    # ---- /api/{name}/{version}
    def _api(self, request: SandboxRequest, entry: dict) -> dict:
        route = p.split_api_path(request.path)
        if route is None:
            raise _gateway(p.GW_BAD_ADDRESS, "非法请求地址")
        method, version = route
        entry["method"] = method
        served = (method == p.TRADES_SOLD_GET and version in p.API_VERSIONS) or (
            method == p.TRADE_REFUND_SEARCH and version in p.REFUND_SEARCH_VERSIONS
        )
        if not served:
            raise _gateway(p.GW_BAD_API, "非法的API")
        content_type = request.headers.get("content-type", "")
        if request.method not in ("GET", "POST") or (request.method == "POST" and "application/json" not in content_type):
            raise _gateway(p.GW_BAD_REQUEST, f"非法的请求姿势，httpMethod:{request.method}, contentType:{content_type}")
        if self.ip_blocked:
            raise _gateway(p.GW_BAD_REQUEST, "源IP地址127.0.0.1非法调用有赞云")
        try:
            params = json.loads(request.body or b"{}")
        except ValueError:
            params = None
        if isinstance(params, dict):
            entry["params"] = params  # logged even when a fault answers first
        shop = self._shop_for_token(request.query.get("access_token"), entry)
        with self._lock:
            if not self._budget.allows():
                raise _gateway(p.GW_RATE_LIMITED, "访问频繁", headers=self._retry_headers())
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _gateway(p.GW_RATE_LIMITED, "访问频繁", headers=self._retry_headers())
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _business(p.BIZ_TIMEOUT, "请求超时，请稍后重试")
        if not isinstance(params, dict):
            raise _gateway(p.GW_BAD_CONTENT, "非法的Content")
        if method == p.TRADE_REFUND_SEARCH:
            return self._refund_search(shop, params, entry)
        return self._sold_get(shop, params, entry)

    def refund_items(self, shop_id: str) -> list[dict]:
        """Every refund of the shop as served now, oldest ``modified`` first (ties by refund_id)."""
        with self._lock:
            now = self._now
        return [item for _key, i, slot in self._refunds.at(shop_id, now) for s, item in refunds.refunds_of(self.generator, i, now) if s == slot]

    def _refund_entries(self, shop_id: str, now: int) -> t.Iterator[tuple[tuple[int, int], int, refunds.Slot]]:
        gen = self.generator
        for i in gen.indexes_for_shop(shop_id):
            for slot in refunds.slots_of(gen, i):
                modified = slot.modified_at(now)
                if modified is not None:
                    yield (modified, int(refunds.refund_id_of(gen, i, slot))), i, slot

    def _refund_search(self, shop: str, params: dict, entry: dict) -> dict:
        """``youzan.trade.refund.search``: refunds with ``modified`` from ``update_time_start`` to
        ``update_time_end`` (Unix seconds; the end as the order list treats it), newest first, ``page_no`` from 1,
        ``page_size`` <= 100, ``total``."""
        page_no = _int_param(params, "page_no", 1)
        page_size = _int_param(params, "page_size", 20)
        if not 1 <= page_size <= p.MAX_PAGE_SIZE or page_no < 1:
            raise _business(p.BIZ_INVALID_PARAM, "page_no >= 1, page_size 1-100")
        if params.get("update_time_start") is None or params.get("update_time_end") is None:
            raise _business(p.BIZ_INVALID_PARAM, "update_time_start 与 update_time_end 需成对传入")
        start = _int_param(params, "update_time_start", 0)
        end = _int_param(params, "update_time_end", 0)
        if start > end:
            raise _business(p.BIZ_INVALID_PARAM, "开始时间不能大于结束时间")
        with self._lock:
            now = self._now
            members = self._refunds.window(shop, now, start, end, end_inclusive=self.window_end_inclusive)
        members.reverse()
        chunk = members[(page_no - 1) * page_size : page_no * page_size]
        items = [item for _key, i, slot in chunk for s, item in refunds.refunds_of(self.generator, i, now) if s == slot]
        entry.update(total=len(members), returned=len(items))
        return {"refunds": items, "total": len(members)}

    def _retry_headers(self) -> dict[str, str]:
        return {} if self.retry_after_seconds is None else {"Retry-After": f"{self.retry_after_seconds:g}"}

    def _shop_for_token(self, token_value: str | None, entry: dict) -> str:
        if not token_value:
            raise _gateway(p.GW_CREDENTIAL_INVALID, "非法的请求凭证")
        with self._lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
                entry["fault"] = "expire_token"
            token = self.tokens.grant(token_value)
            if token is None:
                raise _gateway(p.GW_TOKEN_NOT_FOUND, "Token 不存在")
            entry["shop_id"] = token.shop_id
            if not self.tokens.live(token_value):
                raise _gateway(p.GW_TOKEN_EXPIRED, "请求凭证过期")
            if self.tokens.revoked(token.shop_id):
                raise _gateway(p.GW_CREDENTIAL_INVALID, "非法的请求凭证")
            if token.shop_id in self._no_permission:
                raise _gateway(p.GW_NO_PERMISSION, "无权限访问")
            return token.shop_id

    def _sold_get(self, shop: str, params: dict, entry: dict) -> dict:
        page_no = _int_param(params, "page_no", 1)
        page_size = _int_param(params, "page_size", 20)
        if not 1 <= page_size <= p.MAX_PAGE_SIZE:
            raise _business(p.BIZ_INVALID_PARAM, "每页最多显示100条数据")
        if not 1 <= page_no <= p.MAX_PAGE_NO:
            raise _business(p.BIZ_INVALID_PARAM, "page_no 取值范围为 1-100")
        start, end = _time_range(params, "start_update", "end_update")
        c_start, c_end = _time_range(params, "start_created", "end_created")
        for low, high in ((start, end), (c_start, c_end)):
            if low is None or high is None:
                continue
            if low > high:
                raise _business(p.BIZ_INVALID_PARAM, "开始时间不能大于结束时间")
            if _months_later(low, 3) < high:
                raise _business(p.BIZ_INVALID_PARAM, "时间跨度不能超过3个月")
            if high > self._now + p.MAX_END_AHEAD_SECONDS:
                raise _business(p.BIZ_TIMEOUT_OR_END_TOO_LATE, "结束时间不能超过当前日期后7天")
        status = params.get("status")
        gen = self.generator
        with self._lock:
            if self.faults.offline_after is not None:
                if self.faults.offline_after <= 0:
                    entry["fault"] = "offline"
                    raise _gateway(p.GW_BUSINESS_ERROR, "业务异常")
                self.faults.offline_after -= 1
            members = self._window(shop, start, end)
            if page_no > 1 and members and self.take_fault("update_during_paging"):
                entry["fault"] = "update_during_paging"
                moved = self._ordered(members)[0]  # served on page 1
                self._bumps[moved] = max(self._now, end if end is not None else self._now) + 1
                self._now = max(self._now, self._bumps[moved])
                self._reindex()
                members = self._window(shop, start, end)
            now, bumps = self._now, dict(self._bumps)
        if c_start is not None:
            members = [i for i in members if c_start <= gen.timelines[i].create <= c_end]  # type: ignore[operator]
        if params.get("tid"):  # §2's order-number filter (a push's fetch)
            members = [i for i in members if gen.tid_of(i) == str(params["tid"])]
        members = self._ordered(members)
        rendered_page = members[(page_no - 1) * page_size : page_no * page_size]
        orders = [self._render(i, now, bumps.get(i)) for i in rendered_page]
        if status:
            wanted = "TRADE_CLOSED" if status == "TRADE_CLOSE" else status
            orders_all = [self._render(i, now, bumps.get(i)) for i in members]
            matching = [o for o in orders_all if o["order_info"]["status"] == wanted]
            members_total = len(matching)
            orders = matching[(page_no - 1) * page_size : page_no * page_size]
        else:
            members_total = len(members)
        if orders and self.take_fault("truncate_next"):
            entry["fault"] = "truncate"
            orders = orders[:-1]
        entry.update(total=members_total, returned=len(orders))
        return {"full_order_info_list": [{"full_order_info": o} for o in orders], "total_results": members_total}

    def _ordered(self, members: list[int]) -> list[int]:
        gen = self.generator
        if self.order_by == "update_asc":
            return list(members)  # the index is sorted by (update time, tid)
        return sorted(members, key=lambda i: (gen.timelines[i].create, gen.tid_of(i)), reverse=True)


def _encode(body: dict) -> bytes:
    # simplejson writes Decimal amounts as JSON numbers digit for digit (amounts_as="number").
    return simplejson.dumps(body, ensure_ascii=False, separators=(",", ":"), use_decimal=True).encode("utf-8")


def _int_param(params: dict, name: str, default: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool):
        raise _gateway(p.GW_SYSTEM_ERROR, "系统异常")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _gateway(p.GW_SYSTEM_ERROR, "系统异常") from None


def _time_range(params: dict, start_key: str, end_key: str) -> tuple[int | None, int | None]:
    start, end = params.get(start_key), params.get(end_key)
    if start is None and end is None:
        return None, None
    if start is None or end is None:
        raise _business(p.BIZ_INVALID_PARAM, f"{start_key} 与 {end_key} 需成对传入")
    try:
        # a date without the time part (or any other form) fails in the gateway as a type error
        return p.parse_local(str(start)), p.parse_local(str(end))
    except ValueError:
        raise _gateway(p.GW_SYSTEM_ERROR, "系统异常") from None


def _months_later(epoch: int, months: int) -> int:
    """The same Beijing wall time ``months`` calendar months later (day clamped to the month's end)."""
    local = dt.datetime.fromtimestamp(epoch, p.zone())
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    for day in range(local.day, 27, -1):
        try:
            return int(local.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    return int(local.replace(year=year, month=month, day=min(local.day, 28)).timestamp())
