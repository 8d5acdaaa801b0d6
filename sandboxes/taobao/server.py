"""A local TOP gateway serving generated trades over the real protocol.

``POST /router/rest`` checks the call as TOP does — app key, timestamp (±10 minutes, Beijing time),
signature (md5 / hmac / hmac-sha256 over query + form parameters), session — and answers
``taobao.trades.sold.increment.get`` (and ``taobao.refunds.receive.get``, the refunds of those trades: :mod:`.refunds`) with the ``modified`` window (≤ 1 day), ``type`` filter (TOP's
default types when omitted), ``fields`` selection, descending order and offset pages of TOP, or with
``{"error_response": {code, msg, sub_code, sub_msg, request_id}}``. ``POST /token`` renews a session
with a refresh token (single use) the way the OAuth endpoint does. Faults: rate limit (code 7 with a
ban length), busy (code 15 / ``isp.*``), expired sessions (code 27), truncated bodies, short pages,
503s, stalls, and a trade modified while a window is paged.
"""

from __future__ import annotations

import bisect
import hmac
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qsl

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.messages import Message, MessageQueue, MessagingSandbox
from orderlayer.sandboxes.kit.tokens import TokenIssuer
from orderlayer.sandboxes.kit.after_sales import ClockedIndex
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.kit.synth import OrderFact, digest
from orderlayer.sandboxes.taobao import protocol as p
from orderlayer.sandboxes.taobao import catalog, refunds
from orderlayer.sandboxes.taobao.generator import DEFAULT_SEARCH_TYPES, TradeGenerator
from orderlayer.sandboxes.taobao.tmc import TmcEndpoint

#: TMC topic (after ``taobao_trade_``) of the change that left a trade in a status; others: TradeChanged.
TMC_TOPICS = {
    "WAIT_BUYER_PAY": "TradeCreate", "WAIT_SELLER_SEND_GOODS": "TradeBuyerPay", "WAIT_BUYER_CONFIRM_GOODS": "TradeSellerShip",
    "TRADE_FINISHED": "TradeSuccess", "TRADE_CLOSED": "TradeClose", "TRADE_CLOSED_BY_TAOBAO": "TradeClose",
}

__all__ = ["TaobaoFaults", "TaobaoSandbox"]


@dataclass
class TaobaoFaults(Faults):
    #: The next N list pages lose their last trade (the page holds fewer rows than the total implies).
    short_page_next: int = 0
    #: The next N requests for a page after page 1 first modify the window's newest trade (it leaves the window).
    modify_during_paging: int = 0
    #: The app lacks the order API permission package (code 11) while set.
    deny_permission: bool = False


class _Reply(Exception):  # noqa: N818 - control flow, not an error of the sandbox
    def __init__(self, code: int, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(sub_msg)
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg


class TaobaoSandbox(MessagingSandbox, ChannelSandbox[TradeGenerator]):
    """A TOP gateway for ``shop_ids`` (one session per shop), trades from :class:`TradeGenerator`."""

    server_name = "TaobaoSandbox"
    faults_class = TaobaoFaults
    faults: TaobaoFaults
    #: Tap config keys that hold credentials.
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_key", "app_secret", "access_token", "refresh_token")
    generator_class = TradeGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        app_key: str = "23456789",
        app_secret: str = "sandbox-app-secret-top",
        max_window_seconds: int = p.MAX_WINDOW_SECONDS,
        window_end_inclusive: bool = False,
        ban_seconds: float = 1.0,
        session_ttl_seconds: float = 30 * 86_400,
        rotate_refresh_tokens: bool = True,
        timestamp_tolerance_seconds: float = 600,
        tmall_shops: t.Sequence[str] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, tmall_shops=tmall_shops, **common)
        self.app_key = app_key
        self.app_secret = app_secret
        self.max_window_seconds = max_window_seconds
        self.window_end_inclusive = window_end_inclusive
        self.ban_seconds = ban_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self._budget = RequestBudget(qps)
        self._bumps: dict[int, int] = {}
        self._calls = 0
        # Sessions are the access tokens. rotate_refresh_tokens: a refresh token is single-use; whether the
        # platform rotates is unconfirmed (docs/token-store.md): False keeps every issued refresh token valid.
        self.tokens = TokenIssuer(
            self._mint, clock=self.wall_time, ttl_seconds=session_ttl_seconds, rotate_refresh=rotate_refresh_tokens
        )
        for shop in self.shop_ids:
            self.tokens.issue(shop)
        self._index: dict[str, tuple[list[int], list[int]]] = {}
        self._refunds_index = ClockedIndex(self._refund_entries)
        self._by_tid = {self.generator.tid_of(i): i for i in range(self.generator.n_orders)}
        self._reindex()

    # ------------------------------------------------------------------ public helpers
    def modified_of(self, i: int) -> int | None:
        """``modified`` of trade ``i`` as served now (late no-op modifications included)."""
        with self._lock:
            natural = self.generator.modified_at(i, self._now)
            return None if natural is None else max(natural, self._bumps.get(i, 0))

    def trade(self, i: int) -> dict:
        """Trade ``i`` exactly as the gateway serves it now (all fields)."""
        with self._lock:
            return self.generator.trade(i, self._now, self._bumps.get(i))

    def order_facts(self) -> t.Iterator[OrderFact]:
        """Every trade's neutral facts at the sandbox clock (the ERP sandboxes derive their orders from these)."""
        return self.generator.facts(self._now)

    def connection(self, shop_id: str) -> dict:
        """tap-taobao's gateway and token URLs, app credentials and the shop's session and refresh token."""
        return {
            "base_url": self.base_url,
            "token_url": self.base_url + "/token",
            "app_key": self.app_key,
            "app_secret": self.app_secret,
            "access_token": self.access_token(shop_id),
            "refresh_token": self.refresh_token(shop_id),
            "shop_id": str(shop_id),
            **({"tmc_url": self.channel_url} if self.channel_url is not None else {}),
        }

    # ------------------------------------------------------------------ internals
    def _mint(self, shop_id: str, serial: int) -> tuple[str, str]:
        """A session key and refresh token in TOP's shape (digits after 6202 / 6201)."""
        code = digest(self.generator.seed, f"{shop_id}:{serial}", b"tb-session")
        return f"6202{code % 10**40:040d}"[:44], f"6201{(code >> 140) % 10**36:036d}"

    def _reindex(self) -> None:
        """Per shop: trade indexes sorted by (modified, tid) ascending, with their modified times."""
        gen = self.generator
        index: dict[str, tuple[list[int], list[int]]] = {}
        rows: dict[str, list[tuple[int, int, int]]] = {s: [] for s in gen.shop_ids}
        for i in range(gen.n_orders):
            natural = gen.modified_at(i, self._now)
            if natural is None:
                continue
            rows[gen.shop_of(i)].append((max(natural, self._bumps.get(i, 0)), int(gen.tid_of(i)), i))
        for shop, items in rows.items():
            items.sort()
            index[shop] = ([m for m, _tid, _i in items], [i for _m, _tid, i in items])
        self._index = index

    def _window(self, shop_id: str, start: int, end: int) -> list[int]:
        """Trade indexes of the shop with ``modified`` in the window, ascending."""
        times, items = self._index[shop_id]
        lo = bisect.bisect_left(times, start)
        hi = bisect.bisect_right(times, end) if self.window_end_inclusive else bisect.bisect_left(times, end)
        return items[lo:hi]

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.path == p.ROUTER_PATH:
            return self._router(request)
        if request.path == "/token":
            return self._token(request)
        return SandboxResponse(404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"})

    def _router(self, request: SandboxRequest) -> SandboxResponse:
        try:
            form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            form = {}
        params = {**form, **request.query}
        business = {k: v for k, v in params.items() if k not in p.SYSTEM_PARAMS}
        entry: dict[str, t.Any] = {"path": request.path, "method": params.get("method"), "params": business}
        with self._lock:
            self._calls += 1
            request_id = f"{digest(0, self._calls, b'tb-request') % 16**12:012x}"
        try:
            shop_id = self._authenticate(params, entry)
            if params["method"] == p.METHOD_INCREMENT:
                result = self._increment(shop_id, business, entry)
            elif params["method"] == p.METHOD_REFUNDS:
                result = self._refunds(shop_id, business, entry)
            elif params["method"] == p.METHOD_FULLINFO:
                result = self._fullinfo(shop_id, business, entry)
            else:
                raise _Reply(p.CODE_INVALID_METHOD, "", f"method {params['method']} is not served by this sandbox")
        except _Reply as reply:
            entry |= {"code": reply.code, "sub_code": reply.sub_code}
            self.record(entry)
            body = {"code": reply.code, "msg": p.MESSAGES.get(reply.code, "Remote service error")}
            if reply.sub_code:
                body["sub_code"] = reply.sub_code
            if reply.sub_msg:
                body["sub_msg"] = reply.sub_msg
            body["request_id"] = request_id
            return SandboxResponse(200, {"error_response": body})
        entry["code"] = 0
        self.record(entry)
        if isinstance(result, bytes):
            return SandboxResponse(200, result)
        result["request_id"] = request_id
        return SandboxResponse(200, {p.response_key(params["method"]): result})

    def refund_items(self, shop_id: str) -> list[dict]:
        """Every refund of the shop as served now, oldest ``modified`` first (ties by refund_id)."""
        with self._lock:
            now = self._now
        return [item for _key, i, slot in self._refunds_index.at(shop_id, now) for s, item in refunds.refunds_of(self.generator, i, now) if s == slot]

    def _refund_entries(self, shop_id: str, now: int) -> t.Iterator[tuple[tuple[int, int], int, refunds.Slot]]:
        gen = self.generator
        for i in gen.indexes_for_shop(shop_id):
            for slot in refunds.slots_of(gen, i):
                modified = refunds.modified_of(gen, i, slot, now)
                if modified is not None:
                    yield (modified, refunds.refund_id_of(gen, i, slot)), i, slot

    def _refunds(self, shop_id: str, params: dict[str, str], entry: dict) -> dict:
        """``taobao.refunds.receive.get``: the shop's refunds with ``modified`` in the window, newest first (as the
        trade list), pages from 1, ``total_results`` (or ``has_next`` with ``use_has_next``), ``fields`` selects."""
        fields = {f.strip() for f in params.get("fields", "").split(",") if f.strip()}
        if not fields:
            raise _Reply(p.CODE_MISSING_ARGUMENTS, "isv.missing-parameter:fields", "fields is required")
        start, end, page_no, size = _window_params(params, self.max_window_seconds)
        entry |= {"start": start, "end": end, "page_no": page_no, "page_size": size}
        with self._lock:
            now = self._now
            members = self._refunds_index.window(shop_id, now, start, end, end_inclusive=self.window_end_inclusive)
        members.reverse()  # modified descending, like the trade list
        chunk = members[(page_no - 1) * size : page_no * size]
        items = [
            {k: v for k, v in item.items() if k in fields}
            for _key, i, slot in chunk for s, item in refunds.refunds_of(self.generator, i, now) if s == slot
        ]
        entry |= {"total": len(members), "returned": len(items)}
        result: dict[str, t.Any] = {}
        if params.get("use_has_next") == "true":
            result["has_next"] = page_no * size < len(members)
        else:
            result["total_results"] = len(members)
        if items:
            result["refunds"] = {"refund": items}
        return result

    def _authenticate(self, params: dict[str, str], entry: dict) -> str:
        """TOP's checks, in the gateway's order; returns the session's shop."""
        if not params.get("method"):
            raise _Reply(p.CODE_MISSING_METHOD)
        if not params.get("app_key"):
            raise _Reply(p.CODE_MISSING_APP_KEY)
        if params["app_key"] != self.app_key:
            raise _Reply(p.CODE_INVALID_APP_KEY)
        if not params.get("timestamp"):
            raise _Reply(p.CODE_MISSING_TIMESTAMP)
        try:
            ts = p.parse_time(params["timestamp"])
        except ValueError:
            raise _Reply(p.CODE_INVALID_TIMESTAMP, "", "timestamp must be yyyy-MM-dd HH:mm:ss (GMT+8)") from None
        if abs(self.wall_time() - ts) > self.timestamp_tolerance_seconds:
            raise _Reply(p.CODE_INVALID_TIMESTAMP, "", "timestamp is more than 10 minutes off the server time")
        if not params.get("sign"):
            raise _Reply(p.CODE_MISSING_SIGNATURE)
        sign_method = params.get("sign_method") or p.SIGN_METHOD_MD5
        if sign_method not in p.SIGN_METHODS:
            raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, f"unsupported sign_method {sign_method}")
        expected = p.expected_sign(params, self.app_secret, sign_method)
        if not hmac.compare_digest(expected, params["sign"]):
            raise _Reply(p.CODE_INVALID_SIGNATURE)
        if params["method"] not in p.SERVED_METHODS:
            raise _Reply(p.CODE_INVALID_METHOD)
        token = params.get("session")
        if not token:
            raise _Reply(p.CODE_MISSING_SESSION)
        with self._lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
            session = self.tokens.grant(token)
            if session is None:
                raise _Reply(p.CODE_INVALID_SESSION, "invalid-sessionkey", "session does not exist")
            entry["shop_id"] = session.shop_id
            if not self.tokens.live(token):
                raise _Reply(p.CODE_INVALID_SESSION, p.SUB_SESSION_EXPIRED, "session has expired")
        if self.faults.deny_permission:
            raise _Reply(p.CODE_INSUFFICIENT_ISV_PERMISSIONS, "isv.permission-api-package-limit", "the app has no permission for this API")
        if not self._budget.allows():
            raise _Reply(p.CODE_APP_CALL_LIMITED, p.SUB_RATE_LIMITED, f"This ban will last for {self.ban_seconds:g} more seconds")
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _Reply(p.CODE_APP_CALL_LIMITED, p.SUB_RATE_LIMITED, f"This ban will last for {self.ban_seconds:g} more seconds")
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Reply(p.CODE_REMOTE_SERVICE_ERROR, p.SUB_SERVICE_BUSY, "remote service timed out")
        return session.shop_id

    def _increment(self, shop_id: str, params: dict[str, str], entry: dict) -> dict | bytes:
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        if not fields:
            raise _Reply(p.CODE_MISSING_ARGUMENTS, "isv.missing-parameter:fields", "fields is required")
        start, end, page_no, size = _window_params(params, self.max_window_seconds)
        if start < self._now - p.HORIZON_DAYS * 86_400:
            raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, "only trades of the last three months can be queried")
        types = {x.strip() for x in params["type"].split(",") if x.strip()} if params.get("type") else DEFAULT_SEARCH_TYPES
        entry |= {"start": start, "end": end, "page_no": page_no, "page_size": size}

        gen = self.generator
        with self._lock:
            members = [i for i in self._window(shop_id, start, end) if gen.timeline(i).trade_type in types]
            if page_no > 1 and members and self.take_fault("modify_during_paging"):
                moved = members[-1]  # the newest trade: first on page 1
                entry |= {"fault": "modify_during_paging", "moved": gen.tid_of(moved)}
                self._bumps[moved] = max(self._now, end) + 1
                self._now = self._bumps[moved]
                self._reindex()
                members = [i for i in self._window(shop_id, start, end) if gen.timeline(i).trade_type in types]
            members.reverse()  # TOP: modified descending
            total = len(members)
            chunk = members[(page_no - 1) * size : page_no * size]
            trades = [_select(gen.trade(i, self._now, self._bumps.get(i)), fields) for i in chunk]
        truncate = self.take_fault("truncate_next")
        if trades and not truncate and self.take_fault("short_page_next"):
            entry["fault"] = "short_page"
            trades = trades[:-1]
        entry |= {"total": total, "returned": len(trades), "tids": [gen.tid_of(i) for i in chunk]}
        result: dict[str, t.Any] = {}
        if params.get("use_has_next") == "true":
            result["has_next"] = page_no * size < total
        else:
            result["total_results"] = total
        if trades:
            result["trades"] = {"trade": trades}
        if truncate:  # the body is cut off in transit
            entry["fault"] = "truncated"
            data = encode_json({p.response_key(p.METHOD_INCREMENT): result})
            return data[: len(data) // 2]
        return result

    def _fullinfo(self, shop_id: str, params: dict[str, str], entry: dict) -> dict:
        """One trade of the session's shop as the list serves it now, with the asked ``fields``; a tid the shop does
        not have (or not visible yet) is code 15 ``isv.trade-not-exist`` [I]."""
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        if not fields or not params.get("tid"):
            raise _Reply(p.CODE_MISSING_ARGUMENTS, "isv.missing-parameter:fields,tid", "fields and tid are required")
        entry["tid"] = params["tid"]
        with self._lock:
            i = self._by_tid.get(params["tid"])
            if i is None or self.generator.shop_of(i) != shop_id or self.generator.modified_at(i, self._now) is None:
                raise _Reply(p.CODE_REMOTE_SERVICE_ERROR, p.SUB_TRADE_NOT_EXIST, "trade does not exist")
            return {"trade": _select(self.generator.trade(i, self._now, self._bumps.get(i)), fields)}

    # ------------------------------------------------------------------ TMC (message service)
    def message_endpoint(self, queue: MessageQueue) -> TmcEndpoint:  # type: ignore[override]
        """TMC (sandboxes/taobao/tmc.py)."""
        return TmcEndpoint(queue, app_key=self.app_key, app_secret=self.app_secret, wall_time=self.wall_time,
                           timestamp_tolerance_seconds=self.timestamp_tolerance_seconds)

    def channel_messages(self, after_ts: int, until_ts: int) -> list[Message]:
        """A TMC message per trade whose ``modified`` falls in (after_ts, until_ts]: its topic from the trade's status,
        its content TOP's trade message fields (``tid`` a JSON number, as TOP sends it)."""
        out: list[Message] = []
        gen = self.generator
        with self._lock:
            for shop, modified, i in self.changed(after_ts, until_ts):
                trade = gen.trade(i, self._now, self._bumps.get(i))
                topic = "taobao_trade_" + TMC_TOPICS.get(trade["status"], "TradeChanged")
                content = {"tid": int(gen.tid_of(i)), "status": trade["status"], "seller_nick": trade["seller_nick"], "type": trade.get("type"), "payment": trade.get("payment")}
                payload = {"topic": topic, "user_id": int(shop), "user_nick": trade["seller_nick"], "content": content}
                out.append(Message(self.message_id(gen.tid_of(i), modified), payload, modified, ((gen.tid_of(i), modified),)))
        return sorted(out, key=lambda m: m.changed_at)

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        entry: dict[str, t.Any] = {"path": request.path, "method": "token", "grant_type": form.get("grant_type")}

        def fail(status: int, error: str, description: str) -> SandboxResponse:
            self.record(entry | {"code": status, "error": error})
            return SandboxResponse(status, {"error": error, "error_description": description})

        if form.get("client_id") != self.app_key or form.get("client_secret") != self.app_secret:
            return fail(401, "invalid_client", "client_id or client_secret is wrong")
        if form.get("grant_type") != "refresh_token":
            return fail(400, "unsupported_grant_type", "only refresh_token is served by this sandbox")
        with self._lock:
            used = form.get("refresh_token", "")
            shop_id = self.tokens.holder(used)
            if shop_id is None:
                return fail(400, "invalid_grant", "refresh_token is invalid or already used")
            access, refresh = self.tokens.issue(shop_id)
        self.record(entry | {"code": 200, "shop_id": shop_id})
        nick_index = self.shop_ids.index(shop_id)  # the generator names shop k's seller_nick the same way
        return SandboxResponse(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": int(self.tokens.ttl_seconds),
                "refresh_token": refresh,
                "re_expires_in": int(self.tokens.ttl_seconds) * 2,
                "taobao_user_id": shop_id,
                "taobao_user_nick": catalog.SHOP_NICKS[nick_index % len(catalog.SHOP_NICKS)],
            },
        )


def _window_params(params: dict[str, str], max_window_seconds: int) -> tuple[int, int, int, int]:
    """``start_modified``, ``end_modified``, ``page_no``, ``page_size`` of a list call, checked as TOP does."""
    try:
        start = p.parse_time(params["start_modified"])
        end = p.parse_time(params["end_modified"])
    except KeyError:
        raise _Reply(p.CODE_MISSING_ARGUMENTS, "isv.missing-parameter", "start_modified and end_modified are required") from None
    except ValueError:
        raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, "modified times must be yyyy-MM-dd HH:mm:ss") from None
    if end <= start:
        raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, "end_modified must be after start_modified")
    if end - start > max_window_seconds:
        raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, "修改时间跨度不能大于一天 (end_modified - start_modified > 1 day)")
    page_no = _int(params.get("page_no", "1"), "page_no")
    size = _int(params.get("page_size", str(p.DEFAULT_PAGE_SIZE)), "page_size")
    if page_no < 1 or not 1 <= size <= p.MAX_PAGE_SIZE:
        raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, "page_no >= 1 and page_size 1-100 are required")
    return start, end, page_no, size


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _Reply(p.CODE_INVALID_ARGUMENTS, p.SUB_INVALID_PARAMETER, f"{name} must be an integer") from None


def _select(trade: dict, fields: list[str]) -> dict:
    """TOP's ``fields``: top-level names, ``orders`` (every sub-order field) or ``orders.<name>``."""
    top = {f for f in fields if "." not in f}
    sub = {f.split(".", 1)[1] for f in fields if f.startswith("orders.")}
    out = {k: v for k, v in trade.items() if k in top and k != "orders"}
    if "orders" in top or sub:
        orders = trade["orders"]["order"]
        out["orders"] = {"order": [o if "orders" in top else {k: v for k, v in o.items() if k in sub} for o in orders]}
    return out
