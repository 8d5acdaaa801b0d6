"""Running a message-channel consumer (Taobao TMC, Pinduoduo PMC) against its sandbox in a test: the consumer's
asyncio loop in the test thread until a condition holds, with a store that records what it was given; and what the
shared channel tests need to know of each platform (:data:`CASES`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

from tests.taps.pinduoduo import kit as pdd_kit
from tests.taps.taobao import kit as tb_kit

from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.taps.common.push import PushItem
from orderlayer.taps.pinduoduo.consumer import PinduoduoPmcConsumer
from orderlayer.taps.taobao.consumer import TaobaoTmcConsumer

if t.TYPE_CHECKING:
    from orderlayer.taps.common.push import Consumer


class Recorder:
    """A store that keeps every call's items; ``check`` runs first (e.g. to see the message is not acknowledged yet)."""

    def __init__(self, check: Callable[[list[PushItem]], None] | None = None) -> None:
        self.calls: list[list[PushItem]] = []
        self.check = check

    async def __call__(self, items: list[PushItem]) -> int:
        if self.check is not None:
            self.check(items)
        self.calls.append(list(items))
        return len(items)

    @property
    def items(self) -> list[PushItem]:
        return [item for call in self.calls for item in call]


def consume_until(
    consumer: Consumer, store: Callable[[list[PushItem]], t.Awaitable[int]], done: Callable[[], bool], *, timeout: float = 10.0
) -> float:
    """Run ``consumer`` until ``done()`` holds (fails after ``timeout`` s), then stop it; returns the seconds taken.
    Stopping must end the consumer within 5 s."""

    async def main() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.consume(store, stop))
        started = time.monotonic()
        while not done():
            assert not task.done(), f"the consumer ended on its own: {task.exception()!r}"
            assert time.monotonic() - started < timeout, "condition not reached in time"
            await asyncio.sleep(0.02)
        taken = time.monotonic() - started
        stop.set()
        await asyncio.wait_for(task, 5)
        return taken

    return asyncio.run(main())


def consume_for(consumer: Consumer, store: Callable[[list[PushItem]], t.Awaitable[int]], seconds: float) -> None:
    """Run ``consumer`` for ``seconds``, then stop it."""
    deadline = time.monotonic() + seconds
    consume_until(consumer, store, lambda: time.monotonic() >= deadline, timeout=seconds + 5)


# --------------------------------------------------------------------------- the two channels, for shared tests
@dataclass(frozen=True)
class ChannelCase:
    """What the shared channel tests need to know of one platform's sandbox, tap and consumer."""

    source: str
    flag: str  # the channel's name: its settings' prefix
    key: str  # the order's id in a record
    shops: tuple[str, str]
    later: dt.datetime  # a clock step that changes several orders of the small universes below
    secret_key: str
    refused_text: str  # what the consumer logs when the platform refuses the connect
    garbled_text: str  # what it logs for a frame that is not the protocol's
    logger: str
    pii_salt: str
    new_sandbox: Callable[[int, tuple[str, ...]], t.Any]
    config: Callable[..., dict]  # tap config of a shop of the sandbox, overrides last
    run_tap: Callable[[dict], list[dict]]
    consumer_class: t.Any
    changed_keys: Callable[[t.Any, str, int], set[str]]  # ids of the shop's orders changed after ``before``
    only_own_shop: Callable[[t.Any, str], dict]  # the settings that keep another shop's messages away

    def consumer(self, box: t.Any, shop: str | None = None, **overrides: t.Any) -> t.Any:  # noqa: ANN401
        config = self.config(box, shop or self.shops[0], **{"push": True, f"{self.flag}_heartbeat_seconds": 1, **overrides})
        consumer = self.consumer_class.from_config(config)
        assert consumer is not None
        return consumer


def _pdd_sandbox(n_orders: int, shops: tuple[str, ...]) -> PinduoduoSandbox:
    box = PinduoduoSandbox(11, pdd_kit.AS_OF, n_orders, list(shops), days=2, qps=None, client_id=pdd_kit.CLIENT_ID, client_secret=pdd_kit.CLIENT_SECRET)
    box.start()
    return box


def _taobao_sandbox(n_orders: int, shops: tuple[str, ...]) -> TaobaoSandbox:
    box = TaobaoSandbox(11, tb_kit.AS_OF, n_orders, list(shops), app_key=tb_kit.APP_KEY, app_secret=tb_kit.APP_SECRET, days=10, qps=None)
    box.start()
    return box


def _taobao_changed(box: TaobaoSandbox, shop: str, before: int) -> set[str]:
    gen = box.generator
    return {gen.tid_of(i) for i in range(gen.n_orders) if gen.shop_of(i) == shop and before < (box.modified_of(i) or 0) <= box.now_ts}


def _seller_nick(box: TaobaoSandbox, shop: str) -> dict:
    i = next(i for i in range(box.generator.n_orders) if box.generator.shop_of(i) == shop)
    return {"seller_nick": box.trade(i)["seller_nick"]}


CASES = {
    "pinduoduo": ChannelCase(
        "pinduoduo", "pmc", "order_sn", (pdd_kit.SHOP, pdd_kit.OTHER_SHOP), pdd_kit.AS_OF + dt.timedelta(days=2),
        "client_secret", "HTTP 401 at connect", "not JSON", "orderlayer.push.pinduoduo", pdd_kit.PII_SALT,
        _pdd_sandbox, pdd_kit.tap_config, lambda config: pdd_kit.run_tap(config).records, PinduoduoPmcConsumer,
        lambda box, shop, before: box.expected_order_sns(shop, before + 1, box.now_ts), lambda box, shop: {},  # noqa: ARG005 - the mall is the shop_id
    ),
    "taobao": ChannelCase(
        "taobao", "tmc", "tid", (tb_kit.SHOP, tb_kit.TMALL_SHOP), tb_kit.AS_OF + dt.timedelta(days=3),
        "app_secret", "connect answered invalid app_key, timestamp or sign", "truncated TMC frame", "orderlayer.push.taobao",
        tb_kit.PII_SALT, _taobao_sandbox, tb_kit.tap_config, lambda config: tb_kit.run_tap(config).records, TaobaoTmcConsumer,
        _taobao_changed, _seller_nick,
    ),
}
