"""tap-pinduoduo piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from decimal import Decimal

from tests.taps.pinduoduo.kit import SHOP, Factory, pdd_sandbox, tap_config  # noqa: F401
from tests.support.thirdparty import tap_messages

from orderlayer.taps.pinduoduo.tap import TapPinduoduo


def test_pinduoduo_orders_reach_target_jsonl(pdd_sandbox: Factory, target_jsonl, tmp_path) -> None:  # noqa: ANN001
    sandbox = pdd_sandbox(80)
    written = target_jsonl.run(tap_messages(TapPinduoduo, tap_config(sandbox)), tmp_path)
    rows = written["orders"]
    assert {row["order_sn"] for row in rows} == sandbox.expected_order_sns(SHOP)
    for row in rows:
        served = sandbox.order(sandbox.index_of(row["order_sn"]))
        assert isinstance(row["order_sn"], str) and row["shop_id"] == SHOP  # ids travel as text
        assert Decimal(str(row["pay_amount"])) == Decimal(repr(served["pay_amount"]))  # yuan amounts survive
        assert [item["sku_id"] for item in row["item_list"]] == [item["sku_id"] for item in served["item_list"]]
