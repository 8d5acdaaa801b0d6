"""Helpers for the ERP tap tests (SAP, Kingdee, Yonyou): channel orders, sandbox factories, an in-process runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name.) The factories are pytest fixtures; a test module imports the ones it uses.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
from decimal import Decimal

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap

from orderlayer.sandboxes.kit.erp_derive import sample_channel_orders
from orderlayer.sandboxes.kit.synth import OrderFact
from orderlayer.sandboxes.kingdee import KingdeeSandbox
from orderlayer.sandboxes.sap import SapSandbox
from orderlayer.sandboxes.yonyou import YonyouSandbox

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SEED = 17
PII_SALT = "test-erp-pii-salt-7c1d"
SHOPS = (("douyin", "7784061"), ("jd", "10086001"), ("taobao", "57300121"))
#: Test defaults for every ERP tap: no client throttle, millisecond retry waits.
FAST = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "retry_max_wait_seconds": 5}

Sandbox = SapSandbox | KingdeeSandbox | YonyouSandbox


def channel_orders(n: int = 120, seed: int = SEED) -> list[OrderFact]:
    """Stand-in channel orders the ERP sandboxes derive from (every status, three shops)."""
    return sample_channel_orders(seed, AS_OF, n, SHOPS, days=10)


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run (numbers with a fraction parsed as exact Decimals)."""

    parse_float = Decimal


def run_tap(tap_class: t.Any, config: dict, state: dict | None = None) -> SyncResult:  # noqa: ANN401
    """A full sync in-process; its stdout parsed into Singer messages (TapFailed carries partial output)."""
    return run_any_tap(tap_class, config, state, result_class=SyncResult)


def visible_ids(sandbox: Sandbox) -> set[str]:
    """ERP order numbers that exist at the sandbox clock."""
    return {o.erp_order_id for o in sandbox.erp.visible_orders(sandbox.now_ts)}


def all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured log line, formatted (what an operator would read)."""
    handler = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(handler.format(r) for r in caplog.records)


def _factory(cls: type, **defaults: t.Any) -> t.Iterator[t.Callable[..., t.Any]]:  # noqa: ANN401
    started: list[t.Any] = []

    def make(n_orders: int = 120, *, seed: int = SEED, **kwargs: t.Any) -> t.Any:  # noqa: ANN401
        sandbox = cls(seed, AS_OF, channel_orders(n_orders, seed), **{**defaults, **kwargs})
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sap_sandbox() -> t.Iterator[t.Callable[..., SapSandbox]]:
    """Factory: a started SAP sandbox (stopped after the test); fast 429 hints."""
    yield from _factory(SapSandbox, retry_after_seconds=0.01)


@pytest.fixture
def kingdee_sandbox() -> t.Iterator[t.Callable[..., KingdeeSandbox]]:
    yield from _factory(KingdeeSandbox, retry_after_seconds=0.01)


@pytest.fixture
def yonyou_sandbox() -> t.Iterator[t.Callable[..., YonyouSandbox]]:
    yield from _factory(YonyouSandbox, retry_after_seconds=0.01)
