"""Helpers for the TikTok Shop tap tests: constants, a sandbox fixture, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one
``conftest`` module name, so importing from it is ambiguous.)
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap

from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

PII_SALT = "tts-test-pii-salt-93b1"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
US_SHOP = "7494105515082810525"  # regions cycle US, GB, VN
GB_SHOP = "7494105515082810526"
VN_SHOP = "7494105515082810527"
SHOPS = (US_SHOP, GB_SHOP, VN_SHOP)

Factory = t.Callable[..., TikTokShopSandbox]


@pytest.fixture
def tts_sandbox() -> t.Iterator[Factory]:
    """Factory: a started sandbox (stopped after the test). Small by default: the suite must stay fast."""
    started: list[TikTokShopSandbox] = []

    def factory(n_orders: int = 150, *, seed: int = 11, days: int = 10, shop_ids: tuple[str, ...] = SHOPS, **kwargs: t.Any) -> TikTokShopSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = TikTokShopSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run, with the channel's order ids."""

    @property
    def order_ids(self) -> list[str]:
        return [r["id"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapTikTokShop sync in-process and parse its stdout."""
    return run_any_tap(TapTikTokShop, config, state, result_class=SyncResult)


def tap_config(sandbox: TikTokShopSandbox, shop: str = US_SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, 3-day windows, pages of 20."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 3 * 86_400, "page_size": 20}
    base.update(overrides)
    salt = base.pop("pii_salt", PII_SALT)
    return sandbox.tap_config(shop, pii_salt=salt, **base)


def search_calls(sandbox: TikTokShopSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e["path"] == p.ORDER_SEARCH_PATH]


def all_ids(sandbox: TikTokShopSandbox, shop: str = US_SHOP) -> set[str]:
    """Every order of the shop a full sync up to the tap_config end (clock + 1 s) must deliver."""
    return sandbox.ids_updated_between(shop, sandbox.start_ts - 1, sandbox.now_ts + 1)


def index_by_id(sandbox: TikTokShopSandbox, shop: str = US_SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.timelines[i].order_id: i for i in gen.indexes_for_shop(shop)}
