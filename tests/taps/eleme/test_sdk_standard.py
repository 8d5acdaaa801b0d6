"""singer-sdk's standard tap tests for TapEleme, against a module-scoped sandbox.

``get_tap_test_class`` builds the test class at import time from a config dict; the sandbox's port is
only known once it starts, so the fixture fills ``base_url`` and the partner credentials into that
same dict before the class-scoped sync runs.
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.eleme.kit import AS_OF, PII_SALT, SHOP
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.eleme.server import ElemeSandbox
from orderlayer.taps.eleme.tap import TapEleme

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/",  # replaced by the fixture below
    "source": "replaced-by-fixture",
    "secret": "replaced-by-fixture",
    "shop_id": SHOP,
    "start_date": "2024-11-21T04:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "max_requests_per_second": 1000,
    "retry_base_seconds": 0.001,
}


@pytest.fixture(scope="module", autouse=True)
def eleme_sandbox() -> t.Iterator[ElemeSandbox]:
    sandbox = ElemeSandbox(5, AS_OF, 80, [SHOP], days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(SHOP)
    SANDBOX_CONFIG.update(base_url=config["base_url"], source=config["source"], secret=config["secret"])
    yield sandbox
    sandbox.stop()


TestTapEleme = get_tap_test_class(
    tap_class=TapEleme,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=60),
    parse_env_config=False,
)
