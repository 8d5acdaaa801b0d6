"""Every channel's tap piped into a Singer target nobody here wrote (target-jsonl 0.1.4 from PyPI).

The target validates each record against its SCHEMA and keys; the test checks it wrote exactly the orders the
sandbox holds, then the channel's own checks (ids as exact text, masking, amounts) from its kit's ``THIRD_PARTY``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.thirdparty import tap_messages
from tests.taps.eleme.kit import make_eleme  # noqa: F401 - fixture
from tests.taps.jd.kit import jd_sandbox  # noqa: F401 - fixture
from tests.taps.meituan.kit import make_meituan  # noqa: F401 - fixture
from tests.taps.pinduoduo.kit import pdd_sandbox  # noqa: F401 - fixture
from tests.taps.shopify.kit import shopify_sandboxes  # noqa: F401 - fixture
from tests.taps.specs import THIRD_PARTY_SOURCES, kit_of
from tests.taps.taobao.kit import taobao_sandbox  # noqa: F401 - fixture
from tests.taps.tiktok_shop.kit import tts_sandbox  # noqa: F401 - fixture
from tests.taps.youzan.kit import make_youzan  # noqa: F401 - fixture


@pytest.mark.parametrize("source", THIRD_PARTY_SOURCES)
def test_orders_reach_target_jsonl(source: str, request: pytest.FixtureRequest, target_jsonl, tmp_path: Path) -> None:  # noqa: ANN001
    spec = kit_of(source).THIRD_PARTY
    sandbox, config = spec.start(request.getfixturevalue(spec.fixture))
    written = target_jsonl.run(tap_messages(spec.tap_class, config), tmp_path)
    rows = written["orders"]
    assert rows, "the target wrote no orders"
    assert {row[spec.id_key] for row in rows} == spec.expected_ids(sandbox)
    spec.check(sandbox, rows)
