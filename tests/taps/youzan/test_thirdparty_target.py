"""tap-youzan piped into a Singer target nobody here wrote (target-jsonl 0.1.4 from PyPI)."""

from __future__ import annotations

from pathlib import Path

from tests.support.thirdparty import tap_messages
from tests.taps.youzan.kit import PII_SALT, SHOP, Factory, make_youzan  # noqa: F401

from orderlayer.taps.youzan.tap import TapYouzan


def test_youzan_orders_reach_target_jsonl(make_youzan: Factory, target_jsonl, tmp_path: Path) -> None:  # noqa: ANN001
    sandbox = make_youzan(60, amounts_as="number")  # JSON-number amounts must validate against the SCHEMA too
    config = sandbox.tap_config(SHOP, pii_salt=PII_SALT, window_seconds=30 * 86_400)
    written = target_jsonl.run(tap_messages(TapYouzan, config), tmp_path)
    assert {row["tid"] for row in written["orders"]} == sandbox.expected_tids(SHOP, sandbox.start_ts)
    for row in written["orders"]:
        assert isinstance(row["tid"], str) and row["kdt_id"] == SHOP
        assert all(isinstance(line["oid"], str) for line in row["orders"])  # ids travel as text
        assert row["buyer_info"]["buyer_id"].startswith("sha256:")
