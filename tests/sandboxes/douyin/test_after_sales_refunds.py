"""The Douyin sandbox's after-sales: every case the issue names, told the same way by the order payloads."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from orderlayer.sandboxes.douyin import after_sales as a
from orderlayer.sandboxes.douyin import generator as g

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
DAY = 86_400


@pytest.fixture(scope="module")
def universe() -> g.OrderGenerator:
    return g.OrderGenerator(11, AS_OF, 900, ["7784061", "7784062"], 10)


def all_items(gen: g.OrderGenerator, now: int) -> list[tuple[int, a.Slot, dict, dict]]:
    out = []
    for i in range(gen.n_orders):
        order = gen.order(i, now)
        out.extend((i, slot, item, order) for slot, item in a.items_of(gen, i, now, order))
    return out


def test_every_case_is_served_and_the_order_says_so(universe: g.OrderGenerator) -> None:
    now = universe.as_of_ts + 120 * DAY
    items = all_items(universe, now)
    cases = collections.Counter()
    per_order = collections.Counter()
    for i, slot, item, order in items:
        info = item["aftersale_info"]
        per_order[i] += 1
        covered = [s for s in order["sku_order_list"] if s["order_id"] in {r["sku_order_id"] for r in item["order_info"]["related_order_info"]}]
        assert len(covered) == len(slot.skus)
        for sku in covered:  # the order payload tells the same story
            assert sku["after_sale_info"] == {
                "after_sale_status": info["aftersale_status"], "after_sale_type": info["aftersale_type"], "refund_status": info["refund_status"],
            }
        assert order["update_time"] >= info["update_time"] >= info["apply_time"] >= order["create_time"]
        line_pay = sum(int(s["pay_amount"]) for s in covered)
        refunded = info["refund_amount"] + info["refund_post_amount"]
        if info["aftersale_order_type"] == 2:
            cases["whole_order_before_shipment"] += 1
            assert info["aftersale_type"] == 2 and refunded == int(order["pay_amount"]) and info["related_id"] == order["order_id"]
        if info["part_type"] == 1:
            cases["partial_line"] += 1
            assert 0 < refunded < line_pay and info["related_id"] == covered[0]["order_id"]
        if info["aftersale_status"] == 27:
            cases["rejected"] += 1
        if info["aftersale_status"] == 28:
            cases["withdrawn"] += 1
        if info["aftersale_status"] == 7:
            cases["agreed_awaiting_return"] += 1
            assert info["return_logistics_code"] == ""
        if info["aftersale_type"] == 0 and info["aftersale_status"] == 12:
            cases["return_and_refund"] += 1
            assert info["return_logistics_code"] and info["return_logistics_company_name"]
        if info["aftersale_status"] == 12 and order["finish_time"] and info["apply_time"] > order["finish_time"]:
            cases["after_completion"] += 1
        if info["update_time"] - order["create_time"] > 60 * DAY:
            cases["months_after_the_order"] += 1
    cases["several_on_one_order"] = sum(1 for n in per_order.values() if n > 1)
    names = ("whole_order_before_shipment", "partial_line", "rejected", "withdrawn", "agreed_awaiting_return",
             "return_and_refund", "after_completion", "months_after_the_order", "several_on_one_order")
    assert all(cases[name] >= 2 for name in names), cases


def test_after_sales_are_deterministic_and_appear_only_once_applied(universe: g.OrderGenerator) -> None:
    now = universe.as_of_ts
    first = [item for _i, _s, item, _o in all_items(universe, now)]
    again = g.OrderGenerator(11, AS_OF, 900, ["7784061", "7784062"], 10)
    assert first == [item for _i, _s, item, _o in all_items(again, now)]
    assert all(item["aftersale_info"]["apply_time"] <= now for item in first)
    ids = [item["aftersale_info"]["aftersale_id"] for item in first]
    assert len(ids) == len(set(ids)) and all(len(x) == 19 for x in ids)
    later = {item["aftersale_info"]["aftersale_id"] for _i, _s, item, _o in all_items(universe, now + 120 * DAY)}
    assert set(ids) < later  # later applications appear when the clock moves on
