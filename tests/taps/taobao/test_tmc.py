"""Taobao's message service (TMC) (docs/channels/taobao.md): the binary framing (a public vector), the signed connect,
big tids digit for digit, the group and the backlog pull, the settings, and the fetch of the trades the messages name,
equal to what a sync lands. What the consumer does with messages is tested for TMC and PMC alike in
tests/taps/test_channel_consumers.py."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.taps.channel_kit import Recorder, consume_for
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
    consumer = TaobaoTmcConsumer.from_config(tap_config(box, shop, push=True, tmc_heartbeat_seconds=1, **overrides))
    assert consumer is not None
    return consumer


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


def test_the_consumer_joins_its_group_and_pulls_the_backlog(taobao_sandbox: Factory) -> None:  # noqa: F811
    box = taobao_sandbox(10, shop_ids=(SHOP,))
    box.open_message_channel()
    consume_for(_consumer(box, tmc_group="orderlayer"), Recorder(), 1.2)  # at connect, then every second
    assert box.channel.groups == {"orderlayer"}
    assert box.channel.pulls >= 2


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
    with pytest.raises(ValueError, match=r"^app_secret: a connection with push: true needs it \(the TMC channel"):
        TaobaoTmcConsumer.from_config({**tap_config(box), "push": True, "app_secret": ""})
    with pytest.raises(ValueError, match=r"^tmc_url: 'http://x' is not a WebSocket URL"):
        TaobaoTmcConsumer.from_config({**tap_config(box), "push": True, "tmc_url": "http://x"})

