"""The message-channel consumers (Taobao TMC, Pinduoduo PMC) against their sandbox's WebSocket, one test per
behaviour for both (docs/channels/taobao.md, pinduoduo.md): a message is stored as a fetch request and acknowledged
only after the store returned; a consumer killed between the two gets it again and the spool keeps one entry;
duplicates and reordering are one spool entry each; garbled frames and other shops' messages are neither stored nor
acknowledged, and logged without content; a refused connect stores nothing and logs no secret; a dropped channel is
opened again. The protocol vectors and the fetch are tested per platform (tests/taps/<x>/test_?mc.py)."""

from __future__ import annotations

import logging
import threading
import typing as t
from pathlib import Path

import pytest
from tests.taps.channel_kit import CASES, ChannelCase, Recorder, consume_for, consume_until

from orderlayer.core.push_spool import PushSpool
from orderlayer.taps.common.push import FetchRequest

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ChannelCase:
    return CASES[request.param]


@pytest.fixture
def sandbox(case: ChannelCase) -> Iterator[Callable[..., t.Any]]:
    """Factory of started sandboxes of the case's platform (stopped after the test)."""
    started: list[t.Any] = []

    def factory(n_orders: int = 60, shops: int = 1) -> t.Any:  # noqa: ANN401
        box = case.new_sandbox(n_orders, case.shops[:shops])
        started.append(box)
        return box

    yield factory
    for box in started:
        box.stop()


def test_messages_are_stored_as_fetch_requests_and_acknowledged_only_after(case: ChannelCase, sandbox: Callable[..., t.Any]) -> None:
    box = sandbox()
    box.open_message_channel()
    queue = box.channel.queue
    published: list = []
    box.on_publish = published.extend  # what a freshness measure records
    before = box.now_ts
    box.advance(case.later)
    changed = case.changed_keys(box, case.shops[0], before)
    assert len(changed) >= 3  # the clock step changed orders to announce
    assert {order for m in published for order, at in m.changes if before < at <= box.now_ts} == changed

    def not_acknowledged_yet(items: list) -> None:
        assert {int(i.message_id) for i in items} <= queue.outstanding_ids()  # the ack follows the store

    recorder = Recorder(not_acknowledged_yet)
    consume_until(case.consumer(box), recorder, lambda: queue.outstanding() == 0)
    assert all(isinstance(i, FetchRequest) and i.stream == "orders" for i in recorder.items)
    assert {i.id for i in recorder.items} == changed
    assert len({i.message_id for i in recorder.items}) == len(recorder.items)
    assert queue.stats["acked"] == len(changed)


def test_killed_between_store_and_ack_the_message_comes_again_and_the_spool_keeps_one(case: ChannelCase, sandbox: Callable[..., t.Any], tmp_path: Path) -> None:
    box = sandbox()
    box.open_message_channel(redeliver_seconds=0.3)
    queue = box.channel.queue
    before = box.now_ts
    box.advance(case.later)
    changed = case.changed_keys(box, case.shops[0], before)
    with PushSpool(tmp_path / "spool.sqlite") as spool:
        died: list[str] = []

        async def store_then_die(items: list) -> int:
            spool.add("c1", items)  # committed ...
            died.append(items[0].message_id)
            raise RuntimeError("killed before the ack")  # ... and the consumer gone before it acknowledges

        consume_until(case.consumer(box), store_then_die, lambda: bool(died))
        assert spool.counts() == {"c1": 1}
        assert queue.stats["acked"] == 0

        async def store(items: list) -> int:
            return spool.add("c1", items)

        consume_until(case.consumer(box), store, lambda: queue.outstanding() == 0)  # a new consumer, as after a restart
        assert spool.counts() == {"c1": len(changed)}  # the redelivered message is the same spool entry
    assert queue.stats["redealt"] >= 1


def test_duplicates_and_reordered_messages_are_each_one_spool_entry(case: ChannelCase, sandbox: Callable[..., t.Any], tmp_path: Path) -> None:
    box = sandbox()
    box.open_message_channel(duplicate_rate=1.0, reorder=True, seed=3)
    queue = box.channel.queue
    before = box.now_ts
    box.advance(case.later)
    changed = case.changed_keys(box, case.shops[0], before)
    recorder = Recorder()
    with PushSpool(tmp_path / "spool.sqlite") as spool:

        async def store(items: list) -> int:
            await recorder(items)
            return spool.add("c1", items)

        consume_until(case.consumer(box), store, lambda: queue.outstanding() == 0)
        assert spool.counts() == {"c1": len(changed)}
    assert len(recorder.calls) == 2 * len(changed)  # every message came twice
    assert queue.stats["duplicated"] == len(changed)


def test_garbled_frames_and_other_shops_messages_are_neither_stored_nor_acknowledged(case: ChannelCase, sandbox: Callable[..., t.Any], caplog: pytest.LogCaptureFixture) -> None:
    box = sandbox(120, shops=2)
    box.open_message_channel(redeliver_seconds=30)
    endpoint = box.channel
    endpoint.garble_next = 2
    before = box.now_ts
    box.advance(case.later)
    mine, theirs = (case.changed_keys(box, shop, before) for shop in case.shops)
    assert mine and theirs
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger=case.logger):
        consumer = case.consumer(box, **case.only_own_shop(box, case.shops[0]))
        consume_until(consumer, recorder, lambda: endpoint.queue.outstanding() == len(theirs))
    assert {i.id for i in recorder.items} == mine
    assert endpoint.queue.outstanding() == len(theirs)  # left for the other shop's connection
    assert sum(case.garbled_text in r.getMessage() for r in caplog.records) == 2
    assert not any(key in r.getMessage() for r in caplog.records for key in theirs)  # logged without content


def test_a_wrong_secret_is_refused_at_connect_and_nothing_is_stored(case: ChannelCase, sandbox: Callable[..., t.Any], caplog: pytest.LogCaptureFixture) -> None:
    box = sandbox()
    box.open_message_channel()
    box.advance(case.later)
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger=case.logger):
        consume_for(case.consumer(box, **{case.secret_key: "not-the-secret"}), recorder, 0.5)
    assert recorder.calls == []
    assert box.channel.refused == 1
    assert case.refused_text in caplog.text
    assert "not-the-secret" not in caplog.text


def test_a_dropped_channel_is_opened_again_and_later_messages_arrive(case: ChannelCase, sandbox: Callable[..., t.Any]) -> None:
    box = sandbox()
    box.open_message_channel()
    endpoint = box.channel
    before = box.now_ts
    steps = iter([case.later, case.later + (case.later - box.now)])
    recorder = Recorder()

    def next_step_when_drained() -> bool:  # drained: the platform drops the channel (a restart), the clock moves on
        if endpoint.queue.outstanding():
            return False
        step = next(steps, None)
        if step is None:
            return True
        if endpoint.sessions:  # from another thread: the close handshake needs this (the consumer's) loop
            threading.Thread(target=box.drop_channel_connections).start()
        box.advance(step)
        return False

    consume_until(case.consumer(box), recorder, next_step_when_drained)
    assert endpoint.sessions == 2
    assert {i.id for i in recorder.items} == case.changed_keys(box, case.shops[0], before)
