"""tap-taobao piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.taps.taobao.kit import PII_SALT, SHOP, Factory, expected_tids, taobao_sandbox  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.taobao.tap import TapTaobao


def test_taobao_trades_reach_target_jsonl(taobao_sandbox: Factory, target_jsonl, tmp_path) -> None:  # noqa: ANN001, F811
    sandbox = taobao_sandbox(60)
    config = sandbox.tap_config(SHOP, pii_salt=PII_SALT, window_seconds=86_400, max_requests_per_second=1000)
    written = target_jsonl.run(tap_messages(TapTaobao, config), tmp_path)
    assert {row["tid"] for row in written["orders"]} == expected_tids(sandbox)
    # ids travel as text, digit for digit, also those TOP sent as JSON numbers beyond 2**53
    assert all(isinstance(row["tid"], str) and row["tid"].isdigit() for row in written["orders"])
    assert all(isinstance(sub["oid"], str) for row in written["orders"] for sub in row["orders"]["order"])
