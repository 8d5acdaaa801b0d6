"""singer-sdk's standard tap tests for TapYonyou, against a module-scoped Yonyou sandbox."""

from __future__ import annotations

import typing as t

import pytest
from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.yonyou import YonyouSandbox
from orderlayer.taps.yonyou.tap import TapYonyou

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "token_url": "http://127.0.0.1:9",
    "app_key": "replaced-by-fixture",
    "app_secret": "replaced-by-fixture",
    "start_date": "2024-11-01T00:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "window_seconds": 40 * 86_400,  # one window: no boundary duplicates for the uniqueness test
    **FAST,
}


@pytest.fixture(scope="module", autouse=True)
def yonyou_sandbox_module() -> t.Iterator[YonyouSandbox]:
    sandbox = YonyouSandbox(SEED, AS_OF, channel_orders(150))
    sandbox.start()
    SANDBOX_CONFIG.update(base_url=sandbox.base_url, token_url=sandbox.base_url, app_key=sandbox.app_key, app_secret=sandbox.app_secret)
    yield sandbox
    sandbox.stop()


TestTapYonyou = get_tap_test_class(
    tap_class=TapYonyou,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=100),
    parse_env_config=False,
)
