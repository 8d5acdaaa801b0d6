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
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

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
    """Singer messages of one in-process tap run: ``records`` are the trades, ``refunds`` the other stream's."""

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def refunds(self) -> list[dict]:
        return self.stream_records("refunds")

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
    return [e for e in sandbox.requests if e.get("path") == "/router/rest" and e.get("method") != "taobao.refunds.receive.get"]


def refund_calls(sandbox: TaobaoSandbox) -> list[dict]:
    """The sandbox's log of taobao.refunds.receive.get calls."""
    return [e for e in sandbox.requests if e.get("path") == "/router/rest" and e.get("method") == "taobao.refunds.receive.get"]


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


def _standard_sandbox() -> tuple[TaobaoSandbox, dict]:
    sandbox = TaobaoSandbox(5, AS_OF, 150, [SHOP], app_key=APP_KEY, app_secret=APP_SECRET, days=10, qps=None)
    base_url = sandbox.start()
    return sandbox, {
        "base_url": base_url,
        "token_url": base_url + "/token",
        "access_token": sandbox.access_token(SHOP),
        "refresh_token": sandbox.refresh_token(SHOP),
    }


STANDARD = StandardSpec(
    tap_class=TapTaobao,
    config={
        "base_url": "http://127.0.0.1:9",  # the URLs and the session: filled in once the sandbox started
        "token_url": "http://127.0.0.1:9/token",
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
        "window_seconds": 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=120,
)


def _taobao_checks(sandbox: TaobaoSandbox, rows: list[dict]) -> None:
    # ids travel as text, digit for digit, also those TOP sent as JSON numbers beyond 2**53
    assert all(isinstance(row["tid"], str) and row["tid"].isdigit() for row in rows)
    assert all(isinstance(sub["oid"], str) for row in rows for sub in row["orders"]["order"])


def _third_party_sandbox(make: t.Callable[..., TaobaoSandbox]) -> tuple[TaobaoSandbox, dict]:
    sandbox = make(60)
    return sandbox, sandbox.tap_config(SHOP, pii_salt=PII_SALT, window_seconds=86_400, max_requests_per_second=1000)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapTaobao,
    fixture="taobao_sandbox",
    start=_third_party_sandbox,
    id_key="tid",
    expected_ids=expected_tids,
    check=_taobao_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="taobao_sandbox",
    tap_class=TapTaobao,
    # TOP's throttle names its ban in the message ("This ban will last for N more seconds"), not a header
    start=lambda make, hint: make(60, ban_seconds=hint),
    config=tap_config,
    calls=list_calls,
    code_key="code",
    throttle_codes=(7,),
    give_up_names="error code 7",
)
