"""singer-sdk's standard tap tests for TapTaobao, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is only
known once it starts, so the fixture fills ``base_url``, ``token_url`` and the sandbox-issued session into that
same dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tests.taps.taobao.kit import APP_KEY, APP_SECRET, AS_OF, PII_SALT, SHOP

from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.taps.taobao.tap import TapTaobao

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "token_url": "http://127.0.0.1:9/token",
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
    "window_seconds": 86_400,
}


@pytest.fixture(scope="module", autouse=True)
def taobao_standard_sandbox() -> t.Iterator[TaobaoSandbox]:
    sandbox = TaobaoSandbox(5, AS_OF, 150, [SHOP], app_key=APP_KEY, app_secret=APP_SECRET, days=10, qps=None)
    SANDBOX_CONFIG["base_url"] = sandbox.start()
    SANDBOX_CONFIG["token_url"] = sandbox.base_url + "/token"
    SANDBOX_CONFIG["access_token"] = sandbox.access_token(SHOP)
    SANDBOX_CONFIG["refresh_token"] = sandbox.refresh_token(SHOP)
    yield sandbox
    sandbox.stop()


TestTapTaobao = get_tap_test_class(
    tap_class=TapTaobao,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=120),
    parse_env_config=False,
)
