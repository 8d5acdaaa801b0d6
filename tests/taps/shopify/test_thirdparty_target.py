"""tap-shopify piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.taps.shopify.kit import US_SHOP, shopify_sandboxes, tap_config  # noqa: F401 - shopify_sandboxes is a fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.shopify.tap import TapShopify


def test_shopify_orders_reach_target_jsonl(shopify_sandboxes, target_jsonl, tmp_path) -> None:  # noqa: ANN001
    sandbox = shopify_sandboxes(80)
    messages = tap_messages(TapShopify, tap_config(sandbox, US_SHOP, window_seconds=30 * 86_400))
    written = target_jsonl.run(messages, tmp_path)
    gen = sandbox.generator
    expected = {gen.plans[i].order_id for i in gen.indexes_for_shop(US_SHOP)}
    assert {row["id"] for row in written["orders"]} == expected
    # 64-bit ids straddling 2**53 arrive digit for digit, and no plaintext email travels
    assert any(float(row["id"]) != row["id"] for row in written["orders"])
    assert all(row["email"] is None and row["shop_id"] == US_SHOP for row in written["orders"])
    assert all(str(row["customer"]["id"]).startswith("sha256:") for row in written["orders"] if row["customer"])
