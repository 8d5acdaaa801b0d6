"""The Douyin sandbox pushes like the platform: one event per change in the clock step, several per POST, data as
a JSON string, each POST signed with event-sign; it serves order.orderDetail and afterSale/List by aftersale_id."""

from __future__ import annotations

import hashlib
import json
import typing as t

from tests.sandboxes.douyin.test_sandbox import call
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, OTHER_SHOP, SHOP

from orderlayer.sandboxes.douyin import generator as g
from orderlayer.sandboxes.douyin import protocol as sp
from orderlayer.sandboxes.kit.push import Delivery

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.douyin.server import DouyinSandbox

    Factory = t.Callable[..., DouyinSandbox]

DAY = 86_400


def pushed(deliveries: list[Delivery]) -> list[dict]:
    return [event for d in deliveries for event in json.loads(d.body)]


def test_every_change_in_the_step_is_one_signed_event_and_nothing_else(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(300, push_batch=5)
    start, gen = sandbox.now_ts, sandbox.generator
    until = start + 2 * DAY
    deliveries = sandbox.push_deliveries(start, until)
    assert deliveries and all(len(json.loads(d.body)) <= 5 for d in deliveries)
    assert len(deliveries) == -(-len(pushed(deliveries)) // 5)  # full batches but the last
    for d in deliveries:  # event-sign = md5(app_key + body + app_secret), computed here from its definition
        assert d.headers["event-sign"] == hashlib.md5(APP_KEY.encode() + d.body + APP_SECRET.encode()).hexdigest()  # noqa: S324
        assert d.headers["app-id"] == APP_KEY and d.signature_header == "event-sign" and "sign-method" not in d.headers
        assert d.event_ids == tuple(e["msg_id"] for e in json.loads(d.body))
    events = pushed(deliveries)
    data = [json.loads(e["data"]) for e in events]  # the data is a JSON string, as the platform sends it
    assert [d["update_time"] for d in data] == sorted(d["update_time"] for d in data)  # oldest first
    assert all(start < d["update_time"] <= until for d in data)
    assert len({e["msg_id"] for e in events}) == len(events)

    # the order events: one per timeline event of the step, counted from the generator's event times
    trade_slots = (g.PAY, g.RELEASE, g.BALANCE, g.SHIP_PARTIAL, g.SHIP, g.FINISH, g.CANCEL)
    expected = sorted(
        (gen.order_id_of(i), at) for i in range(gen.n_orders) for slot, at in enumerate(gen.event_times(i))
        if slot in trade_slots and start < at <= until
    )
    trades = sorted((d["p_id"], d["update_time"]) for e, d in zip(events, data) if e["tag"].startswith("10"))
    assert trades == expected and len(expected) > 10
    refunds = [d for e, d in zip(events, data) if e["tag"].startswith("20")]
    assert refunds and all(d["aftersale_id"].isdigit() and d["p_id"].isdigit() for d in refunds)
    assert {str(d["shop_id"]) for d in data} == {SHOP, OTHER_SHOP}

    # the same step again is the same pushes (a redelivery has its msg_id); an empty step pushes nothing
    assert sandbox.push_deliveries(start, until) == deliveries
    assert sandbox.push_deliveries(until, until) == []


def test_hmac_signed_pushes_announce_their_method(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(100, push_sign_method="hmac-sha256")
    [first, *_] = sandbox.push_deliveries(sandbox.now_ts, sandbox.now_ts + 3 * DAY)
    assert first.headers["sign-method"] == "hmac-sha256"
    assert first.headers["event-sign"] == sp.push_signature(APP_KEY, APP_SECRET, first.body, "hmac-sha256") != sp.push_signature(APP_KEY, APP_SECRET, first.body)


def test_advancing_hands_the_step_to_a_subscribed_pusher(make_sandbox: Factory) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.sent: list[Delivery] = []

        def send(self, deliveries: list[Delivery]) -> None:
            self.sent.extend(deliveries)

    sandbox = make_sandbox(200)
    start = sandbox.now_ts
    recorder = Recorder()
    sandbox.subscribe(recorder)  # type: ignore[arg-type]
    sandbox.advance(start + DAY)
    sandbox.advance(start + DAY)  # the clock did not move: nothing
    sandbox.subscribe(None)
    sandbox.advance(start + 2 * DAY)
    assert recorder.sent == sandbox.push_deliveries(start, start + DAY) and recorder.sent


def test_the_success_answer_is_what_acknowledges() -> None:
    assert sp.push_acknowledged(200, b'{"code":0,"msg":"success"}')
    assert not sp.push_acknowledged(200, b'{"code":1,"msg":"fail"}')
    assert not sp.push_acknowledged(200, b'{"code":false}')
    assert not sp.push_acknowledged(500, b'{"code":0,"msg":"success"}')
    assert not sp.push_acknowledged(200, b"success")


def test_order_detail_serves_the_listed_order_and_refuses_others(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(60)
    gen = sandbox.generator
    mine = next(i for i in range(60) if gen.shop_id_of(i) == SHOP)
    theirs = next(i for i in range(60) if gen.shop_id_of(i) == OTHER_SHOP)
    assert [gen.index_of_order_id(gen.order_id_of(i)) for i in range(60)] == list(range(60))
    assert [gen.index_of_order_id(x) for x in ("6000000000000000001", "5" + gen.order_id_of(0)[1:], "abc")] == [None] * 3

    answer = call(sandbox, {"shop_order_id": gen.order_id_of(mine)}, path=sp.ORDER_DETAIL_PATH).json()
    assert answer["code"] == 10000 and answer["data"]["shop_order_detail"] == sandbox.order(mine)
    for order_id in (gen.order_id_of(theirs), "6000000000000000001", "abc"):
        refused = call(sandbox, {"shop_order_id": order_id}, path=sp.ORDER_DETAIL_PATH).json()
        assert (refused["code"], refused["data"]) == (50002, {})


def test_after_sale_list_filters_by_aftersale_id_whatever_its_time(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(300)
    items = sandbox.after_sale_items(SHOP)
    wanted = items[0]["aftersale_info"]["aftersale_id"]
    answer = call(sandbox, {"aftersale_id": wanted, "page": 0, "size": 100}, path="/afterSale/List").json()
    assert answer["data"]["items"] == [items[0]] and answer["data"]["total"] == 1
    none = call(sandbox, {"aftersale_id": "3000000000000000001", "page": 0, "size": 100}, path="/afterSale/List").json()
    assert none["data"]["items"] == []
