"""Helpers for the Ele.me tap tests: constants, started sandboxes; the runner is the Meituan kit's.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one
``conftest`` module name.)
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.meituan.kit import AS_OF, SyncResult, TapFailed, fast, run_tap
from tests.taps.specs import ProtocolSpec, StandardSpec, ThirdPartySpec

from orderlayer.sandboxes.eleme.server import ElemeSandbox
from orderlayer.taps.eleme.tap import TapEleme

__all__ = ["AS_OF", "OTHER_SHOP", "PII_SALT", "SHOP", "SyncResult", "TapFailed", "calls", "make_eleme", "sync", "visible_ids"]

SHOP = "el_shop_2001"
OTHER_SHOP = "el_shop_2002"
PII_SALT = "test-pii-salt-el-3b9e"


def sync(sandbox: ElemeSandbox, shop: str = SHOP, state: dict | None = None, **overrides: t.Any) -> SyncResult:  # noqa: ANN401
    return run_tap(TapEleme, fast(sandbox, shop, PII_SALT, **overrides), state)


def calls(sandbox: ElemeSandbox, cmd: str) -> list[dict]:
    return [e for e in sandbox.requests if e.get("cmd") == cmd]


def visible_ids(sandbox: ElemeSandbox, shop: str = SHOP) -> set[str]:
    return {sandbox.generator.plans[i].order_id for i in sandbox.visible_indexes(shop)}


@pytest.fixture
def make_eleme() -> t.Iterator[t.Callable[..., ElemeSandbox]]:
    """Factory: a started Ele.me sandbox (stopped after the test). Small by default: tests stay fast."""
    started: list[ElemeSandbox] = []

    def factory(n_orders: int = 120, *, shop_ids: tuple[str, ...] = (SHOP, OTHER_SHOP), days: int = 10, seed: int = 13, **kwargs: t.Any) -> ElemeSandbox:  # noqa: ANN401
        kwargs.setdefault("qps", None)
        sandbox = ElemeSandbox(seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


def _standard_sandbox() -> tuple[ElemeSandbox, dict]:
    sandbox = ElemeSandbox(5, AS_OF, 80, [SHOP], days=10, qps=None)
    sandbox.start()
    config = sandbox.tap_config(SHOP)
    return sandbox, {key: config[key] for key in ("base_url", "source", "secret")}


STANDARD = StandardSpec(
    tap_class=TapEleme,
    config={
        "base_url": "http://127.0.0.1:9/",  # this and the partner credentials: filled in once the sandbox started
        "source": "replaced-by-sandbox",
        "secret": "replaced-by-sandbox",
        "shop_id": SHOP,
        "start_date": "2024-11-21T04:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
    },
    start=_standard_sandbox,
    max_records_limit=60,
)


def _eleme_checks(sandbox: ElemeSandbox, rows: list[dict]) -> None:
    # ids travel as text, digit for digit: 14-digit order ids, 19-digit Ele.me ids beyond 2^53
    assert all(len(row["order_id"]) == 14 and len(row["order"]["eleme_order_id"]) == 19 for row in rows)
    assert all(isinstance(row["order"]["eleme_order_id"], str) for row in rows)


def _third_party_sandbox(make: t.Callable[..., ElemeSandbox]) -> tuple[ElemeSandbox, dict]:
    sandbox = make(50)
    return sandbox, sandbox.tap_config(SHOP)


THIRD_PARTY = ThirdPartySpec(
    tap_class=TapEleme,
    fixture="make_eleme",
    start=_third_party_sandbox,
    id_key="order_id",
    expected_ids=visible_ids,
    check=_eleme_checks,
)


PROTOCOL = ProtocolSpec(
    fixture="make_eleme",
    tap_class=TapEleme,
    start=lambda make, hint: make(20, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: fast(sandbox, SHOP, PII_SALT, **overrides),
    calls=lambda sandbox: list(sandbox.requests),
    code_key="errno",
    throttle_codes=(20002,),
    give_up_names="errno 20002",
)
