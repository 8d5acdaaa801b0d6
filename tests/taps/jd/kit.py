"""Helpers for the tap-jd tests: constants, a sandbox factory fixture, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name, so importing from it is ambiguous. Test modules import the ``jd_sandbox`` fixture from here.)
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.taps.jd import protocol as p
from orderlayer.sandboxes.jd.server import JdSandbox
from orderlayer.taps.jd.tap import TapJd

APP_KEY = "jd-test-app-key-7c1e"
APP_SECRET = "jd-test-app-secret-9f2a4b"
PII_SALT = "jd-test-pii-salt-31d0"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
SHOP = "10086521"
OTHER_SHOP = "10086522"

Factory = t.Callable[..., JdSandbox]


@pytest.fixture
def jd_sandbox() -> t.Iterator[Factory]:
    """Factory: a started JD sandbox (stopped after the test); no QPS limit unless asked."""
    started: list[JdSandbox] = []

    def factory(n_orders: int = 150, *, shop_ids: tuple[str, ...] = (SHOP, OTHER_SHOP), days: int = 10, seed: int = 11, **kwargs: t.Any) -> JdSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = JdSandbox(seed, AS_OF, n_orders, list(shop_ids), app_key=APP_KEY, app_secret=APP_SECRET, days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run, with the channel's order ids.

    ``records`` are the ``orders`` stream's; ``refund_records`` the ``refund_applies`` stream's.
    """

    def stream_records(self, stream: str) -> list[dict]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def refund_records(self) -> list[dict]:
        return self.stream_records("refund_applies")

    @property
    def after_sale_records(self) -> list[dict]:
        return self.stream_records("service_refunds")

    @property
    def order_ids(self) -> list[str]:
        return [str(r["orderId"]) for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapJd sync in-process and parse its stdout."""
    return run_any_tap(TapJd, config, state, result_class=SyncResult)


def tap_config(sandbox: JdSandbox, shop: str = SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, 2-day windows."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 2 * 86_400}
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def search_calls(sandbox: JdSandbox) -> list[dict]:
    """Calls of the order search methods (the refund list has :func:`refund_calls`)."""
    return [e for e in sandbox.requests if e.get("path") == "/routerjson" and e.get("method") not in (p.METHOD_REFUND_APPLY_LIST, p.METHOD_AFTER_SALE_LIST)]


def refund_calls(sandbox: JdSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("path") == "/routerjson" and e.get("method") == p.METHOD_REFUND_APPLY_LIST]


def index_by_id(sandbox: JdSandbox, shop: str = SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.order_id_of(i): i for i in gen.indexes_for_shop(shop)}


def after_sale_calls(sandbox: JdSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e.get("path") == "/routerjson" and e.get("method") == p.METHOD_AFTER_SALE_LIST]


def _standard_sandbox() -> tuple[JdSandbox, dict]:
    sandbox = JdSandbox(5, AS_OF, 200, [SHOP], app_key=APP_KEY, app_secret=APP_SECRET, days=10, qps=None)
    base = sandbox.start()
    return sandbox, {
        "base_url": base + "/routerjson",
        "oauth_url": base + "/oauth2/refresh_token",
        "access_token": sandbox.access_token(SHOP),
        "refresh_token": sandbox.refresh_token(SHOP),
    }


STANDARD = StandardSpec(
    tap_class=TapJd,
    config={
        "base_url": "http://127.0.0.1:9/routerjson",  # the URLs and tokens: filled in once the sandbox started
        "oauth_url": "http://127.0.0.1:9/oauth2/refresh_token",
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
        # One window over the whole range: a full sync has no boundary duplicates, which the suite's
        # primary-key uniqueness test would (rightly, for it) count as a failure.
        "window_seconds": 20 * 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=100,
)


def _jd_checks(sandbox: JdSandbox, rows: list[dict]) -> None:
    # ids travel as text, digit for digit; the receiver arrives masked, never in plaintext
    for row in rows:
        assert isinstance(row["orderId"], str) and len(row["orderId"]) == 19
        assert row["consigneeInfo"]["mobile"] is None and "****" in row["consigneeInfo"]["ol_masked_mobile"]


def _third_party_sandbox(make: t.Callable[..., JdSandbox]) -> tuple[JdSandbox, dict]:
    sandbox = make(60)
    return sandbox, sandbox.tap_config(SHOP, pii_salt=PII_SALT)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapJd,
    fixture="jd_sandbox",
    start=_third_party_sandbox,
    id_key="orderId",
    expected_ids=lambda sandbox: sandbox.expected_ids(SHOP),
    check=_jd_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="jd_sandbox",
    tap_class=TapJd,
    start=lambda make, hint: make(60, retry_after_seconds=hint),
    config=tap_config,
    calls=search_calls,
    code_key="code",
    throttle_codes=(p.CODE_CALL_LIMITED, p.CODE_OK),
    give_up_names="code 66",
    give_up_fault="busy_next",
)
