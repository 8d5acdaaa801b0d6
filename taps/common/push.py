"""What a platform's push receiver is, independent of any web framework (docs/serve.md).

A receiver turns one HTTP request a platform sent into the records it carries, or refuses it. It knows the
platform's signing and its answers; it knows nothing of HTTP servers, storage or the warehouse. ``orderlayer serve``
(core/serve.py) routes ``POST /push/<source>/<connection>`` to the connection's receiver, stores what it returns
durably and only then answers :meth:`Receiver.accepted`; anything refused or not stored answers
:meth:`Receiver.rejected`, so the platform retries. Kuaidi100's callback is the first receiver; Douyin's, Shopify's
and TikTok Shop's webhooks are one more class each, declared by ``receiver = "module:Class"`` in their source.toml.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable, Mapping, Sequence

__all__ = [
    "Consumer",
    "FetchRequest",
    "Fetcher",
    "PushItem",
    "PushRecord",
    "PushRejected",
    "PushRequest",
    "Receiver",
    "Reply",
    "Store",
    "json_reply",
]


@dataclass(frozen=True)
class PushRequest:
    """What arrived: header names lower-cased, the body exactly as sent (signatures cover the raw bytes)."""

    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class PushRecord:
    """One record a push carries, in the shape the source's tap lands in ``stream``, and the id that makes a
    redelivery of the same message the same push (the platform's message id, or a hash of the signed content)."""

    stream: str
    message_id: str
    record: dict
    #: the shop the record belongs to, when one URL takes the pushes of several shops (see Receiver.app)
    shop_id: str | None = None


@dataclass(frozen=True)
class FetchRequest:
    """An event that names one record of ``stream`` by its id (e.g. Douyin's ``TradePaid`` carries an order id and a
    status, not the order): the landing fetches the record through :meth:`Fetcher.fetch`. ``message_id`` as for a
    PushRecord; ``id`` is the value the fetcher takes (the platform's id as text, digit for digit)."""

    stream: str
    message_id: str
    id: str
    #: the shop the record belongs to, when one URL takes the pushes of several shops (see Receiver.app)
    shop_id: str | None = None


#: What a push yields: records it carries, and ids of records to fetch.
PushItem = PushRecord | FetchRequest
#: Stores a message's items durably; returns how many were new (0: a redelivery of a stored message) only once they
#: are committed, and raises when they could not be stored: a consumer acknowledges the message only after it returns.
Store = t.Callable[[list[PushItem]], t.Awaitable[int]]


@dataclass(frozen=True)
class Reply:
    """The answer the platform expects: HTTP status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"


def json_reply(status: int, payload: object) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class PushRejected(ValueError):
    """A push that must not be stored (signature, form, content). The message says why without quoting the body:
    it is logged, and a body may carry personal data."""


@t.runtime_checkable
class Receiver(t.Protocol):
    """One connection's receiver, built from its tap config (secrets included) by ``from_config``."""

    #: The streams its records land in, with each stream's key properties (the tap stream's primary keys).
    streams: t.ClassVar[Mapping[str, tuple[str, ...]]]
    #: The identity that signs its pushes when a platform pushes every shop of one app to one URL (Douyin: the
    #: app_key), else None. serve spools an item naming another ``shop_id`` under the connection of that shop whose
    #: receiver has the same ``app``; an item of a shop no such connection has is dropped (its poll is the net).
    app: str | None

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> Receiver | None:
        """The receiver of a connection with this tap config; None when the connection has no push channel (e.g.
        no callback URL). Raises ValueError naming the setting when the push channel is configured wrongly."""
        ...

    def receive(self, request: PushRequest) -> list[PushRecord]:
        """The records of a verified push; raises PushRejected (verification is constant-time)."""
        ...

    def accepted(self) -> Reply:
        """The answer once every record is stored."""
        ...

    def rejected(self, reason: str) -> Reply:
        """The answer to a push refused or not stored: the platform's failure answer, so it retries."""
        ...


@t.runtime_checkable
class Consumer(t.Protocol):
    """One connection's consumer of a message channel it keeps open (a WebSocket), built like a Receiver."""

    streams: t.ClassVar[Mapping[str, tuple[str, ...]]]

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> Consumer | None:
        """As Receiver.from_config: None when the connection has no push channel, ValueError naming the setting."""
        ...

    async def consume(self, store: Callable[[list[PushItem]], Awaitable[int]], stop: asyncio.Event) -> None:
        """Run until ``stop`` is set: connect, keep the channel alive (heartbeats), reconnect with a backoff when it
        drops; for each message verify it, ``await store(items)``, and acknowledge it to the platform only when store
        returned (when store raises, leave it unacknowledged: the platform redelivers it). A message that fails
        verification is refused the platform's way and never stored. Log without personal data."""
        ...


@t.runtime_checkable
class Fetcher(t.Protocol):
    """A receiver or consumer whose pushes yield FetchRequests fetches the records they name."""

    def fetch(self, stream: str, ids: Sequence[str]) -> list[dict]:
        """The records of these ids in ``stream``, in exactly the shape the tap lands for that stream (same
        post-processing and privacy scrubbing), fetched through the tap's client (its signing, batching to the
        API's limit, rate limits and retries). Ids the platform does not know are left out (the reconcile poll is
        the safety net). Raises the tap's errors (e.g. SourceAPIError) when the platform fails: the requests stay
        spooled and are fetched again at the next landing."""
        ...
