"""Helpers for the Ele.me tap tests: constants, started sandboxes; the runner is the Meituan kit's.

(A uniquely named module rather than conftest.py: test folders without __init__.py share one
``conftest`` module name.)
"""

from __future__ import annotations

import typing as t

import pytest
from tests.taps.meituan.kit import AS_OF, SyncResult, TapFailed, fast, run_tap

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
