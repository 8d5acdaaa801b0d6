"""singer-sdk's standard tap tests for TapDouyin, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the
sandbox's port is only known once it starts, so the fixture fills ``base_url`` (and the
sandbox-issued tokens) into that same dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, AS_OF, PII_SALT, SHOP
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.taps.douyin.tap import TapDouyin

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "app_key": APP_KEY,
    "app_secret": APP_SECRET,
    "shop_id": SHOP,
    "access_token": "replaced-by-fixture",
    "refresh_token": "replaced-by-fixture",
    "start_date": "2024-11-21T04:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "retry_base_seconds": 0.001,
    # One window over the whole range: a full sync has no boundary duplicates, which the
    # suite's primary-key uniqueness test would (rightly, for it) count as a failure.
    "window_seconds": 30 * 86_400,
}


@pytest.fixture(scope="module", autouse=True)
def douyin_sandbox() -> t.Iterator[DouyinSandbox]:
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, 5, AS_OF, 300, [SHOP], days=10, qps=None)
    SANDBOX_CONFIG["base_url"] = sandbox.start()
    SANDBOX_CONFIG["access_token"] = sandbox.access_token(SHOP)
    SANDBOX_CONFIG["refresh_token"] = sandbox.refresh_token(SHOP)
    yield sandbox
    sandbox.stop()


TestTapDouyin = get_tap_test_class(
    tap_class=TapDouyin,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=120),
    parse_env_config=False,
)
