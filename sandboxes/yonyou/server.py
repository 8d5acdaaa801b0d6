"""A local YonBIP gateway: the self-built-app token endpoint and the sales-order list (shared/channels/yonyou.md).

* ``GET /open-auth/selfAppAuth/getAccessToken?appKey&timestamp&signature``: the signature is recomputed
  (HmacSHA256 keyed by the appSecret over ``appKey…timestamp…``, base64) and the millisecond timestamp must be
  within ``timestamp_tolerance_seconds`` of the wall clock → ``{"code": "00000", "data": {"access_token",
  "expire"}}``; a failure answers ``{"code": "999", "message": …}`` (the gateway's exact codes are unconfirmed).
* ``POST /yonbip/sd/voucherorder/list?access_token=…``: an unknown token answers code ``310036`` (as the real
  gateway does for a fake one), an expired one ``310037``; the body's ``pageIndex`` (from 1), ``pageSize``
  (≤ ``max_page_size``), ``isSum``, ``simpleVOs`` (``between`` / ``eq`` / ``gt`` / ``lt`` on pubts, vouchdate or
  auditTime; ``between`` inclusive) and ``queryOrders`` are honoured; ``recordCount`` counts rows (one per line).

Faults: ``rate_limit_next`` and the per-minute budget (``calls_per_minute``, 60 documented) → HTTP 429 with
Retry-After (the real throttle answer is unconfirmed), ``busy_next`` (HTTP 503 JSON), ``http_503_next``,
``stall_next``, ``truncate_next``, ``expire_token``, ``update_during_paging`` (the next N pages after the first
first edit an already-served order a minute past the clock, so it leaves the window and ``recordCount`` changes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import typing as t
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import simplejson

from orderlayer.sandboxes.kit.erp import ErpSandbox
from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.yonyou import protocol as p
from orderlayer.sandboxes.yonyou.generator import YONYOU_FORMATS, local_text, order_rows

_FILTER_FIELDS = ("pubts", "vouchdate", "auditTime")
_CHANNEL_NAMES = {"douyin": "抖音", "jd": "京东", "taobao": "淘宝", "pinduoduo": "拼多多", "youzan": "有赞", "meituan": "美团", "eleme": "饿了么", "shopify": "Shopify", "tiktok_shop": "TikTok Shop"}


@dataclass
class YonyouFaults(Faults):
    #: The next N list pages after the first of a query move an already-served order to the clock.
    update_during_paging: int = 0


class _Reply(Exception):  # noqa: N818 - control flow: an error envelope
    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class YonyouSandbox(ErpSandbox):
    """One YonBIP tenant holding the company's sales orders (token host and gateway on one server)."""

    formats = YONYOU_FORMATS
    server_name = "yonyou-sandbox"
    faults_class = YonyouFaults
    faults: YonyouFaults
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_secret", "pii_salt")

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        channel_orders: Iterable[OrderFact],
        *,
        customer_codes: Mapping[tuple[str, str], str] | None = None,
        app_key: str = "sandbox0app0key00000000000000001",
        app_secret: str = "sandbox-yonyou-app-secret-0123456",
        tenant_zone: str = "Asia/Shanghai",
        reference_field: str = p.DEFAULT_REFERENCE_FIELD,
        max_page_size: int = p.MAX_PAGE_SIZE,
        calls_per_minute: float | None = None,
        token_ttl_seconds: int = p.TOKEN_TTL_SECONDS,
        timestamp_tolerance_seconds: int = 300,
        retry_after_seconds: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: t.Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            seed, as_of, channel_orders, customer_codes=customer_codes, zone=tenant_zone, host=host, port=port, wall_clock=wall_clock
        )
        self.app_key = app_key
        self.app_secret = app_secret
        self.reference_field = reference_field
        self.max_page_size = max_page_size
        self.token_ttl_seconds = token_ttl_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.retry_after_seconds = retry_after_seconds
        self._budget = RequestBudget((calls_per_minute or 0) / 60.0, calls_per_minute)
        self.customer_names = {
            code: f"{_CHANNEL_NAMES.get(channel, channel)}店铺-{shop_id}" for (channel, shop_id), code in self.erp.customer_codes.items()
        }
        self._tokens: dict[str, float] = {}
        self._issued = 0
        self._bumps: dict[str, int] = {}

    # ------------------------------------------------------------------ public interface
    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def tap_config(self, *, pii_salt: str = "sandbox-pii-salt", **overrides: t.Any) -> dict:  # noqa: ANN401
        """A complete tap-yonyou config for this tenant (must be started)."""
        start = dt.datetime.fromtimestamp(self.start_ts, dt.timezone.utc)
        end = dt.datetime.fromtimestamp(self._now + 1, dt.timezone.utc)
        config: dict[str, t.Any] = {
            "gateway_url": self.base_url,
            "token_url": self.base_url,
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "source_timezone": str(self.zone),
            "pii_salt": pii_salt,
        }
        config.update(overrides)
        return config

    def rows(self, now: int | None = None) -> list[dict]:
        """Every flattened row visible at ``now``, unsorted (the query sorts)."""
        now = self._now if now is None else now
        out = []
        for order in self.erp.visible_orders(now):
            rows = order_rows(order, now, zone=self.zone, reference_field=self.reference_field, customer_names=self.customer_names)
            bumped = self._bumps.get(order.key)
            for row in rows:
                if bumped is not None:
                    row["pubts"] = local_text(bumped, self.zone)
                out.append(row)
        return out

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        try:
            if request.method == "GET" and request.path == p.TOKEN_PATH:
                return self._token(request)
            if request.method == "POST" and request.path == p.SALES_ORDER_LIST_PATH:
                return self._list(request)
            raise _Reply("404", f"API不存在: {request.method} {request.path}", 404)
        except _Reply as reply:
            self.record({"path": request.path, "outcome": f"code_{reply.code}", "http_status": reply.status})
            return SandboxResponse(reply.status, {"code": reply.code, "message": reply.message})

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        q = request.query
        if q.get("appKey") != self.app_key:
            raise _Reply("999", "appKey不存在或应用已停用")
        try:
            stamp_ms = int(q.get("timestamp", ""))
        except ValueError:
            raise _Reply("999", "timestamp参数错误") from None
        if abs(stamp_ms / 1000 - self.wall_time()) > self.timestamp_tolerance_seconds:
            raise _Reply("999", "时间戳已过期，请检查服务器时间")
        expected = p.expected_signature(q, self.app_secret)
        if not hmac.compare_digest(q.get("signature", ""), expected):
            raise _Reply("999", "签名验证失败")
        with self._lock:
            self._issued += 1
            token = hashlib.sha256(f"{self.seed}:{self.app_key}:{self._issued}".encode()).hexdigest()
            self._tokens[token] = self.wall_time() + self.token_ttl_seconds
        self.record({"path": request.path, "outcome": "token_issued", "http_status": 200})
        return SandboxResponse(200, {"code": p.TOKEN_OK, "message": "成功！", "data": {"access_token": token, "expire": self.token_ttl_seconds}})

    def _list(self, request: SandboxRequest) -> SandboxResponse:
        token = request.query.get("access_token")
        with self._lock:
            if self.faults.expire_token:  # one shot: every token issued so far expires now
                self._tokens = dict.fromkeys(self._tokens, 0.0)
                self.faults.expire_token = False
            expiry = self._tokens.get(token or "")
        if expiry is None:
            raise _Reply("310036", "非法token")
        if expiry < self.wall_time():
            raise _Reply("310037", "token已过期")
        if self.take_fault("rate_limit_next") or (not self._budget.allows()):
            self.record({"path": request.path, "outcome": "rate_limited", "http_status": 429})
            return SandboxResponse(429, {"code": "429", "message": "调用频率超出限制"}, {"Retry-After": f"{self.retry_after_seconds:g}"})
        if self.take_fault("busy_next"):
            self.record({"path": request.path, "outcome": "busy", "http_status": 503})
            return SandboxResponse(503, {"code": "503", "message": "服务繁忙，请稍后重试"})
        try:
            body = request.json()
        except ValueError:
            raise _Reply("999", "请求体不是合法的JSON") from None
        page_index, page_size, predicate, order_by = self._parse_body(body)
        if page_index > 1 and self.take_fault("update_during_paging"):
            self._bump_first(predicate, order_by)
        selected = self._sorted((r for r in self.rows() if predicate(r)), order_by)
        total = len(selected)
        page = selected[(page_index - 1) * page_size : page_index * page_size]
        data = {
            "pageIndex": page_index,
            "pageSize": page_size,
            "recordCount": total,
            "pageCount": math.ceil(total / page_size) if page_size else 0,
            "recordList": page,
        }
        self.record({"path": request.path, "outcome": "ok", "http_status": 200, "page": page_index, "size": page_size, "total": total, "returned": len(page), "filter": body.get("simpleVOs")})
        payload = simplejson.dumps({"code": p.LIST_OK, "message": "操作成功", "data": data}, use_decimal=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self.take_fault("truncate_next"):
            payload = payload[: max(1, len(payload) // 2)]
        return SandboxResponse(200, payload)

    def _parse_body(self, body: t.Any) -> tuple[int, int, t.Callable[[dict], bool]]:  # noqa: ANN401
        if not isinstance(body, dict):
            raise _Reply("999", "请求体必须是对象")
        try:
            page_index = int(body.get("pageIndex", 1))
            page_size = int(body.get("pageSize", 10))
        except (TypeError, ValueError):
            raise _Reply("999", "pageIndex/pageSize必须是整数") from None
        if page_index < 1:
            raise _Reply("999", "pageIndex从1开始")
        if not 1 <= page_size <= self.max_page_size:
            raise _Reply("999", f"pageSize不能超过{self.max_page_size}")
        if body.get("isSum") not in (False, None, "false"):
            raise _Reply("999", "沙箱只支持 isSum=false（按明细行返回）")
        tests = []
        for vo in body.get("simpleVOs") or []:
            field, op = vo.get("field"), vo.get("op")
            if field not in _FILTER_FIELDS:
                raise _Reply("999", f"查询字段{field}不存在")
            v1, v2 = vo.get("value1"), vo.get("value2")
            if op == "between":
                tests.append(lambda r, f=field, a=v1, b=v2: r.get(f) is not None and a <= r[f] <= b)
            elif op in ("eq", "gt", "lt", "egt", "elt"):
                cmp = {"eq": lambda x, y: x == y, "gt": lambda x, y: x > y, "lt": lambda x, y: x < y, "egt": lambda x, y: x >= y, "elt": lambda x, y: x <= y}[op]
                tests.append(lambda r, f=field, a=v1, c=cmp: r.get(f) is not None and c(r[f], a))
            else:
                raise _Reply("999", f"不支持的比较符{op}")
        order_by: list[tuple[str, bool]] = []
        for order in body.get("queryOrders") or []:
            if order.get("field") not in (*_FILTER_FIELDS, "id", "code"):
                raise _Reply("999", f"排序字段{order.get('field')}不存在")
            order_by.append((order["field"], str(order.get("order", "asc")).lower() == "desc"))
        return page_index, page_size, lambda r: all(test(r) for test in tests), order_by

    @staticmethod
    def _sorted(rows: Iterable[dict], order_by: list[tuple[str, bool]]) -> list[dict]:
        """Rows in queryOrders order (stable sorts, last key first); lines of an order stay in line order."""
        out = sorted(rows, key=lambda r: (r["id"], r["lineno"]))
        for field, descending in reversed(order_by):
            out.sort(key=lambda r, f=field: (r.get(f) is None, r.get(f) or ""), reverse=descending)
        return out

    def _bump_first(self, predicate: t.Callable[[dict], bool], order_by: list[tuple[str, bool]]) -> None:
        """Edit the first order of the query (already served on page 1) a minute past the clock: its pubts leaves
        a window that ends at the clock, so later rows shift back by its lines and ``recordCount`` drops."""
        rows = self._sorted((r for r in self.rows() if predicate(r)), order_by)
        for row in rows:
            order = next((o for o in self.erp.visible_orders(self._now) if row["code"] == o.erp_order_id), None)
            if order is not None and order.key not in self._bumps:
                with self._lock:
                    self._bumps[order.key] = self._now + 60
                return
