"""Helpers for the Meituan tap tests: constants, an in-process tap runner, started sandboxes.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one
``conftest`` module name. ``tap-eleme``'s kit reuses the runner below.)
"""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.sandboxes.meituan.server import MeituanSandbox
from orderlayer.taps.meituan.tap import TapMeituan

AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
POI = "mt_poi_1001"
OTHER_POI = "mt_poi_1002"
PII_SALT = "test-pii-salt-mt-7c1d"


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run (numbers with a fraction parsed as exact Decimals)."""

    parse_float = decimal.Decimal

    def bookmark(self, stream: str = "orders") -> t.Any:  # noqa: ANN401
        return self.final_state["bookmarks"][stream].get("replication_key_value")

    def ids(self, key: str) -> list[str]:
        return [str(r[key]) for r in self.records]


def run_tap(tap_class: type, config: dict, state: dict | None = None) -> SyncResult:
    """Run a full sync of ``tap_class`` in-process and parse its stdout."""
    return run_any_tap(tap_class, config, state, result_class=SyncResult)


def fast(sandbox: t.Any, shop: str, pii_salt: str, **overrides: t.Any) -> dict:  # noqa: ANN401
    """A sandbox's tap config with test speed: no client throttle, millisecond retry waits."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=pii_salt, **base)


def sync(sandbox: MeituanSandbox, shop: str = POI, state: dict | None = None, **overrides: t.Any) -> SyncResult:  # noqa: ANN401
    return run_tap(TapMeituan, fast(sandbox, shop, PII_SALT, **overrides), state)


def calls(sandbox: t.Any, path: str) -> list[dict]:  # noqa: ANN401
    return [e for e in sandbox.requests if e.get("path") == path]


def visible_view_ids(sandbox: MeituanSandbox, shop: str = POI) -> set[str]:
    return {sandbox.generator.plans[i].view_id for i in sandbox.visible_indexes(shop)}


@pytest.fixture
def make_meituan() -> t.Iterator[t.Callable[..., MeituanSandbox]]:
    """Factory: a started Meituan sandbox (stopped after the test). Small by default: tests stay fast."""
    started: list[MeituanSandbox] = []

    def factory(n_orders: int = 120, *, shop_ids: tuple[str, ...] = (POI, OTHER_POI), days: int = 10, seed: int = 11, **kwargs: t.Any) -> MeituanSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = MeituanSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


def _standard_sandbox() -> tuple[MeituanSandbox, dict]:
    sandbox = MeituanSandbox(5, AS_OF, 80, [POI], days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(POI)
    return sandbox, {key: config[key] for key in ("base_url", "app_id", "app_secret")}


STANDARD = StandardSpec(
    tap_class=TapMeituan,
    config={
        "base_url": "http://127.0.0.1:9/api/v1",  # this and the app credentials: filled in once the sandbox started
        "app_id": "replaced-by-sandbox",
        "app_secret": "replaced-by-sandbox",
        "app_poi_code": POI,
        "start_date": "2024-11-21T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
    },
    start=_standard_sandbox,
    max_records_limit=60,
)


def _meituan_checks(sandbox: MeituanSandbox, rows: list[dict]) -> None:
    # ids travel as sent: the display id as 17-digit text, the numeric id as an exact integer
    assert all(isinstance(row["wm_order_id_view"], str) and len(row["wm_order_id_view"]) == 17 for row in rows)
    assert {row["order_id"] for row in rows} == {sandbox.generator.plans[i].order_id for i in sandbox.visible_indexes(POI)}


def _third_party_sandbox(make: t.Callable[..., MeituanSandbox]) -> tuple[MeituanSandbox, dict]:
    sandbox = make(50)
    return sandbox, sandbox.tap_config(POI)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapMeituan,
    fixture="make_meituan",
    start=_third_party_sandbox,
    id_key="wm_order_id_view",
    expected_ids=visible_view_ids,
    check=_meituan_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="make_meituan",
    tap_class=TapMeituan,
    start=lambda make, hint: make(20, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: fast(sandbox, POI, PII_SALT, **overrides),
    calls=lambda sandbox: list(sandbox.requests),
    code_key="code",
    throttle_codes=(429,),
    give_up_names="HTTP 429",
)
