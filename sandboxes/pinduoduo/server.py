"""A local HTTP server that speaks the Pinduoduo POP router protocol.

The tap talks to it exactly as to ``https://gw-api.pinduoduo.com/api/router``: one POST endpoint, a flat
signed body (JSON or form), the ``{"<api>_response": {...}}`` / ``{"error_response": {...}}`` envelope and the
documented error codes. It checks what the platform checks:

* the MD5 signature over every parameter, recomputed with the app's ``client_secret`` (20004);
* ``timestamp`` within 10 minutes of the wall clock (10001), ``client_id`` and ``type`` known (10001);
* issued access tokens and their expiry (10019), the shop's permission for the order API (20031);
* ``page_size <= 100`` and ``end_updated_at - start_updated_at <= 1800`` (10000);
* a per-app QPS budget (token bucket -> 70031).

Orders of a window are served newest first (``updated_at`` descending, then ``order_sn`` descending), pages
from 1, with ``total_count`` — so backward paging, as the platform's FAQ prescribes, is exercised for real.
``pdd.time.get`` answers the *sandbox* clock (the moment the generated data stands at; the request timestamp
is still checked against the wall clock, like any transport freshness check), and orders dealt (or, not dealt
yet, created) more than ``horizon_days`` before it are not listed.

Faults (``sandbox.faults`` or ``POST /_sandbox/faults``): the shared ``rate_limit_next`` (-> 52101),
``busy_next`` (-> 50001), ``expire_token``, ``truncate_next`` (a page with rows missing), ``http_503_next``,
``stall_next``; and ``garble_next`` (a body cut off mid-JSON), ``update_during_paging`` (before a backward
page, the window's newest order is updated again and leaves the window), ``late_write_during_paging`` (an
order of the window is invisible to the probe call and appears on the next page call, as a late database
write would) and ``offline_after`` (after N more order calls, answer 52103 "under maintenance").
"""

from __future__ import annotations

import bisect
import hmac
import json
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.messages import Message, MessageQueue, MessagingSandbox
from orderlayer.sandboxes.kit.tokens import TokenIssuer, hashed_pair
from orderlayer.sandboxes.kit.after_sales import ClockedIndex
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.pinduoduo import after_sales
from orderlayer.sandboxes.pinduoduo import pmc as pmc_endpoint
from orderlayer.sandboxes.pinduoduo import protocol as p
from orderlayer.sandboxes.pinduoduo.pmc import PmcEndpoint
from orderlayer.sandboxes.pinduoduo.generator import PddOrderGenerator

DEFAULT_CLIENT_ID = "4c5e1a7b9d2f4e8aa1b2c3d4e5f60718"
DEFAULT_CLIENT_SECRET = "sandbox-pdd-client-secret"


@dataclass
class PddFaults(Faults):
    """The shared faults plus Pinduoduo-specific ones (module docstring)."""

    garble_next: int = 0
    update_during_paging: int = 0
    late_write_during_paging: int = 0
    offline_after: int | None = None


class _Reply(Exception):  # noqa: N818 - control flow: an error_response to send
    def __init__(self, code: int, msg: str, sub_msg: str = "", sub_code: str | None = None, status: int = 200) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.sub_msg = sub_msg
        self.sub_code = sub_code
        self.status = status


class PinduoduoSandbox(MessagingSandbox, ChannelSandbox[PddOrderGenerator]):
    """One fake Pinduoduo router serving several shops (malls) of one app."""

    server_name = "pinduoduo-sandbox"
    faults_class = PddFaults
    faults: PddFaults
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("client_secret", "access_token", "refresh_token", "pii_salt")
    generator_class = PddOrderGenerator
    channel_path = pmc_endpoint.PATH_PREFIX.rstrip("/")

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl_seconds: int = 86_400,
        rotate_refresh_tokens: bool = True,
        max_window_seconds: int = p.MAX_WINDOW_SECONDS,
        window_end_inclusive: bool = True,
        horizon_days: int = p.HORIZON_DAYS,
        retry_after_seconds: float | None = None,
        timestamp_tolerance_seconds: int = p.TIMESTAMP_TOLERANCE_SECONDS,
        extra_fields: t.Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, **common)
        self.client_id = client_id
        self.client_secret = client_secret
        self.qps = qps
        self.max_window_seconds = max_window_seconds
        self.window_end_inclusive = window_end_inclusive
        self.horizon_days = horizon_days
        self.retry_after_seconds = retry_after_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.extra_fields = dict(extra_fields or {})
        self._budget = RequestBudget(qps)
        self._bumps: dict[int, int] = {}  # order index -> updated_at forced by a fault
        self._after_sales = ClockedIndex(self._after_sale_entries)
        self._hidden: set[int] = set()  # orders a late-write fault keeps invisible for one call
        self._denied: set[str] = set()
        self._state_lock = self._lock  # the kit's clock and tokens are guarded by the same lock
        # rotate_refresh_tokens: a refresh token is single-use. Whether the platform rotates is unconfirmed
        # (docs/token-store.md): False keeps every issued refresh token valid.
        self.tokens = TokenIssuer(
            hashed_pair(self.generator.seed, self.client_id),
            clock=self.wall_time,
            ttl_seconds=token_ttl_seconds,
            rotate_refresh=rotate_refresh_tokens,
        )
        # When each shop's authorisation of the app ends; a refresh does not extend it (fact sheet §1).
        self._auth_expires = {shop: self.wall_time() + token_ttl_seconds for shop in self.shop_ids}
        for shop in self.shop_ids:
            self.tokens.issue(shop, expires_at=self._auth_expires[shop])
        self._index: dict[str, tuple[list[int], list[int]]] = {}
        self._by_sn = {self.generator.order_sn_of(i): i for i in range(self.generator.n_orders)}
        self._reindex()

    # ------------------------------------------------------------------ clock and data
    def updated_at_of(self, i: int) -> int:
        with self._state_lock:
            return max(self.generator.update_time_at(i, self._now), self._bumps.get(i, 0))

    def order(self, i: int) -> dict | None:
        """Order ``i`` exactly as the sandbox serves it now (before any tap processing)."""
        with self._state_lock:
            now, bump = self._now, self._bumps.get(i)
        return self._render(i, now, bump)

    def order_facts(self) -> t.Iterator[OrderFact]:
        """Every listed order in neutral terms at the sandbox clock (for the ERP sandboxes)."""
        now = self._now
        for i in range(self.generator.n_orders):
            fact = self.generator.fact(i, now)
            if fact is not None:
                yield fact

    def expected_order_sns(self, shop_id: str, start: int | None = None, end: int | None = None) -> set[str]:
        """Order numbers a lossless sync of ``[start, end]`` (default: everything up to the clock) must deliver."""
        with self._state_lock:
            times, members = self._index[str(shop_id)]  # listed orders only: paid, within the horizon
            lo = 0 if start is None else bisect.bisect_left(times, start)
            hi = len(times) if end is None else bisect.bisect_right(times, end)
            return {self.generator.order_sn_of(i) for i in members[lo:hi]}

    def index_of(self, order_sn: str) -> int:
        for i in range(self.generator.n_orders):
            if self.generator.order_sn_of(i) == order_sn:
                return i
        raise KeyError(order_sn)

    def _render(self, i: int, now: int, bump: int | None) -> dict | None:
        order = self.generator.order(i, now)
        if order is None:
            return None
        if bump is not None and bump > p.local_text_to_epoch(order["updated_at"]):
            # The merchant edited the remark after the generator's last event.
            order["updated_at"] = p.to_local_text(bump)
            order["remark"] = "已备注: 优先发货"
        if self.extra_fields:
            order.update(json.loads(json.dumps(self.extra_fields)))  # a fresh copy per order
        return order

    def _reindex(self) -> None:
        gen = self.generator
        horizon = self._now - self.horizon_days * 86_400
        per_shop: dict[str, list[tuple[int, str, int]]] = {s: [] for s in self.shop_ids}
        for i in range(gen.n_orders):
            tl = gen.timeline_of(i)
            dealt = tl.group if 0 < tl.group <= self._now else tl.create  # not dealt yet: its creation
            if not gen.visible_at(i, self._now) or dealt < horizon:
                continue
            updated = max(gen.update_time_at(i, self._now), self._bumps.get(i, 0))
            per_shop[gen.shop_id_of(i)].append((updated, gen.order_sn_of(i), i))
        self._index = {}
        for shop, rows in per_shop.items():
            rows.sort()
            self._index[shop] = ([r[0] for r in rows], [r[2] for r in rows])

    def _window(self, shop_id: str, start: int, end: int) -> list[int]:
        """Order indexes with ``updated_at`` in the window, newest first (as the platform lists them)."""
        times, members = self._index[shop_id]
        lo = bisect.bisect_left(times, start)
        hi = bisect.bisect_right(times, end) if self.window_end_inclusive else bisect.bisect_left(times, end)
        return [i for i in reversed(members[lo:hi]) if i not in self._hidden]

    # ------------------------------------------------------------------ tokens and shops
    def end_authorisation(self, shop_id: str) -> None:
        """The shop's authorisation of the app runs out now: tokens, refreshed ones included, are expired."""
        with self._state_lock:
            self._auth_expires[str(shop_id)] = self.wall_time()
            self.tokens.end_at(str(shop_id), self.wall_time())

    def deny_permission(self, shop_id: str) -> None:
        """The app loses the order permission package for this shop (-> 20031)."""
        with self._state_lock:
            self._denied.add(str(shop_id))

    def connection(self, shop_id: str) -> dict:
        """tap-pinduoduo's router URL, client credentials, the shop's tokens and, when the sandbox limits calls,
        a client budget that matches it (30-minute windows make a month ~1 500 calls per shop)."""
        config = {
            "base_url": self.base_url + p.ROUTER_PATH,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "shop_id": str(shop_id),
            "access_token": self.access_token(shop_id),
            "refresh_token": self.refresh_token(shop_id),
        }
        if self.qps:
            config["max_requests_per_second"] = self.qps
        if self.channel_url is not None:
            config["pmc_url"] = self.channel_url
        return config

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        entry: dict[str, t.Any] = {"path": request.path}
        if request.path != p.ROUTER_PATH or request.method != "POST":
            # Not the router: the web server's page, not an API envelope.
            self.record({**entry, "http_status": 404})
            return SandboxResponse(404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"})
        try:
            params = self._params(request)
            method = self._verify(params, entry)
            body = self._route(method, params, entry)
        except _Reply as reply:
            entry["code"] = reply.code
            self.record(entry)
            headers = {}
            if reply.code in p.THROTTLE_CODES and self.retry_after_seconds is not None:
                headers["Retry-After"] = f"{self.retry_after_seconds:g}"
            error = {
                "error_code": reply.code,
                "error_msg": reply.msg,
                "sub_code": reply.sub_code,
                "sub_msg": reply.sub_msg,
                "request_id": self._request_id(),
            }
            return SandboxResponse(reply.status, {"error_response": error}, headers)
        entry["code"] = 0
        self.record(entry)
        payload = encode_json({p.RESPONSE_KEYS[method]: body})
        if entry.get("fault") == "garble":
            payload = payload[: len(payload) // 2]
        return SandboxResponse(200, payload)

    def _request_id(self) -> str:
        return f"{int(self.wall_time() * 1000)}{self._log_seq:06d}"

    @staticmethod
    def _params(request: SandboxRequest) -> dict[str, t.Any]:
        content_type = request.headers.get("content-type", "")
        try:
            if "application/x-www-form-urlencoded" in content_type:
                return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
            params = p.parse_json(request.body or b"{}")
        except (UnicodeDecodeError, ValueError):
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误", "the body is neither JSON nor a form") from None
        if not isinstance(params, dict):
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误", "the body must be a JSON object")
        return params

    def _verify(self, params: dict[str, t.Any], entry: dict) -> str:
        for name in ("type", "client_id", "timestamp", "sign"):
            if params.get(name) in (None, ""):
                raise _Reply(p.CODE_COMMON_PARAMETER, f"公共参数错误:{name}", f"{name} is required")
        method = str(params["type"])
        entry["method"] = method
        entry["params"] = {k: ("***" if k == "refresh_token" else v) for k, v in params.items() if k not in p.COMMON_PARAMS}
        if method not in p.RESPONSE_KEYS:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:type", f"unknown API {method}")
        if str(params["client_id"]) != self.client_id:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:client_id", "client_id does not exist")
        if str(params.get("data_type") or p.DATA_TYPE_JSON).upper() != p.DATA_TYPE_JSON:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:data_type", "this sandbox answers JSON only")
        try:
            ts = int(str(params["timestamp"]))
        except ValueError:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:timestamp", "timestamp must be Unix seconds") from None
        if abs(self.wall_time() - ts) > self.timestamp_tolerance_seconds:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:timestamp", "timestamp differs from the platform time by more than 10 minutes")
        try:
            expected = p.expected_sign(params, self.client_secret)
        except TypeError:
            raise _Reply(p.CODE_SIGNATURE, "签名校验失败", "a parameter cannot be signed") from None
        if not hmac.compare_digest(expected, str(params["sign"])):
            raise _Reply(p.CODE_SIGNATURE, "签名校验失败", "sign does not match the parameters")
        with self._state_lock:
            if not self._budget.allows():
                entry["fault"] = "qps"
                raise _Reply(p.CODE_CALLED_TOO_OFTEN, "调用过于频繁", "app QPS budget exceeded")
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _Reply(p.CODE_RATE_LIMITED, "接口限流", "injected rate limit")
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Reply(p.CODE_INTERNAL_1, "系统繁忙", "injected: service busy")
        with self._state_lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
        return method

    def _route(self, method: str, params: dict[str, t.Any], entry: dict) -> dict:
        if method == p.TIME_GET:
            return {"time": p.to_local_text(self._now)}
        if method == p.TOKEN_REFRESH:
            return self._token_refresh(params, entry)
        if method == p.REFUND_INCREMENT_GET:
            return self._refund_increment_get(params, entry)
        if method == p.ORDER_INFORMATION_GET:
            return self._information_get(params, entry)
        return self._increment_get(params, entry)

    def after_sale_items(self, shop_id: str) -> list[dict]:
        """Every after-sale of the shop as served now, oldest ``updated_time`` first (ties by id)."""
        with self._state_lock:
            now = self._now
        return [item for _key, i, slot in self._after_sales.at(str(shop_id), now) for s, item in after_sales.items_of(self.generator, i, now) if s == slot]

    def _after_sale_entries(self, shop_id: str, now: int) -> t.Iterator[tuple[tuple[int, int], int, after_sales.Slot]]:
        gen = self.generator
        for i in gen.indexes_for_shop(shop_id):
            for slot in after_sales.slots_of(gen, i):
                updated = slot.updated_at(now)
                if updated is not None:
                    yield (updated, after_sales.after_sale_id(gen, i, slot)), i, slot

    def _refund_increment_get(self, params: dict[str, t.Any], entry: dict) -> dict:
        """``pdd.refund.list.increment.get``: after-sales with ``updated_time`` in a <= 30-minute window, newest
        first, pages from 1, ``total_count``; ``after_sales_status`` / ``after_sales_type`` 1 = all."""
        shop_id = self._shop_for_token(params, entry)
        start = self._int(params, "start_updated_at")
        end = self._int(params, "end_updated_at")
        page = self._int(params, "page", 1)
        size = self._int(params, "page_size", p.MAX_PAGE_SIZE)
        status = self._int(params, "after_sales_status")
        kind = self._int(params, "after_sales_type")
        if end < start or end - start > self.max_window_seconds:
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"end_updated_at - start_updated_at must be between 0 and {self.max_window_seconds} s")
        if page < 1 or not 1 <= size <= p.MAX_PAGE_SIZE:
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"page must be >= 1 and page_size between 1 and {p.MAX_PAGE_SIZE}")
        with self._state_lock:
            self._maybe_offline(entry)
            now = self._now
            in_window = self._after_sales.window(shop_id, now, start, end, end_inclusive=self.window_end_inclusive)
        members = [(key, i, slot) for key, i, slot in in_window if kind == 1 or slot.kind == kind]
        items = [item for _key, i, slot in reversed(members) for s, item in after_sales.items_of(self.generator, i, now) if s == slot]
        if status != 1:
            items = [item for item in items if item["after_sales_status"] == status]
        entry.update(total=len(items), returned=len(items[(page - 1) * size : page * size]))
        return {"refund_list": items[(page - 1) * size : page * size], "total_count": len(items)}

    def _shop_for_token(self, params: dict[str, t.Any], entry: dict) -> str:
        value = params.get("access_token")
        if not value:
            raise _Reply(p.CODE_COMMON_PARAMETER, "公共参数错误:access_token", "access_token is required for this API")
        with self._state_lock:
            token = self.tokens.grant(str(value))
            if token is None or not self.tokens.live(str(value)):
                raise _Reply(p.CODE_TOKEN_EXPIRED, "access_token已过期", "refresh the token or re-authorise the shop")
            entry["shop_id"] = token.shop_id
            if token.shop_id in self._denied:
                raise _Reply(p.CODE_NO_PERMISSION, "应用无此接口权限", f"no permission package for {entry['method']}")
            return token.shop_id

    def _token_refresh(self, params: dict[str, t.Any], entry: dict) -> dict:
        refresh = str(params.get("refresh_token") or "")
        with self._state_lock:
            shop_id = self.tokens.holder(refresh)
            if shop_id is None:
                raise _Reply(p.CODE_TOKEN_EXPIRED, "refresh_token已过期", "refresh_token is invalid, expired or already used")
            entry["shop_id"] = shop_id
            access, new_refresh = self.tokens.issue(shop_id, expires_at=self._auth_expires[shop_id])
            expires_at = int(self.tokens.grant(access).expires_at)
        return {
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, int(expires_at - self.wall_time())),
            "refresh_token": new_refresh,
            "refresh_token_expires_at": expires_at,
            "refresh_token_expires_in": max(0, int(expires_at - self.wall_time())),
            "owner_id": shop_id,
            "owner_name": f"sandbox-mall-{shop_id}",
            "scope": [p.ORDER_INCREMENT_GET],
        }

    def _int(self, params: dict[str, t.Any], name: str, default: int | None = None) -> int:
        value = params.get(name, default)
        if value is None or isinstance(value, bool):
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"{name} is required and must be an integer")
        try:
            return int(str(value))
        except ValueError:
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"{name} must be an integer") from None

    def _increment_get(self, params: dict[str, t.Any], entry: dict) -> dict:
        shop_id = self._shop_for_token(params, entry)
        start = self._int(params, "start_updated_at")
        end = self._int(params, "end_updated_at")
        page = self._int(params, "page", 1)
        size = self._int(params, "page_size", p.MAX_PAGE_SIZE)
        for name in ("order_status", "refund_status", "is_lucky_flag"):
            self._int(params, name)  # required filters
        if end < start:
            raise _Reply(p.CODE_PARAMETER, "参数错误", "end_updated_at is before start_updated_at")
        if end - start > self.max_window_seconds:
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"end_updated_at - start_updated_at must be <= {self.max_window_seconds} s")
        if page < 1 or not 1 <= size <= p.MAX_PAGE_SIZE:
            raise _Reply(p.CODE_PARAMETER, "参数错误", f"page must be >= 1 and page_size between 1 and {p.MAX_PAGE_SIZE}")
        use_has_next = str(params.get("use_has_next", "false")).lower() == "true"
        with self._state_lock:
            self._maybe_offline(entry)
            members = self._window(shop_id, start, end)
            if members and page == 1 and not self._hidden and self.take_fault("late_write_during_paging"):
                # Invisible now, there on the next call: a write that reached the database late.
                self._hidden.add(members[len(members) // 2])
                members = self._window(shop_id, start, end)
                entry["fault"] = "late_write_hidden"
            elif self._hidden:
                self._hidden.clear()
                members = self._window(shop_id, start, end)
                entry["fault"] = "late_write_revealed"
            elif members and page > 1 and self.take_fault("update_during_paging"):
                moved = members[0]
                self._bumps[moved] = max(self._now, end) + 1
                self._now = self._bumps[moved]
                self._reindex()
                members = self._window(shop_id, start, end)
                entry["fault"] = "update_during_paging"
            now = self._now
            bumps = dict(self._bumps)
        total = len(members)
        chunk = members[(page - 1) * size : page * size]
        if chunk and self.take_fault("truncate_next"):
            chunk = chunk[: len(chunk) // 2]
            entry["fault"] = "truncate"
        elif self.take_fault("garble_next"):
            entry["fault"] = "garble"
        entry.update(total=total, returned=len(chunk))
        orders = [self._render(i, now, bumps.get(i)) for i in chunk]
        body: dict[str, t.Any] = {"order_sn_list": orders}
        if use_has_next:
            body["has_next"] = page * size < total
        else:
            body["total_count"] = total
        return body

    def _information_get(self, params: dict[str, t.Any], entry: dict) -> dict:
        """One order as the list serves it now; an order of another shop, not listed yet, or unknown: no
        ``order_info`` (what the platform answers then is unconfirmed; the tap leaves such an order out)."""
        shop_id = self._shop_for_token(params, entry)
        order_sn = str(params.get("order_sn") or "")
        if not order_sn:
            raise _Reply(p.CODE_PARAMETER, "参数错误", "order_sn is required")
        with self._state_lock:
            self._maybe_offline(entry)
            i = self._by_sn.get(order_sn)
            listed = i is not None and i in set(self._index[shop_id][1])
            now, bump = self._now, self._bumps.get(i) if i is not None else None
        entry.update(returned=int(listed))
        return {"order_info": self._render(i, now, bump) if listed else None}

    # ------------------------------------------------------------------ PMC (message service)
    def message_endpoint(self, queue: MessageQueue, *, silence_seconds: float = 30.0) -> PmcEndpoint:
        """PMC (sandboxes/pinduoduo/pmc.py): a connection silent for ``silence_seconds`` is closed."""
        return PmcEndpoint(queue, client_id=self.client_id, client_secret=self.client_secret, wall_time=self.wall_time,
                           timestamp_tolerance_seconds=self.timestamp_tolerance_seconds, silence_seconds=silence_seconds)

    def channel_messages(self, after_ts: int, until_ts: int) -> list[Message]:
        """A PMC message per listed order whose ``updated_at`` falls in (after_ts, until_ts]: its type from the
        order's state, its ``tid`` the order_sn."""
        out: list[Message] = []
        with self._state_lock:
            for shop, updated, i in self.changed(after_ts, until_ts):
                order = self._render(i, self._now, self._bumps.get(i))
                if order is None:
                    continue
                kind = ("pdd_refund_RefundCreated" if order["refund_status"] != 1 else
                        "pdd_trade_TradeSellerShip" if order["order_status"] >= 2 else "pdd_trade_TradeConfirmed")
                content = {"tid": order["order_sn"], "mall_id": int(shop), "status": order["order_status"], "refund_status": order["refund_status"]}
                payload = {"type": kind, "mallID": int(shop), "content": content}
                out.append(Message(self.message_id(order["order_sn"], updated), payload, updated, ((order["order_sn"], updated),)))
        return sorted(out, key=lambda m: m.changed_at)

    def _maybe_offline(self, entry: dict) -> None:
        if self.faults.offline_after is None:
            return
        if self.faults.offline_after <= 0:
            entry["fault"] = "offline"
            raise _Reply(p.CODE_MAINTENANCE, "接口维护中", "injected: API under maintenance")
        self.faults.offline_after -= 1
