"""The Taobao sandbox's refunds: every case the issue names, told the same way by the trades."""

from __future__ import annotations

import collections
import datetime as dt
from decimal import Decimal

import pytest

from orderlayer.sandboxes.taobao import refunds as rf
from orderlayer.sandboxes.taobao.generator import TradeGenerator
from orderlayer.sandboxes.taobao.protocol import parse_time

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
DAY = 86_400


@pytest.fixture(scope="module")
def universe() -> TradeGenerator:
    return TradeGenerator(11, AS_OF, 900, ["573001", "573002"], 10)


def all_refunds(gen: TradeGenerator, now: int) -> list[tuple[int, dict]]:
    return [(i, item) for i in range(gen.n_orders) for _slot, item in rf.refunds_of(gen, i, now)]


def test_every_case_is_served_and_the_trade_says_so(universe: TradeGenerator) -> None:
    now = universe.as_of_ts + 120 * DAY
    cases: collections.Counter = collections.Counter()
    per_trade: collections.Counter = collections.Counter()
    for i, item in all_refunds(universe, now):
        trade = universe.trade(i, now)
        per_trade[i] += 1
        sub = next(o for o in trade["orders"]["order"] if str(o["oid"]) == str(item["oid"]))
        assert sub["refund_status"] == item["status"] and sub["refund_id"] == item["refund_id"]
        assert str(item["tid"]) == str(trade["tid"])
        assert parse_time(trade["created"]) <= parse_time(item["created"]) <= parse_time(item["modified"])
        fee, paid = Decimal(item["refund_fee"]), Decimal(sub["payment"])
        assert Decimal("0") < fee <= paid
        if item["order_status"] == "WAIT_SELLER_SEND_GOODS" and item["status"] == "SUCCESS":
            cases["before_shipment"] += 1
        if fee < paid and item["status"] == "SUCCESS":
            cases["partial_line"] += 1
            assert not item["has_good_return"] and item["refund_phase"] == "aftersale"
        if item["status"] == "SELLER_REFUSE_BUYER":
            cases["refused"] += 1
        if item["status"] == "CLOSED":
            cases["withdrawn"] += 1
        if item["status"] == "WAIT_BUYER_RETURN_GOODS":
            cases["agreed_awaiting_return"] += 1
        if item["has_good_return"] and item["status"] == "SUCCESS":
            cases["return_and_refund"] += 1
            assert item["sid"] and item["company_name"] and item["good_status"] == "BUYER_RETURNED_GOODS"
        if item["refund_phase"] == "aftersale" and item["status"] == "SUCCESS":
            cases["after_completion"] += 1
        if parse_time(item["modified"]) - parse_time(trade["created"]) > 60 * DAY:
            cases["months_after_the_trade"] += 1
    cases["several_on_one_trade"] = sum(1 for n in per_trade.values() if n > 1)
    names = ("before_shipment", "partial_line", "refused", "withdrawn", "agreed_awaiting_return", "return_and_refund",
             "after_completion", "months_after_the_trade", "several_on_one_trade")
    assert all(cases[name] >= 2 for name in names), cases


def test_refunds_are_deterministic_and_appear_once_applied(universe: TradeGenerator) -> None:
    now = universe.as_of_ts
    first = [item for _i, item in all_refunds(universe, now)]
    again = TradeGenerator(11, AS_OF, 900, ["573001", "573002"], 10)
    assert first == [item for _i, item in all_refunds(again, now)]
    ids = [item["refund_id"] for item in first]
    assert len(ids) == len(set(ids))
    assert all(parse_time(item["created"]) <= now for item in first)
    later = {item["refund_id"] for _i, item in all_refunds(universe, now + 120 * DAY)}
    assert set(ids) < later
