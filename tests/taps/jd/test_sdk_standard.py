"""singer-sdk's standard tap tests for TapJd, against a module-scoped JD sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is only known
once it starts, so the fixture fills ``base_url``, ``oauth_url`` and the sandbox-issued tokens into that same dict
before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.jd.kit import APP_KEY, APP_SECRET, AS_OF, PII_SALT, SHOP
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.jd.server import JdSandbox
from orderlayer.taps.jd.tap import TapJd

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/routerjson",  # replaced by the fixture below
    "oauth_url": "http://127.0.0.1:9/oauth2/refresh_token",
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
    # One window over the whole range: a full sync has no boundary duplicates, which the suite's
    # primary-key uniqueness test would (rightly, for it) count as a failure.
    "window_seconds": 20 * 86_400,
}


@pytest.fixture(scope="module", autouse=True)
def jd_module_sandbox() -> t.Iterator[JdSandbox]:
    sandbox = JdSandbox(5, AS_OF, 200, [SHOP], app_key=APP_KEY, app_secret=APP_SECRET, days=10, qps=None)
    base = sandbox.start()
    SANDBOX_CONFIG["base_url"] = base + "/routerjson"
    SANDBOX_CONFIG["oauth_url"] = base + "/oauth2/refresh_token"
    SANDBOX_CONFIG["access_token"] = sandbox.access_token(SHOP)
    SANDBOX_CONFIG["refresh_token"] = sandbox.refresh_token(SHOP)
    yield sandbox
    sandbox.stop()


TestTapJd = get_tap_test_class(
    tap_class=TapJd,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=100),
    parse_env_config=False,
)
