"""What the Douyin sandbox pushes when its clock moves: the shop's message-push events (抖店消息推送).

Every timeline event of an order (:mod:`.generator`) that falls in (after_ts, until_ts] is one event
``{tag, msg_id, data}``: payment, shipping, completion and cancellation as ``doudian_trade_*`` events naming the
shop order (``p_id``, ``s_ids``, ``shop_id``, its status and the time), an after-sale's application and its end as
``doudian_refund_*`` events naming it (``aftersale_id``) and its order. ``data`` is a JSON string, as the platform
sends it. Events go oldest first, several to a POST (``batch`` per delivery), each POST signed with ``event-sign``.

The names and the data fields follow the SKIT ByteDance SDK's DouyinShop event models (op.jinritemai.com
message-docs 30/xxx, 31/xxx). The numeric ``tag`` of each name is not in a source we could read: the numbers below
are the sandbox's, and the receiver dispatches on ``data`` (an order id, an after-sale id), never on a tag number.
"""

from __future__ import annotations

import hashlib
import json
import typing as t

from orderlayer.sandboxes.douyin import after_sales
from orderlayer.sandboxes.douyin import generator as g
from orderlayer.sandboxes.douyin import protocol as p
from orderlayer.sandboxes.kit.push import Delivery

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.douyin.generator import OrderGenerator

#: The platform's URL check (answered success, nothing stored).
CHECK_TAG = "0"

#: order timeline slot -> (event name, the sandbox's tag, the order_status it reports)
TRADE_EVENTS = {
    g.PAY: ("doudian_trade_TradePaid", "101", 2),
    g.RELEASE: ("doudian_trade_TradePaid", "101", 2),
    g.BALANCE: ("doudian_trade_TradePaid", "101", 2),
    g.SHIP_PARTIAL: ("doudian_trade_TradePartlySellerShip", "104", 101),
    g.SHIP: ("doudian_trade_TradeSellerShip", "102", 3),
    g.FINISH: ("doudian_trade_TradeSuccess", "103", 5),
    g.CANCEL: ("doudian_trade_TradeCanceled", "106", 4),
}
CREATE_EVENT = ("doudian_trade_TradeCreate", "100", 1)
REFUND_CREATED = ("doudian_refund_RefundCreated", "200")
REFUND_SUCCESS = ("doudian_refund_RefundSuccess", "206")
REFUND_CLOSED = ("doudian_refund_RefundClosed", "207")


class Event(t.NamedTuple):
    at: int  # sandbox clock of the change
    msg_id: str
    tag: str
    data: dict


def msg_id(seed: int, i: int, what: str) -> str:
    """A 19-digit message id, the same for the same change (a redelivery), different for every other."""
    digest = hashlib.blake2b(f"{seed}:{i}:{what}".encode(), digest_size=8).digest()
    return str(7 * 10**18 + int.from_bytes(digest, "big") % 10**18)


def events(gen: OrderGenerator, after_ts: int, until_ts: int) -> list[Event]:
    """Every push event of what changed in (after_ts, until_ts], oldest first."""
    out: list[Event] = []
    for i in range(gen.n_orders):
        times = gen.event_times(i)
        create = gen.create_time_of(i)
        changed = [(slot, at) for slot, at in enumerate(times) if after_ts < at <= until_ts]
        if not changed and not after_ts < create <= until_ts:
            continue
        order = _order_ids(gen, i)
        if after_ts < create <= until_ts:
            out.append(_trade(gen, i, order, "create", create, CREATE_EVENT))
        for slot, at in changed:
            if slot in TRADE_EVENTS:
                out.append(_trade(gen, i, order, f"trade{slot}", at, TRADE_EVENTS[slot]))
        for aftersale in after_sales.slots_of(gen, i):
            for at, applied in ((aftersale.apply, True), (aftersale.done, False)):
                if after_ts < at <= until_ts:
                    out.append(_refund(gen, i, order, aftersale, at, applied, until_ts))
    out.sort(key=lambda e: (e.at, e.msg_id))
    return out


def _order_ids(gen: OrderGenerator, i: int) -> dict:
    order_id = gen.order_id_of(i)
    n = gen.n_skus_of(i)
    s_ids = [order_id] if n == 1 else [g.permuted_id(5, gen.seed, i * 4 + j) for j in range(n)]
    return {"p_id": order_id, "s_ids": s_ids, "shop_id": int(gen.shop_id_of(i))}


def _trade(gen: OrderGenerator, i: int, order: dict, what: str, at: int, kind: tuple[str, str, int]) -> Event:
    name, tag, status = kind
    data = {**order, "order_status": status, "order_type": 0, "biz": 2, "update_time": at}
    return Event(at, msg_id(gen.seed, i, f"{name}:{what}"), tag, data)


def _refund(gen: OrderGenerator, i: int, order: dict, aftersale: after_sales.Slot, at: int, applied: bool, now: int) -> Event:  # noqa: FBT001
    aftersale_id = after_sales.after_sale_id(gen, i, aftersale.slot)
    s_id = order["s_ids"][aftersale.skus[0]] if aftersale.slot != after_sales.ORDER_SLOT else order["p_id"]
    if applied:
        name, tag = REFUND_CREATED
        status = 6
    else:
        [item] = [item for s, item in after_sales.items_of(gen, i, max(now, gen.as_of_ts)) if s.slot == aftersale.slot]
        status = int(item["aftersale_info"]["aftersale_status"])
        name, tag = REFUND_SUCCESS if status == 12 else REFUND_CLOSED
    data = {
        "p_id": order["p_id"], "s_id": s_id, "shop_id": order["shop_id"], "aftersale_id": aftersale_id,
        "aftersale_status": status, "update_time": at,
    }
    return Event(at, msg_id(gen.seed, i, f"{name}:{aftersale.slot}"), tag, data)


def deliveries(app_key: str, app_secret: str, pushed: list[Event], *, batch: int, sign_method: str = p.SIGN_METHOD_MD5) -> list[Delivery]:
    """The events as signed POSTs of up to ``batch`` events each, in order."""
    out = []
    for start in range(0, len(pushed), batch):
        chunk = pushed[start : start + batch]
        body = json.dumps(
            [{"tag": e.tag, "msg_id": e.msg_id, "data": json.dumps(e.data, separators=(",", ":"))} for e in chunk],
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            p.PUSH_APP_ID_HEADER: app_key,
            p.PUSH_SIGN_HEADER: p.push_signature(app_key, app_secret, body, sign_method),
        }
        if sign_method != p.SIGN_METHOD_MD5:
            headers[p.PUSH_SIGN_METHOD_HEADER] = sign_method
        changes = tuple((str(e.data["p_id"]), e.at) for e in chunk if "order_status" in e.data)  # order versions
        out.append(Delivery(body, headers, tuple(e.msg_id for e in chunk), max(e.at for e in chunk), p.PUSH_SIGN_HEADER, changes))
    return out
