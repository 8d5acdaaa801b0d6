"""Helpers for the TikTok Shop tap tests: constants, a sandbox fixture, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one
``conftest`` module name, so importing from it is ambiguous.)
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

PII_SALT = "tts-test-pii-salt-93b1"
AS_OF = dt.datetime(2024, 12, 1, 4, 0, 0, tzinfo=dt.timezone.utc)
US_SHOP = "7494105515082810525"  # regions cycle US, GB, VN
GB_SHOP = "7494105515082810526"
VN_SHOP = "7494105515082810527"
SHOPS = (US_SHOP, GB_SHOP, VN_SHOP)

Factory = t.Callable[..., TikTokShopSandbox]


@pytest.fixture
def tts_sandbox() -> t.Iterator[Factory]:
    """Factory: a started sandbox (stopped after the test). Small by default: the suite must stay fast."""
    started: list[TikTokShopSandbox] = []

    def factory(n_orders: int = 150, *, seed: int = 11, days: int = 10, shop_ids: tuple[str, ...] = SHOPS, **kwargs: t.Any) -> TikTokShopSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = TikTokShopSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run: ``records`` are the orders stream's, ``returns`` the returns'."""

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def returns(self) -> list[dict]:
        return self.stream_records("returns")

    @property
    def order_ids(self) -> list[str]:
        return [r["id"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapTikTokShop sync in-process and parse its stdout."""
    return run_any_tap(TapTikTokShop, config, state, result_class=SyncResult)


def tap_config(sandbox: TikTokShopSandbox, shop: str = US_SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, 3-day windows, pages of 20."""
    base = {"max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 3 * 86_400, "page_size": 20}
    base.update(overrides)
    salt = base.pop("pii_salt", PII_SALT)
    return sandbox.tap_config(shop, pii_salt=salt, **base)


def search_calls(sandbox: TikTokShopSandbox) -> list[dict]:
    return [e for e in sandbox.requests if e["path"] == p.ORDER_SEARCH_PATH]


def all_ids(sandbox: TikTokShopSandbox, shop: str = US_SHOP) -> set[str]:
    """Every order of the shop a full sync up to the tap_config end (clock + 1 s) must deliver."""
    return sandbox.ids_updated_between(shop, sandbox.start_ts - 1, sandbox.now_ts + 1)


def index_by_id(sandbox: TikTokShopSandbox, shop: str = US_SHOP) -> dict[str, int]:
    gen = sandbox.generator
    return {gen.timelines[i].order_id: i for i in gen.indexes_for_shop(shop)}


def _standard_sandbox() -> tuple[TikTokShopSandbox, dict]:
    sandbox = TikTokShopSandbox(5, AS_OF, 150, days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(US_SHOP, pii_salt=PII_SALT)
    keys = ("base_url", "auth_base_url", "app_key", "app_secret", "shop_cipher", "access_token", "refresh_token")
    return sandbox, {key: config[key] for key in keys}


STANDARD = StandardSpec(
    tap_class=TapTikTokShop,
    config={
        "base_url": "http://127.0.0.1:9",  # this, the app keys and tokens: filled in once the sandbox started
        "app_key": "replaced-by-sandbox",
        "app_secret": "replaced-by-sandbox",
        "shop_id": US_SHOP,
        "access_token": "replaced-by-sandbox",
        "start_date": "2024-11-01T00:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
        "page_size": 25,
        # Windows are half-open [ge, lt): several windows still give every order once (the suite checks
        # primary keys are unique within a sync).
        "window_seconds": 4 * 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=60,
)


def _tiktok_checks(sandbox: TikTokShopSandbox, rows: list[dict]) -> None:
    # ids and amounts travel as text, digit for digit; the target validated every record against the SCHEMA
    assert all(isinstance(row["id"], str) and len(row["id"]) == 18 for row in rows)
    assert all(row["payment"]["currency"] == "VND" and "." not in row["payment"]["total_amount"] for row in rows)
    assert all(row["shop_id"] == VN_SHOP for row in rows)


def _third_party_sandbox(make: t.Callable[..., TikTokShopSandbox]) -> tuple[TikTokShopSandbox, dict]:
    sandbox = make(90)
    return sandbox, tap_config(sandbox, VN_SHOP)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapTikTokShop,
    fixture="tts_sandbox",
    start=_third_party_sandbox,
    id_key="id",
    expected_ids=lambda sandbox: all_ids(sandbox, VN_SHOP),
    check=_tiktok_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="tts_sandbox",
    tap_class=TapTikTokShop,
    start=lambda make, hint: make(30, retry_after_seconds=hint),
    config=tap_config,
    calls=search_calls,
    code_key="code",
    throttle_codes=(),
    give_up_names="code 36009002",
)
