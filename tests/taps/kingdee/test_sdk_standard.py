"""singer-sdk's standard tap tests for TapKingdee, against a module-scoped Kingdee sandbox."""

from __future__ import annotations

import typing as t

import pytest
from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from orderlayer.sandboxes.kingdee import KingdeeSandbox
from orderlayer.taps.kingdee.tap import TapKingdee

SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/k3cloud/",  # replaced by the fixture below
    "acct_id": "replaced-by-fixture",
    "username": "replaced-by-fixture",
    "app_id": "000000_replaced-by-fixture",
    "app_secret": "replaced-by-fixture",
    "start_date": "2024-11-01T00:00:00+00:00",
    "end_date": AS_OF.isoformat(),
    "pii_salt": PII_SALT,
    "window_seconds": 40 * 86_400,  # one window: no boundary duplicates for the uniqueness test
    **FAST,
}


@pytest.fixture(scope="module", autouse=True)
def kingdee_sandbox_module() -> t.Iterator[KingdeeSandbox]:
    sandbox = KingdeeSandbox(SEED, AS_OF, channel_orders(150))
    sandbox.start()
    SANDBOX_CONFIG.update(
        base_url=f"{sandbox.base_url}/k3cloud/",
        acct_id=sandbox.acct_id,
        username=sandbox.username,
        app_id=sandbox.app_id,
        app_secret=sandbox.app_secret,
    )
    yield sandbox
    sandbox.stop()


TestTapKingdee = get_tap_test_class(
    tap_class=TapKingdee,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(max_records_limit=100),
    parse_env_config=False,
)
