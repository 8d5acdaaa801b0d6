"""Fixtures for the tap tests: started Douyin sandboxes (stopped after each test)."""

from __future__ import annotations

import time
import typing as t

import pytest
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, AS_OF, OTHER_SHOP, SHOP

from orderlayer.sandboxes.douyin.server import DouyinSandbox


@pytest.fixture
def make_sandbox() -> t.Iterator[t.Callable[..., DouyinSandbox]]:
    """Factory: a started sandbox (stopped after the test)."""
    started: list[DouyinSandbox] = []

    def factory(n_orders: int = 400, *, shop_ids: tuple[str, ...] = (SHOP, OTHER_SHOP), days: int = 10, seed: int = 11, **kwargs: t.Any) -> DouyinSandbox:
        kwargs.setdefault("qps", None)
        sandbox = DouyinSandbox(APP_KEY, APP_SECRET, seed, AS_OF, n_orders, list(shop_ids), days=days, **kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        sandbox.stop()


@pytest.fixture(scope="session")
def target_jsonl() -> t.Any:  # noqa: ANN401
    """The third-party target-jsonl (PyPI) in its own venv: ``target_jsonl.run(messages, tmp_path)``."""
    from tests.support.thirdparty import TargetJsonl, ensure_target_jsonl

    return TargetJsonl(ensure_target_jsonl())


@pytest.fixture
def asked_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every ``time.sleep`` of this test (the retry loop's waits among them), in seconds, in order.

    A test then checks what the code asked for rather than how long this machine took. Waits under a second are
    slept (the sandboxes' timing stays real); longer ones are only recorded, so a tap that wrongly sleeps off a
    long hint fails the test at once instead of hanging it.
    """
    real_sleep = time.sleep
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        if seconds < 1:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return asked
