"""Pinduoduo's message service (PMC): the consumer against the sandbox's PMC WebSocket (docs/channels/pinduoduo.md).
Signature vector, ack only after the store returned, redelivery of what was not acknowledged into one spool entry,
duplicates and reordering, frames and malls it must not acknowledge, a refused connect, and the fetch of the orders
the messages name, equal to what a sync lands."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from tests.taps.channel_kit import Recorder, consume_for, consume_until
from tests.taps.pinduoduo.kit import (
    AS_OF,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_SHOP,
    SHOP,
    Factory,
    pdd_sandbox,  # noqa: F401 - fixture
    run_tap,
    tap_config,
)

from orderlayer.core.push_spool import PushSpool
from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.pinduoduo import pmc as sandbox_pmc
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.common.push import FetchRequest
from orderlayer.taps.pinduoduo import pmc
from orderlayer.taps.pinduoduo.consumer import PinduoduoPmcConsumer

LATER = AS_OF + dt.timedelta(days=2)


def _consumer(box: PinduoduoSandbox, shop: str = SHOP, **overrides: object) -> PinduoduoPmcConsumer:
    consumer = PinduoduoPmcConsumer.from_config(tap_config(box, shop, pmc=True, pmc_heartbeat_seconds=1, **overrides))
    assert consumer is not None
    return consumer


def _changed(box: PinduoduoSandbox, shop: str, before: int) -> set[str]:
    """Order numbers of the shop's orders whose updated_at moved past ``before`` (what PMC must announce)."""
    return box.expected_order_sns(shop, before + 1, box.now_ts)


def test_the_connect_signature_is_base64_of_the_hex_md5() -> None:
    # md5(CLIENT_ID + "1700000000000" + secret) = 58b3ddb8aa293ac5df422e4ada23369f (md5sum), base64 of those 32 chars
    assert pmc.signature(CLIENT_ID, 1_700_000_000_000, CLIENT_SECRET) == "NThiM2RkYjhhYTI5M2FjNWRmNDIyZTRhZGEyMzM2OWY="
    assert sandbox_pmc.expected_signature(CLIENT_ID, "1700000000000", CLIENT_SECRET) == pmc.signature(CLIENT_ID, 1_700_000_000_000, CLIENT_SECRET)
    assert pmc.connect_url("wss://message-api.pinduoduo.com/message/", "c1", 5, "s").startswith("wss://message-api.pinduoduo.com/message/c1/5/")


def test_an_ack_echoes_the_message_it_acknowledges() -> None:
    command = {"id": 42, "commandType": "Common", "time": 1, "sendTime": 7, "message": {"type": "pdd_trade_TradeConfirmed", "mallID": 9, "content": "{}"}}
    assert pmc.ack(command, 100) == '{"commandType":"Ack","time":100,"id":42,"sendTime":7,"type":"pdd_trade_TradeConfirmed","mallID":9}'


def test_order_messages_are_stored_as_fetch_requests_and_acknowledged_only_after(pdd_sandbox: Factory) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP,))
    box.open_pmc()
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    assert len(changed) >= 3  # the sandbox's clock step changed orders to announce

    def not_acknowledged_yet(items: list) -> None:
        assert {int(i.message_id) for i in items} <= box.pmc.queue.outstanding_ids()  # the ack follows the store

    recorder = Recorder(not_acknowledged_yet)
    consume_until(_consumer(box), recorder, lambda: box.pmc.queue.outstanding() == 0)
    assert all(isinstance(i, FetchRequest) and i.stream == "orders" for i in recorder.items)
    assert {i.id for i in recorder.items} == changed
    assert len({i.message_id for i in recorder.items}) == len(recorder.items)
    assert box.pmc.heartbeats >= 1
    assert box.pmc.queue.stats["acked"] == len(changed)


def test_killed_between_store_and_ack_the_message_comes_again_and_the_spool_keeps_one(pdd_sandbox: Factory, tmp_path: Path) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP,))
    box.open_pmc(redeliver_seconds=0.3)
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    with PushSpool(tmp_path / "spool.sqlite") as spool:

        died: list[str] = []

        async def store_then_die(items: list) -> int:
            spool.add("pdd", items)  # committed ...
            died.append(items[0].message_id)
            raise RuntimeError("killed before the ack")  # ... and the consumer gone before it acknowledges

        consume_until(_consumer(box), store_then_die, lambda: bool(died))
        assert spool.counts() == {"pdd": 1}
        assert box.pmc.queue.stats["acked"] == 0

        async def store(items: list) -> int:
            return spool.add("pdd", items)

        consume_until(_consumer(box), store, lambda: box.pmc.queue.outstanding() == 0)
        assert spool.counts() == {"pdd": len(changed)}  # the redelivered message is the same spool entry
        assert {item.stream for item in spool.pending(["pdd"])} == {"orders"}
    assert box.pmc.queue.stats["redealt"] >= 1


def test_duplicates_and_reordered_messages_are_each_one_spool_entry(pdd_sandbox: Factory, tmp_path: Path) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP,))
    box.open_pmc(duplicate_rate=1.0, reorder=True, seed=3)
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    recorder = Recorder()
    with PushSpool(tmp_path / "spool.sqlite") as spool:

        async def store(items: list) -> int:
            await recorder(items)
            return spool.add("pdd", items)

        consume_until(_consumer(box), store, lambda: box.pmc.queue.outstanding() == 0)
        assert spool.counts() == {"pdd": len(changed)}
    assert len(recorder.calls) == 2 * len(changed)  # every message came twice
    assert box.pmc.queue.stats["duplicated"] == len(changed)


def test_garbled_frames_and_other_malls_messages_are_neither_stored_nor_acknowledged(pdd_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    box = pdd_sandbox(120, shop_ids=(SHOP, OTHER_SHOP))
    box.open_pmc(redeliver_seconds=30)
    box.pmc.garble_next = 2
    before = box.now_ts
    box.advance(LATER)
    mine, theirs = _changed(box, SHOP, before), _changed(box, OTHER_SHOP, before)
    assert mine and theirs
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="orderlayer.push.pinduoduo"):
        consume_until(_consumer(box), recorder, lambda: box.pmc.queue.outstanding() == len(theirs))
    assert {i.id for i in recorder.items} == mine
    assert box.pmc.queue.outstanding() == len(theirs)  # left for the other mall's connection
    assert sum("not JSON" in r.getMessage() for r in caplog.records) == 2
    assert not any(sn in r.getMessage() for r in caplog.records for sn in theirs)  # logged without content


def test_a_wrong_secret_is_refused_at_connect_and_nothing_is_stored(pdd_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP,))
    box.open_pmc()
    box.advance(LATER)
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger="orderlayer.push.pinduoduo"):
        consume_for(_consumer(box, client_secret="not-the-secret"), recorder, 0.5)
    assert recorder.calls == []
    assert box.pmc.refused == 1
    assert "HTTP 401 at connect" in caplog.text
    assert "not-the-secret" not in caplog.text


def test_fetch_gives_each_named_order_exactly_as_a_sync_lands_it(pdd_sandbox: Factory) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP, OTHER_SHOP))
    box.advance(LATER)
    synced = {r["order_sn"]: r for r in run_tap(tap_config(box)).records}
    other = sorted(box.expected_order_sns(OTHER_SHOP))[0]
    wanted = sorted(synced)[:5]
    box.clear_log()
    fetched = _consumer(box).fetch("orders", [*wanted, "240101-000000000000000", other])
    assert [r["order_sn"] for r in fetched] == wanted  # the unknown order and the other mall's are left out
    assert [canonical_json(r) for r in fetched] == [canonical_json(synced[sn]) for sn in wanted]
    calls = [c for c in box.requests if c.get("method") == "pdd.order.information.get"]
    assert len(calls) == 7  # one signed call per order number


def test_settings_open_the_channel_or_name_what_is_wrong(pdd_sandbox: Factory) -> None:  # noqa: F811
    box = pdd_sandbox(10, shop_ids=(SHOP,))
    assert PinduoduoPmcConsumer.from_config(tap_config(box)) is None  # pmc not set: the connection only polls
    with pytest.raises(ValueError, match=r"^client_secret: a connection with pmc: true needs it"):
        PinduoduoPmcConsumer.from_config({**tap_config(box), "pmc": True, "client_secret": ""})
    with pytest.raises(ValueError, match=r"^pmc_url: 'https://x' is not a WebSocket URL"):
        PinduoduoPmcConsumer.from_config({**tap_config(box), "pmc": True, "pmc_url": "https://x"})


def test_a_dropped_channel_is_opened_again_and_later_messages_arrive(pdd_sandbox: Factory) -> None:  # noqa: F811
    box = pdd_sandbox(60, shop_ids=(SHOP,))
    box.open_pmc()
    before = box.now_ts
    steps = iter([LATER, LATER + dt.timedelta(days=1)])
    recorder = Recorder()

    def next_step_when_drained() -> bool:  # drained: drop the channel (a platform restart), then the clock moves on
        if box.pmc.queue.outstanding():
            return False
        step = next(steps, None)
        if step is None:
            return True
        if box.pmc.sessions:  # from another thread: the close handshake needs this (the consumer's) loop
            threading.Thread(target=box.drop_channel_connections).start()
        box.advance(step)
        return False

    consume_until(_consumer(box), recorder, next_step_when_drained)
    assert box.pmc.sessions == 2
    assert {i.id for i in recorder.items} == _changed(box, SHOP, before)
