"""The Youzan sandbox's refunds: the cases the issue names, told the same way by the orders."""

from __future__ import annotations

import collections
import datetime as dt
from decimal import Decimal

import pytest

from orderlayer.sandboxes.youzan import protocol as p
from orderlayer.sandboxes.youzan import refunds as rf
from orderlayer.sandboxes.youzan.generator import YouzanOrderGenerator

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
DAY = 86_400


@pytest.fixture(scope="module")
def universe() -> YouzanOrderGenerator:
    return YouzanOrderGenerator(11, AS_OF, 900, ["42971327", "42971328"], 10)


def all_refunds(gen: YouzanOrderGenerator, now: int) -> list[tuple[int, dict]]:
    return [(i, item) for i in range(gen.n_orders) for _slot, item in rf.refunds_of(gen, i, now)]


def test_every_case_is_served_and_the_order_says_so(universe: YouzanOrderGenerator) -> None:
    now = universe.as_of_ts + 120 * DAY
    cases: collections.Counter = collections.Counter()
    per_order: collections.Counter = collections.Counter()
    for i, item in all_refunds(universe, now):
        info = universe.render(i, now)["order_info"]
        per_order[i] += 1
        assert item["tid"] == info["tid"]
        assert info["update_time"] >= item["modified"] >= item["created"] >= info["created"]
        assert Decimal(item["refund_fee"]) > 0
        status = item["status"]
        if status == "SUCCESS":
            cases["refunded"] += 1
            assert info["refund_state"] in (p.REFUND_PARTIAL_DONE, p.REFUND_FULL_DONE)
            if item["return_goods"]:
                cases["return_and_refund"] += 1
            if info["success_time"] and item["created"] > info["success_time"]:
                cases["after_completion"] += 1
            if p.parse_local(item["modified"]) - p.parse_local(info["created"]) > 60 * DAY:
                cases["months_after_the_order"] += 1
        elif status == "SELLER_REFUSE_BUYER":
            cases["refused"] += 1
        elif status == "CLOSED":
            cases["withdrawn"] += 1
        elif status == "WAIT_SELLER_AGREE":
            cases["requested"] += 1
            assert info["refund_state"] in (p.REFUND_PARTIAL_OPEN, p.REFUND_FULL_OPEN)
    cases["several_on_one_order"] = sum(1 for n in per_order.values() if n > 1)
    names = ("refunded", "return_and_refund", "after_completion", "months_after_the_order", "refused", "withdrawn",
             "requested", "several_on_one_order")
    assert all(cases[name] >= 2 for name in names), cases


def test_refunds_are_deterministic_and_appear_once_applied(universe: YouzanOrderGenerator) -> None:
    now = universe.as_of_ts
    first = [item for _i, item in all_refunds(universe, now)]
    again = YouzanOrderGenerator(11, AS_OF, 900, ["42971327", "42971328"], 10)
    assert first == [item for _i, item in all_refunds(again, now)]
    ids = [item["refund_id"] for item in first]
    assert len(ids) == len(set(ids))
    assert set(ids) < {item["refund_id"] for _i, item in all_refunds(universe, now + 120 * DAY)}
