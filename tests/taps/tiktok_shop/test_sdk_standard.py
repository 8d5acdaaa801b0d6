"""singer-sdk's standard tap tests for TapTikTokShop, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port
is only known once it starts, so the fixture fills ``base_url`` and the sandbox-issued tokens into
that same dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tests.taps.tiktok_shop.kit import AS_OF, PII_SALT, US_SHOP

from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "app_key": "replaced-by-fixture",
    "app_secret": "replaced-by-fixture",
    "shop_id": US_SHOP,
    "access_token": "replaced-by-fixture",
    "start_date": "2024-11-01T00:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "retry_base_seconds": 0.001,
    "page_size": 25,
    # Windows are half-open [ge, lt): several windows still give every order once (the suite checks
    # primary keys are unique within a sync).
    "window_seconds": 4 * 86_400,
}


@pytest.fixture(scope="module", autouse=True)
def tiktok_sandbox() -> t.Iterator[TikTokShopSandbox]:
    sandbox = TikTokShopSandbox(5, AS_OF, 150, days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(US_SHOP, pii_salt=PII_SALT)
    for key in ("base_url", "auth_base_url", "app_key", "app_secret", "shop_cipher", "access_token", "refresh_token"):
        SANDBOX_CONFIG[key] = config[key]
    yield sandbox
    sandbox.stop()


TestTapTikTokShop = get_tap_test_class(
    tap_class=TapTikTokShop,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=60),
    parse_env_config=False,
)
