"""Helpers for the tap tests: constants, an in-process tap runner, sandbox configs.

(A uniquely named module rather than conftest.py: test folders without __init__.py
share one ``conftest`` module name, so importing from it is ambiguous.)
"""

from __future__ import annotations

import datetime as dt
import io
import json
import typing as t
from contextlib import redirect_stdout
from dataclasses import dataclass, field

from orderlayer.taps.douyin.sandbox.server import DouyinSandbox
from orderlayer.taps.douyin.tap import TapDouyin

APP_KEY = "1234567890123456789"
APP_SECRET = "test-app-secret-0f9a8b7c"
PII_SALT = "test-pii-salt-5e4d"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "7784061"
OTHER_SHOP = "7784062"


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
    def order_ids(self) -> list[str]:
        return [r["order_id"] for r in self.records]


class TapFailed(Exception):
    """The tap raised; ``result`` holds what it emitted before."""

    def __init__(self, cause: BaseException, result: SyncResult) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.result = result


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapDouyin sync in-process and parse its stdout."""
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: BaseException | None = None
    with redirect_stdout(buffer):
        try:
            tap = TapDouyin(config=dict(config), state=state, parse_env_config=False)
            tap.sync_all()
        except Exception as exc:  # noqa: BLE001 - handed to the caller with the partial output
            error = exc
    buffer.seek(0)
    result = SyncResult(buffer.read().splitlines())
    if error is not None:
        raise TapFailed(error, result)
    return result


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
