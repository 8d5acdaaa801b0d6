"""Helpers for the Youzan tap tests: constants, a sandbox factory, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name, and tests/taps/conftest.py is shared.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.sandboxes.youzan.server import YouzanSandbox
from orderlayer.taps.youzan.tap import TapYouzan

CLIENT_ID = "b1f2c3d4e5f6a7b8c9"
CLIENT_SECRET = "test-client-secret-7d3e9a"
PII_SALT = "test-pii-salt-yz-41c2"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "42971327"
OTHER_SHOP = "42971328"

Factory = t.Callable[..., YouzanSandbox]


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run: ``records`` are the orders, ``refunds`` the other stream's."""

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
    """Run a full TapYouzan sync in-process and parse its stdout."""
    return run_any_tap(TapYouzan, config, state, result_class=SyncResult)


def tap_config(sandbox: YouzanSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, 2-day windows."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 2 * 86_400}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def api_calls(sandbox: YouzanSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == "youzan.trades.sold.get"]


def token_calls(sandbox: YouzanSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == "auth.token"]


def index_by_tid(sandbox: YouzanSandbox, shop: str = SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.tid_of(i): i for i in gen.indexes_for_shop(shop)}


@pytest.fixture
def make_youzan() -> t.Iterator[Factory]:
    """Factory: a started sandbox (stopped after the test). Import this fixture into a test module."""
    started: list[YouzanSandbox] = []

    def factory(
        n_orders: int = 150,
        *,
        shop_ids: tuple[str, ...] = (SHOP, OTHER_SHOP),
        days: int = 10,
        seed: int = 11,
        **kwargs: t.Any,  # noqa: ANN401
    ) -> YouzanSandbox:
        kwargs.setdefault("qps", None)
        kwargs.setdefault("client_id", CLIENT_ID)
        kwargs.setdefault("client_secret", CLIENT_SECRET)
        sandbox = YouzanSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        with contextlib.suppress(Exception):
            sandbox.stop()


def _standard_sandbox() -> tuple[YouzanSandbox, dict]:
    sandbox = YouzanSandbox(5, AS_OF, 150, [SHOP], days=10, qps=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base_url = sandbox.start()
    return sandbox, {"base_url": base_url, "access_token": sandbox.access_token(SHOP)}


STANDARD = StandardSpec(
    tap_class=TapYouzan,
    config={
        "base_url": "http://127.0.0.1:9",  # this and the token: filled in once the sandbox started
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "kdt_id": SHOP,
        "access_token": "replaced-by-sandbox",
        "start_date": "2024-11-21T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
        # One window over the whole range: a full sync has no boundary duplicates, which the suite's
        # primary-key uniqueness test would (rightly, for it) count as a failure.
        "window_seconds": 30 * 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=80,
)


def _youzan_checks(sandbox: YouzanSandbox, rows: list[dict]) -> None:
    for row in rows:
        assert isinstance(row["tid"], str) and row["kdt_id"] == SHOP
        assert all(isinstance(line["oid"], str) for line in row["orders"])  # ids travel as text
        assert row["buyer_info"]["buyer_id"].startswith("sha256:")


def _third_party_sandbox(make: t.Callable[..., YouzanSandbox]) -> tuple[YouzanSandbox, dict]:
    # JSON-number amounts must validate against the SCHEMA too
    sandbox = make(60, amounts_as="number")
    return sandbox, sandbox.tap_config(SHOP, pii_salt=PII_SALT, window_seconds=30 * 86_400)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapYouzan,
    fixture="make_youzan",
    start=_third_party_sandbox,
    id_key="tid",
    expected_ids=lambda sandbox: sandbox.expected_tids(SHOP, sandbox.start_ts),
    check=_youzan_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="make_youzan",
    tap_class=TapYouzan,
    start=lambda make, hint: make(50, retry_after_seconds=hint),
    config=tap_config,
    calls=api_calls,
    code_key="code",
    throttle_codes=(4101, 200),
    give_up_names="4101",
)


def refund_calls(sandbox: YouzanSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("method") == "youzan.trade.refund.search"]
