"""Running a message-channel consumer (Taobao TMC, Pinduoduo PMC) against its sandbox in a test: the consumer's
asyncio loop in the test thread until a condition holds, with a store that records what it was given."""

from __future__ import annotations

import asyncio
import time
import typing as t

from orderlayer.taps.common.push import PushItem

if t.TYPE_CHECKING:
    from collections.abc import Callable

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
