"""Helpers for the tap tests: constants, an in-process tap runner, sandbox configs.

(A uniquely named module rather than conftest.py: test folders without __init__.py
share one ``conftest`` module name, so importing from it is ambiguous.)
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.taps.douyin.tap import TapDouyin

APP_KEY = "1234567890123456789"
APP_SECRET = "test-app-secret-0f9a8b7c"
PII_SALT = "test-pii-salt-5e4d"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "7784061"
OTHER_SHOP = "7784062"


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run: ``records`` are the orders, ``after_sales`` the other stream's."""

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def after_sales(self) -> list[dict]:
        return self.stream_records("after_sales")

    @property
    def order_ids(self) -> list[str]:
        return [r["order_id"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapDouyin sync in-process and parse its stdout."""
    return run_any_tap(TapDouyin, config, state, result_class=SyncResult)


def tap_config(sandbox: DouyinSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:
    """Fast test defaults: no client throttle, millisecond retry waits, 2-day windows."""
    base = {
        "max_requests_per_second": 10_000,
        "retry_base_seconds": 0.001,
        "window_seconds": 2 * 86_400,
    }
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def search_calls(sandbox: DouyinSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e["path"] == "/order/searchList"]


def after_sale_calls(sandbox: DouyinSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e["path"] == "/afterSale/List"]


def _standard_sandbox() -> tuple[DouyinSandbox, dict]:
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, 5, AS_OF, 300, [SHOP], days=10, qps=None)
    base_url = sandbox.start()
    return sandbox, {"base_url": base_url, "access_token": sandbox.access_token(SHOP), "refresh_token": sandbox.refresh_token(SHOP)}


STANDARD = StandardSpec(
    tap_class=TapDouyin,
    config={
        "base_url": "http://127.0.0.1:9",  # this and the tokens: filled in once the sandbox started
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "shop_id": SHOP,
        "access_token": "replaced-by-sandbox",
        "refresh_token": "replaced-by-sandbox",
        "start_date": "2024-11-21T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
        # One window over the whole range: a full sync has no boundary duplicates, which the suite's
        # primary-key uniqueness test would (rightly, for it) count as a failure.
        "window_seconds": 30 * 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=120,
)


def _douyin_checks(sandbox: DouyinSandbox, rows: list[dict]) -> None:
    assert all(isinstance(row["order_id"], str) and len(row["order_id"]) == 19 for row in rows)  # ids as text, digit for digit


def _third_party_sandbox(make: t.Callable[..., DouyinSandbox]) -> tuple[DouyinSandbox, dict]:
    sandbox = make(60)
    return sandbox, sandbox.tap_config(SHOP)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapDouyin,
    fixture="make_sandbox",
    start=_third_party_sandbox,
    id_key="order_id",
    expected_ids=lambda sandbox: {sandbox.generator.order_id_of(i) for i in sandbox.generator.indexes_for_shop(SHOP)},
    check=_douyin_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="make_sandbox",
    tap_class=TapDouyin,
    start=lambda make, hint: make(100, retry_after_seconds=hint),
    config=tap_config,
    calls=search_calls,
    code_key="code",
    throttle_codes=(60000, 10000),
    give_up_names="60000",
)
