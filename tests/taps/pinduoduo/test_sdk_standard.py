"""singer-sdk's standard tap tests for TapPinduoduo, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is only
known once it starts, so the fixture fills ``base_url`` and the sandbox-issued tokens into that same dict before
the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.pinduoduo.kit import AS_OF, CLIENT_ID, CLIENT_SECRET, PII_SALT, SHOP
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo.tap import TapPinduoduo

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/api/router",  # replaced by the fixture below
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "shop_id": SHOP,
    "access_token": "replaced-by-fixture",
    "refresh_token": "replaced-by-fixture",
    "start_date": "2024-11-30T04:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "retry_base_seconds": 0.001,
}


@pytest.fixture(scope="module", autouse=True)
def pinduoduo_sandbox() -> t.Iterator[PinduoduoSandbox]:
    sandbox = PinduoduoSandbox(5, AS_OF, 150, [SHOP], days=1, qps=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    SANDBOX_CONFIG["base_url"] = sandbox.start() + p.ROUTER_PATH
    SANDBOX_CONFIG["access_token"] = sandbox.access_token(SHOP)
    SANDBOX_CONFIG["refresh_token"] = sandbox.refresh_token(SHOP)
    yield sandbox
    sandbox.stop()


TestTapPinduoduo = get_tap_test_class(
    tap_class=TapPinduoduo,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=120),
    parse_env_config=False,
)
