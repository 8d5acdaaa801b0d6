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

from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.taps.douyin.tap import TapDouyin

APP_KEY = "1234567890123456789"
APP_SECRET = "test-app-secret-0f9a8b7c"
PII_SALT = "test-pii-salt-5e4d"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "7784061"
OTHER_SHOP = "7784062"


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run, with the channel's order ids."""

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
