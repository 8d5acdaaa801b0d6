"""The Ele.me sandbox's partial refunds (order.partrefund.get): the after-sale cases, consistent with the orders."""

from __future__ import annotations

from tests.taps.eleme.kit import AS_OF, SHOP

from orderlayer.sandboxes.eleme.generator import REFUND_AGREED, REFUND_APPLIED, REFUND_REJECTED, ElemeGenerator


def test_several_partial_refunds_on_one_order_only_the_agreed_one_counts() -> None:
    gen = ElemeGenerator(7, AS_OF, 400, [SHOP], days=10)
    later = gen.as_of_ts + 5 * 86_400
    records = {pl.index: gen.part_refunds_at(pl, later) for pl in gen.plans}
    assert {r["status"] for rs in records.values() for r in rs} == {REFUND_APPLIED, REFUND_AGREED, REFUND_REJECTED}
    two = [i for i, rs in records.items() if len(rs) == 2]
    assert two
    for i in two:
        plan, (first, second) = gen.plans[i], records[i]
        assert (first["status"], second["status"]) == (REFUND_AGREED, REFUND_REJECTED)
        assert first["refund_id"] != second["refund_id"] and int(second["apply_time"]) > int(first["update_time"])
        assert gen.refunded_at(plan, later) == first["refund_price"]  # fen; the rejected request returns nothing
        assert second["products"][0]["baidu_product_id"] == plan.products[-1].baidu_product_id
