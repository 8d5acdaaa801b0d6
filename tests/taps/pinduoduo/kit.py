"""Helpers for the Pinduoduo tap tests: constants, a sandbox factory, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name, and tests/taps/conftest.py is shared.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo.tap import TapPinduoduo

CLIENT_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
CLIENT_SECRET = "test-pdd-secret-7f3e9a"
PII_SALT = "test-pii-salt-pdd-41"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "100200300"
OTHER_SHOP = "100200301"

Factory = t.Callable[..., PinduoduoSandbox]


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run: ``records`` are the orders, ``refunds`` the after-sales."""

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def refunds(self) -> list[dict]:
        return self.stream_records("refunds")

    @property
    def order_sns(self) -> list[str]:
        return [r["order_sn"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapPinduoduo sync in-process and parse its stdout."""
    return run_any_tap(TapPinduoduo, config, state, result_class=SyncResult)


def tap_config(sandbox: PinduoduoSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def order_calls(sandbox: PinduoduoSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == p.ORDER_INCREMENT_GET]


def refund_calls(sandbox: PinduoduoSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == p.REFUND_INCREMENT_GET]


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


def _standard_sandbox() -> tuple[PinduoduoSandbox, dict]:
    sandbox = PinduoduoSandbox(5, AS_OF, 150, [SHOP], days=1, qps=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base_url = sandbox.start() + p.ROUTER_PATH
    return sandbox, {"base_url": base_url, "access_token": sandbox.access_token(SHOP), "refresh_token": sandbox.refresh_token(SHOP)}


STANDARD = StandardSpec(
    tap_class=TapPinduoduo,
    config={
        "base_url": "http://127.0.0.1:9/api/router",  # this and the tokens: filled in once the sandbox started
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "shop_id": SHOP,
        "access_token": "replaced-by-sandbox",
        "refresh_token": "replaced-by-sandbox",
        "start_date": "2024-11-30T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
    },
    start=_standard_sandbox,
    max_records_limit=120,
)


def _pinduoduo_checks(sandbox: PinduoduoSandbox, rows: list[dict]) -> None:
    for row in rows:
        served = sandbox.order(sandbox.index_of(row["order_sn"]))
        assert isinstance(row["order_sn"], str) and row["shop_id"] == SHOP  # ids travel as text
        assert Decimal(str(row["pay_amount"])) == Decimal(repr(served["pay_amount"]))  # yuan amounts survive
        assert [item["sku_id"] for item in row["item_list"]] == [item["sku_id"] for item in served["item_list"]]


def _third_party_sandbox(make: t.Callable[..., PinduoduoSandbox]) -> tuple[PinduoduoSandbox, dict]:
    sandbox = make(80)
    return sandbox, tap_config(sandbox)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapPinduoduo,
    fixture="pdd_sandbox",
    start=_third_party_sandbox,
    id_key="order_sn",
    expected_ids=lambda sandbox: sandbox.expected_order_sns(SHOP),
    check=_pinduoduo_checks,
)


#: Skip pdd.time.get (the local clock is years past the sandbox's, so the horizon check is widened too).
NO_PLATFORM_CLOCK = {"use_platform_clock": False, "horizon_days": 36_500}

PROTOCOL = ProtocolSpec(
    fixture="pdd_sandbox",
    tap_class=TapPinduoduo,
    start=lambda make, hint: make(40, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: tap_config(sandbox, **NO_PLATFORM_CLOCK, **overrides),
    calls=order_calls,
    code_key="code",
    throttle_codes=(52101, 0),
    give_up_names="52101",
)
