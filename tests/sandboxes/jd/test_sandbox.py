"""The JD sandbox speaks routerjson as the gateway does: checks, error codes, business rules, data, control."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import typing as t
from decimal import Decimal

import pytest
import requests
from tests.taps.jd.kit import APP_KEY, APP_SECRET, AS_OF, OTHER_SHOP, SHOP, Factory, jd_sandbox  # noqa: F401 - fixture

from orderlayer.taps.jd import protocol as p
from orderlayer.sandboxes.jd.generator import (
    CANCELLED,
    DAY,
    FINISH,
    REFUNDED_STATUSES,
    SHIP,
    WAYBILL,
    CROSS_BORDER,
    LOCKED_CANCELLED,
    NORMAL,
    PAUSED,
    WAYBILL_CHANGED,
    JdOrderGenerator,
    yuan,
)
from orderlayer.sandboxes.jd.server import JdSandbox


def business(sandbox: JdSandbox, **overrides: t.Any) -> dict:  # noqa: ANN401
    base = {
        "start_date": p.format_local(sandbox.start_ts),
        "end_date": p.format_local(sandbox.now_ts + 1),
        "order_state": ",".join(p.ORDER_STATES),
        "optional_fields": "orderId,venderId,modified,orderState,orderPayment",
        "page": "1",
        "page_size": "100",
        "dateType": "0",
        "sortType": "0",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def call(
    sandbox: JdSandbox,
    params: dict,
    *,
    method: str = p.METHOD_ORDER_SEARCH,
    token: str | None = "shop",
    secret: str = APP_SECRET,
    timestamp: str | None = None,
    drop: tuple[str, ...] = (),
    tamper: dict | None = None,
    in_query: bool = False,
) -> requests.Response:
    """A signed routerjson call (as tap-jd sends it, or varied to provoke one gateway check)."""
    form = {"method": method, p.PARAM_JSON: p.param_json(params)}
    signed = p.signed_params(
        form,
        app_key=APP_KEY,
        app_secret=secret,
        access_token=sandbox.access_token(SHOP) if token == "shop" else token,
        timestamp=timestamp or p.format_timestamp(time.time()),
    )
    signed.update(tamper or {})
    for key in drop:
        signed.pop(key, None)
    url = sandbox.base_url + "/routerjson"
    if in_query:
        return requests.get(url, params=signed, timeout=5)
    return requests.post(url, data=signed, timeout=5)


def error_code(response: requests.Response) -> str | None:
    payload = response.json()
    return payload["error_response"]["code"] if "error_response" in payload else None


def result_of(response: requests.Response, method: str = p.METHOD_ORDER_SEARCH) -> dict:
    return response.json()[p.response_key(method)]["searchorderinfo_result"]


# --------------------------------------------------------------------------- gateway checks
def test_a_correct_call_returns_the_documented_envelope(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(80)
    response = call(sandbox, business(sandbox))
    assert response.status_code == 200
    envelope = response.json()["jingdong_pop_order_search_responce"]
    assert envelope["code"] == "0"
    result = envelope["searchorderinfo_result"]
    assert result["apiResult"]["success"] is True
    assert result["orderTotal"] == len(result["orderInfoList"]) == len(sandbox.expected_ids(SHOP))
    for order in result["orderInfoList"]:
        assert set(order) == {"orderId", "venderId", "modified", "orderState", "orderPayment"}  # optional_fields only
        assert order["venderId"] == SHOP


@pytest.mark.parametrize(
    ("variation", "code"),
    [
        ({"drop": ("sign",)}, "11"),
        ({"secret": "wrong-secret"}, "12"),
        ({"tamper": {"v": "2.0", "page": "2"}}, "12"),  # a parameter added after signing
        ({"timestamp": "2021-05-07 09:20:39"}, "8"),  # stale
        ({"timestamp": "2021/05/07"}, "8"),  # unreadable
        ({"drop": ("timestamp",)}, "7"),
        ({"token": None}, "18"),
        ({"token": "not-a-token"}, "19"),
        ({"tamper": {"app_key": "other-app"}}, "21"),
        ({"tamper": {"v": "1.0"}}, "5"),
        ({"method": "jingdong.pop.order.list"}, "15"),
    ],
)
def test_gateway_rejections_use_jds_codes(jd_sandbox: Factory, variation: dict, code: str) -> None:
    sandbox = jd_sandbox(20)
    response = call(sandbox, business(sandbox), **variation)
    assert error_code(response) == code
    zh, en = p.ERROR_DESCRIPTIONS[code]
    assert response.json()["error_response"]["zh_desc"] == zh and response.json()["error_response"]["en_desc"].startswith(en)
    assert sandbox.requests[-1]["code"] == code


def test_unparsable_param_json_is_code_63(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    form = {"method": p.METHOD_ORDER_SEARCH, p.PARAM_JSON: "{not json"}
    signed = p.signed_params(form, app_key=APP_KEY, app_secret=APP_SECRET, access_token=sandbox.access_token(SHOP), timestamp=p.format_timestamp(time.time()))
    assert error_code(requests.post(sandbox.base_url + "/routerjson", data=signed, timeout=5)) == "63"


def test_both_timestamp_formats_and_query_string_calls_are_accepted(jd_sandbox: Factory) -> None:
    now = time.time()
    sandbox = jd_sandbox(20, wall_clock=lambda: now)  # the gateway's clock stands still: no margin eaten by a slow run
    assert error_code(call(sandbox, business(sandbox), timestamp=p.format_timestamp(now, p.TIMESTAMP_OFFSET_MS))) is None
    assert error_code(call(sandbox, business(sandbox), in_query=True, timestamp=p.format_timestamp(now))) is None
    skewed = p.format_timestamp(now - 350)  # within the 6 minutes
    assert error_code(call(sandbox, business(sandbox), timestamp=skewed)) is None


def test_qps_budget_answers_code_2_with_retry_after(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20, qps=2, retry_after_seconds=1.5)
    answers = [call(sandbox, business(sandbox)) for _ in range(4)]
    assert [error_code(r) for r in answers][:2] == [None, None]
    limited = [r for r in answers if error_code(r) == "2"]
    assert limited and limited[0].headers["Retry-After"] == "1.5"


def test_permission_and_revocation(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20, allowed_methods=[p.METHOD_ORDER_SEARCH])
    assert error_code(call(sandbox, business(sandbox), method=p.METHOD_ORDER_ENSEARCH)) == "24"
    sandbox.revoke(SHOP)
    assert error_code(call(sandbox, business(sandbox))) == "19"


# --------------------------------------------------------------------------- business rules
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"page_size": "101"}, "page_size must be 1..100"),
        ({"page": "0"}, "page starts at 1"),
        ({"page": "301"}, "page must be <= 300"),
        ({"order_state": ""}, "order_state is required"),
        ({"order_state": "WAIT_BUYER_PAY"}, "unknown order_state WAIT_BUYER_PAY"),
        ({"optional_fields": ""}, "optional_fields is required"),
        ({"start_date": None, "end_date": None}, "start_date and end_date are required"),
        ({"start_date": "2024-01-31 10:00:00", "end_date": "2024-03-01 10:00:00"}, "exceeds one month"),
        ({"start_date": "2024-11-01 10:00:00", "end_date": "2024-10-01 10:00:00"}, "before start_date"),
        ({"start_date": "2024-11-01T10:00:00Z"}, "yyyy-MM-dd HH:mm:ss"),
    ],
)
def test_business_rules_answer_api_result_failure(jd_sandbox: Factory, overrides: dict, message: str) -> None:
    sandbox = jd_sandbox(20)
    result = result_of(call(sandbox, business(sandbox, **overrides)))
    assert result["apiResult"]["success"] is False and message in result["apiResult"]["englishErrCode"]


def test_one_month_window_rule_follows_the_calendar(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    ok = call(sandbox, business(sandbox, start_date="2024-02-01 00:00:00", end_date="2024-03-01 00:00:00"))
    assert result_of(ok)["apiResult"]["success"] is True
    clipped = call(sandbox, business(sandbox, start_date="2024-01-31 00:00:00", end_date="2024-02-29 00:00:00"))
    assert result_of(clipped)["apiResult"]["success"] is True  # Jan 31 + one month = Feb 29


def test_without_dates_only_the_stock_out_state_lists_the_last_month(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(80)
    result = result_of(call(sandbox, business(sandbox, start_date=None, end_date=None, order_state="WAIT_SELLER_STOCK_OUT")))
    assert result["apiResult"]["success"] is True
    assert {o["orderState"] for o in result["orderInfoList"]} <= {"WAIT_SELLER_STOCK_OUT"}


def test_filters_sort_orders_and_pages(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(150)
    asc = result_of(call(sandbox, business(sandbox)))["orderInfoList"]
    desc = result_of(call(sandbox, business(sandbox, sortType="1")))["orderInfoList"]
    assert [o["orderId"] for o in desc] == [o["orderId"] for o in asc][::-1]
    assert [o["modified"] for o in asc] == sorted(o["modified"] for o in asc)
    finished = result_of(call(sandbox, business(sandbox, order_state="FINISHED_L")))["orderInfoList"]
    assert finished and {o["orderState"] for o in finished} == {"FINISHED_L"}
    pages = [result_of(call(sandbox, business(sandbox, page=str(n), page_size="7")))["orderInfoList"] for n in (1, 2, 3)]
    assert [o["orderId"] for page in pages for o in page] == [o["orderId"] for o in asc][:21]
    fields = "orderId,orderStartTime"
    created = result_of(call(sandbox, business(sandbox, dateType="1", optional_fields=fields)))["orderInfoList"]
    assert [o["orderStartTime"] for o in created] == sorted(o["orderStartTime"] for o in created)


def test_faults_answer_the_right_codes(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(40)
    sandbox.set_faults(rate_limit_next=1, busy_next=1)
    assert error_code(call(sandbox, business(sandbox))) == "2"
    assert error_code(call(sandbox, business(sandbox))) == "66"
    assert error_code(call(sandbox, business(sandbox))) is None
    sandbox.set_faults(expire_token=True)
    assert error_code(call(sandbox, business(sandbox))) == "19"
    assert error_code(call(sandbox, business(sandbox))) == "19"  # stays expired until refreshed


def test_truncation_styles(jd_sandbox: Factory) -> None:
    rows = jd_sandbox(80, truncate_style="rows")
    rows.set_faults(truncate_next=1)
    result = result_of(call(rows, business(rows, page_size="5")))
    assert result["orderTotal"] > 5 and len(result["orderInfoList"]) == 4
    body = jd_sandbox(80, truncate_style="body")
    body.set_faults(truncate_next=1)
    response = call(body, business(body))
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_oauth_refresh_issues_single_use_tokens(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    old_access, old_refresh = sandbox.access_token(SHOP), sandbox.refresh_token(SHOP)
    query = {"app_key": APP_KEY, "app_secret": APP_SECRET, "grant_type": "refresh_token", "refresh_token": old_refresh}
    answer = requests.get(sandbox.base_url + "/oauth2/refresh_token", params=query, timeout=5).json()
    assert answer["code"] == 0 and answer["access_token"] == sandbox.access_token(SHOP) != old_access
    assert answer["refresh_token"] == sandbox.refresh_token(SHOP) and answer["expires_in"] > 0
    again = requests.get(sandbox.base_url + "/oauth2/refresh_token", params=query, timeout=5).json()
    assert again["code"] != 0 and "access_token" not in again  # a refresh token is single-use
    wrong = requests.get(sandbox.base_url + "/oauth2/refresh_token", params={**query, "app_secret": "x"}, timeout=5).json()
    assert wrong["code"] != 0
    assert all("app_secret" not in json.dumps(e) and old_refresh not in json.dumps(e) for e in sandbox.requests)


def test_control_endpoints(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(40)
    base = sandbox.base_url
    assert requests.post(base + "/_sandbox/faults", json={"busy_next": 2}, timeout=5).json()["busy_next"] == 2
    assert sandbox.faults.busy_next == 2
    assert requests.post(base + "/_sandbox/faults", json={"nonsense": 1}, timeout=5).status_code == 400
    later = (AS_OF + dt.timedelta(days=2)).isoformat()
    assert requests.post(base + "/_sandbox/advance", json={"as_of": later}, timeout=5).status_code == 200
    assert sandbox.now == AS_OF + dt.timedelta(days=2)
    state = requests.get(base + "/_sandbox/state", timeout=5).json()
    assert state["shop_ids"] == [SHOP, OTHER_SHOP] and state["faults"]["busy_next"] == 2


def test_tap_config_is_complete_and_secret_keys_are_declared(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(40)
    config = sandbox.tap_config(SHOP)
    assert set(JdSandbox.SECRET_CONFIG_KEYS) <= set(config)
    assert config["base_url"].endswith("/routerjson") and config["shop_id"] == SHOP
    assert dt.datetime.fromisoformat(config["start_date"]).timestamp() <= sandbox.start_ts
    assert dt.datetime.fromisoformat(config["end_date"]).timestamp() == sandbox.now_ts + 1


# --------------------------------------------------------------------------- generated data
def test_generator_is_deterministic_and_ids_are_big_unique_text() -> None:
    one = JdOrderGenerator(5, AS_OF, 300, [SHOP, OTHER_SHOP], 20)
    two = JdOrderGenerator(5, AS_OF, 300, [SHOP, OTHER_SHOP], 20)
    later = one.as_of_ts + 9 * 86_400
    assert [one.order(i, later) for i in range(300)] == [two.order(i, later) for i in range(300)]
    ids = [one.order_id_of(i) for i in range(300)]
    assert len(set(ids)) == 300 and all(len(x) == 19 and int(x) > 2**53 for x in ids)
    assert JdOrderGenerator(6, AS_OF, 5, [SHOP], 20).order_id_of(0) != ids[0]
    order = one.order(0, later)
    assert one.order(0, later + 86_400)["orderRemark"] == order["orderRemark"]  # static fields do not move


def test_generator_covers_the_lifecycle_and_amounts_add_up() -> None:
    gen = JdOrderGenerator(3, AS_OF, 600, [SHOP, OTHER_SHOP], 30)
    scenarios = {gen.scenario_of(i) for i in range(600)}
    assert scenarios == {NORMAL, CANCELLED, LOCKED_CANCELLED, PAUSED, CROSS_BORDER, WAYBILL_CHANGED}
    states: set[str] = set()
    for now in (gen.as_of_ts - 20 * 86_400, gen.as_of_ts - 5 * 86_400, gen.as_of_ts):
        states |= {gen.state_at(i, now) for i in range(600) if gen.visible_at(i, now)}
    assert states == set(p.ORDER_STATES)
    for i in range(0, 600, 7):
        order = gen.order(i)
        goods = sum(Decimal(item["jdPrice"]) * int(item["itemTotal"]) for item in order["itemInfoList"])
        assert Decimal(order["orderTotalPrice"]) == goods
        assert Decimal(order["orderSellerPrice"]) == goods - Decimal(order["sellerDiscount"])
        assert Decimal(order["orderPayment"]) <= goods - Decimal(order["sellerDiscount"]) + Decimal(order["freightPrice"])
        assert all(len(order[k].split(".")[1]) == 2 for k in ("orderTotalPrice", "orderPayment", "freightPrice"))
        assert order["orderStartTime"] <= order["paymentConfirmTime"] <= order["modified"]
        if order["orderState"] in ("FINISHED_L", "TRADE_CANCELED"):
            assert order["orderEndTime"] == order["modified"] or order["orderState"] == "FINISHED_L"
        if order["orderState"] in ("WAIT_GOODS_RECEIVE_CONFIRM", "FINISHED_L"):
            assert order["waybill"] and order["logisticsId"]


def test_only_paid_orders_are_listed_and_advance_brings_late_updates() -> None:
    gen = JdOrderGenerator(9, AS_OF, 400, [SHOP], 10)
    unpaid = [i for i in range(400) if not gen.visible_at(i, gen.as_of_ts)]
    for i in unpaid:
        assert gen.create_time_of(i) <= gen.as_of_ts < gen.pay_time_of(i)
    later = gen.as_of_ts + 4 * 86_400
    changed = [i for i in range(400) if gen.visible_at(i, gen.as_of_ts) and gen.modified_at(i, later) > gen.modified_at(i, gen.as_of_ts)]
    assert len(changed) > 40
    # a waybill change is a modification without a state change (JD's `modified` covers both)
    i = next(i for i in range(400) if gen.scenario_of(i) == WAYBILL_CHANGED and gen.event_times(i)[SHIP] > gen.as_of_ts)
    ship, rewaybill = gen.event_times(i)[SHIP], gen.event_times(i)[WAYBILL]
    before, after = gen.order(i, rewaybill - 1), gen.order(i, rewaybill)
    assert before["orderState"] == after["orderState"] == "WAIT_GOODS_RECEIVE_CONFIRM"
    assert before["waybill"] != after["waybill"] and after["modified"] == p.format_local(rewaybill)
    assert before["modified"] == p.format_local(ship)


def test_order_facts_agree_with_the_payload(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(400)
    facts = list(sandbox.order_facts())
    listed = sandbox.expected_ids(SHOP) | sandbox.expected_ids(OTHER_SHOP)
    assert {f.channel_order_id for f in facts} == listed
    gen = sandbox.generator
    by_id = {gen.order_id_of(i): i for i in range(gen.n_orders)}
    # refunds as the refund list serves them: approved applications' fen, per order
    approved: dict[str, Decimal] = {}
    for shop in (SHOP, OTHER_SHOP):
        for application in sandbox.applications(shop):
            served_app = sandbox.application(application)
            if served_app["status"] in {"1", "3", "5", "6", "7", "9"}:
                approved[served_app["orderId"]] = approved.get(served_app["orderId"], Decimal(0)) + Decimal(served_app["applyRefundSum"]) / 100
        # plus after-sale refunds as the service list serves them: status 13, yuan refoundAmount
        for service in sandbox.after_sales(shop):
            served_service = sandbox.after_sale(service)
            if served_service["status"] == "13":
                order_id = served_service["sameOrderServiceBill"]["orderId"]
                approved[order_id] = approved.get(order_id, Decimal(0)) + Decimal(served_service["refoundAmount"])
    statuses = set()
    partial = 0
    for fact in facts:
        order = sandbox.order(by_id[fact.channel_order_id])
        assert fact.channel == "jd" and fact.currency == "CNY" and fact.shop_id == order["venderId"]
        assert fact.paid_amount == Decimal(order["orderPayment"])
        if order["orderState"] == "TRADE_CANCELED":  # cancelled after payment: refunded in full, once
            assert fact.refund_amount == fact.paid_amount
        else:
            assert fact.refund_amount == min(fact.paid_amount, approved.get(fact.channel_order_id, Decimal("0.00")))
            partial += Decimal(0) < fact.refund_amount < fact.paid_amount
        assert fact.tracking_numbers == ((order["waybill"],) if order["waybill"] else ())
        assert fact.ordered_at.timestamp() == p.parse_local(order["orderStartTime"])
        statuses.add(fact.status)
    assert statuses == {"paid", "shipped", "completed", "cancelled"}
    assert partial, "some shipped orders are partly refunded through an after-sale service"


def test_planted_personal_data_in_the_sandbox() -> None:
    gen = JdOrderGenerator(4, AS_OF, 400, [SHOP], 10)
    plain = [gen.order(i) for i in range(400)]
    encrypted = [gen.order(i, encrypted=True) for i in range(400)]
    assert all(o["consigneeInfo"]["mobile"].isdigit() for o in plain)  # search: plaintext receivers
    assert not any(o["consigneeInfo"]["mobile"].isdigit() for o in encrypted)  # enSearch: ciphertext
    assert sum("originalConsigneeInfo" in o for o in encrypted) >= 3  # planted plaintext copies
    assert sum("vatInfo" in o for o in plain) >= 5


def test_standalone_sandbox_prints_configs(tmp_path: t.Any) -> None:  # noqa: ANN401
    cmd = [sys.executable, "-m", "orderlayer.sandboxes.jd", "--orders", "30", "--shops", f"{SHOP},{OTHER_SHOP}",
           "--as-of", AS_OF.isoformat()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while True:
            line = proc.stdout.readline()
            lines.append(line)
            if line.rstrip() == "}":
                break
        printed = json.loads("".join(lines))
        assert [c["shop_id"] for c in printed["configs"]] == [SHOP, OTHER_SHOP]
        state = requests.get(printed["base_url"] + "/_sandbox/state", timeout=5).json()
        assert state["n_orders"] == 30
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- refund applications
def refund_params(**overrides: t.Any) -> dict:  # noqa: ANN401
    base = {"pageIndex": "1", "pageSize": "50"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def refund_result(response: requests.Response) -> dict:
    return response.json()[p.response_key(p.METHOD_REFUND_APPLY_LIST)][p.REFUND_RESULT_KEY]


def test_refund_list_envelope_filters_and_paging(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(300, days=6)
    start, end = p.format_local(sandbox.start_ts), p.format_local(sandbox.now_ts + 1)
    response = call(sandbox, refund_params(applyTimeStart=start, applyTimeEnd=end), method=p.METHOD_REFUND_APPLY_LIST)
    payload = response.json()
    envelope = payload["jingdong_pop_afs_soa_refundapply_queryPageList_responce"]
    assert envelope["code"] == "0"
    result = envelope["queryResult"]
    assert result["success"] is True
    expected = sandbox.applications(SHOP)
    assert result["totalCount"] == len(expected) == len(result["result"]) > 5
    assert [r["id"] for r in result["result"]] == [a.id for a in expected]  # sorted by id, not by time
    first = result["result"][0]
    assert set(first) == {"id", "orderId", "status", "applyRefundSum", "applyTime", "checkTime", "buyerId", "buyerName",
                          "checkUserName", "checkRemark", "reason"}
    assert first["applyRefundSum"].isdigit()  # integer fen as text
    # the applications belong to the shop's served orders, and never exceed what the order paid
    gen = sandbox.generator
    by_id = {gen.order_id_of(i): i for i in gen.indexes_for_shop(SHOP)}
    for record in result["result"]:
        order = sandbox.order(by_id[record["orderId"]])
        assert int(record["applyRefundSum"]) <= round(Decimal(order["orderPayment"]) * 100)
        assert p.parse_local(record["applyTime"]) >= p.parse_local(order["paymentConfirmTime"])
    # pages of 7 add up to the same list
    paged = []
    for page in range(1, -(-len(expected) // 7) + 1):
        part = refund_result(call(sandbox, refund_params(applyTimeStart=start, applyTimeEnd=end, pageIndex=str(page), pageSize="7"),
                                  method=p.METHOD_REFUND_APPLY_LIST))
        assert part["totalCount"] == len(expected)
        paged += [r["id"] for r in part["result"]]
    assert paged == [a.id for a in expected]
    # checkTime range: only reviewed applications; status and orderId filters
    reviewed = refund_result(call(sandbox, refund_params(checkTimeStart=start, checkTimeEnd=end), method=p.METHOD_REFUND_APPLY_LIST))
    assert reviewed["result"] and all(r["checkTime"] and r["status"] != "0" for r in reviewed["result"])
    pending = refund_result(call(sandbox, refund_params(applyTimeStart=start, applyTimeEnd=end, status="0"), method=p.METHOD_REFUND_APPLY_LIST))
    assert pending["result"] and all(r["status"] == "0" and r["checkTime"] == "" for r in pending["result"])
    one = refund_result(call(sandbox, refund_params(orderId=first["orderId"]), method=p.METHOD_REFUND_APPLY_LIST))
    assert {r["orderId"] for r in one["result"]} == {first["orderId"]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pageSize": "51"}, "pageSize must be 1..50"),
        ({"pageIndex": "101"}, "pageIndex must be 1..100"),
        ({}, "give ids, orderId or an applyTime / checkTime range"),
        ({"applyTimeStart": "2024-11-01 00:00:00", "applyTimeEnd": "2024-11-09 00:00:00"}, "exceeds"),
        ({"checkTimeStart": "2024/11/01", "checkTimeEnd": "2024-11-02 00:00:00"}, "must be yyyy-MM-dd HH:mm:ss"),
    ],
)
def test_refund_list_business_rules(jd_sandbox: Factory, overrides: dict, message: str) -> None:
    sandbox = jd_sandbox(20)
    result = refund_result(call(sandbox, refund_params(**overrides), method=p.METHOD_REFUND_APPLY_LIST))
    assert result["success"] is False and result["result"] == [] and result["totalCount"] == 0
    assert sandbox.requests[-1]["error"].find(message) >= 0


def test_refund_list_checks_the_signature_and_permission(jd_sandbox: Factory) -> None:
    sandbox = jd_sandbox(20)
    params = refund_params(applyTimeStart=p.format_local(sandbox.start_ts), applyTimeEnd=p.format_local(sandbox.start_ts + 3600))
    assert error_code(call(sandbox, params, method=p.METHOD_REFUND_APPLY_LIST, secret="wrong")) == p.CODE_INVALID_SIGNATURE
    denied = jd_sandbox(20, allowed_methods=[p.METHOD_ORDER_SEARCH])
    assert error_code(call(denied, params, method=p.METHOD_REFUND_APPLY_LIST)) == p.CODE_NO_API_PERMISSION


def test_after_sales_cover_the_cases_and_change_with_the_clock() -> None:
    gen = JdOrderGenerator(3, AS_OF, 2_000, [SHOP], days=20)
    now = gen.as_of_ts
    services = [a for i in range(gen.n_orders) for a in gen.after_sales(i)]
    assert 150 < len(services) < 330  # about 12 % of the ~1 600 shipped orders
    for a in services:
        ship = gen.event_times(a.order_index)[SHIP]
        payment = gen.amounts_fen(a.order_index)["payment"]
        assert ship and a.apply_time > ship and 0 < a.amount_fen <= payment
    statuses = {a.status_at(now) for a in services if a.visible_at(now)}
    assert {"0", "1", "13", "14"} <= statuses  # pending, approved awaiting the refund, refunded, rejected
    assert any(a.amount_fen < gen.amounts_fen(a.order_index)["payment"] for a in services if a.approved)  # partial
    assert any(a.amount_fen == gen.amounts_fen(a.order_index)["payment"] for a in services if a.approved)  # full
    # an approval refunded only after the clock: in progress now, 13 with amount and time later
    later = next(a for a in services if a.visible_at(now) and a.approved and a.approve_time <= now < a.complete_time)
    before, after = gen.after_sale_record(later, now), gen.after_sale_record(later, later.complete_time)
    assert before["status"] == "1" and before["refoundAmount"] is None and before["completeTime"] is None
    assert after["status"] == "13" and after["refoundAmount"] == yuan(later.amount_fen)
    assert after["completeTime"] == p.format_local(later.complete_time)
    assert after["sameOrderServiceBill"]["approveDate"] == before["sameOrderServiceBill"]["approveDate"]  # unmoved
    epoch = gen.after_sale_record(later, later.complete_time, epoch_ms=True)
    assert epoch["completeTime"] == later.complete_time * 1000
    rejected = next(a for a in services if a.approve_time and not a.approved and a.approve_time <= now)
    record = gen.after_sale_record(rejected, now)
    assert record["status"] == "14" and record["refoundAmount"] is None
    assert len({a.service_id for a in services}) == len(services)
    # returns (customerExpect 10) and refunds only (no customerExpect), the same at every clock
    expects = [gen.after_sale_record(a, now)["sameOrderServiceBill"].get("customerExpect") for a in services]
    assert set(expects) == {"10", None} and 0.45 < expects.count("10") / len(expects) < 0.75
    assert expects == [gen.after_sale_record(a, a.apply_time)["sameOrderServiceBill"].get("customerExpect") for a in services]


def test_refund_applications_cover_the_cases_and_change_with_the_clock() -> None:
    gen = JdOrderGenerator(3, AS_OF, 2_000, [SHOP], days=20)
    now = gen.as_of_ts
    apps = [a for i in range(gen.n_orders) for a in gen.applications(i)]
    by_scenario = {gen.scenario_of(a.order_index) for a in apps}
    assert {CANCELLED, LOCKED_CANCELLED, NORMAL} <= by_scenario
    for a in apps:
        payment = gen.amounts_fen(a.order_index)["payment"]
        assert 0 < a.amount_fen <= payment and a.apply_time >= gen.pay_time_of(a.order_index)
        if gen.scenario_of(a.order_index) in (CANCELLED, LOCKED_CANCELLED):
            assert a.amount_fen == payment and a.status_at(a.check_time) in {"1", "6", "9"}
    statuses = {a.status_at(now) for a in apps if a.visible_at(now)}
    assert {"0", "1", "2", "3", "6", "9"} <= statuses
    # cancel-order refunds only: a shipped order's cancel request (made before shipping) is refused or pending
    for a in apps:
        if gen.scenario_of(a.order_index) == NORMAL:
            assert a.apply_time < gen.event_times(a.order_index)[SHIP] and a.reviewed_status in {"0", "2"}
    later = [a for a in apps if a.visible_at(now) and a.check_time > now]
    assert later, "some applications are reviewed only after the clock moves"
    a = later[0]
    assert gen.application_record(a, now)["status"] == "0"
    assert gen.application_record(a, a.check_time)["status"] == a.reviewed_status
    assert all(len(x.id) == 17 and int(x.id) > 2**53 for x in apps)
    assert len({x.id for x in apps}) == len(apps)


def test_a_refund_months_after_the_order_finished() -> None:
    # about 3 % of finished orders get a second service 60–119 days after finishing: invisible at the demo's clock,
    # listed (and refunded, adding to the first) once the clock has moved that far; the order itself is unchanged
    gen = JdOrderGenerator(3, AS_OF, 2_000, [SHOP], days=20)
    now = gen.as_of_ts
    late = [(i, a) for i in range(gen.n_orders) for a in gen.after_sales(i) if a.service_id.startswith("5")]
    finished = sum(1 for i in range(gen.n_orders) if gen.event_times(i)[FINISH])
    assert 0.01 < len(late) / finished < 0.06
    i, a = late[0]
    assert 60 * DAY <= a.apply_time - gen.event_times(i)[FINISH] < 120 * DAY and not a.visible_at(now)
    later = a.complete_time
    assert a.status_at(later) == "13" and gen.after_sale_record(a, later)["refoundAmount"] == yuan(a.amount_fen)
    assert gen.modified_at(i, later) == gen.modified_at(i, a.apply_time - 1)  # the order did not change
    earlier = sum(s.refunded_fen_at(later) for s in gen.after_sales(i) if s != a and s.visible_at(later))
    apps = sum(x.amount_fen for x in gen.applications(i) if x.visible_at(later) and x.status_at(later) in REFUNDED_STATUSES)
    assert gen.refund_fen_at(i, later) == min(gen.amounts_fen(i)["payment"], apps + earlier + a.amount_fen)
    assert len({s.service_id for _, s in late}) == len(late)
