"""A local HTTP server that speaks the Ele.me retail open-platform protocol: one gateway, form POSTs with
``cmd`` / ``source`` / ``ticket`` / ``timestamp`` / ``version`` / ``encrypt`` / ``body`` / ``sign``, and the
``{"body": {"errno", "error", "data"}, "cmd": "resp.<cmd>", …}`` answer (fact sheet §B1–B4).

It verifies what the gateway verifies: the partner ``source``, the upper-case MD5 signature over every
parameter plus the secret, the ``timestamp`` within ``timestamp_tolerance_seconds`` of the wall clock, a
``ticket`` used only once (replay protection: a retry must be a newly signed request), the shop's
authorisation and — when ``require_access_token`` — the ISV access token. It enforces the ``order.list``
window (``max_window_seconds``) and serves a fixed page size (``page_size``), newest first.

Every non-zero ``errno`` here is the sandbox's convention (``SANDBOX_ERRNO_*`` in ``protocol.py``): the
platform's values are unconfirmed. Faults: ``rate_limit_next`` (errno 20002, with ``Retry-After`` when
``retry_after_seconds`` is set), ``busy_next`` (20001), ``expire_token`` (tokens in use expire: 10005),
``truncate_next`` (a 200 whose JSON is cut short), ``http_503_next``, ``stall_next``, plus
``update_during_paging`` (the next N page-2+ list calls first reveal a new order in that window, so the
window's ``total`` changes mid-paging). ``requests`` logs each call (cmd, business params, errno), never
a secret, ticket or sign.

Pushes: subscribed (``subscribe``), it calls the partner's push URL with ``order.create`` / ``order.status.push``
signed like a request as the clock advances (:meth:`ElemeSandbox.push_deliveries`; docs/channels/eleme.md "Push").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.channel import ChannelArgs, ChannelSandbox
from orderlayer.sandboxes.kit.push import Delivery
from orderlayer.sandboxes.kit.tokens import TokenIssuer
from orderlayer.sandboxes.kit.server import Faults, SandboxRequest, SandboxResponse, encode_json
from orderlayer.sandboxes.eleme import protocol as p
from orderlayer.sandboxes.eleme.generator import ElemeGenerator

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from orderlayer.sandboxes.kit.synth import OrderFact

REQUIRED = ("cmd", "source", "ticket", "timestamp", "version", "sign", "body")


@dataclass
class ElemeFaults(Faults):
    #: The next N list calls for page >= 2 first make one more order of that window visible.
    update_during_paging: int = 0


class _Reply(Exception):  # noqa: N818 - control flow: an error answer to send
    def __init__(self, errno: int, error: str) -> None:
        super().__init__(error)
        self.errno = errno
        self.error = error


class ElemeSandbox(ChannelSandbox[ElemeGenerator]):
    """One fake Ele.me retail gateway serving several shops of one partner (see module docstring)."""

    server_name = "eleme-sandbox"
    faults_class = ElemeFaults
    #: Tap config keys that hold secrets (the demo and the ERP sandboxes redact them).
    SECRET_CONFIG_KEYS: t.ClassVar[tuple[str, ...]] = ("secret", "access_token", "pii_salt")
    generator_class = ElemeGenerator

    def __init__(
        self,
        *world: t.Any,
        qps: float | None = 50.0,
        source: str | None = None,
        secret: str | None = None,
        require_access_token: bool = False,
        sign_encode_values: bool = False,
        page_size: int = 20,
        max_window_seconds: int = 7 * 86_400,
        timestamp_tolerance_seconds: int = 600,
        retry_after_seconds: float | None = None,
        extra_fields: Mapping[str, t.Any] | None = None,
        **common: t.Unpack[ChannelArgs],
    ) -> None:
        super().__init__(*world, **common)
        self.faults: ElemeFaults
        material = f"eleme:{self.generator.seed}".encode()
        self.source = source or str(60000 + int.from_bytes(hashlib.sha256(material).digest()[:2], "big") % 9000)
        self.secret = secret or "el-secret-" + hashlib.sha256(b"secret:" + material).hexdigest()[:24]
        self.require_access_token = require_access_token
        self.sign_encode_values = sign_encode_values
        self.page_size = page_size
        self.max_window_seconds = max_window_seconds
        self.timestamp_tolerance_seconds = timestamp_tolerance_seconds
        self.retry_after_seconds = retry_after_seconds
        self.extra_fields = dict(extra_fields or {})
        self._budget = RequestBudget(qps)
        self._tickets: OrderedDict[str, None] = OrderedDict()
        # One access token per shop, for an ISV gateway (require_access_token); it lives until expired.
        self.tokens = TokenIssuer(
            lambda shop, _: (f"el.at.{hashlib.sha256(material + shop.encode()).hexdigest()[:32]}", ""),
            clock=self.wall_time,
            ttl_seconds=None,
        )
        for shop in self.shop_ids:
            self.tokens.issue(shop)
        self._hidden: set[int] = set()  # orders held back until a paging fault reveals them

    # ------------------------------------------------------------------ clock and data
    def order(self, i: int) -> dict:
        """``order.get`` data of order ``i`` exactly as served now (before any tap processing)."""
        data = self.generator.order(i, self._now)
        if self.extra_fields:
            data["order"].update(json.loads(json.dumps(self.extra_fields)))
        return data

    def hide(self, indexes: set[int]) -> None:
        """Hold orders back from ``order.list`` (until a paging fault reveals one), to stage drift."""
        with self._lock:
            self._hidden |= set(indexes)

    def visible_indexes(self, shop_id: str) -> list[int]:
        return [pl.index for pl in self.generator.plans if pl.shop == str(shop_id) and self.generator.visible(pl.index, self._now) and pl.index not in self._hidden]

    def order_facts(self) -> Iterator[OrderFact]:
        """Every visible order in neutral terms, at the sandbox clock (for the ERP sandboxes)."""
        return self.generator.facts(self._now)

    def revoke(self, shop_id: str) -> None:
        """The shop withdrew the partner's order permission."""
        with self._lock:
            self.tokens.revoke(shop_id)

    def connection(self, shop_id: str) -> dict:
        """tap-eleme's gateway, partner credentials, the shop and, for an ISV gateway, its access token."""
        config = {
            "base_url": self.base_url + "/",
            "source": self.source,
            "secret": self.secret,
            "shop_id": str(shop_id),
            "sign_encode_values": self.sign_encode_values,
        }
        if self.require_access_token:
            config["access_token"] = self.access_token(shop_id)
        return config

    # ------------------------------------------------------------------ pushes
    push_acknowledged = staticmethod(p.push_acknowledged)

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """One signed call per order event in (after_ts, until_ts], oldest first, as the platform calls the partner's
        push URL (§B1/B2): ``order.create`` when an order appears, ``order.status.push`` with the new status, and a
        partial-refund notice (docs/channels/eleme.md "Push")."""
        events = []
        for plan in self.generator.plans:
            happened = {"created": plan.ctime, **plan.events}
            for name, at in (("refund_applied", plan.refund_applied), ("refund_resolved", plan.refund_resolved)):
                if at is not None:
                    happened[name] = at
            if plan.second_refund is not None:
                happened["refund2_applied"], happened["refund2_resolved"] = plan.second_refund
            events.extend((at, plan.index, name) for name, at in happened.items() if after_ts < at <= until_ts)
        return [self._delivery(i, name, at) for at, i, name in sorted(events)]

    def _delivery(self, i: int, name: str, at: int) -> Delivery:
        plan = self.generator.plans[i]
        if name == "created":
            cmd, body = p.PUSH_CREATE, {"order_id": plan.order_id}
        elif name.startswith("refund"):
            cmd, body = p.PUSH_PART_REFUND, {"order_id": plan.order_id, "status": 20 if name.endswith("_resolved") else 10}
        else:
            cmd, body = p.PUSH_STATUS, {"order_id": plan.order_id, "status": self.generator.status_at(plan, at)}
        form = {
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")), "cmd": cmd, "encrypt": "",
            "source": self.source, "ticket": str(uuid.uuid4()).upper(), "timestamp": str(int(self.wall_time())), "version": "3",
        }
        signed = p.expected_sign(form, self.secret, encode_values=self.sign_encode_values)
        forged = signed[:-1] + ("0" if signed[-1] != "0" else "1")
        return Delivery(
            urlencode({**form, "sign": signed}).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            (f"{plan.order_id}:{name}:{at}",),
            at,
            changes=((plan.order_id, at),) if name in _TIMED_EVENTS else (),
            forged_body=urlencode({**form, "sign": forged}).encode("utf-8"),
        )

    # ------------------------------------------------------------------ protocol
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        cmd = form.get("cmd", "")
        entry: dict[str, t.Any] = {"cmd": cmd}
        try:
            if request.method != "POST":
                raise _Reply(p.SANDBOX_ERRNO_PARAM, "use POST")
            params = self._verify(form, entry)
            self._throttle(entry)
            route = {p.CMD_ORDER_LIST: self._order_list, p.CMD_ORDER_GET: self._order_get, p.CMD_PART_REFUND_GET: self._part_refund_get}.get(cmd)
            if route is None:
                raise _Reply(p.SANDBOX_ERRNO_PARAM, f"unknown cmd {cmd}")
            data = route(params, entry)
            errno, error = p.ERRNO_OK, "success"
        except _Reply as reply:
            data, errno, error = None, reply.errno, reply.error
        entry["errno"] = errno
        answer = p.response_envelope(
            cmd or "unknown", errno, error, data, source=self.source, ticket=form.get("ticket", ""), timestamp=int(self.wall_time()), secret=self.secret
        )
        body = encode_json(answer)
        headers = {}
        if errno == p.SANDBOX_ERRNO_RATE_LIMITED and self.retry_after_seconds is not None:
            headers["Retry-After"] = f"{self.retry_after_seconds:g}"
        if errno == p.ERRNO_OK and self.take_fault("truncate_next"):
            entry["fault"] = "truncate"
            body = body[: max(1, len(body) // 2)]
        self.record(entry)
        return SandboxResponse(200, body, headers)

    def _verify(self, form: dict[str, str], entry: dict) -> dict:
        for name in REQUIRED:
            if name not in form:
                raise _Reply(p.SANDBOX_ERRNO_PARAM, f"missing {name}")
        if form["source"] != self.source:
            raise _Reply(p.SANDBOX_ERRNO_SOURCE, "source not found")
        try:
            ts = int(form["timestamp"])
        except ValueError:
            raise _Reply(p.SANDBOX_ERRNO_TIMESTAMP, "timestamp must be Unix seconds") from None
        if abs(self.wall_time() - ts) > self.timestamp_tolerance_seconds:
            raise _Reply(p.SANDBOX_ERRNO_TIMESTAMP, "timestamp expired")
        expected = p.expected_sign(form, self.secret, encode_values=self.sign_encode_values)
        if not hmac.compare_digest(expected, form["sign"]):
            raise _Reply(p.SANDBOX_ERRNO_SIGNATURE, "sign error")
        with self._lock:
            if form["ticket"] in self._tickets:
                raise _Reply(p.SANDBOX_ERRNO_TICKET_REUSED, "ticket already used")
            self._tickets[form["ticket"]] = None
            while len(self._tickets) > 10_000:
                self._tickets.popitem(last=False)
        try:
            params = json.loads(form["body"] or "{}")
        except json.JSONDecodeError:
            raise _Reply(p.SANDBOX_ERRNO_PARAM, "body is not JSON") from None
        if not isinstance(params, dict):
            raise _Reply(p.SANDBOX_ERRNO_PARAM, "body must be a JSON object")
        entry["params"] = params
        with self._lock:
            if self.faults.expire_token:
                self.faults.expire_token = False
                self.tokens.expire_all()
            if self.require_access_token:
                token = self.tokens.grant(form.get("access_token") or "")
                if token is None:
                    raise _Reply(p.SANDBOX_ERRNO_PERMISSION, "access_token invalid")
                if not self.tokens.live(form.get("access_token") or ""):
                    raise _Reply(p.SANDBOX_ERRNO_TOKEN_EXPIRED, "access_token expired")
                entry["token_shop"] = token.shop_id
        return params

    def _throttle(self, entry: dict) -> None:
        if not self._budget.allows():
            raise _Reply(p.SANDBOX_ERRNO_RATE_LIMITED, "调用频率超限")
        if self.take_fault("rate_limit_next"):
            entry["fault"] = "rate_limit"
            raise _Reply(p.SANDBOX_ERRNO_RATE_LIMITED, "调用频率超限 (injected)")
        if self.take_fault("busy_next"):
            entry["fault"] = "busy"
            raise _Reply(p.SANDBOX_ERRNO_BUSY, "系统繁忙 (injected)")

    def _shop(self, shop_id: t.Any, entry: dict) -> str:  # noqa: ANN401
        shop = str(shop_id or "")
        if shop not in self.shop_ids:
            raise _Reply(p.SANDBOX_ERRNO_PERMISSION, f"shop {shop} is not authorised for this partner")
        if self.tokens.revoked(shop) or entry.get("token_shop", shop) != shop:
            raise _Reply(p.SANDBOX_ERRNO_PERMISSION, "no permission for this shop")
        entry["shop_id"] = shop
        return shop

    def _order_list(self, params: dict, entry: dict) -> dict:
        shop = self._shop(params.get("shop_id"), entry)
        try:
            start, end, page = int(params["start_time"]), int(params["end_time"]), int(params.get("page", 1))
        except (KeyError, TypeError, ValueError):
            raise _Reply(p.SANDBOX_ERRNO_PARAM, "start_time, end_time and page must be integers") from None
        if end < start or page < 1:
            raise _Reply(p.SANDBOX_ERRNO_PARAM, "end_time before start_time, or page < 1")
        if end - start > self.max_window_seconds:
            raise _Reply(p.SANDBOX_ERRNO_PARAM, f"time range exceeds {self.max_window_seconds} seconds")
        with self._lock:
            listed = [i for i in self.generator.listed(shop, start, end, self._now) if i not in self._hidden]
            if page >= 2 and self.faults.update_during_paging > 0:
                held = [i for i in self.generator.listed(shop, start, end, self._now) if i in self._hidden]
                if held:
                    self.faults.update_during_paging -= 1
                    self._hidden.discard(held[0])
                    entry["fault"] = "update_during_paging"
                    listed = [i for i in self.generator.listed(shop, start, end, self._now) if i not in self._hidden]
        total = len(listed)
        pages = max(1, -(-total // self.page_size))
        chunk = listed[(page - 1) * self.page_size : page * self.page_size]
        entry["total"], entry["returned"] = total, len(chunk)
        items = [{"order_id": self.generator.plans[i].order_id, "create_time": str(self.generator.plans[i].ctime),
                  "status": self.generator.status_at(self.generator.plans[i], self._now)} for i in chunk]
        return {"total": total, "page": page, "pages": pages, "list": items}

    def _lookup(self, params: dict, entry: dict) -> int:
        i = self.generator.index_of(str(params.get("order_id", "")))
        if i is None or not self.generator.visible(i, self._now):
            raise _Reply(p.SANDBOX_ERRNO_NOT_FOUND, "order not found")
        self._shop(self.generator.plans[i].shop, entry)
        return i

    def _order_get(self, params: dict, entry: dict) -> dict:
        return self.order(self._lookup(params, entry))

    def _part_refund_get(self, params: dict, entry: dict) -> list:
        i = self._lookup(params, entry)
        return self.generator.part_refunds_at(self.generator.plans[i], self._now)


#: The events whose time an order's source_updated_at takes (create/confirm/pick-up/delivery/finish/cancel times and
#: the partial refunds' update_time; the rider's acceptance has no time of its own in order.get): a freshness
#: measurement waits only for these.
_TIMED_EVENTS = frozenset({"created", "confirmed", "picked_up", "delivered", "finished", "cancelled", "refund_applied", "refund_resolved"})
