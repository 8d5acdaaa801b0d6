"""The Meituan sandbox's refund records (getOrderRefundDetail): the after-sale cases, consistent with the orders."""

from __future__ import annotations

import collections
from decimal import Decimal

from tests.taps.meituan.kit import AS_OF, OTHER_POI, POI

from orderlayer.sandboxes.meituan.generator import MeituanGenerator


def test_refund_cases_and_several_records_on_one_order() -> None:
    gen = MeituanGenerator(5, AS_OF, 400, [POI, OTHER_POI], days=10)
    later = gen.as_of_ts + 5 * 86_400
    records = {pl.index: gen.refund_records_at(pl, later) for pl in gen.plans}
    kinds = collections.Counter((r["apply_type"], r["refund_type"], r["res_type"]) for rs in records.values() for r in rs)
    # cancellation refund, full and partial refunds agreed, a request pending, a second request rejected or withdrawn
    assert {(1, 1, 2), (2, 1, 2), (2, 2, 2), (2, 2, 1), (2, 2, 7)} <= set(kinds)
    assert any(r["res_type"] == 0 for rs in records.values() for r in rs)
    two = [i for i, rs in records.items() if len(rs) == 2]
    assert two
    for i in two:
        plan, (first, second) = gen.plans[i], records[i]
        assert first["refund_id"] != second["refund_id"] and second["ctime"] > first["utime"]
        # only the agreed request is money back; the order's foods are what is asked for
        assert gen.refund_succeeded_at(plan, later) == Decimal(str(first["money"]))
        foods = {line.app_food_code for line in plan.lines}
        assert {item["app_food_code"] for r in (first, second) for item in r["wmAppRetailForOrderPartRefundList"]} <= foods
        # the second request moves the order's update time
        assert gen.utime_at(plan, later) == max(second["utime"], gen.utime_at(plan, first["utime"]))
