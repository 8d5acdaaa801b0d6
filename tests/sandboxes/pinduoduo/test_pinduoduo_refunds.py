"""The Pinduoduo sandbox's after-sales: every case the issue names, told the same way by the orders."""

from __future__ import annotations

import collections
import datetime as dt
from decimal import Decimal

import pytest

from orderlayer.sandboxes.pinduoduo import after_sales as a
from orderlayer.sandboxes.pinduoduo.generator import PddOrderGenerator
from orderlayer.sandboxes.pinduoduo.protocol import local_text_to_epoch

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
DAY = 86_400


@pytest.fixture(scope="module")
def universe() -> PddOrderGenerator:
    return PddOrderGenerator(11, AS_OF, 900, ["100200300", "100200301"], 10)


def all_items(gen: PddOrderGenerator, now: int) -> list[tuple[int, dict]]:
    return [(i, item) for i in range(gen.n_orders) for _slot, item in a.items_of(gen, i, now)]


def test_every_case_is_served_and_the_order_says_so(universe: PddOrderGenerator) -> None:
    now = universe.as_of_ts + 120 * DAY
    cases: collections.Counter = collections.Counter()
    per_order: collections.Counter = collections.Counter()
    for i, item in all_items(universe, now):
        order = universe.order(i, now)
        per_order[i] += 1
        assert item["order_sn"] == order["order_sn"]
        assert order["after_sales_status"] == item["after_sales_status"]  # the order tells the same story
        assert local_text_to_epoch(order["updated_at"]) >= local_text_to_epoch(item["updated_time"]) >= local_text_to_epoch(item["created_time"])
        refund, paid = Decimal(item["refund_amount"]), Decimal(str(order["pay_amount"]))
        assert Decimal("0") < refund <= paid
        status, kind = item["after_sales_status"], item["after_sales_type"]
        if status == 10:
            assert order["refund_status"] == 4
            cases["refunded"] += 1
            if order["receive_time"] and local_text_to_epoch(item["created_time"]) > local_text_to_epoch(order["receive_time"]):
                cases["after_receipt"] += 1
            if kind == 2 and refund < paid and per_order[i] == 1 and len(order["item_list"]) == 1:
                cases["partial"] += 1
            if kind == 3:
                cases["return_and_refund"] += 1
                assert item["tracking_number"] and item["shipping_name"]
            if local_text_to_epoch(item["updated_time"]) - local_text_to_epoch(order["created_time"]) > 60 * DAY:
                cases["months_after_the_order"] += 1
        if status == 6:
            cases["rejected"] += 1
        if status == 11:
            cases["withdrawn"] += 1
        if status in (2, 3):
            cases["requested"] += 1
    cases["several_on_one_order"] = sum(1 for n in per_order.values() if n > 1)
    names = ("refunded", "after_receipt", "partial", "return_and_refund", "months_after_the_order", "rejected",
             "withdrawn", "requested", "several_on_one_order")
    assert all(cases[name] >= 2 for name in names), cases


def test_after_sales_are_deterministic_and_appear_once_applied(universe: PddOrderGenerator) -> None:
    now = universe.as_of_ts
    first = [item for _i, item in all_items(universe, now)]
    again = PddOrderGenerator(11, AS_OF, 900, ["100200300", "100200301"], 10)
    assert first == [item for _i, item in all_items(again, now)]
    ids = [item["id"] for item in first]
    assert len(ids) == len(set(ids))
    assert all(local_text_to_epoch(item["created_time"]) <= now for item in first)
    assert set(ids) < {item["id"] for _i, item in all_items(universe, now + 120 * DAY)}
