"""A local HTTP server that speaks the Meituan Waimai open-platform protocol (GET, ``app_id`` +
``timestamp`` + ``sig``, the ``{"data": …}`` / ``{"data": "ng", "error": {code, msg}}`` envelope).

It verifies what the gateway verifies: ``app_id`` (702), the signature recomputed over the URL the
client called (703), the ``timestamp`` within ``timestamp_tolerance_seconds`` of the wall clock, the
store (803) and its authorisation (2000); it enforces the day-sequence span per call and a per-app QPS
budget. Codes the fact sheet does not confirm (stale timestamp, bad parameter, unknown order) use the
``SANDBOX_*`` codes of ``protocol.py``; throttling answers HTTP 429 (the platform's throttling answer is
unconfirmed), "system busy" answers the documented 600.

Faults (``sandbox.set_faults(...)`` or ``POST /_sandbox/faults``): ``rate_limit_next`` (HTTP 429, with
``Retry-After`` when ``retry_after_seconds`` is set), ``busy_next`` (600), ``truncate_next`` (a 200 whose
JSON body is cut short), ``http_503_next``, ``stall_next``. Meituan has no access tokens (calls are signed
with the app secret), so ``expire_token`` has no effect; :meth:`MeituanSandbox.revoke` expires a store's
authorisation instead. ``requests`` logs each call (path, business params, code), never a secret.

Pushes: subscribed (``subscribe``), it pushes each order event as Meituan's signed form to the callback URL as
the clock advances (:meth:`MeituanSandbox.push_deliveries`; docs/channels/meituan.md "Push").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t
from urllib.parse import urlencode

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.push import Delivery
from orderlayer.sandboxes.kit.server import SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.meituan import protocol as p
from orderlayer.sandboxes.meituan.generator import MeituanGenerator

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from orderlayer.sandboxes.kit.synth import OrderFact

API_PREFIX = "/api/v1/"


class _Reply(Exception):  # noqa: N818 - control flow: an error envelope to send
    def __init__(self, code: int, detail: str = "", status: int = 200) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


class MeituanSandbox(ChannelSandbox[MeituanGenerator]):
    """One fake Meituan gateway serving several stores of one app (see module docstring).

    ``as_of`` is the sandbox clock for order state; request ``timestamp`` freshness is checked
    against the real wall clock, as the platform does.
    """

    server_name = "meituan-sandbox"
    #: Tap config keys that hold secrets (the demo and the ERP sandboxes redact them).
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("app_secret", "pii_salt")
    generator_class = MeituanGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        app_id: str | None = None,
        app_secret: str | None = None,
        sign_encode_values: bool = False,
        max_day_seq_span: int = p.MAX_DAY_SEQ_SPAN,
        timestamp_tolerance_seconds: int = 600,
        retry_after_seconds: float | None = None,
        lists_as_strings: bool = True,
        extra_fields: Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, **common)
        material = f"meituan:{self.generator.seed}".encode()
        self.app_id = app_id or str(4000 + int.from_bytes(hashlib.sha256(material).digest()[:2], "big") % 5000)
        self.app_secret = app_secret or "mt-secret-" + hashlib.sha256(b"secret:" + material).hexdigest()[:24]
        self.sign_encode_values = sign_encode_values
        self.max_day_seq_span = max_day_seq_span
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.retry_after_seconds = retry_after_seconds
        self.lists_as_strings = lists_as_strings
        self.extra_fields = dict(extra_fields or {})
        self._budget = RequestBudget(qps)
        self._revoked: set[str] = set()  # Meituan has no tokens: an app's authorisation is per store

    # ------------------------------------------------------------------ clock and data
    def order(self, i: int) -> dict:
        """Order ``i`` exactly as the sandbox serves it now (before any tap processing)."""
        record = self.generator.order(i, self._now, lists_as_strings=self.lists_as_strings)
        if self.extra_fields:
            record.update(self.extra_fields)
        return record

    def visible_indexes(self, shop_id: str) -> list[int]:
        """Orders of ``shop_id`` the store can see now (pushed), by index."""
        return [pl.index for pl in self.generator.plans if pl.shop == str(shop_id) and self.generator.visible(pl.index, self._now)]

    def order_facts(self) -> Iterator[OrderFact]:
        """Every visible order in neutral terms, at the sandbox clock (for the ERP sandboxes)."""
        return self.generator.facts(self._now)

    def revoke(self, shop_id: str) -> None:
        """The store's authorisation of the app expired (-> 2000)."""
        with self._lock:
            self._revoked.add(str(shop_id))

    def connection(self, shop_id: str) -> dict:
        """tap-meituan's API root, app credentials and the store (app_poi_code)."""
        return {
            "base_url": self.base_url + API_PREFIX.rstrip("/"),
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "app_poi_code": str(shop_id),
            "sign_encode_values": self.sign_encode_values,
        }

    # ------------------------------------------------------------------ pushes
    push_acknowledged = staticmethod(p.push_acknowledged)

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """One signed form per order event in (after_ts, until_ts], oldest first, to the subscribed URL: the new-order
        push carries the order as form strings (S7), the others name it with a status, a delivery state, a
        cancellation or a refund notice (docs/channels/meituan.md "Push")."""
        assert self.pusher is not None
        events = []
        for plan in self.generator.plans:
            if plan.pushed_at > until_ts:
                continue
            for name, at in self.generator.events_at(plan, until_ts).items():
                if after_ts < at <= until_ts:
                    events.append((at, plan.index, name))
        return [self._delivery(self.pusher.url, i, name, at) for at, i, name in sorted(events)]

    def _delivery(self, url: str, i: int, name: str, at: int) -> Delivery:
        plan = self.generator.plans[i]
        fields = {"order_id": str(plan.order_id), "app_poi_code": plan.shop}
        if name == "paid":
            fields.update({k: _form_value(v) for k, v in self.generator.order(i, at, lists_as_strings=True).items()})
        elif name in ("fetched", "delivered"):
            fields["logistics_status"] = "40" if name == "delivered" else "20"
            fields["time"] = str(at)
        elif name == "cancelled":
            fields.update({"reason_code": "2007", "reason": "商家无法接单"})
        elif name.startswith("refund"):
            refund = plan.second_refund if name.startswith("refund2") else plan.refund
            assert refund is not None
            resolved = name.endswith("_resolved")
            fields["notify_type"] = {2: "agree", 1: "reject", 7: "cancelRefund"}[refund.res_type] if resolved else "apply"
            fields["refund_id"] = str(refund.refund_id)
        else:  # received, confirmed, completed: the order's new status
            fields["status"] = str(self.generator.status_at(plan, at))
        form, forged_sig = p.signed_push(url, fields, self.app_id, self.app_secret, int(self.wall_time()), encode_values=self.sign_encode_values)
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        return Delivery(
            urlencode(form).encode("utf-8"),
            headers,
            (f"{plan.order_id}:{name}:{at}",),
            at,
            changes=((plan.view_id, at),),  # every event moves utime (source_updated_at) to its time
            forged_body=urlencode({**form, "sig": forged_sig}).encode("utf-8"),
        )

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        path = request.path[len(API_PREFIX) :] if request.path.startswith(API_PREFIX) else request.path
        params = {k: v for k, v in request.query.items() if k not in p.SYSTEM_PARAMS}
        entry: dict[str, t.Any] = {"path": path, "params": params}
        try:
            if request.method != "GET":
                raise _Reply(p.SANDBOX_CODE_PARAM_INVALID, "use GET", status=405)
            route = {
                p.ORDER_DETAIL_PATH: self._order_detail,
                p.ORDER_IDS_BY_DAY_SEQ_PATH: self._order_ids,
                p.ORDER_REFUND_DETAIL_PATH: self._refund_detail,
            }.get(path)
            if route is None:
                raise _Reply(p.CODE_MISSING_PARAMS, f"unknown API {path}", status=404)
            self._verify(request, entry)
            throttled = self._throttle(entry)
            if throttled is not None:
                return throttled
            data = route(params, entry)
        except _Reply as reply:
            entry["code"] = reply.code
            self.record(entry)
            return SandboxResponse(reply.status, p.error_body(reply.code, f"{p.ERROR_MESSAGES.get(reply.code, 'error')}: {reply.detail}" if reply.detail else None))
        entry["code"] = 0
        body = encode_json({"data": data})
        if self.take_fault("truncate_next"):
            entry["fault"] = "truncate"
            body = body[: max(1, len(body) // 2)]
        self.record(entry)
        return SandboxResponse(200, body)

    def _verify(self, request: SandboxRequest, entry: dict) -> None:
        query = request.query
        for name in p.SYSTEM_PARAMS:
            if not query.get(name):
                raise _Reply(p.CODE_MISSING_PARAMS, f"missing {name}")
        if query["app_id"] != self.app_id:
            raise _Reply(p.CODE_APP_ID_NOT_FOUND)
        try:
            ts = int(query["timestamp"])
        except ValueError:
            raise _Reply(p.SANDBOX_CODE_TIMESTAMP, "timestamp must be Unix seconds") from None
        if abs(self.wall_time() - ts) > self.timestamp_tolerance_seconds:
            raise _Reply(p.SANDBOX_CODE_TIMESTAMP, "timestamp is too far from the server clock")
        # The platform signs the URL it was called at: scheme, Host header and path.
        url = f"http://{request.headers.get('host', '')}{request.path}"
        expected = p.expected_sig(url, query, self.app_secret, encode_values=self.sign_encode_values)
        if not hmac.compare_digest(expected, query["sig"]):
            raise _Reply(p.CODE_SIGNATURE)
        entry["verified"] = True

    def _throttle(self, entry: dict) -> SandboxResponse | None:
        limited = not self._budget.allows()
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            limited = True
        if limited:
            entry["code"] = 429
            self.record(entry)
            headers = {} if self.retry_after_seconds is None else {"Retry-After": f"{self.retry_after_seconds:g}"}
            return SandboxResponse(429, {"error": {"code": 429, "msg": "访问过于频繁"}}, headers)
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Reply(p.CODE_INTERNAL, "injected: system busy")
        return None

    def _store(self, code: str | None) -> str:
        if not code:
            raise _Reply(p.CODE_MISSING_PARAMS, "missing app_poi_code")
        if code not in self.shop_ids:
            raise _Reply(p.CODE_STORE_NOT_FOUND)
        if code in self._revoked:
            raise _Reply(p.CODE_STORE_EXPIRED)
        return code

    def _int(self, params: dict, name: str) -> int:
        value = params.get(name)
        if value in (None, ""):
            raise _Reply(p.CODE_MISSING_PARAMS, f"missing {name}")
        try:
            return int(value)
        except ValueError:
            raise _Reply(p.SANDBOX_CODE_PARAM_INVALID, f"{name} must be an integer") from None

    def _order_ids(self, params: dict, entry: dict) -> dict:
        shop = self._store(params.get("app_poi_code"))
        day = params.get("date_time") or ""
        if len(day) != 8 or not day.isdigit():
            raise _Reply(p.SANDBOX_CODE_PARAM_INVALID, "date_time must be yyyyMMdd")
        first, last = self._int(params, "day_seq_start"), self._int(params, "day_seq_end")
        if first < 1 or last < first:
            raise _Reply(p.SANDBOX_CODE_PARAM_INVALID, "day_seq range is empty")
        if last - first + 1 > self.max_day_seq_span:
            raise _Reply(p.SANDBOX_CODE_PARAM_INVALID, f"at most {self.max_day_seq_span} day_seq per call")
        ids = self.generator.order_ids_by_day_seq(shop, day, first, last, self._now)
        entry["returned"] = len(ids)
        return {"result": "ok", "order_ids": ids}

    def _order_detail(self, params: dict, entry: dict) -> dict:
        order_id = self._int(params, "order_id")
        i = self.generator.index_of(order_id)
        if i is None or not self.generator.visible(i, self._now):
            raise _Reply(p.SANDBOX_CODE_ORDER_NOT_FOUND)
        shop = self.generator.plans[i].shop
        if shop in self._revoked:
            raise _Reply(p.CODE_STORE_EXPIRED)
        entry["shop_id"] = shop
        return self.order(i)

    def _refund_detail(self, params: dict, entry: dict) -> list:
        view_id = params.get("wm_order_id_view") or ""
        i = self.generator.index_of_view_id(view_id)
        if i is None or not self.generator.visible(i, self._now):
            raise _Reply(p.SANDBOX_CODE_ORDER_NOT_FOUND)
        plan = self.generator.plans[i]
        entry["shop_id"] = plan.shop
        return self.generator.refund_records_at(plan, self._now)


def _form_value(value: t.Any) -> str:  # noqa: ANN401
    """A field of the new-order push as Meituan sends it: every value a string, lists as JSON (S7)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
