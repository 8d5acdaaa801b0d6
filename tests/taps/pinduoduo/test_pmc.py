"""Pinduoduo's message service (PMC) (docs/channels/pinduoduo.md): the signature vector, the ack's shape, heartbeats,
the settings, and the fetch of the orders the messages name, equal to what a sync lands. What the consumer does with
messages is tested for TMC and PMC alike in tests/taps/test_channel_consumers.py."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.taps.channel_kit import Recorder, consume_for
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

from orderlayer.loader.raw_store import canonical_json
from orderlayer.sandboxes.pinduoduo import pmc as sandbox_pmc
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox
from orderlayer.taps.pinduoduo import pmc
from orderlayer.taps.pinduoduo.consumer import PinduoduoPmcConsumer

LATER = AS_OF + dt.timedelta(days=2)


def _consumer(box: PinduoduoSandbox, shop: str = SHOP, **overrides: object) -> PinduoduoPmcConsumer:
    consumer = PinduoduoPmcConsumer.from_config(tap_config(box, shop, push=True, pmc_heartbeat_seconds=1, **overrides))
    assert consumer is not None
    return consumer


def test_the_connect_signature_is_base64_of_the_hex_md5() -> None:
    # md5(CLIENT_ID + "1700000000000" + secret) = 58b3ddb8aa293ac5df422e4ada23369f (md5sum), base64 of those 32 chars
    assert pmc.signature(CLIENT_ID, 1_700_000_000_000, CLIENT_SECRET) == "NThiM2RkYjhhYTI5M2FjNWRmNDIyZTRhZGEyMzM2OWY="
    assert sandbox_pmc.expected_signature(CLIENT_ID, "1700000000000", CLIENT_SECRET) == pmc.signature(CLIENT_ID, 1_700_000_000_000, CLIENT_SECRET)
    assert pmc.connect_url("wss://message-api.pinduoduo.com/message/", "c1", 5, "s").startswith("wss://message-api.pinduoduo.com/message/c1/5/")


def test_an_ack_echoes_the_message_it_acknowledges() -> None:
    command = {"id": 42, "commandType": "Common", "time": 1, "sendTime": 7, "message": {"type": "pdd_trade_TradeConfirmed", "mallID": 9, "content": "{}"}}
    assert pmc.ack(command, 100) == '{"commandType":"Ack","time":100,"id":42,"sendTime":7,"type":"pdd_trade_TradeConfirmed","mallID":9}'


def test_the_consumer_heartbeats(pdd_sandbox: Factory) -> None:  # noqa: F811
    box = pdd_sandbox(10, shop_ids=(SHOP,))
    box.open_message_channel()
    consume_for(_consumer(box), Recorder(), 1.2)  # heartbeat every second
    assert box.channel.heartbeats >= 2


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
    with pytest.raises(ValueError, match=r"^client_secret: a connection with push: true needs it \(the PMC channel"):
        PinduoduoPmcConsumer.from_config({**tap_config(box), "push": True, "client_secret": ""})
    with pytest.raises(ValueError, match=r"^pmc_url: 'https://x' is not a WebSocket URL"):
        PinduoduoPmcConsumer.from_config({**tap_config(box), "push": True, "pmc_url": "https://x"})

