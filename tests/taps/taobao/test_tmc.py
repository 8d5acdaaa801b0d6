"""Taobao's message service (TMC): the binary framing (a public vector), the signed connect, and the consumer against
the sandbox's TMC WebSocket (docs/channels/taobao.md): confirm only after the store returned, redelivery of what was
not confirmed into one spool entry, duplicates and reordering, frames and sellers it must not confirm, a refused
connect, and the fetch of the trades the messages name, equal to what a sync lands."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from tests.taps.channel_kit import Recorder, consume_for, consume_until
from tests.taps.taobao.kit import (
    APP_KEY,
    APP_SECRET,
    AS_OF,
    SHOP,
    TMALL_SHOP,
    Factory,
    run_tap,
    taobao_sandbox,  # noqa: F401 - fixture
    tap_config,
)

from orderlayer.core.push_spool import PushSpool
from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.kit.messages import Message
from orderlayer.sandboxes.taobao import TaobaoSandbox
from orderlayer.sandboxes.taobao import tmc as sandbox_tmc
from orderlayer.taps.common.push import FetchRequest
from orderlayer.taps.taobao import tmc
from orderlayer.taps.taobao.consumer import TaobaoTmcConsumer

LATER = AS_OF + dt.timedelta(days=3)
#: tmcpy's test vector (mapleflow/tmcpy3 tests/test_messageio.py): a connect-ack, flag 1, with its token.
CONNECT_ACK = b"\x02\x01\x04\x00\x01\x00\x00\x00\x05\x00$\x00\x00\x0032e88d28-20b1-40dd-8e2d-abec197277fe\x00\x00"


def _consumer(box: TaobaoSandbox, shop: str = SHOP, **overrides: object) -> TaobaoTmcConsumer:
    consumer = TaobaoTmcConsumer.from_config(tap_config(box, shop, tmc=True, tmc_heartbeat_seconds=1, **overrides))
    assert consumer is not None
    return consumer


def _changed(box: TaobaoSandbox, shop: str, before: int) -> set[str]:
    """Tids of the shop's trades whose modified moved past ``before`` (what TMC must announce)."""
    return {box.generator.tid_of(i) for i in range(box.generator.n_orders)
            if box.generator.shop_of(i) == shop and before < (box.modified_of(i) or 0) <= box.now_ts}


def test_the_public_frame_vector_reads_and_writes_back() -> None:
    frame = tmc.decode(CONNECT_ACK)
    assert (frame.message_type, frame.flag, frame.token, frame.content) == (tmc.CONNECT_ACK, 1, "32e88d28-20b1-40dd-8e2d-abec197277fe", {})
    assert tmc.encode(frame) == CONNECT_ACK


def test_the_connect_is_signed_like_a_top_call_and_the_sandbox_reads_it() -> None:
    # md5(secret + "app_key23456789" + "group_namedefault" + "timestamp1700000000000" + secret), upper hex (md5sum)
    assert tmc.connect_sign(APP_KEY, "default", 1_700_000_000_000, APP_SECRET) == "8B86FD0989A6315445674FFA585D4D32"
    kind, token, headers = sandbox_tmc.parse(tmc.encode(tmc.connect_frame(APP_KEY, APP_SECRET, "default", 1_700_000_000_000)))
    assert (kind, token) == (sandbox_tmc.T_CONNECT, None)
    assert headers == {"app_key": APP_KEY, "group_name": "default", "timestamp": "1700000000000", "sdk": tmc.SDK, "sign": "8B86FD0989A6315445674FFA585D4D32"}
    assert sandbox_tmc.parse(tmc.encode(tmc.confirm_frame("tok", 2**62 + 5))) == (sandbox_tmc.T_SEND, "tok", {"__kind": 2, "id": 2**62 + 5})


def test_a_message_names_its_trade_digit_for_digit() -> None:
    endpoint = sandbox_tmc.TmcEndpoint(None, app_key=APP_KEY, app_secret=APP_SECRET, wall_time=lambda: 1.0)  # type: ignore[arg-type]
    big = 4_201_234_567_890_123_456
    content = {"tid": big, "status": "WAIT_SELLER_SEND_GOODS"}
    data = endpoint.message_frame(Message(77, {"topic": "taobao_trade_TradeBuyerPay", "user_id": 1, "user_nick": "n", "content": content}, 5))
    message_id, topic, event = tmc.message_of(tmc.decode(data))
    assert tmc.items_of(message_id, topic, event) == [FetchRequest("orders", "77", "4201234567890123456")]
    assert tmc.items_of(78, "taobao_item_ItemUpshelf", {"num_iid": 1}) == []  # not a trade: nothing to fetch
    with pytest.raises(tmc.FrameError, match="truncated"):
        tmc.decode(data[:-5])


def test_trade_messages_are_stored_as_fetch_requests_and_confirmed_only_after(taobao_sandbox: Factory) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP,))
    box.open_tmc()
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    assert len(changed) >= 3

    def not_confirmed_yet(items: list) -> None:
        assert {int(i.message_id) for i in items} <= box.tmc.queue.outstanding_ids()

    recorder = Recorder(not_confirmed_yet)
    consume_until(_consumer(box), recorder, lambda: box.tmc.queue.outstanding() == 0)
    assert all(isinstance(i, FetchRequest) and i.stream == "orders" for i in recorder.items)
    assert {i.id for i in recorder.items} == changed
    assert box.tmc.pulls >= 1  # asked for the backlog at connect
    assert box.tmc.groups == {"default"}
    assert box.tmc.queue.stats["acked"] == len(changed)


def test_killed_between_store_and_confirm_the_message_comes_again_and_the_spool_keeps_one(taobao_sandbox: Factory, tmp_path: Path) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP,))
    box.open_tmc(redeliver_seconds=0.3)
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    with PushSpool(tmp_path / "spool.sqlite") as spool:
        died: list[str] = []

        async def store_then_die(items: list) -> int:
            spool.add("tb", items)  # committed ...
            died.append(items[0].message_id)
            raise RuntimeError("killed before the confirm")  # ... and the consumer gone before it confirms

        consume_until(_consumer(box), store_then_die, lambda: bool(died))
        assert spool.counts() == {"tb": 1}
        assert box.tmc.queue.stats["acked"] == 0

        async def store(items: list) -> int:
            return spool.add("tb", items)

        consume_until(_consumer(box), store, lambda: box.tmc.queue.outstanding() == 0)
        assert spool.counts() == {"tb": len(changed)}
    assert box.tmc.queue.stats["redealt"] >= 1


def test_duplicates_and_reordered_messages_are_each_one_spool_entry(taobao_sandbox: Factory, tmp_path: Path) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP,))
    box.open_tmc(duplicate_rate=1.0, reorder=True, seed=5)
    before = box.now_ts
    box.advance(LATER)
    changed = _changed(box, SHOP, before)
    recorder = Recorder()
    with PushSpool(tmp_path / "spool.sqlite") as spool:

        async def store(items: list) -> int:
            await recorder(items)
            return spool.add("tb", items)

        consume_until(_consumer(box), store, lambda: box.tmc.queue.outstanding() == 0)
        assert spool.counts() == {"tb": len(changed)}
    assert len(recorder.calls) == 2 * len(changed)


def test_garbled_frames_and_other_sellers_messages_are_neither_stored_nor_confirmed(taobao_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    box = taobao_sandbox(120, shop_ids=(SHOP, TMALL_SHOP))
    box.open_tmc(redeliver_seconds=30)
    box.tmc.garble_next = 2
    before = box.now_ts
    box.advance(LATER)
    mine, theirs = _changed(box, SHOP, before), _changed(box, TMALL_SHOP, before)
    assert mine and theirs
    nick = box.trade(box._by_tid[next(iter(mine))])["seller_nick"]  # noqa: SLF001
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="orderlayer.push.taobao"):
        consume_until(_consumer(box, seller_nick=nick), recorder, lambda: box.tmc.queue.outstanding() == len(theirs))
    assert {i.id for i in recorder.items} == mine
    assert box.tmc.queue.outstanding() == len(theirs)  # left for the other shop's connection
    assert sum("truncated TMC frame" in r.getMessage() for r in caplog.records) == 2
    assert not any(tid in r.getMessage() for r in caplog.records for tid in theirs)


def test_a_wrong_secret_is_refused_at_connect_and_nothing_is_stored(taobao_sandbox: Factory, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP,))
    box.open_tmc()
    box.advance(LATER)
    recorder = Recorder()
    with caplog.at_level(logging.ERROR, logger="orderlayer.push.taobao"):
        consume_for(_consumer(box, app_secret="not-the-secret"), recorder, 0.5)
    assert recorder.calls == []
    assert box.tmc.refused == 1
    assert "connect answered invalid app_key, timestamp or sign" in caplog.text
    assert "not-the-secret" not in caplog.text


def test_fetch_gives_each_named_trade_exactly_as_a_sync_lands_it(taobao_sandbox: Factory) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP, TMALL_SHOP))
    box.advance(LATER)
    synced = {r["tid"]: r for r in run_tap(tap_config(box)).records}
    other = next(box.generator.tid_of(i) for i in range(box.generator.n_orders) if box.generator.shop_of(i) == TMALL_SHOP and box.modified_of(i))
    wanted = sorted(synced)[:5]
    box.clear_log()
    fetched = _consumer(box).fetch("orders", [*wanted, "99999999999999", other])
    assert [r["tid"] for r in fetched] == wanted  # the unknown tid and the other shop's are left out
    assert [canonical_json(r) for r in fetched] == [canonical_json(synced[tid]) for tid in wanted]
    assert len([c for c in box.requests if c.get("method") == "taobao.trade.fullinfo.get"]) == 7


def test_settings_open_the_channel_or_name_what_is_wrong(taobao_sandbox: Factory) -> None:  # noqa: F811
    box = taobao_sandbox(10, shop_ids=(SHOP,))
    assert TaobaoTmcConsumer.from_config(tap_config(box)) is None
    with pytest.raises(ValueError, match=r"^app_secret: a connection with tmc: true needs it"):
        TaobaoTmcConsumer.from_config({**tap_config(box), "tmc": True, "app_secret": ""})
    with pytest.raises(ValueError, match=r"^tmc_url: 'http://x' is not a WebSocket URL"):
        TaobaoTmcConsumer.from_config({**tap_config(box), "tmc": True, "tmc_url": "http://x"})


def test_a_dropped_channel_is_opened_again_and_later_messages_arrive(taobao_sandbox: Factory) -> None:  # noqa: F811
    box = taobao_sandbox(60, shop_ids=(SHOP,))
    box.open_tmc()
    before = box.now_ts
    steps = iter([LATER, LATER + dt.timedelta(days=1)])
    recorder = Recorder()

    def next_step_when_drained() -> bool:  # drained: drop the channel (a platform restart), then the clock moves on
        if box.tmc.queue.outstanding():
            return False
        step = next(steps, None)
        if step is None:
            return True
        if box.tmc.sessions:  # from another thread: the close handshake needs this (the consumer's) loop
            threading.Thread(target=box.drop_channel_connections).start()
        box.advance(step)
        return False

    consume_until(_consumer(box), recorder, next_step_when_drained)
    assert box.tmc.sessions == 2
    assert {i.id for i in recorder.items} == _changed(box, SHOP, before)
