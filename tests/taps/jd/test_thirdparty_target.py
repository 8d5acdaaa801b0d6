"""tap-jd piped into a Singer target nobody here wrote (target-jsonl 0.1.4 from PyPI)."""

from __future__ import annotations

from tests.taps.jd.kit import PII_SALT, SHOP, Factory, jd_sandbox  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.jd.tap import TapJd


def test_jd_orders_reach_target_jsonl(jd_sandbox: Factory, target_jsonl, tmp_path) -> None:  # noqa: ANN001
    sandbox = jd_sandbox(60)
    config = sandbox.tap_config(SHOP, pii_salt=PII_SALT)
    written = target_jsonl.run(tap_messages(TapJd, config), tmp_path)
    assert {row["orderId"] for row in written["orders"]} == sandbox.expected_ids(SHOP)
    # ids travel as text, digit for digit; the receiver arrives masked, never in plaintext
    for row in written["orders"]:
        assert isinstance(row["orderId"], str) and len(row["orderId"]) == 19
        assert row["consigneeInfo"]["mobile"] is None and "****" in row["consigneeInfo"]["ol_masked_mobile"]
