"""The Youzan sandbox speaks the youzanyun protocol: token grant, gateway and business errors, limits, faults,
and a deterministic order universe with the lifecycle, presale, refunds, big ids and planted personal data."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import pytest
import requests
from tests.taps.youzan.kit import AS_OF, CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, SHOP, Factory, make_youzan  # noqa: F401

from orderlayer.taps.youzan import protocol as p
from orderlayer.sandboxes.youzan import generator as g
from orderlayer.sandboxes.youzan.server import YouzanSandbox

SOLD_GET = "/api/youzan.trades.sold.get/4.0.4"


def call(sandbox: YouzanSandbox, params: dict | None = None, *, token: str | None = "shop", path: str = SOLD_GET, **kwargs) -> dict:
    query = {} if token is None else {"access_token": sandbox.access_token(SHOP) if token == "shop" else token}
    response = requests.post(sandbox.base_url + path, params=query, json=params or {}, timeout=10, **kwargs)
    assert response.status_code == 200  # youzanyun answers every error with HTTP 200
    return response.json()


def grant(sandbox: YouzanSandbox, **changes: object) -> dict:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "authorize_type": "silent", "grant_id": SHOP, "refresh": False}
    body.update(changes)
    return requests.post(sandbox.base_url + p.TOKEN_PATH, json=body, timeout=10).json()


def window(start: str = "2024-11-01 00:00:00", end: str = "2024-12-01 12:00:00", **extra: object) -> dict:
    return {"start_update": start, "end_update": end, **extra}


# --------------------------------------------------------------------------- tokens
def test_silent_grant_reuses_then_renews_the_token(make_youzan: Factory) -> None:
    sandbox = make_youzan(10)
    current = sandbox.access_token(SHOP)
    same = grant(sandbox)
    assert same["success"] is True and same["code"] == 200 and same["data"]["access_token"] == current
    assert same["data"]["expires"] > 10**12  # epoch milliseconds
    fresh = grant(sandbox, refresh=True)["data"]["access_token"]
    assert fresh != current and sandbox.access_token(SHOP) == fresh
    assert call(sandbox, window())["success"] is True


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"client_secret": "wrong"}, 1000, "client_secret 不正确"),
        ({"client_id": "nobody"}, 1103, "Client 不存在"),
        ({"grant_id": "99999"}, 1103, "授权关系不存在"),
    ],
)
def test_token_errors(make_youzan: Factory, changes: dict, code: int, message: str) -> None:
    sandbox = make_youzan(5)
    assert grant(sandbox, **changes) == {"success": False, "code": code, "data": None, "message": message}


def test_token_grant_needs_json_and_is_logged_without_the_secret(make_youzan: Factory) -> None:
    sandbox = make_youzan(5)
    form = requests.post(sandbox.base_url + p.TOKEN_PATH, data={"client_id": CLIENT_ID}, timeout=10).json()
    assert form["code"] == 1000 and "application/json" in form["message"]
    grant(sandbox)
    assert CLIENT_SECRET not in json.dumps(sandbox.requests)


# --------------------------------------------------------------------------- gateway checks
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"token": None}, 4201),
        ({"token": "forged"}, 4203),
        ({"path": "/api/youzan.trades.sold.get"}, 4001),
        ({"path": "/api/youzan.trades.sold.get/9.9.9"}, 4005),
        ({"path": "/api/youzan.nonexistent.api/1.0.0"}, 4005),
    ],
)
def test_gateway_errors_come_in_gw_err_resp(make_youzan: Factory, kwargs: dict, code: int) -> None:
    sandbox = make_youzan(5)
    answer = call(sandbox, window(), **kwargs)
    assert set(answer) == {"gw_err_resp"} and answer["gw_err_resp"]["err_code"] == code and answer["gw_err_resp"]["trace_id"]


def test_content_type_expiry_revocation_and_permission(make_youzan: Factory) -> None:
    sandbox = make_youzan(5)
    plain = requests.post(sandbox.base_url + SOLD_GET, params={"access_token": sandbox.access_token(SHOP)}, data="{}",
                          headers={"Content-Type": "text/plain"}, timeout=10).json()
    assert plain["gw_err_resp"]["err_code"] == 4007
    sandbox.expire_tokens()
    assert call(sandbox, window())["gw_err_resp"]["err_code"] == 4202
    grant(sandbox, refresh=True)
    assert call(sandbox, window())["success"] is True
    sandbox.deny_permission(SHOP)
    assert call(sandbox, window())["gw_err_resp"]["err_code"] == 4204
    sandbox.revoke(SHOP)
    assert call(sandbox, window())["gw_err_resp"]["err_code"] == 4201
    assert grant(sandbox)["code"] == 1103


# --------------------------------------------------------------------------- business checks
@pytest.mark.parametrize(
    ("params", "layer", "code"),
    [
        ({"page_size": 101}, "business", 5000),
        ({"page_no": 101}, "business", 5000),
        (window("2024-11-30 00:00:00", "2024-11-01 00:00:00"), "business", 5000),
        (window("2024-08-01 00:00:00", "2024-11-02 00:00:00"), "business", 5000),  # more than 3 months
        (window("2024-11-01 00:00:00", "2024-12-09 00:00:00"), "business", 106000003),  # > 7 days past the clock
        (window("2024-11-01", "2024-12-01"), "gateway", 5001),  # a date without its time part
        ({"start_update": "2024-11-01 00:00:00"}, "business", 5000),  # not in pairs
    ],
)
def test_request_limits(make_youzan: Factory, params: dict, layer: str, code: int) -> None:
    sandbox = make_youzan(5)
    answer = call(sandbox, params)
    got = answer["gw_err_resp"]["err_code"] if "gw_err_resp" in answer else answer["code"]
    assert ("gateway" if "gw_err_resp" in answer else "business", got) == (layer, code)
    if layer == "business":
        assert answer["success"] is False and answer["data"] is None


def test_three_calendar_months_are_allowed(make_youzan: Factory) -> None:
    sandbox = make_youzan(5)
    assert call(sandbox, window("2024-08-31 10:00:00", "2024-11-30 10:00:00"))["success"] is True  # clamps to Nov 30
    assert call(sandbox, window("2024-08-31 10:00:00", "2024-11-30 10:00:01"))["code"] == 5000


def test_pages_cover_the_window_newest_created_first(make_youzan: Factory) -> None:
    sandbox = make_youzan(120)
    first = call(sandbox, window(page_no=1, page_size=7))["data"]
    total = first["total_results"]
    assert total == len(sandbox.expected_tids(SHOP, p.parse_local("2024-11-01 00:00:00"), p.parse_local("2024-12-01 12:00:00")))
    tids, created = [], []
    for page in range(1, -(-total // 7) + 1):
        data = call(sandbox, window(page_no=page, page_size=7))["data"]
        assert data["total_results"] == total
        for wrapper in data["full_order_info_list"]:
            info = wrapper["full_order_info"]["order_info"]
            tids.append(info["tid"])
            created.append(info["created"])
    assert len(tids) == total == len(set(tids))
    assert created == sorted(created, reverse=True)


def test_update_window_is_inclusive_at_both_ends(make_youzan: Factory) -> None:
    sandbox = make_youzan(60)
    i = sandbox.generator.indexes_for_shop(SHOP)[0]
    at = p.format_local(sandbox.update_time_of(i))
    data = call(sandbox, window(at, at, page_size=100))["data"]
    assert sandbox.generator.tid_of(i) in [w["full_order_info"]["order_info"]["tid"] for w in data["full_order_info_list"]]


# --------------------------------------------------------------------------- faults
def test_faults_answer_like_the_platform(make_youzan: Factory) -> None:
    sandbox = make_youzan(60, retry_after_seconds=2)
    sandbox.set_faults(rate_limit_next=1, busy_next=1, truncate_next=1)
    limited = requests.post(sandbox.base_url + SOLD_GET, params={"access_token": sandbox.access_token(SHOP)}, json=window(), timeout=10)
    assert limited.json()["gw_err_resp"]["err_code"] == 4101 and limited.headers["Retry-After"] == "2"
    assert call(sandbox, window())["code"] == 106000001
    short = call(sandbox, window(page_size=5))["data"]
    assert len(short["full_order_info_list"]) == 4 and short["total_results"] > 5
    sandbox.set_faults(http_503_next=1)
    outage = requests.post(sandbox.base_url + SOLD_GET, json={}, timeout=10)
    assert outage.status_code == 503 and outage.headers["Content-Type"] == "text/html"
    assert [e.get("fault") for e in sandbox.requests] == ["rate_limit", "busy", "truncate", "http_503"]


def test_qps_budget_and_control_endpoints(make_youzan: Factory) -> None:
    sandbox = make_youzan(10, qps=2)
    codes = [call(sandbox, window()).get("gw_err_resp", {}).get("err_code", 200) for _ in range(4)]
    assert codes.count(4101) >= 1 and codes[0] == 200
    assert requests.post(sandbox.base_url + "/_sandbox/faults", json={"busy_next": 2}, timeout=10).json()["busy_next"] == 2
    later = (AS_OF + dt.timedelta(days=1)).isoformat()
    requests.post(sandbox.base_url + "/_sandbox/advance", json={"as_of": later}, timeout=10).raise_for_status()
    state = requests.get(sandbox.base_url + "/_sandbox/state", timeout=10).json()
    assert state["now"] == later and state["faults"]["busy_next"] == 2
    assert requests.post(sandbox.base_url + "/_sandbox/faults", json={"nope": 1}, timeout=10).status_code == 400


# --------------------------------------------------------------------------- data
def test_generator_is_deterministic_and_covers_the_lifecycle() -> None:
    one = g.YouzanOrderGenerator(5, AS_OF, 600, [SHOP, OTHER_SHOP], days=10)
    two = g.YouzanOrderGenerator(5, AS_OF, 600, [SHOP, OTHER_SHOP], days=10)
    assert [one.render(i, one.as_of_ts) for i in range(0, 600, 37)] == [two.render(i, two.as_of_ts) for i in range(0, 600, 37)]
    assert one.render(3, one.as_of_ts) != g.YouzanOrderGenerator(6, AS_OF, 600, [SHOP], days=10).render(3, one.as_of_ts)
    orders = [one.render(i, one.as_of_ts) for i in range(600)]
    statuses = Counter(o["order_info"]["status"] for o in orders)
    assert set(statuses) == set(p.ORDER_STATUSES) - {"TRADE_PAID"}  # TRADE_PAID is momentary
    assert {o["order_info"]["refund_state"] for o in orders} >= {0, 2, 11, 12}
    assert {o["order_info"]["close_type"] for o in orders} >= {0, 1, 2, 4}
    assert len({o["order_info"]["tid"] for o in orders}) == 600
    shops = Counter(one.shop_id_of(i) for i in range(600))
    assert shops[SHOP] > shops[OTHER_SHOP] > 0


def test_amounts_add_up_in_yuan() -> None:
    gen = g.YouzanOrderGenerator(5, AS_OF, 200, [SHOP])
    for i in range(200):
        order = gen.render(i, gen.as_of_ts)
        pay, lines = order["pay_info"], order["orders"]
        goods = sum(Decimal(line["price"]) * line["num"] for line in lines)
        assert Decimal(pay["total_fee"]) == goods
        assert Decimal(pay["payment"]) == sum(Decimal(line["payment"]) for line in lines) + Decimal(pay["post_fee"])
        assert all(Decimal(line["total_fee"]) == Decimal(line["discount_price"]) * line["num"] for line in lines)
        assert all(len(line["price"].split(".")[1]) == 2 for line in lines)  # yuan strings, two decimals
        phases = pay.get("phase_payments")
        if phases:
            assert sum(ph["real_price"] for ph in phases) == int(Decimal(pay["payment"]) * 100)  # fen


def test_presale_deposit_then_balance() -> None:
    gen = g.YouzanOrderGenerator(5, AS_OF, 400, [SHOP])
    i = next(k for k in range(400) if gen.scenario_of(k) == g.PRESALE_PAID and gen.timelines[k].create < gen.as_of_ts - 5 * g.DAY)
    tl = gen.timelines[i]
    deposit_at = tl.create + tl.offsets[g.EVENTS.index("pay")]
    balance_at = tl.create + tl.offsets[g.EVENTS.index("balance")]
    assert deposit_at < balance_at <= gen.as_of_ts
    order = gen.render(i, gen.as_of_ts)
    assert order["order_info"]["order_tags"]["is_down_payment_pre"] is True
    assert [ph["phase"] for ph in order["pay_info"]["phase_payments"]] == [1, 2]
    # pay_time follows the latest payment: the balance once it is paid
    assert order["order_info"]["pay_time"] == p.format_local(balance_at)
    assert all(ph["inner_transaction_no"] for ph in order["pay_info"]["phase_payments"])
    assert order["orders"][0]["pre_sale_type"] == "1"
    only_deposit = next(k for k in range(400) if gen.scenario_of(k) == g.PRESALE_DEPOSIT_ONLY)
    pending = gen.render(only_deposit, gen.as_of_ts)
    phase1, phase2 = pending["pay_info"]["phase_payments"]
    assert pending["order_info"]["status"] == "WAIT_BUYER_PAY" and phase1["inner_transaction_no"] and not phase2["inner_transaction_no"]
    assert pending["order_info"]["pay_time"]  # the deposit's payment


def test_late_updates_appear_when_the_clock_moves(make_youzan: Factory) -> None:
    sandbox = make_youzan(150)
    before = {i: sandbox.update_time_of(i) for i in range(150)}
    facts_before = {f.channel_order_id: f for f in sandbox.order_facts()}
    sandbox.advance(sandbox.now_ts + 5 * g.DAY)
    moved = [i for i in range(150) if sandbox.update_time_of(i) > before[i]]
    assert len(moved) > 20
    facts_after = {f.channel_order_id: f for f in sandbox.order_facts()}
    changed = [tid for tid, f in facts_after.items() if f.status != facts_before[tid].status]
    assert changed and all(f.channel == "youzan" and f.currency == "CNY" for f in facts_after.values())
    with pytest.raises(ValueError, match="only moves forward"):
        sandbox.advance(AS_OF)


def test_order_facts_match_what_is_served(make_youzan: Factory) -> None:
    sandbox = make_youzan(150)
    gen = sandbox.generator
    mapping = {"WAIT_BUYER_PAY": "pending_payment", "WAIT_CONFIRM": "paid", "WAIT_SELLER_SEND_GOODS": "paid",
               "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_SUCCESS": "completed", "TRADE_CLOSED": "cancelled"}
    for fact in sandbox.order_facts():
        i = next(k for k in range(150) if gen.tid_of(k) == fact.channel_order_id)
        order = sandbox.order(i)
        assert fact.status == mapping[order["order_info"]["status"]] and fact.shop_id == gen.shop_id_of(i)
        if order["order_info"]["refund_state"] == p.REFUND_FULL_DONE:
            assert fact.refund_amount == Decimal(order["pay_info"]["payment"])
        if fact.status in ("shipped", "completed") and order["order_info"]["consign_time"]:
            assert fact.tracking_numbers
        if fact.status == "pending_payment":  # a deposit-only presale included: not paid (rule P1)
            assert fact.paid_at is None
        else:
            assert (fact.paid_at is None) == (order["order_info"]["pay_time"] == "")


def test_big_ids_masks_and_planted_personal_data(make_youzan: Factory) -> None:
    sandbox = make_youzan(200)
    gen = sandbox.generator
    orders = [sandbox.order(i) for i in range(200)]
    assert any(o["buyer_info"]["buyer_id"] > 2**53 for o in orders)
    assert any(line["item_id"] > 2**53 for o in orders for line in o["orders"])
    planted = [o for i, o in enumerate(orders) if gen.has_plaintext_pii(i)]
    assert 2 <= len(planted) <= 20
    for i, order in enumerate(orders):
        tel = order["address_info"]["receiver_tel"]
        assert ("*" not in tel) == gen.has_plaintext_pii(i)
    wire = requests.post(sandbox.base_url + SOLD_GET, params={"access_token": sandbox.access_token(SHOP)},
                         json=window(page_size=100), timeout=10).text
    assert "9007199254740993" in wire or "9007199254740995" in wire or "9007199254800511" in wire or "9007199255001234" in wire


def test_amounts_as_json_numbers(make_youzan: Factory) -> None:
    sandbox = make_youzan(30, amounts_as="number")
    text = requests.post(sandbox.base_url + SOLD_GET, params={"access_token": sandbox.access_token(SHOP)},
                         json=window(page_size=100), timeout=10).text
    assert '"payment":"' not in text and '"payment":' in text
    data = json.loads(text, parse_float=Decimal)["data"]["full_order_info_list"][0]["full_order_info"]
    assert isinstance(data["pay_info"]["payment"], Decimal) and data["pay_info"]["payment"].as_tuple().exponent == -2
