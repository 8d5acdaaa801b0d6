"""Helpers for the Shopify tap tests: constants, a sandbox factory fixture, an in-process tap runner.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one ``conftest``
module name. Test modules import the ``shopify_sandboxes`` fixture from here.)
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t

import pytest
from tests.support.singer_run import SyncResult as BaseSyncResult
from tests.support.singer_run import TapFailed  # noqa: F401 - re-exported: one class for every kit's pytest.raises
from tests.support.singer_run import run_tap as run_any_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.privacy import scrub_order
from orderlayer.sandboxes.shopify.server import ShopifySandbox
from orderlayer.taps.shopify.tap import TapShopify

PII_SALT = "test-pii-salt-shopify-7c1d"
# 2024-11-10 04:00 UTC: a 10-day history spans New York's DST fall-back (2024-11-03 02:00 EDT -> 01:00 EST).
AS_OF = dt.datetime(2024, 11, 10, 4, 0, 0, tzinfo=dt.timezone.utc)
US_SHOP = "acme-us"  # America/New_York, USD, sales tax added
EU_SHOP = "berlin-goods"  # Europe/Berlin, EUR, VAT included
AU_SHOP = "sydney-shop"  # Australia/Sydney, AUD, GST included
SHOPS = (US_SHOP, EU_SHOP, AU_SHOP)


@pytest.fixture
def shopify_sandboxes() -> t.Iterator[t.Callable[..., ShopifySandbox]]:
    """Factory: a started sandbox (stopped after the test). No rate limit unless ``qps`` is given."""
    started: list[ShopifySandbox] = []

    def factory(n_orders: int = 150, *, shop_ids: tuple[str, ...] = SHOPS, days: int = 10, seed: int = 11, **kwargs: t.Any) -> ShopifySandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = ShopifySandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


class SyncResult(BaseSyncResult):
    """Singer messages of one in-process tap run: ``records`` are the orders stream's (with its bookmark and ids),
    ``returns`` the returns stream's."""

    @property
    def records(self) -> list[dict]:
        return self.stream_records("orders")

    @property
    def returns(self) -> list[dict]:
        return self.stream_records("returns")

    @property
    def bookmark(self) -> str:
        return self.final_state["bookmarks"]["orders"]["replication_key_value"]

    @property
    def ids(self) -> list[int]:
        return [r["id"] for r in self.records]


def run_tap(config: dict, state: dict | None = None) -> SyncResult:
    """Run a full TapShopify sync in-process and parse its stdout."""
    return run_any_tap(TapShopify, config, state, result_class=SyncResult)


def tap_config(sandbox: ShopifySandbox, shop: str = US_SHOP, **overrides: t.Any) -> dict:  # noqa: ANN401
    """Fast test defaults: no client throttle, millisecond retry waits, 3-day windows, no lookback."""
    base = {
        "max_requests_per_second": 10_000,
        "burst_requests": 10_000,
        "retry_base_seconds": 0.001,
        "window_seconds": 3 * 86_400,
        "lookback_seconds": 0,
    }
    base.update(overrides)
    return sandbox.tap_config(shop, pii_salt=PII_SALT, **base)


def order_calls(sandbox: ShopifySandbox, shop: str | None = None) -> list[dict]:
    return [e for e in sandbox.requests if e["path"].endswith("/orders.json") and (shop is None or e.get("shop") == shop)]


def served(sandbox: ShopifySandbox, shop: str) -> dict[int, dict]:
    """Every order of ``shop`` as the sandbox serves it now, scrubbed as the tap must, with shop_id added."""
    out = {}
    for i in sandbox.generator.indexes_for_shop(shop):
        if sandbox.generator.plans[i].created <= sandbox.now_ts:
            order = json.loads(json.dumps(sandbox.order(i)))
            order["shop_id"] = shop
            out[order["id"]] = scrub_order(order, PII_SALT)
    return out


def utc_instant(value: str) -> dt.datetime:
    return p.parse_time(value).astimezone(dt.timezone.utc)


def _standard_sandbox() -> tuple[ShopifySandbox, dict]:
    sandbox = ShopifySandbox(5, AS_OF, 150, list(SHOPS), days=10, qps=None)
    sandbox.start()
    return sandbox, {"base_url": sandbox.shop_base_url(EU_SHOP), "access_token": sandbox.access_token(EU_SHOP)}


STANDARD = StandardSpec(
    tap_class=TapShopify,
    config={
        "shop_id": EU_SHOP,
        "base_url": "http://127.0.0.1:9",  # this and the shop's token: filled in once the sandbox started
        "access_token": "replaced-by-sandbox",
        "start_date": "2024-10-31T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "burst_requests": 1000,
        "retry_base_seconds": 0.001,
        # One window over the whole range: a full sync has no boundary duplicates, which the suite's
        # primary-key uniqueness test would (rightly, for it) count as a failure.
        "window_seconds": 30 * 86_400,
    },
    start=_standard_sandbox,
    max_records_limit=60,
)


def _shopify_checks(sandbox: ShopifySandbox, rows: list[dict]) -> None:
    # 64-bit ids straddling 2**53 arrive digit for digit, and no plaintext email travels
    assert any(float(row["id"]) != row["id"] for row in rows)
    assert all(row["email"] is None and row["shop_id"] == US_SHOP for row in rows)
    assert all(str(row["customer"]["id"]).startswith("sha256:") for row in rows if row["customer"])


def _third_party_sandbox(make: t.Callable[..., ShopifySandbox]) -> tuple[ShopifySandbox, dict]:
    sandbox = make(80)
    return sandbox, tap_config(sandbox, US_SHOP, window_seconds=30 * 86_400)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapShopify,
    fixture="shopify_sandboxes",
    start=_third_party_sandbox,
    id_key="id",
    expected_ids=lambda sandbox: {sandbox.generator.plans[i].order_id for i in sandbox.generator.indexes_for_shop(US_SHOP)},
    check=_shopify_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="shopify_sandboxes",
    tap_class=TapShopify,
    start=lambda make, hint: make(20, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: tap_config(sandbox, AU_SHOP, **{"window_seconds": 30 * 86_400, **overrides}),
    calls=order_calls,
    code_key="http_status",
    throttle_codes=(429, 200),
    give_up_names="HTTP 429",
)
