"""Douyin's message push (docs/channels/douyin.md "Push"): the event-sign checked against vectors computed with
md5sum / openssl, forged and malformed pushes refused with the failure answer and nothing kept, events turned into
fetch requests deduplicated on msg_id, and a fetched record identical to what a sync emits for the same version."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest

from orderlayer.taps.common.push import FetchRequest, PushRejected, PushRequest
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.receiver import DouyinReceiver
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, OTHER_SHOP, SHOP, run_tap, tap_config

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.douyin.server import DouyinSandbox

    Factory = t.Callable[..., DouyinSandbox]

ORDER = "6936476692437472563"
BODY = b'[{"tag":"101","msg_id":"7000000000000000001","data":"{\\"p_id\\":\\"6936476692437472563\\",\\"shop_id\\":7784061}"}]'
# printf '%s' "$APP_KEY$BODY$APP_SECRET" | md5sum   (and | openssl dgst -sha256 -hmac "$APP_SECRET")
BODY_MD5 = "1b00ab40f8632b0094a145570a16a964"
BODY_HMAC = "19b4a9b752391f816056f21cac78563ee80703253e9cf26176fcccd72f4942bf"
CONFIG = {"app_key": APP_KEY, "app_secret": APP_SECRET, "shop_id": SHOP, "push": True}


def signed(body: bytes, **headers: str) -> PushRequest:
    return PushRequest({"event-sign": p.push_sign(APP_KEY, body, APP_SECRET), "app-id": APP_KEY, **headers}, body)


def events(*entries: tuple[str, str, object]) -> bytes:
    """A push body of (tag, msg_id, data) events, data sent as a JSON string like the platform."""
    return json.dumps([{"tag": tag, "msg_id": mid, "data": json.dumps(data)} for tag, mid, data in entries]).encode()


def receiver() -> DouyinReceiver:
    made = DouyinReceiver.from_config(CONFIG)
    assert made is not None
    return made


def test_the_push_signature_matches_vectors_computed_outside_python() -> None:
    assert p.push_sign(APP_KEY, BODY, APP_SECRET) == BODY_MD5
    assert p.push_sign(APP_KEY, BODY, APP_SECRET, "hmac-sha256") == BODY_HMAC
    assert receiver().receive(PushRequest({"event-sign": BODY_MD5}, BODY)) == [FetchRequest("orders", "7000000000000000001", ORDER)]
    assert receiver().receive(PushRequest({"event-sign": BODY_MD5.upper()}, BODY)) == [FetchRequest("orders", "7000000000000000001", ORDER)]
    hmac_push = PushRequest({"event-sign": BODY_HMAC, "sign-method": "hmac-sha256"}, BODY)
    assert receiver().receive(hmac_push) == [FetchRequest("orders", "7000000000000000001", ORDER)]


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({"event-sign": "0" * 32}, BODY, "event-sign does not match"),
        ({}, BODY, "no event-sign header"),
        ({"event-sign": BODY_MD5}, BODY.replace(b"7784061", b"7784062"), "event-sign does not match"),  # altered body
        ({"event-sign": BODY_HMAC}, BODY, "event-sign does not match"),  # hmac value without its sign-method header
        ({"event-sign": BODY_MD5, "sign-method": "sha1"}, BODY, "unknown sign-method"),
        ({"event-sign": BODY_MD5, "app-id": "999"}, BODY, "app-id is not this connection's app_key"),
    ],
)
def test_a_forged_push_is_refused(headers: dict, body: bytes, reason: str) -> None:
    with pytest.raises(PushRejected, match=reason):
        receiver().receive(PushRequest(headers, body))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not a JSON array"),
        (b'{"tag":"101"}', "not a JSON array"),
        (b"[1]", "event 0 is not an object"),
        (events(("101", "", {"p_id": ORDER})), "event 0 has no tag or msg_id"),
        (b'[{"tag":"101","msg_id":"1","data":"{oops"}]', r"event 0 \(101\) has no data object"),
        (events(("101", "1", {"p_id": ORDER}), ("102", "2", {"p_id": "12ab"})), "event 1: p_id is not a numeric id"),
    ],
)
def test_a_malformed_push_is_refused_whole_and_the_reason_never_quotes_it(body: bytes, reason: str) -> None:
    with pytest.raises(PushRejected, match=reason) as refused:
        receiver().receive(signed(body))
    assert ORDER not in str(refused.value) and "12ab" not in str(refused.value)
    assert json.loads(receiver().rejected(str(refused.value)).body) == {"code": 1, "msg": "fail"}
    assert json.loads(receiver().accepted().body) == {"code": 0, "msg": "success"}


def test_events_become_fetch_requests_other_shops_marked_and_the_check_stores_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = events(
        ("0", "0", {}),  # the platform's URL check
        ("101", "m1", {"p_id": int(ORDER), "s_ids": [ORDER], "shop_id": int(SHOP), "order_status": 2}),  # id as a number
        ("200", "m2", {"p_id": ORDER, "s_id": ORDER, "shop_id": int(SHOP), "aftersale_id": "7012345678901234567"}),
        ("102", "m3", {"p_id": "6000000000000000009", "shop_id": int(OTHER_SHOP)}),  # another shop of the app
        ("600", "m4", {"product_id": 3660207428038974464, "shop_id": int(SHOP)}),  # an event about no order
    )
    assert receiver().receive(signed(body)) == [
        FetchRequest("orders", "m1", ORDER),
        FetchRequest("orders", "m2", ORDER),
        FetchRequest("after_sales", "m2#after_sales", "7012345678901234567"),
        FetchRequest("orders", "m3", "6000000000000000009", OTHER_SHOP),  # serve spools it under that shop's connection
    ]
    assert receiver().receive(signed(events(("0", "0", {})))) == []
    assert "6000000000000000009" not in caplog.text


def test_a_receiver_exists_only_with_push_and_names_what_is_missing() -> None:
    assert DouyinReceiver.from_config({**CONFIG, "push": False}) is None
    assert DouyinReceiver.from_config({k: v for k, v in CONFIG.items() if k != "push"}) is None
    with pytest.raises(ValueError, match=r"^app_secret: a connection with push: true needs its app_secret"):
        DouyinReceiver.from_config({**CONFIG, "app_secret": ""})
    with pytest.raises(ValueError, match=r"^push: must be true or false, got 'false'"):
        DouyinReceiver.from_config({**CONFIG, "push": "false"})


def test_fetched_orders_and_after_sales_are_the_records_a_sync_emits(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(300)
    before = sandbox.now_ts
    sandbox.advance(before + 3 * 86_400)
    pushed = [  # this connection's shop (serve routes the app's other shops to their connections)
        item for d in sandbox.push_deliveries(before, sandbox.now_ts) for item in receiver_for(sandbox).receive(as_request(d)) if item.shop_id is None
    ]
    order_ids = list(dict.fromkeys(i.id for i in pushed if i.stream == "orders"))
    aftersale_ids = list(dict.fromkeys(i.id for i in pushed if i.stream == "after_sales"))
    assert len(order_ids) >= 10 and aftersale_ids  # the day's payments, shipments, completions and refunds

    fetcher = receiver_for(sandbox)
    orders = fetcher.fetch("orders", [*order_ids, "6000000000000000001"])  # and an id the shop does not have
    after_sales = fetcher.fetch("after_sales", aftersale_ids)
    synced = run_tap(tap_config(sandbox))
    by_order = {r["order_id"]: r for r in synced.records}
    by_aftersale = {r["aftersale_id"]: r for r in synced.after_sales}
    assert [r["order_id"] for r in orders] == order_ids  # the unknown id left out, the rest in the order asked
    assert [canonical(r) for r in orders] == [canonical(by_order[i]) for i in order_ids]
    assert [canonical(r) for r in after_sales] == [canonical(by_aftersale[i]) for i in aftersale_ids]
    calls = [c["method"] for c in sandbox.requests if c["method"] in ("order.orderDetail", "afterSale.List")]
    assert calls.count("order.orderDetail") == len(order_ids) + 1  # one signed call per id, the tap's client


def test_a_platform_failure_while_fetching_raises_so_the_requests_stay_spooled(make_sandbox: Factory) -> None:
    sandbox = make_sandbox(50)
    order_id = sandbox.generator.order_id_of(next(i for i in range(50) if sandbox.generator.shop_id_of(i) == SHOP))
    sandbox.faults.offline_after = 0  # searchList only: the detail API still answers
    assert [r["order_id"] for r in receiver_for(sandbox).fetch("orders", [order_id])] == [order_id]
    fetcher = DouyinReceiver.from_config(tap_config(sandbox, push=True, app_secret="wrong-secret"))
    assert fetcher is not None
    with pytest.raises(Exception, match="signature"):
        fetcher.fetch("orders", [order_id])


def receiver_for(sandbox: DouyinSandbox) -> DouyinReceiver:
    made = DouyinReceiver.from_config(tap_config(sandbox, push=True))
    assert made is not None
    return made


def as_request(delivery: t.Any) -> PushRequest:  # noqa: ANN401 - a sandbox Delivery
    return PushRequest({k.lower(): v for k, v in delivery.headers.items()}, delivery.body)


def canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
