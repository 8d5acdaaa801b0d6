"""singer-sdk's standard tap tests for TapMeituan, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is
only known once it starts, so the fixture fills ``base_url`` and the app credentials into that same
dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.meituan.kit import AS_OF, PII_SALT, POI
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.meituan.server import MeituanSandbox
from orderlayer.taps.meituan.tap import TapMeituan

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/api/v1",  # replaced by the fixture below
    "app_id": "replaced-by-fixture",
    "app_secret": "replaced-by-fixture",
    "app_poi_code": POI,
    "start_date": "2024-11-21T04:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "retry_base_seconds": 0.001,
}


@pytest.fixture(scope="module", autouse=True)
def meituan_sandbox() -> t.Iterator[MeituanSandbox]:
    sandbox = MeituanSandbox(5, AS_OF, 80, [POI], days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(POI)
    SANDBOX_CONFIG.update(base_url=config["base_url"], app_id=config["app_id"], app_secret=config["app_secret"])
    yield sandbox
    sandbox.stop()


TestTapMeituan = get_tap_test_class(
    tap_class=TapMeituan,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=60),
    parse_env_config=False,
)
