"""tap-eleme piped into a Singer target nobody here wrote (target-jsonl from PyPI)."""

from __future__ import annotations

from tests.taps.eleme.kit import SHOP, make_eleme, visible_ids  # noqa: F401 - fixture
from tests.support.thirdparty import tap_messages

from orderlayer.taps.eleme.tap import TapEleme


def test_eleme_orders_reach_target_jsonl(make_eleme, target_jsonl, tmp_path) -> None:
    sandbox = make_eleme(50)
    written = target_jsonl.run(tap_messages(TapEleme, sandbox.tap_config(SHOP)), tmp_path)
    rows = written["orders"]
    assert {row["order_id"] for row in rows} == visible_ids(sandbox)
    # ids travel as text, digit for digit: 14-digit order ids, 19-digit Ele.me ids beyond 2^53
    assert all(len(row["order_id"]) == 14 and len(row["order"]["eleme_order_id"]) == 19 for row in rows)
    assert all(isinstance(row["order"]["eleme_order_id"], str) for row in rows)
