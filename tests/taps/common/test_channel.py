"""What the message-channel consumers share (taps/common/channel.py, fetching.py): the reconnect backoff, the channel
settings, reading a message's event, and the fetch's stream check."""

from __future__ import annotations

import asyncio
import logging

import pytest

from orderlayer.taps.common.channel import Backoff, ChannelRefused, channel_url, event_object, keep_connected
from orderlayer.taps.common.fetching import fetch_records
from orderlayer.taps.pinduoduo.streams import OrderDetailStream
from orderlayer.taps.pinduoduo.tap import TapPinduoduo


def test_the_backoff_doubles_to_its_cap_and_restarts_after_a_good_session() -> None:
    backoff = Backoff(first=1.0, cap=5.0)
    assert [backoff.take() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.take() == 1.0


def test_failed_sessions_are_retried_after_the_backoff_until_stop(caplog: pytest.LogCaptureFixture) -> None:
    tries: list[float] = []

    async def main() -> None:
        stop = asyncio.Event()

        async def session() -> bool:
            tries.append(asyncio.get_running_loop().time())
            if len(tries) == 3:
                stop.set()
            raise ChannelRefused("HTTP 401 at connect") if len(tries) == 1 else OSError("connection refused")

        await keep_connected(session, stop, Backoff(first=0.05, cap=0.1), logging.getLogger("test.channel"), "test channel")

    with caplog.at_level(logging.INFO, logger="test.channel"):
        asyncio.run(main())
    assert len(tries) == 3
    assert tries[1] - tries[0] >= 0.05 and tries[2] - tries[1] >= 0.1  # 0.05 s, then doubled (capped at 0.1)
    assert "test channel refused the channel: HTTP 401 at connect" in caplog.text
    assert "test channel channel ended (OSError: connection refused)" in caplog.text


def test_channel_settings() -> None:
    assert channel_url({"push": False}, "pmc", "wss://a/", ("client_id",), "Pinduoduo") is None
    assert channel_url({"push": True, "client_id": "c"}, "pmc", "wss://a/", ("client_id",), "Pinduoduo") == "wss://a/"
    assert channel_url({"push": True, "client_id": "c", "pmc_url": "ws://b"}, "pmc", "wss://a/", ("client_id",), "Pinduoduo") == "ws://b"
    with pytest.raises(ValueError, match=r"^client_id: a connection with push: true needs it \(the PMC channel"):
        channel_url({"push": True}, "pmc", "wss://a/", ("client_id",), "Pinduoduo")


class Unreadable(ValueError):
    pass


def test_a_message_event_is_an_object() -> None:
    assert event_object('{"tid": 12345678901234567890}', "m", ValueError) == {"tid": 12345678901234567890}
    assert event_object({"tid": "1"}, "m", ValueError) == {"tid": "1"}
    with pytest.raises(Unreadable, match="message 7 has content that is not JSON"):
        event_object('{"tid": 1', "message 7", Unreadable)
    with pytest.raises(ValueError, match="message 7 has no content object"):
        event_object("[1]", "message 7", ValueError)


def test_a_fetch_serves_the_detail_streams_stream_only() -> None:
    with pytest.raises(ValueError, match="these pushes name records of 'orders' only, not of 'refunds'"):
        fetch_records(TapPinduoduo, {}, OrderDetailStream, "refunds", ["1"])


def test_a_quoted_push_is_refused_naming_push() -> None:
    with pytest.raises(ValueError, match=r"^push: must be true or false"):
        channel_url({"push": "false", "client_id": "c"}, "pmc", "wss://a/", ("client_id",), "Pinduoduo")
