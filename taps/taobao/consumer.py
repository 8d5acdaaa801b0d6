"""Taobao's message service (TMC) as a push consumer (taps/common/push.py; docs/channels/taobao.md).

With ``push: true`` serve keeps the app's TMC WebSocket open for the connection's consumer group (``tmc_group``;
tmc.py has the binary protocol and its sources): it connects with the signed connect frame, asks for the backlog
(a pull request) at connect and every ``tmc_heartbeat_seconds`` (which doubles as the channel's heartbeat, beside
WebSocket pings), stores each trade or refund message as a FetchRequest of the trade it names, and confirms the
message only once the store returned. A message it cannot read, or one for another seller than ``seller_nick`` (when
set), is neither stored nor confirmed: TMC delivers it again (the reconcile poll is the safety net); it is logged
without its content. The landing fetches the trades with ``taobao.trade.fullinfo.get`` through the tap's own client.
"""

from __future__ import annotations

import asyncio
import logging
import time
import typing as t

from websockets.asyncio.client import connect

from orderlayer.taps.common.channel import Backoff, ChannelRefused, channel_url, close_on_stop, keep_connected
from orderlayer.taps.common.fetching import fetch_records
from orderlayer.taps.taobao import tmc
from orderlayer.taps.taobao.streams import OrdersStream, TradeDetailStream
from orderlayer.taps.taobao.tap import TapTaobao

if t.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from websockets.asyncio.client import ClientConnection

    from orderlayer.taps.common.push import Store

log = logging.getLogger("orderlayer.push.taobao")


class TaobaoTmcConsumer:
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]] = {OrdersStream.name: tuple(OrdersStream.primary_keys)}

    def __init__(self, config: Mapping[str, t.Any], url: str) -> None:
        self.config = dict(config)
        self.app_key = str(config["app_key"])
        self.group = str(config.get("tmc_group") or tmc.DEFAULT_GROUP)
        self.url = url
        self.seller_nick = config.get("seller_nick") or None
        self.heartbeat_seconds = float(config.get("tmc_heartbeat_seconds") or 30)
        self.backoff = Backoff(cap=float(config.get("tmc_reconnect_max_seconds") or 60))

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> TaobaoTmcConsumer | None:
        url = channel_url(config, "tmc", tmc.DEFAULT_URL, ("app_key", "app_secret"), "Taobao")
        return None if url is None else cls(config, url)

    @property
    def name(self) -> str:
        return f"TMC group {self.group} of app {self.app_key}"

    # ------------------------------------------------------------------ channel
    async def consume(self, store: Store, stop: asyncio.Event) -> None:
        await keep_connected(lambda: self._session(store, stop), stop, self.backoff, log, self.name)

    async def _session(self, store: Store, stop: asyncio.Event) -> bool:
        # max_queue=None: a reader paused by a full buffer would not see the close handshake (see pinduoduo/consumer.py)
        ws = await connect(self.url, open_timeout=15, ping_interval=self.heartbeat_seconds, max_size=2**22, max_queue=None)
        async with ws, close_on_stop(ws, stop):
            token = await self._handshake(ws)
            pulls = asyncio.create_task(self._pull_every(ws, token))
            try:
                async for data in ws:
                    await self._handle(ws, token, data, store)
            finally:
                pulls.cancel()
                await asyncio.gather(pulls, return_exceptions=True)  # its own end (a closed channel) is this one's
        return True

    async def _handshake(self, ws: ClientConnection) -> str:
        secret = str(self.config["app_secret"])
        await ws.send(tmc.encode(tmc.connect_frame(self.app_key, secret, self.group, int(time.time() * 1000))))
        answer = tmc.decode(await asyncio.wait_for(ws.recv(), 15))
        if answer.message_type != tmc.CONNECT_ACK or answer.status_code or not answer.token:
            reason = answer.status_phrase or f"status {answer.status_code}"
            msg = f"connect answered {reason} (check app_key, app_secret, tmc_group and that the app subscribed to its topics)"
            raise ChannelRefused(msg)
        return answer.token

    async def _pull_every(self, ws: ClientConnection, token: str) -> None:
        while True:  # at connect, then periodically: what queued while nobody was connected is sent
            await ws.send(tmc.encode(tmc.pull_frame(token)))
            await asyncio.sleep(self.heartbeat_seconds)

    async def _handle(self, ws: ClientConnection, token: str, data: str | bytes, store: Store) -> None:
        try:
            frame = tmc.decode(data if isinstance(data, bytes) else data.encode())  # TMC frames are binary; text is no frame
            if frame.message_type != tmc.SEND:
                return  # a send-ack of our pull
            message_id, topic, event = tmc.message_of(frame)
        except tmc.FrameError as exc:
            log.warning("%s: %s; left unconfirmed", self.name, exc)
            return
        nick = frame.content.get("user_nick")
        if self.seller_nick and nick not in (None, self.seller_nick):
            log.warning("TMC message %s is for another seller than seller_nick: left unconfirmed for that shop's connection", message_id)
            return
        await store(tmc.items_of(message_id, topic, event))  # raises when not stored: no confirm, the session ends
        await ws.send(tmc.encode(tmc.confirm_frame(token, message_id)))

    # ------------------------------------------------------------------ fetch
    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        return fetch_records(TapTaobao, self.config, TradeDetailStream, stream, ids)
