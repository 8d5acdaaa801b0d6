"""The shared ERP derivation (sandboxes/kit/erp_derive.py) that the SAP, Kingdee and Yonyou sandboxes render:
proportions, determinism, and the invariants each planted disagreement must hold."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest
from tests.support.erp_tapkit import AS_OF, SHOPS

from orderlayer.sandboxes.kit.erp_derive import ErpDerivation, reference_prefix, sample_channel_orders
from orderlayer.sandboxes.kingdee.generator import KINGDEE_FORMATS
from orderlayer.sandboxes.sap.generator import SAP_FORMATS
from orderlayer.sandboxes.yonyou.generator import YONYOU_FORMATS

AS_OF_TS = int(AS_OF.timestamp())


@pytest.fixture(scope="module")
def facts():
    return sample_channel_orders(5, AS_OF, 5000, SHOPS, days=30)


@pytest.fixture(scope="module")
def erp(facts) -> ErpDerivation:
    return ErpDerivation(5, AS_OF, facts, SAP_FORMATS)


def test_outcome_proportions(erp: ErpDerivation, facts) -> None:
    outcomes = Counter(d.outcome for d in erp.derivation())
    paid = sum(1 for f in facts if f.paid_at is not None and f.status != "pending_payment")
    assert outcomes["not_paid"] == len(facts) - paid
    share = {k: outcomes[k] / paid for k in ("present", "missing", "late", "amount_diff", "status_diff", "erp_only")}
    # targets 88–89 / 4 / 3 / 3 / 1 / 2 %; the bounds allow the sampling spread of ~4 500 paid orders
    assert 0.865 <= share["present"] <= 0.91
    assert 0.03 <= share["missing"] <= 0.05
    assert 0.02 <= share["late"] <= 0.04
    assert 0.02 <= share["amount_diff"] <= 0.04
    assert 0.005 <= share["status_diff"] <= 0.016
    assert share["erp_only"] == pytest.approx(0.02, abs=0.001)  # a fixed share, rounded


def test_deterministic_and_independent_of_input_order(facts) -> None:
    first = ErpDerivation(5, AS_OF, facts, SAP_FORMATS).derivation()
    shuffled = list(facts)
    random.Random(3).shuffle(shuffled)
    assert ErpDerivation(5, AS_OF, shuffled, SAP_FORMATS).derivation() == first
    assert ErpDerivation(6, AS_OF, facts, SAP_FORMATS).derivation() != first


def test_one_entry_per_channel_order_and_unpaid_never_reach_the_erp(erp: ErpDerivation, facts) -> None:
    entries = [d for d in erp.derivation() if d.outcome != "erp_only"]
    assert len(entries) == len(facts)
    assert len({(d.channel, d.shop_id, d.channel_order_id) for d in entries}) == len(facts)
    for d in entries:
        if d.channel_status == "pending_payment":
            assert d.outcome == "not_paid" and d.erp_order_id is None
        if d.outcome in ("missing", "not_paid"):
            assert d.erp_order_id is None and d.visible_from is None
        else:
            assert d.erp_order_id is not None


def test_references_exact_or_spelled_as_integrations_do(erp: ErpDerivation) -> None:
    formats = Counter()
    for d in erp.derivation():
        if d.outcome in ("missing", "not_paid", "erp_only"):
            continue
        formats[d.reference_format] += 1
        if d.reference_format == "exact":
            assert d.reference == d.channel_order_id
        elif d.reference_format == "prefix":
            assert d.reference == reference_prefix(d.channel) + d.channel_order_id
        elif d.reference_format == "suffix":
            assert d.reference == d.channel_order_id + "-01"
        else:
            assert d.reference_format == "padded" and d.reference.rstrip() == d.channel_order_id != d.reference
    assert formats["exact"] > formats["prefix"] > formats["suffix"] > formats["padded"] > 0


def test_amount_and_status_disagreements(erp: ErpDerivation) -> None:
    for d in erp.derivation():
        if d.outcome == "amount_diff":
            assert d.erp_amount != d.channel_amount
            assert abs(d.erp_amount - d.channel_amount) in (Decimal("0.01"), Decimal(6), Decimal(8), Decimal(10), Decimal(12))
        elif d.outcome in ("present", "late", "status_diff"):
            assert d.erp_amount == d.channel_amount
        if d.outcome == "status_diff":
            assert (d.channel_status == "cancelled") != (d.erp_status == "cancelled")
        elif d.outcome in ("present", "late", "amount_diff"):
            expected = {"paid": "open", "shipped": "in_process", "completed": "completed", "cancelled": "cancelled"}
            assert d.erp_status == expected[d.channel_status]


def test_timing_present_by_the_clock_late_only_after_it(erp: ErpDerivation, facts) -> None:
    paid_at = {(f.channel, f.shop_id, f.channel_order_id): int(f.paid_at.timestamp()) for f in facts if f.paid_at}
    for d in erp.derivation():
        if d.outcome in ("present", "amount_diff", "status_diff"):
            assert d.visible_from <= AS_OF_TS
            assert d.erp_changed_at is None or d.erp_changed_at <= AS_OF_TS  # caught up with the channel
            assert d.visible_from >= paid_at[(d.channel, d.shop_id, d.channel_order_id)]
        if d.outcome == "late":
            assert d.visible_from > AS_OF_TS
            assert d.visible_from - paid_at[(d.channel, d.shop_id, d.channel_order_id)] >= 6 * 3600
            assert d.visible_from <= AS_OF_TS + 48 * 3600 or d.visible_from - paid_at[(d.channel, d.shop_id, d.channel_order_id)] <= 72 * 3600


def test_erp_orders_are_internally_consistent(erp: ErpDerivation) -> None:
    for order in erp.orders:
        assert sum(line.gross for line in order.lines) == order.gross
        assert order.net + order.tax == order.gross
        assert all(line.gross > 0 and line.net + line.tax == line.gross for line in order.lines)
        assert order.changed_at is None or order.changed_at > order.created_at
        assert order.status_at(order.created_at) == "open"
    seqs = [(o.created_at, o.seq) for o in erp.orders]
    assert seqs == sorted(seqs)  # numbers follow creation order


def test_one_customer_per_shop_and_overrides(facts) -> None:
    given = {("jd", "10086001"): "JD-WHOLESALE"}
    erp = ErpDerivation(5, AS_OF, facts, SAP_FORMATS, customer_codes=given)
    by_shop = {}
    for d in erp.derivation():
        if d.customer is not None and d.channel is not None:
            by_shop.setdefault((d.channel, d.shop_id), set()).add(d.customer)
    assert all(len(codes) == 1 for codes in by_shop.values())
    assert by_shop[("jd", "10086001")] == {"JD-WHOLESALE"}
    assert by_shop[("douyin", "7784061")] == {"1000100"}  # deterministic default: first shop in sorted order
    erp_only = {d.customer for d in erp.derivation() if d.outcome == "erp_only"}
    assert erp_only and erp_only.isdisjoint({c for codes in by_shop.values() for c in codes})


def test_each_erp_spells_its_own_keys() -> None:
    facts = sample_channel_orders(1, AS_OF, 40, SHOPS, days=10)
    sap = ErpDerivation(1, AS_OF, facts, SAP_FORMATS).orders[0]
    kingdee = ErpDerivation(1, AS_OF, facts, KINGDEE_FORMATS).orders[0]
    yonyou = ErpDerivation(1, AS_OF, facts, YONYOU_FORMATS).orders[0]
    assert (sap.erp_order_id, kingdee.erp_order_id, yonyou.erp_order_id) == ("10000001", "XSDD000001", "UO-164800000000000001")
    assert {sap.customer[:3], kingdee.customer[:4], yonyou.customer[:1]} == {"100", "CUST", "C"}
    # the same derivation underneath: same order, same amount
    assert sap.key == kingdee.key == yonyou.key and sap.gross == kingdee.gross == yonyou.gross


def test_sample_channel_orders_cover_the_lifecycle() -> None:
    facts = sample_channel_orders(2, AS_OF, 400, SHOPS, days=10)
    assert {f.status for f in facts} == {"pending_payment", "paid", "shipped", "completed", "cancelled"}
    assert all(f.paid_at is None for f in facts if f.status == "pending_payment")
    assert all(f.ordered_at <= AS_OF and (f.paid_at is None or f.paid_at <= AS_OF) for f in facts)
    assert {(f.channel, f.shop_id) for f in facts} == set(SHOPS)
    with pytest.raises(ValueError, match="timezone-aware"):
        ErpDerivation(1, dt.datetime(2024, 12, 1), facts, SAP_FORMATS)  # noqa: DTZ001 - the point of the test
