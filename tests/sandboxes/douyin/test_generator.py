"""The deterministic Douyin order generator behind the sandbox."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import pytest

from orderlayer.sandboxes.douyin import generator as g
from orderlayer.sandboxes.douyin.generator import generate

AS_OF = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)
SHOPS = ["7784061", "7784062", "7784063"]
N = 3000


@pytest.fixture(scope="module")
def universe() -> g.OrderGenerator:
    return generate(7, AS_OF, N, SHOPS, days=30)


@pytest.fixture(scope="module")
def orders(universe: g.OrderGenerator) -> list[dict]:
    return list(universe)


def test_byte_identical_between_runs(orders: list[dict]) -> None:
    again = generate(7, AS_OF, N, SHOPS, days=30)
    assert json.dumps(list(again), ensure_ascii=False) == json.dumps(orders, ensure_ascii=False)
    other_seed = generate(8, AS_OF, 50, SHOPS, days=30)
    assert [o["order_id"] for o in other_seed] != [o["order_id"] for o in orders[:50]]


def test_order_is_pure_function_of_index(universe: g.OrderGenerator, orders: list[dict]) -> None:
    # Rendering out of order (or alone) gives the same order: no shared RNG state.
    for i in (2999, 0, 1234, 17):
        assert universe.order(i) == orders[i]


def test_ids_shapes_and_uniqueness(orders: list[dict]) -> None:
    parent_ids = [o["order_id"] for o in orders]
    assert len(set(parent_ids)) == N
    sku_ids = [s["order_id"] for o in orders for s in o["sku_order_list"]]
    multi = [s["order_id"] for o in orders if len(o["sku_order_list"]) > 1 for s in o["sku_order_list"]]
    assert len(set(multi)) == len(multi) and not set(multi) & set(parent_ids)
    for oid in parent_ids + sku_ids:
        assert isinstance(oid, str) and re.fullmatch(r"[1-9][0-9]{18}", oid)
        assert int(oid) > 2**53
    for o in orders:
        skus = o["sku_order_list"]
        assert 1 <= len(skus) <= 3
        assert all(s["parent_order_id"] == o["order_id"] for s in skus)
        if len(skus) == 1:
            assert skus[0]["order_id"] == o["order_id"]
        assert isinstance(o["shop_id"], int) and str(o["shop_id"]) in SHOPS
    product_ids = {s["product_id"] for o in orders for s in o["sku_order_list"]}
    assert 3660207428038974464 in product_ids
    assert any(p > 2**53 for p in product_ids) and any(p < 2**53 for p in product_ids)


def test_amount_invariants(orders: list[dict]) -> None:
    for o in orders:
        goods = 0
        for s in o["sku_order_list"]:
            assert s["origin_amount"] * s["item_num"] == s["sum_amount"]
            assert s["promotion_amount"] == s["promotion_shop_amount"] + s["promotion_platform_amount"] + s["promotion_talent_amount"]
            goods += s["sum_amount"]
        assert o["promotion_amount"] == o["promotion_shop_amount"] + o["promotion_platform_amount"] + o["promotion_talent_amount"]
        assert o["pay_amount"] == o["order_amount"] == goods - o["promotion_amount"] + o["post_amount"]
        assert o["pay_amount"] == sum(s["pay_amount"] for s in o["sku_order_list"])
        assert o["post_origin_amount"] == o["post_amount"] + o["post_promotion_amount"]
        assert o["total_promotion_amount"] == o["promotion_amount"] + o["post_promotion_amount"]
        assert all(isinstance(o[k], int) for k in o if k.endswith("_amount"))
    assert any(o["promotion_shop_amount"] for o in orders) and any(o["promotion_platform_amount"] for o in orders)


def test_lifecycle_statuses_times_and_after_sales(universe: g.OrderGenerator, orders: list[dict]) -> None:
    pairs = Counter((o["order_status"], o["main_status"]) for o in orders)
    for expected in [(5, 5), (3, 3), (2, 2), (4, 4), (4, 21), (4, 22), (4, 39), (1, 103)]:
        assert pairs[expected] > 0, expected
    for o in orders:
        assert universe.start_ts <= o["create_time"] < universe.as_of_ts
        assert o["create_time"] <= o["update_time"] <= universe.as_of_ts
        for key in ("pay_time", "ship_time", "finish_time"):
            assert o[key] == 0 or o["create_time"] <= o[key] <= o["update_time"]
        if o["order_status"] == 1 and o["main_status"] == 1:
            assert o["pay_time"] == 0 and o["exp_ship_time"] == 0
        if o["main_status"] in (21, 22, 39):
            assert all(s["after_sale_info"]["refund_status"] == 3 for s in o["sku_order_list"])
        if o["main_status"] == 21:
            assert o["ship_time"] == 0
    assert any(s["after_sale_info"]["refund_status"] == 1 for o in orders for s in o["sku_order_list"])
    # Statuses follow local (Shanghai) hours: fewer orders at 4 am than at 9 pm.
    hours = Counter(dt.datetime.fromtimestamp(o["create_time"], g.SHANGHAI).hour for o in orders)
    assert hours[21] > 2 * hours[4]


def test_deposit_presale_phases(orders: list[dict]) -> None:
    presale = [o for o in orders if o["sku_order_list"][0]["trade_type"] == 2]
    assert presale
    deposit_only = 0
    for o in presale:
        phases = o["order_phase_list"]
        assert [p["current_phase"] for p in phases] == [1, 2] and all(p["total_phase"] == 2 for p in phases)
        assert phases[0]["phase_payable_price"] + phases[1]["phase_payable_price"] == o["pay_amount"]
        if phases[0]["pay_success"] and not phases[1]["pay_success"]:
            deposit_only += 1
            assert o["main_status"] == 103 and o["order_status"] == 1
    assert deposit_only > 0
    assert all(o["order_phase_list"] == [] for o in orders if o["sku_order_list"][0]["trade_type"] == 0)


def test_pii_ciphertexts_masks_and_plaintext_share(universe: g.OrderGenerator, orders: list[dict]) -> None:
    plain = [i for i in range(N) if universe.has_plaintext_pii(i)]
    share = len(plain) / N
    assert 0.01 < share < 0.03  # documented 2 %
    for i, o in enumerate(orders):
        assert re.fullmatch(r"\$\$.+\$1\$\$", o["encrypt_post_tel"])
        assert re.fullmatch(r"##.+#1##", o["encrypt_post_receiver"])
        assert o["post_addr"]["encrypt_detail"].startswith("##")
        assert re.fullmatch(r"1[3-9][0-9]\*{4}[0-9]{4}", o["mask_post_tel"])
        assert re.fullmatch(r"[\u4e00-\u9fff]\*+", o["mask_post_receiver"])
        assert o["doudian_open_id"].startswith("1@#")
        assert o["post_addr"]["province"]["name"].endswith(("省", "市"))
        if i in plain:
            assert re.fullmatch(r"1[3-9][0-9]{9}", o["post_tel"])
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", o["post_receiver"])
            assert o["post_addr"]["detail"] and o["user_id_info"]
            assert o["sku_order_list"][0]["post_tel"] == o["post_tel"]
        else:
            assert "post_tel" not in o and "post_receiver" not in o and "detail" not in o["post_addr"]


def test_advancing_the_clock_produces_late_updates(universe: g.OrderGenerator) -> None:
    later = universe.as_of_ts + 3 * 86_400
    changed = 0
    for i in range(N):
        before, after = universe.update_time_at(i, universe.as_of_ts), universe.update_time_at(i, later)
        assert before <= after <= later
        if after > before:
            changed += 1
            assert universe.order(i, later)["update_time"] == after
            assert max(t for t in universe.event_times(i) if 0 < t <= later) == after
    assert 0.05 * N < changed < 0.5 * N
    with pytest.raises(ValueError, match="once it is created"):
        universe.order(0, universe.create_time_of(0) - 1)
    # before as_of (a replay from an earlier clock), an order is as it was then
    i = max(range(N), key=lambda k: sum(1 for t in universe.event_times(k) if t))  # one with a long timeline
    earlier = universe.create_time_of(i) + 1
    assert universe.order(i, earlier)["update_time"] == universe.update_time_at(i, earlier) <= earlier


def test_expected_id_helper_matches_rendered_orders(universe: g.OrderGenerator, orders: list[dict]) -> None:
    shop = SHOPS[1]
    lo, hi = universe.start_ts + 5 * 86_400, universe.start_ts + 9 * 86_400
    expected = {o["order_id"] for o in orders if str(o["shop_id"]) == shop and lo <= o["update_time"] <= hi}
    assert set(universe.order_ids_updated_between(shop, lo, hi)) == expected
    assert [str(o["shop_id"]) for o in universe.orders(shop_id=shop)] == [shop] * len(universe.indexes_for_shop(shop))
    # Shops differ in size.
    sizes = Counter(str(o["shop_id"]) for o in orders)
    assert sizes[SHOPS[0]] > sizes[SHOPS[1]] > sizes[SHOPS[2]] > 0


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate(1, dt.datetime(2024, 1, 1), 1, SHOPS)  # noqa: DTZ001
    with pytest.raises(ValueError, match="numeric"):
        generate(1, AS_OF, 1, ["shop-a"])
