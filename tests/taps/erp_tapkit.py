"""Helpers for the ERP tap tests (SAP, Kingdee, Yonyou): channel orders, sandbox factories, an in-process runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name.) The factories are pytest fixtures; a test module imports the ones it uses.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import typing as t
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from orderlayer.taps.common.erp_derive import sample_channel_orders
from orderlayer.taps.common.synth import OrderFact
from orderlayer.taps.kingdee.sandbox import KingdeeSandbox
from orderlayer.taps.sap.sandbox import SapSandbox
from orderlayer.taps.yonyou.sandbox import YonyouSandbox

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


@dataclass
class SyncResult:
    """Singer messages of one in-process tap run."""

    lines: list[str]
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = [json.loads(line, parse_float=Decimal) for line in self.lines if line.strip()]

    @property
    def records(self) -> list[dict]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def states(self) -> list[dict]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict:
        return self.states[-1]


class TapFailed(Exception):
    """The tap raised; ``result`` holds what it emitted before."""

    def __init__(self, cause: BaseException, result: SyncResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result


def run_tap(tap_class: t.Any, config: dict, state: dict | None = None) -> SyncResult:  # noqa: ANN401
    """A full sync in-process; its stdout parsed into Singer messages (TapFailed carries partial output)."""
    buffer = io.StringIO()
    error: BaseException | None = None
    with redirect_stdout(buffer):
        try:
            tap = tap_class(config=dict(config), state=state, parse_env_config=False)
            tap.sync_all()
        except Exception as exc:  # noqa: BLE001 - handed to the caller with the partial output
            error = exc
    result = SyncResult(buffer.getvalue().splitlines())
    if error is not None:
        raise TapFailed(error, result)
    return result


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
