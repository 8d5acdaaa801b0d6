"""tap-douyin piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.taps.douyin.kit import SHOP
from tests.support.thirdparty import tap_messages

from orderlayer.taps.douyin.tap import TapDouyin


def test_douyin_orders_reach_target_jsonl(make_sandbox, target_jsonl, tmp_path) -> None:
    sandbox = make_sandbox(60)
    config = sandbox.tap_config(SHOP)
    written = target_jsonl.run(tap_messages(TapDouyin, config), tmp_path)
    expected = {sandbox.generator.order_id_of(i) for i in sandbox.generator.indexes_for_shop(SHOP)}
    assert {row["order_id"] for row in written["orders"]} == expected
    # ids travel as text, digit for digit
    assert all(isinstance(row["order_id"], str) and len(row["order_id"]) == 19 for row in written["orders"])
