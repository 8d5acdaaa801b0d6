"""Pinduoduo's message service (PMC) as a push consumer (taps/common/push.py; docs/channels/pinduoduo.md).

With ``push: true`` serve keeps the app's PMC WebSocket open (pmc.py has the protocol and its sources): it heartbeats,
stores each order message as a FetchRequest of the order it names and acknowledges the message only once the store
returned; a message it cannot read, or one for another mall than the connection's ``shop_id``, is neither stored nor
acknowledged (PMC delivers it again; the reconcile poll is the safety net), and is logged without its content. The
landing fetches the orders with ``pdd.order.information.get`` through the tap's own client (:meth:`fetch`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import typing as t

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, InvalidURI

from orderlayer.taps.common.channel import Backoff, ChannelRefused, channel_url, close_on_stop, keep_connected
from orderlayer.taps.common.fetching import fetch_records
from orderlayer.taps.pinduoduo import pmc
from orderlayer.taps.pinduoduo.streams import OrderDetailStream, OrdersStream
from orderlayer.taps.pinduoduo.tap import TapPinduoduo

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from orderlayer.taps.common.push import Store

log = logging.getLogger("orderlayer.push.pinduoduo")


def _now_ms() -> int:
    return int(time.time() * 1000)


class PinduoduoPmcConsumer:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {OrdersStream.name: tuple(OrdersStream.primary_keys)}

    def __init__(self, config: Mapping[str, t.Any], url: str) -> None:
        self.config = dict(config)
        self.client_id = str(config["client_id"])
        self.mall_id = str(config["shop_id"])
        self.url = url
        self.heartbeat_seconds = float(config.get("pmc_heartbeat_seconds") or 5)
        self.backoff = Backoff(cap=float(config.get("pmc_reconnect_max_seconds") or 60))

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> PinduoduoPmcConsumer | None:
        url = channel_url(config, "pmc", pmc.DEFAULT_URL, ("client_id", "client_secret", "shop_id"), "Pinduoduo")
        return None if url is None else cls(config, url)

    # ------------------------------------------------------------------ channel
    async def consume(self, store: Store, stop: asyncio.Event) -> None:
        await keep_connected(lambda: self._session(store, stop), stop, self.backoff, log, f"PMC of mall {self.mall_id}")

    async def _session(self, store: Store, stop: asyncio.Event) -> bool:
        url = pmc.connect_url(self.url, self.client_id, _now_ms(), str(self.config["client_secret"]))
        try:
            # max_queue=None: a reader paused by a full buffer would not see the close handshake (each close then
            # waits close_timeout); the platform bounds what it has in flight
            ws = await connect(url, open_timeout=15, ping_interval=None, max_size=2**22, max_queue=None)
        except InvalidStatus as exc:
            msg = f"HTTP {exc.response.status_code} at connect (check client_id and client_secret, and pmc_url)"
            raise ChannelRefused(msg) from None
        except InvalidURI:  # its text would quote the signed path
            msg = "pmc_url is not a valid WebSocket URL"
            raise ChannelRefused(msg) from None
        received = False
        async with ws, close_on_stop(ws, stop):
            beat = asyncio.create_task(self._heartbeats(ws))
            try:
                async for frame in ws:
                    received = True
                    await self._handle(ws, frame, store)
            finally:
                beat.cancel()
                await asyncio.gather(beat, return_exceptions=True)  # its own end (a closed channel) is this one's
        return received

    async def _heartbeats(self, ws: t.Any) -> None:  # noqa: ANN401
        while True:
            await ws.send(pmc.heartbeat(_now_ms()))
            await asyncio.sleep(self.heartbeat_seconds)

    async def _handle(self, ws: t.Any, frame: str | bytes, store: Store) -> None:  # noqa: ANN401
        try:
            command = pmc.parse(frame)
            kind = command["commandType"]
            if kind == pmc.FAIL:
                reason = (command.get("message") or {}).get("content")
                log.warning("PMC of mall %s answered Fail: %s", self.mall_id, str(reason)[:200])
                return
            if kind != pmc.COMMON:
                return  # heartbeats and acks of ours
            message_id, event_type, mall, event = pmc.message_of(command)
        except pmc.MessageError as exc:
            log.warning("PMC of mall %s: %s; left unacknowledged", self.mall_id, exc)
            return
        if mall is not None and mall != self.mall_id:
            log.warning("PMC message %s is for mall %s, not %s: left unacknowledged for that mall's connection", message_id, mall, self.mall_id)
            return
        await store(pmc.items_of(message_id, event_type, event))  # raises when not stored: no ack, the session ends
        await ws.send(pmc.ack(command, _now_ms()))

    # ------------------------------------------------------------------ fetch
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        return fetch_records(TapPinduoduo, self.config, OrderDetailStream, stream, ids)
