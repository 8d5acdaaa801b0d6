"""What the message-channel consumers share (Taobao TMC, Pinduoduo PMC; taps/common/push.py ``Consumer``): keep one
WebSocket open until serve stops, reconnecting with a capped exponential backoff when it drops or cannot be opened.

A session (one connection) stores each message and only then acknowledges it; when the store fails the session ends
without that acknowledgement, so the platform delivers the message again, and the next session starts after the
backoff. Nothing here logs a message's content: it may name a buyer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt

if t.TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from websockets.asyncio.client import ClientConnection

__all__ = ["Backoff", "ChannelRefused", "channel_options", "channel_url", "close_on_stop", "event_object", "keep_connected"]


class ChannelRefused(Exception):  # noqa: N818 - the platform's answer, not a bug
    """The platform refused the channel (e.g. a wrong signature at connect); the message says why without secrets."""


@dataclass
class Backoff:
    """Waits between reconnects: ``first`` doubling up to ``cap`` seconds; back to ``first`` after a good session."""

    first: float = 1.0
    cap: float = 60.0
    _next: float = 0.0

    def reset(self) -> None:
        self._next = self.first

    def take(self) -> float:
        wait = self._next or self.first
        self._next = min(wait * 2, self.cap)
        return wait


async def keep_connected(
    session: Callable[[], Awaitable[bool]], stop: asyncio.Event, backoff: Backoff, log: logging.Logger, name: str
) -> None:
    """Run ``session`` (one connection; returns whether it got as far as receiving) until ``stop`` is set; after it
    ends, for whatever reason, wait the backoff and open a new one."""
    while not stop.is_set():
        try:
            if await session():
                backoff.reset()
        except asyncio.CancelledError:
            raise
        except ChannelRefused as exc:
            log.error("%s refused the channel: %s", name, exc)
        except Exception as exc:  # noqa: BLE001 - a drop, a timeout, a store that failed: reconnect (unacknowledged messages come again)
            log.warning("%s channel ended (%s: %s)", name, type(exc).__name__, str(exc)[:200])
        if stop.is_set():
            return
        wait = backoff.take()
        log.info("%s: reconnecting in %.1f s", name, wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)


@contextlib.asynccontextmanager
async def close_on_stop(ws: ClientConnection, stop: asyncio.Event) -> t.AsyncIterator[None]:
    """While inside, setting ``stop`` closes ``ws`` (its receive loop then ends)."""

    async def watch() -> None:
        await stop.wait()
        await ws.close()

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def channel_options(name: str, default_url: str, what: str, *, heartbeat_seconds: int) -> list[th.Property]:
    """The tap settings of message channel ``name`` (``pmc``, ``tmc``): ``push`` (whether serve opens it, the switch
    every pushing source shares), its URL, the heartbeat interval and the longest wait between reconnects."""
    return [
        opt.push_switch(f"Open the {what} when `orderlayer serve` runs: an outgoing WebSocket, no URL to register (docs/channels)."),
        th.Property(f"{name}_url", th.StringType, default=default_url, description=f"The {what}'s WebSocket endpoint."),
        th.Property(
            f"{name}_heartbeat_seconds", th.IntegerType(minimum=1, maximum=300), default=heartbeat_seconds,
            description="Seconds between heartbeats on the open channel.",
        ),
        th.Property(
            f"{name}_reconnect_max_seconds", th.IntegerType(minimum=1, maximum=3600), default=60,
            description="Longest wait between reconnects (the wait doubles from 1 s after each failed attempt).",
        ),
    ]


def channel_url(config: t.Mapping[str, t.Any], name: str, default_url: str, needs: t.Iterable[str], platform: str) -> str | None:
    """The WebSocket URL of ``platform``'s channel ``name`` (``tmc``, ``pmc``) when the connection opens it
    (``push: true``), else None; raises ValueError naming the setting when ``push`` is not a boolean, a setting it
    ``needs`` is missing or the URL is not a WebSocket URL."""
    if not opt.push_enabled(config, platform):
        return None  # the connection does not open the message channel: it only polls
    for key in needs:
        if not config.get(key):
            msg = f"{key}: a connection with push: true needs it (the {name.upper()} channel is opened and checked with it)"
            raise ValueError(msg)
    url = str(config.get(f"{name}_url") or default_url)
    if not url.startswith(("wss://", "ws://")):
        msg = f"{name}_url: {url!r} is not a WebSocket URL; leave it out for {default_url}"
        raise ValueError(msg)
    return url


def event_object(content: t.Any, what: str, error: type[ValueError]) -> dict:  # noqa: ANN401
    """A message's event: its ``content`` (JSON text, or already an object) as a dict; ``error`` naming ``what``
    (the message, never its content) when it is not one."""
    try:
        event = json.loads(content) if isinstance(content, str) else content
    except ValueError:
        msg = f"{what} has content that is not JSON"
        raise error(msg) from None
    if not isinstance(event, dict):
        msg = f"{what} has no content object"
        raise error(msg)
    return event
