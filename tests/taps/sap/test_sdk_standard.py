"""singer-sdk's standard tap tests for TapSap, against a module-scoped SAP sandbox.

``get_tap_test_class`` builds the class at import time from a config dict; the sandbox's port is only known
once it starts, so the fixture fills ``base_url`` into that same dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.sap import SapSandbox
from orderlayer.taps.sap.tap import TapSap

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9",  # replaced by the fixture below
    "username": "replaced-by-fixture",
    "password": "replaced-by-fixture",
    "start_date": "2024-11-01T00:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    # one window: a full sync has no boundary duplicates, which the suite's uniqueness test would count
    "window_seconds": 40 * 86_400,
    **FAST,
}


@pytest.fixture(scope="module", autouse=True)
def sap_sandbox_module() -> t.Iterator[SapSandbox]:
    sandbox = SapSandbox(SEED, AS_OF, channel_orders(150))
    SANDBOX_CONFIG.update(base_url=sandbox.start(), username=sandbox.username, password=sandbox.password)
    yield sandbox
    sandbox.stop()


TestTapSap = get_tap_test_class(
    tap_class=TapSap,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=100),
    parse_env_config=False,
)
