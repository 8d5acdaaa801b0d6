"""The sandbox speaks the Pinduoduo router protocol, and its generator covers the order lifecycle."""

from __future__ import annotations

import collections
import datetime as dt
import re
import time
import typing as t
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
from tests.taps.pinduoduo.kit import AS_OF, CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, SHOP, Factory, pdd_sandbox  # noqa: F401

from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.sandboxes.pinduoduo import generator as g
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox


def call(
    sandbox: PinduoduoSandbox,
    business: dict,
    *,
    method: str = p.ORDER_INCREMENT_GET,
    token: str | None = "default",
    secret: str = CLIENT_SECRET,
    client_id: str = CLIENT_ID,
    timestamp: int | None = None,
    form: bool = False,
    tamper: bool = False,
) -> dict:
    access = sandbox.access_token(SHOP) if token == "default" else token
    params = p.signed_params(
        business,
        method=method,
        client_id=client_id,
        client_secret=secret,
        timestamp=int(time.time()) if timestamp is None else timestamp,
        access_token=None if method in p.TOKENLESS_METHODS else access,
    )
    if tamper:
        params["page"] = int(params.get("page", 1)) + 1
    url = sandbox.base_url + p.ROUTER_PATH
    if form:
        body = urlencode({k: p.param_text(v) for k, v in params.items()}).encode()
        response = requests.post(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    else:
        response = requests.post(url, data=p.encode_body(params), headers={"Content-Type": "application/json"}, timeout=5)
    return p.parse_json(response.content)


def window(start: int, end: int, **extra: t.Any) -> dict:  # noqa: ANN401
    return {
        "start_updated_at": start,
        "end_updated_at": end,
        "page": 1,
        "page_size": 100,
        "order_status": 5,
        "refund_status": 5,
        "is_lucky_flag": 0,
        "use_has_next": False,
        **extra,
    }


def busiest_window(sandbox: PinduoduoSandbox, shop: str = SHOP) -> tuple[int, int]:
    """The 30-minute window (on the sandbox's grid) holding most of the shop's orders."""
    counts = collections.Counter((sandbox.updated_at_of(i) - sandbox.start_ts) // 1800 for i in sandbox.generator.indexes_for_shop(shop) if sandbox.generator.visible_at(i, sandbox.now_ts))
    slot = counts.most_common(1)[0][0]
    start = sandbox.start_ts + slot * 1800
    return start, start + 1800


# --------------------------------------------------------------------------- protocol
def test_window_is_served_newest_first_in_pages_from_one(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1)
    start, end = busiest_window(sandbox)
    served, page = [], 1
    while True:
        body = call(sandbox, window(start, end, page=page, page_size=2))[p.ORDER_INCREMENT_RESPONSE]
        served += body["order_sn_list"]
        if page * 2 >= body["total_count"]:
            break
        page += 1
    assert page >= 2, "the busiest window should span pages"
    keys = [(o["updated_at"], o["order_sn"]) for o in served]
    assert keys == sorted(keys, reverse=True)
    assert {o["order_sn"] for o in served} == sandbox.expected_order_sns(SHOP, start, end)
    assert all(start <= p.local_text_to_epoch(o["updated_at"]) <= end for o in served)


def test_form_bodies_and_has_next_paging_are_understood(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1)
    start, end = busiest_window(sandbox)
    body = call(sandbox, window(start, end, page_size=1, use_has_next=True), form=True)[p.ORDER_INCREMENT_RESPONSE]
    assert body["has_next"] is True and "total_count" not in body and len(body["order_sn_list"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "business", "code", "fragment"),
    [
        ({"secret": "wrong"}, {}, 20004, "签名"),
        ({"tamper": True}, {}, 20004, "签名"),
        ({"timestamp": 1_000_000_000}, {}, 10001, "timestamp"),
        ({"client_id": "nobody"}, {}, 10001, "client_id"),
        ({"token": None}, {}, 10001, "access_token"),
        ({"token": "not-a-token"}, {}, 10019, "access_token"),
        ({}, {"end_updated_at_offset": 1801}, 10000, "参数"),
        ({}, {"page_size": 101}, 10000, "参数"),
        ({}, {"page": 0}, 10000, "参数"),
    ],
)
def test_rejections_use_the_platform_codes(pdd_sandbox: Factory, kwargs: dict, business: dict, code: int, fragment: str) -> None:
    sandbox = pdd_sandbox(20)
    start = sandbox.now_ts - 1800
    params = window(start, start + business.pop("end_updated_at_offset", 1800), **business)
    answer = call(sandbox, params, **kwargs)
    error = answer["error_response"]
    assert error["error_code"] == code and fragment in error["error_msg"] and error["request_id"]
    assert sandbox.requests[-1]["code"] == code


def test_time_get_answers_the_sandbox_clock_in_beijing_time(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(20)
    body = call(sandbox, {}, method=p.TIME_GET)[p.TIME_GET_RESPONSE]
    assert body["time"] == "2024-12-01 12:00:00"  # AS_OF is 04:00 UTC
    sandbox.advance(AS_OF + dt.timedelta(hours=1))
    assert call(sandbox, {}, method=p.TIME_GET)[p.TIME_GET_RESPONSE]["time"] == "2024-12-01 13:00:00"


def test_token_refresh_rotates_single_use_tokens_without_extending_the_authorisation(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(20)
    old_access, old_refresh = sandbox.access_token(SHOP), sandbox.refresh_token(SHOP)
    sandbox.expire_tokens()
    params = window(sandbox.now_ts - 1800, sandbox.now_ts)
    assert call(sandbox, params)["error_response"]["error_code"] == 10019
    body = call(sandbox, {"refresh_token": old_refresh}, method=p.TOKEN_REFRESH)[p.TOKEN_REFRESH_RESPONSE]
    assert body["owner_id"] == SHOP and body["access_token"] != old_access and body["refresh_token"] != old_refresh
    assert p.ORDER_INCREMENT_RESPONSE in call(sandbox, params, token=body["access_token"])
    again = call(sandbox, {"refresh_token": old_refresh}, method=p.TOKEN_REFRESH)  # single use
    assert again["error_response"]["error_code"] == 10019
    assert sandbox.requests[-1]["params"]["refresh_token"] == "***"  # never logged

    sandbox.end_authorisation(SHOP)
    renewed = call(sandbox, {"refresh_token": body["refresh_token"]}, method=p.TOKEN_REFRESH)[p.TOKEN_REFRESH_RESPONSE]
    assert call(sandbox, params, token=renewed["access_token"])["error_response"]["error_code"] == 10019


def test_permission_and_qps_limits(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(20, qps=2)
    params = window(sandbox.now_ts - 1800, sandbox.now_ts)
    codes = [("error_response" in (a := call(sandbox, params))) and a["error_response"]["error_code"] for _ in range(4)]
    assert 70031 in codes and codes[0] is False
    limited = PinduoduoSandbox(1, AS_OF, 10, [SHOP], qps=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with limited:
        limited.deny_permission(SHOP)
        error = call(limited, window(limited.now_ts - 1800, limited.now_ts))["error_response"]
        assert error["error_code"] == 20031


def test_faults_are_consumed_one_call_at_a_time(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=1, retry_after_seconds=0.5)
    start, end = busiest_window(sandbox)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, truncate_next=1)
    url = sandbox.base_url + p.ROUTER_PATH
    params = p.signed_params(window(start, end, page_size=2), method=p.ORDER_INCREMENT_GET, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, timestamp=int(time.time()), access_token=sandbox.access_token(SHOP))
    limited = requests.post(url, data=p.encode_body(params), timeout=5)
    assert p.parse_json(limited.content)["error_response"]["error_code"] == 52101 and limited.headers["Retry-After"] == "0.5"
    assert call(sandbox, window(start, end))["error_response"]["error_code"] == 50001
    short = call(sandbox, window(start, end, page_size=2))[p.ORDER_INCREMENT_RESPONSE]
    assert len(short["order_sn_list"]) == 1 < min(2, short["total_count"])  # a truncated page
    assert len(call(sandbox, window(start, end, page_size=2))[p.ORDER_INCREMENT_RESPONSE]["order_sn_list"]) == 2
    sandbox.set_faults(garble_next=1)
    with pytest.raises(ValueError):
        call(sandbox, window(start, end))


def test_orders_dealt_beyond_the_horizon_are_not_listed(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(150, days=100, horizon_days=90)
    gen = sandbox.generator
    old = [i for i in gen.indexes_for_shop(SHOP) if 0 < gen.timeline_of(i).group < sandbox.now_ts - 90 * 86_400 - 86_400]
    assert old, "the universe reaches past the horizon"
    listed = sandbox.expected_order_sns(SHOP)
    assert not {gen.order_sn_of(i) for i in old} & listed
    assert len(listed) > 60
    i = old[0]
    updated = sandbox.updated_at_of(i)
    start = updated - updated % 1800
    served = call(sandbox, window(start, start + 1800))[p.ORDER_INCREMENT_RESPONSE]["order_sn_list"]
    assert gen.order_sn_of(i) not in {o["order_sn"] for o in served}


def test_extra_fields_and_order_lookup(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(40, extra_fields={"new_field": {"x": [1, 2]}, "weight": 1.25})
    i = sandbox.generator.indexes_for_shop(SHOP)[0]
    order = sandbox.order(i)
    assert order["new_field"] == {"x": [1, 2]} and order["weight"] == 1.25
    assert sandbox.index_of(order["order_sn"]) == i


# --------------------------------------------------------------------------- generator
@pytest.fixture(scope="module")
def universe() -> g.PddOrderGenerator:
    return g.PddOrderGenerator(5, AS_OF, 600, [SHOP, OTHER_SHOP, "100200302"], days=30)


def test_generator_is_deterministic(universe: g.PddOrderGenerator) -> None:
    again = g.PddOrderGenerator(5, AS_OF, 600, [SHOP, OTHER_SHOP, "100200302"], days=30)
    assert [again.order(i) for i in range(50)] == [universe.order(i) for i in range(50)]
    other = g.PddOrderGenerator(6, AS_OF, 600, [SHOP, OTHER_SHOP, "100200302"], days=30)
    assert [other.order_sn_of(i) for i in range(50)] != [universe.order_sn_of(i) for i in range(50)]


def test_lifecycle_is_covered(universe: g.PddOrderGenerator) -> None:
    now = universe.as_of_ts
    codes = collections.Counter()
    details = collections.Counter()
    for i in range(universe.n_orders):
        s = universe.state_at(i, now)
        codes["os{order_status}-cs{confirm_status}-gs{group_status}-rs{refund_status}".format(**s)] += 1
        details[(s["after_sales_status"], s["risk_control_status"])] += 1
    for code in ("os1-cs1-gs1-rs1", "os2-cs1-gs1-rs1", "os3-cs1-gs1-rs1", "os1-cs2-gs2-rs4", "os1-cs1-gs1-rs4",
                 "os2-cs1-gs1-rs4", "os3-cs1-gs1-rs4", "os1-cs0-gs1-rs1", "os2-cs1-gs1-rs2"):
        assert codes[code] > 0, code
    after_sales = {a for a, _ in details}
    assert {0, 2, 7, 10, 11} <= after_sales
    # a return walks 3 (return requested) -> 7 (awaiting the buyer's parcel) -> 10 (refunded)
    i = next(i for i in range(universe.n_orders) if universe.scenario_of(i) == g.RETURN_AFTER_SHIP)
    tl = universe.timeline_of(i)
    walk = [universe.state_at(i, moment) for moment in (tl.as_apply, tl.as_agree, tl.as_done)]
    assert [(s["order_status"], s["after_sales_status"], s["refund_status"]) for s in walk] == [(2, 3, 2), (2, 7, 2), (2, 10, 4)]
    assert any(r == 1 for _, r in details) or any(universe.scenario_of(i) == g.RISK_HOLD for i in range(universe.n_orders))
    assert len({universe.shop_id_of(i) for i in range(universe.n_orders)}) == 3
    presale = [universe.order(i) for i in range(universe.n_orders) if universe.scenario_of(i) in g.PRESALE]
    assert {o["step_order_info"]["step_trade_status"] for o in presale if o} == {1, 2}


def test_risk_hold_is_visible_while_it_lasts(universe: g.PddOrderGenerator) -> None:
    i = next(i for i in range(universe.n_orders) if universe.scenario_of(i) == g.RISK_HOLD)
    tl = universe.timeline_of(i)
    assert universe.state_at(i, tl.risk_release - 1)["risk_control_status"] == 1
    assert universe.state_at(i, tl.risk_release)["risk_control_status"] == 0


def test_ids_times_and_amounts_have_the_platform_shapes(universe: g.PddOrderGenerator) -> None:
    seen_sns = set()
    big_skus = 0
    for order in universe.orders():
        sn = order["order_sn"]
        assert re.fullmatch(r"\d{6}-\d{15}", sn) and sn not in seen_sns
        seen_sns.add(sn)
        created = p.local_text_to_epoch(order["created_time"])
        assert sn[:6] == dt.datetime.fromtimestamp(created, p.BEIJING).strftime("%y%m%d")
        assert p.local_text_to_epoch(order["updated_at"]) >= p.local_text_to_epoch(order["pay_time"]) >= created
        assert order["shipping_time"] == "" or order["tracking_number"]
        money = {k: Decimal(repr(order[k])) for k in ("goods_amount", "discount_amount", "platform_discount", "seller_discount", "postage", "pay_amount", "order_change_amount")}
        assert money["pay_amount"] == money["goods_amount"] - money["discount_amount"] + money["postage"] > 0
        assert money["discount_amount"] == money["platform_discount"] + money["seller_discount"]
        lines = sum(Decimal(repr(item["goods_price"])) * item["goods_count"] for item in order["item_list"])
        assert lines == money["goods_amount"] + money["order_change_amount"]
        big_skus += sum(item["sku_id"] > 2**53 for item in order["item_list"])
    assert big_skus > 0  # ids past 2**53 are in play


def test_plaintext_pii_is_planted_in_a_few_orders(universe: g.PddOrderGenerator) -> None:
    planted = [i for i in range(universe.n_orders) if universe.has_plaintext_pii(i)]
    assert 3 <= len(planted) <= 40
    order = universe.order(planted[0])
    assert re.fullmatch(r"1\d{10}", order["receiver_phone"]) and order["phone_number_chosen_by_user"] == order["receiver_phone"]
    normal = universe.order(next(i for i in range(universe.n_orders) if not universe.has_plaintext_pii(i)))
    assert normal["receiver_name"].startswith("~") and normal["receiver_phone"].startswith("$")
    assert re.fullmatch(r"1\*{9}\d", normal["receiver_phone_mask"]) and "phone_number_chosen_by_user" not in normal


def test_advancing_the_clock_brings_late_updates_and_new_orders(universe: g.PddOrderGenerator) -> None:
    now, later = universe.as_of_ts, universe.as_of_ts + 5 * 86_400
    updated = [i for i in range(universe.n_orders) if universe.visible_at(i, now) and universe.update_time_at(i, later) > universe.update_time_at(i, now)]
    assert len(updated) > 30
    moved = collections.Counter()
    for i in updated:
        before, after = universe.state_at(i, now), universe.state_at(i, later)
        moved[(before["order_status"], after["order_status"])] += 1
    assert moved[(1, 2)] and moved[(2, 3)]


def test_order_facts_follow_the_state(pdd_sandbox: Factory) -> None:
    sandbox = pdd_sandbox(300, days=30)
    facts = list(sandbox.order_facts())
    assert len(facts) == sum(sandbox.generator.visible_at(i, sandbox.now_ts) for i in range(300))
    by_status = collections.Counter(f.status for f in facts)
    assert set(by_status) == {"pending_payment", "paid", "shipped", "completed", "cancelled"}
    for fact in facts:
        order = sandbox.order(sandbox.index_of(fact.channel_order_id))
        assert fact.channel == "pinduoduo" and fact.currency == "CNY" and fact.shop_id in sandbox.shop_ids
        if order["refund_status"] == 4:
            assert fact.status == "cancelled" and fact.refund_amount == fact.paid_amount == Decimal(repr(order["pay_amount"])).quantize(Decimal("0.01"))
        if fact.status == "shipped":
            assert fact.tracking_numbers[0] == order["tracking_number"]
        if fact.status == "pending_payment":
            assert order["step_order_info"]["step_trade_status"] == 1 and fact.paid_at is None
