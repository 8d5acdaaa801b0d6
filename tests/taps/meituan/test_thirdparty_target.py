"""tap-meituan piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.taps.meituan.kit import POI, make_meituan, visible_view_ids  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.meituan.tap import TapMeituan


def test_meituan_orders_reach_target_jsonl(make_meituan, target_jsonl, tmp_path) -> None:
    sandbox = make_meituan(50)
    written = target_jsonl.run(tap_messages(TapMeituan, sandbox.tap_config(POI)), tmp_path)
    rows = written["orders"]
    assert {row["wm_order_id_view"] for row in rows} == visible_view_ids(sandbox)
    # ids travel as sent: the display id as 17-digit text, the numeric id as an exact integer
    assert all(isinstance(row["wm_order_id_view"], str) and len(row["wm_order_id_view"]) == 17 for row in rows)
    assert {row["order_id"] for row in rows} == {sandbox.generator.plans[i].order_id for i in sandbox.visible_indexes(POI)}
