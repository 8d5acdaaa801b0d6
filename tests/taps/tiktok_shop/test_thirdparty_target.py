"""tap-tiktok-shop piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.support.thirdparty import tap_messages
from tests.taps.tiktok_shop.kit import VN_SHOP, Factory, all_ids, tap_config, tts_sandbox  # noqa: F401 - fixture

from orderlayer.taps.tiktok_shop.tap import TapTikTokShop


def test_tiktok_shop_orders_reach_target_jsonl(tts_sandbox: Factory, target_jsonl, tmp_path) -> None:  # noqa: ANN001
    sandbox = tts_sandbox(90)
    written = target_jsonl.run(tap_messages(TapTikTokShop, tap_config(sandbox, VN_SHOP)), tmp_path)
    rows = written["orders"]
    assert {row["id"] for row in rows} == all_ids(sandbox, VN_SHOP)
    # ids and amounts travel as text, digit for digit; the target validated every record against the SCHEMA
    assert all(isinstance(row["id"], str) and len(row["id"]) == 18 for row in rows)
    assert all(row["payment"]["currency"] == "VND" and "." not in row["payment"]["total_amount"] for row in rows)
    assert all(row["shop_id"] == VN_SHOP for row in rows)
