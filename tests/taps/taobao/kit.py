"""Helpers for the Taobao tap tests: constants, a sandbox fixture, an in-process tap runner, configs.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name. Test modules import the ``taobao_sandbox`` fixture from here.)
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap

from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.taps.taobao.tap import TapTaobao

APP_KEY = "23456789"
APP_SECRET = "test-top-secret-7c1e"
PII_SALT = "test-pii-salt-taobao"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "573001"  # a Taobao (C) shop
TMALL_SHOP = "573002"  # a Tmall (B) shop

Factory = t.Callable[..., TaobaoSandbox]


@pytest.fixture
def taobao_sandbox() -> t.Iterator[Factory]:
    """Factory: a started Taobao sandbox (stopped after the test). Small by default: tests stay fast."""
    started: list[TaobaoSandbox] = []

    def factory(n_orders: int = 120, *, shop_ids: tuple[str, ...] = (SHOP, TMALL_SHOP), days: int = 10, seed: int = 11, **kwargs: t.Any) -> TaobaoSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = TaobaoSandbox(seed, AS_OF, n_orders, list(shop_ids), app_key=APP_KEY, app_secret=APP_SECRET, days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run, with the channel's order ids."""

    @property
    def tids(self) -> list[str]:
        return [r["tid"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapTaobao sync in-process and parse its stdout."""
    return run_any_tap(TapTaobao, config, state, result_class=SyncResult)


def tap_config(sandbox: TaobaoSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, one-day windows."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 86_400}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def list_calls(sandbox: TaobaoSandbox) -> list[dict]:
    """The sandbox's log of taobao.trades.sold.increment.get calls."""
    return [e for e in sandbox.requests if e.get("path") == "/router/rest"]


def expected_tids(sandbox: TaobaoSandbox, shop: str = SHOP, start: int | None = None) -> set[str]:
    """Tids a sync from ``start`` (default: the first trade) to the sandbox clock must deliver."""
    gen = sandbox.generator
    lo = gen.start_ts if start is None else start
    out = set()
    for i in gen.indexes_for_shop(shop):
        modified = sandbox.modified_of(i)
        if modified is not None and lo <= modified <= sandbox.now_ts:
            out.add(gen.tid_of(i))
    return out


def index_by_tid(sandbox: TaobaoSandbox, shop: str = SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.tid_of(i): i for i in gen.indexes_for_shop(shop)}
