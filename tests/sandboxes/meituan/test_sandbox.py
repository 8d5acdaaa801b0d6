"""The Meituan sandbox: protocol checks (signature, app, timestamp, store, limits), faults and the generator."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import requests
from tests.taps.meituan.kit import AS_OF, OTHER_POI, POI, make_meituan  # noqa: F401 - fixture

from orderlayer.taps.meituan import protocol as p
from orderlayer.sandboxes.meituan.generator import FIRST_ORDER_ID, MeituanGenerator, beijing_day


def call(sandbox, path: str, params: dict, *, secret: str | None = None, app_id: str | None = None, ts: int | None = None,
         encode: bool = False) -> requests.Response:
    url = f"{sandbox.base_url}/api/v1/{path}"
    signed = p.signed_params(url, params, app_id=app_id or sandbox.app_id, secret=secret or sandbox.app_secret,
                             timestamp=int(time.time()) if ts is None else ts, encode_values=encode)
    return requests.get(url, params=signed, timeout=5)


def first_day(sandbox) -> str:
    return beijing_day(min(pl.pushed_at for pl in sandbox.generator.plans if pl.shop == POI))


def test_valid_call_is_served_and_logged_without_secrets(make_meituan) -> None:
    sandbox = make_meituan(60)
    answer = call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH,
                  {"app_poi_code": POI, "date_time": first_day(sandbox), "day_seq_start": 1, "day_seq_end": 100})
    assert answer.status_code == 200
    ids = answer.json()["data"]["order_ids"]
    assert ids and all(isinstance(i, int) for i in ids)
    entry = sandbox.requests[-1]
    assert entry["code"] == 0 and entry["params"]["app_poi_code"] == POI
    assert "sig" not in entry["params"] and sandbox.app_secret not in json.dumps(entry)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"secret": "wrong-secret"}, 703), ({"app_id": "1"}, 702), ({"ts": 1_500_000_000}, p.SANDBOX_CODE_TIMESTAMP)],
)
def test_signature_app_and_timestamp_are_verified(make_meituan, kwargs: dict, code: int) -> None:
    sandbox = make_meituan(20)
    answer = call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH,
                  {"app_poi_code": POI, "date_time": "20241125", "day_seq_start": 1, "day_seq_end": 10}, **kwargs)
    assert answer.json()["data"] == "ng" and answer.json()["error"]["code"] == code


def test_encoded_signature_mode(make_meituan) -> None:
    sandbox = make_meituan(20, shop_ids=("门店 A&B",), sign_encode_values=True)
    params = {"app_poi_code": "门店 A&B", "date_time": "20241125", "day_seq_start": 1, "day_seq_end": 10}
    assert call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params).json()["error"]["code"] == 703  # raw values: rejected
    assert "error" not in call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params, encode=True).json()


def test_store_checks_span_limit_and_unknown_orders(make_meituan) -> None:
    sandbox = make_meituan(20)
    base = {"date_time": "20241125", "day_seq_start": 1}
    assert call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, {**base, "app_poi_code": "nope", "day_seq_end": 5}).json()["error"]["code"] == 803
    assert call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, {**base, "app_poi_code": POI, "day_seq_end": 101}).json()["error"]["code"] == 705
    assert call(sandbox, p.ORDER_DETAIL_PATH, {"order_id": 1}).json()["error"]["code"] == p.SANDBOX_CODE_ORDER_NOT_FOUND
    sandbox.revoke(POI)
    assert call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, {**base, "app_poi_code": POI, "day_seq_end": 5}).json()["error"]["code"] == 2000


def test_faults(make_meituan) -> None:
    sandbox = make_meituan(20, retry_after_seconds=2)
    params = {"app_poi_code": POI, "date_time": "20241125", "day_seq_start": 1, "day_seq_end": 10}
    sandbox.set_faults(rate_limit_next=1, busy_next=1, truncate_next=1, http_503_next=1)
    outage = call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params)
    assert outage.status_code == 503
    limited = call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params).json()["error"]["code"] == 600
    truncated = call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params)
    with pytest.raises(ValueError):
        json.loads(truncated.content)
    assert "error" not in call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params).json()


def test_qps_budget_answers_429(make_meituan) -> None:
    sandbox = make_meituan(10, qps=2)
    params = {"app_poi_code": POI, "date_time": "20241125", "day_seq_start": 1, "day_seq_end": 10}
    statuses = [call(sandbox, p.ORDER_IDS_BY_DAY_SEQ_PATH, params).status_code for _ in range(5)]
    assert 429 in statuses and statuses[0] == 200


def test_generator_is_deterministic_and_ids_straddle_2_53() -> None:
    one = MeituanGenerator(5, AS_OF, 80, [POI, OTHER_POI])
    two = MeituanGenerator(5, AS_OF, 80, [POI, OTHER_POI])
    assert [one.order(i, one.as_of_ts) for i in range(80)] == [two.order(i, two.as_of_ts) for i in range(80)]
    ids = [pl.order_id for pl in one.plans]
    assert min(ids) < 2**53 < max(ids) and FIRST_ORDER_ID == 2**53 - 63
    assert all(len(pl.view_id) == 17 and pl.view_id.isdigit() for pl in one.plans)
    assert len({pl.view_id for pl in one.plans}) == 80


def test_amounts_add_up_in_exact_yuan() -> None:
    gen = MeituanGenerator(5, AS_OF, 200, [POI])
    for plan in gen.plans:
        order = gen.order(plan.index, gen.as_of_ts + 5 * 86_400)
        lines = json.loads(order["detail"])
        goods = sum(Decimal(str(x["price"])) * x["quantity"] + Decimal(str(x["box_price"])) * x["box_num"] for x in lines)
        discounts = sum(Decimal(str(x["reduce_fee"])) for x in json.loads(order["extras"]))
        assert Decimal(str(order["original_price"])) == goods + Decimal(str(order["shipping_fee"]))
        assert Decimal(str(order["total"])) == Decimal(str(order["original_price"])) - discounts
        refunded = gen.refund_succeeded_at(plan, gen.as_of_ts + 5 * 86_400)
        assert 0 <= refunded <= Decimal(str(order["total"]))


def test_lifecycle_covers_every_status_and_late_updates() -> None:
    gen = MeituanGenerator(5, AS_OF, 400, [POI], days=10)
    now = gen.as_of_ts
    # every status is reached at the instant of its event, and the clock sees finished and cancelled orders
    reached = {gen.status_at(pl, at) for pl in gen.plans for at in pl.events.values()}
    assert reached == {2, 3, 4, 6, 7, 8, 9}  # 1 (unpaid) never reaches the store, so it is never served
    assert {8, 9} <= {gen.status_at(pl, now) for pl in gen.plans if gen.visible(pl.index, now)}
    later = now + 3 * 86_400
    changed = [pl for pl in gen.plans if gen.visible(pl.index, now) and gen.utime_at(pl, later) > gen.utime_at(pl, now)]
    assert any(pl.refund is not None for pl in changed)  # refunds after the clock: late updates
    kinds = {(r["refund_type"], r["res_type"]) for pl in gen.plans for r in gen.refund_records_at(pl, later)}
    assert {(1, 2), (2, 2), (2, 0)} <= kinds | {(1, 0)}  # full and partial agreed, partial pending


def test_day_seq_numbers_each_store_day_in_push_order() -> None:
    gen = MeituanGenerator(5, AS_OF, 150, [POI, OTHER_POI])
    now = gen.as_of_ts + 86_400
    for shop in (POI, OTHER_POI):
        days = {beijing_day(pl.pushed_at) for pl in gen.plans if pl.shop == shop}
        for day in days:
            ids = gen.order_ids_by_day_seq(shop, day, 1, 1000, now)
            plans = [gen.plans[gen.index_of(i)] for i in ids]
            assert [gen.order(pl.index, now)["day_seq"] for pl in plans] == list(range(1, len(ids) + 1))
            assert [pl.pushed_at for pl in plans] == sorted(pl.pushed_at for pl in plans)
            assert gen.order_ids_by_day_seq(shop, day, 2, 3, now) == ids[1:3]


def test_planted_plaintext_pii_and_privacy_numbers() -> None:
    gen = MeituanGenerator(5, AS_OF, 200, [POI])
    plain = [pl for pl in gen.plans if pl.plaintext_pii]
    assert 3 <= len(plain) <= 30
    assert all(pl.receiver["recipient_phone"].startswith("139") and "_" not in pl.receiver["recipient_phone"] for pl in plain)
    relayed = [pl for pl in gen.plans if not pl.plaintext_pii]
    assert all("_" in pl.receiver["recipient_phone"] for pl in relayed)


def test_order_facts_match_what_is_served(make_meituan) -> None:
    sandbox = make_meituan(80)
    facts = {f.channel_order_id: f for f in sandbox.order_facts()}
    visible = [i for shop in sandbox.shop_ids for i in sandbox.visible_indexes(shop)]
    assert set(facts) == {sandbox.generator.plans[i].view_id for i in visible}
    for i in visible:
        order = sandbox.order(i)
        fact = facts[order["wm_order_id_view"]]
        assert fact.channel == "meituan" and fact.shop_id == order["app_poi_code"] and fact.currency == "CNY"
        assert fact.paid_amount == Decimal(str(order["total"]))
        assert int(fact.ordered_at.timestamp()) == order["ctime"]
        assert {9: "cancelled", 8: "completed"}.get(order["status"], fact.status) == fact.status


def test_advance_and_tap_config(make_meituan) -> None:
    sandbox = make_meituan(30)
    config = sandbox.tap_config(POI)
    assert config["base_url"].endswith("/api/v1") and config["app_poi_code"] == POI
    assert set(type(sandbox).SECRET_CONFIG_KEYS) == {"app_secret", "pii_salt"}
    assert config["start_date"].startswith(time.strftime("%Y-%m-%d", time.gmtime(sandbox.start_ts)))
    with pytest.raises(ValueError, match="only moves forward"):
        sandbox.advance(sandbox.now_ts - 1)
    answer = requests.post(f"{sandbox.base_url}/_sandbox/advance", json={"as_of": "2024-12-03T00:00:00+00:00"}, timeout=5)
    assert answer.status_code == 200 and sandbox.now_ts == 1733184000
