"""singer-sdk's standard tap tests for TapShopify, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is only
known once it starts, so the fixture fills ``base_url`` and the shop's token into that same dict first.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.shopify.kit import AS_OF, EU_SHOP, PII_SALT, SHOPS
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.shopify.server import ShopifySandbox
from orderlayer.taps.shopify.tap import TapShopify

SANDBOX_CONFIG: dict[str, t.Any] = {
    "shop_id": EU_SHOP,
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "access_token": "replaced-by-fixture",
    "start_date": "2024-10-31T04:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "burst_requests": 1000,
    "retry_base_seconds": 0.001,
    # One window over the whole range: a full sync has no boundary duplicates, which the suite's
    # primary-key uniqueness test would (rightly, for it) count as a failure.
    "window_seconds": 30 * 86_400,
}


@pytest.fixture(scope="module", autouse=True)
def shopify_sandbox() -> t.Iterator[ShopifySandbox]:
    sandbox = ShopifySandbox(5, AS_OF, 150, list(SHOPS), days=10, qps=None)
    sandbox.start()
    SANDBOX_CONFIG["base_url"] = sandbox.shop_base_url(EU_SHOP)
    SANDBOX_CONFIG["access_token"] = sandbox.access_token(EU_SHOP)
    yield sandbox
    sandbox.stop()


TestTapShopify = get_tap_test_class(
    tap_class=TapShopify,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=60),
    parse_env_config=False,
)
