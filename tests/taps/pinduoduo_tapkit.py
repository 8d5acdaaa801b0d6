"""Helpers for the Pinduoduo tap tests: constants, a sandbox factory, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name, and tests/taps/conftest.py belongs to the lead.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import typing as t
from contextlib import redirect_stdout
from dataclasses import dataclass, field

import pytest

from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.taps.pinduoduo.sandbox.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo.tap import TapPinduoduo

CLIENT_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
CLIENT_SECRET = "test-pdd-secret-7f3e9a"
PII_SALT = "test-pii-salt-pdd-41"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "100200300"
OTHER_SHOP = "100200301"

Factory = t.Callable[..., PinduoduoSandbox]


@dataclass
class SyncResult:
    """Singer messages of one in-process tap run."""

    lines: list[str]
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.messages = [json.loads(line) for line in self.lines if line.strip()]

    @property
    def records(self) -> list[dict]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def states(self) -> list[dict]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict:
        return self.states[-1]

    @property
    def order_sns(self) -> list[str]:
        return [r["order_sn"] for r in self.records]


class TapFailed(Exception):
    """The tap raised; ``result`` holds what it emitted before."""

    def __init__(self, cause: BaseException, result: SyncResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapPinduoduo sync in-process and parse its stdout."""
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: BaseException | None = None
    with redirect_stdout(buffer):
        try:
            TapPinduoduo(config=dict(config), state=state, parse_env_config=False).sync_all()
        except Exception as exc:  # noqa: BLE001 - handed to the caller with the partial output
            error = exc
    buffer.seek(0)
    result = SyncResult(buffer.read().splitlines())
    if error is not None:
        raise TapFailed(error, result)
    return result


def tap_config(sandbox: PinduoduoSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def order_calls(sandbox: PinduoduoSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == p.ORDER_INCREMENT_GET]


def windows_of(calls: list[dict]) -> dict[tuple[int, int], list[dict]]:
    """Order calls grouped by their (start_updated_at, end_updated_at) window, in call order."""
    out: dict[tuple[int, int], list[dict]] = {}
    for c in calls:
        out.setdefault((c["params"]["start_updated_at"], c["params"]["end_updated_at"]), []).append(c)
    return out


@pytest.fixture
def pdd_sandbox() -> t.Iterator[Factory]:
    """Factory of started sandboxes (stopped after the test). Small universes keep the suite fast."""
    started: list[PinduoduoSandbox] = []

    def factory(
        n_orders: int = 120,
        *,
        shop_ids: tuple[str, ...] = (SHOP, OTHER_SHOP),
        days: int = 2,
        seed: int = 11,
        **kwargs: t.Any,  # noqa: ANN401
    ) -> PinduoduoSandbox:
        kwargs.setdefault("qps", None)
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", CLIENT_SECRET)
        sandbox = PinduoduoSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        with contextlib.suppress(Exception):
            sandbox.stop()
