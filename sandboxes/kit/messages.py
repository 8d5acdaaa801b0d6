"""Message channels the way platforms run them, for the channel sandboxes whose platform keeps a WebSocket open to
the app (Taobao TMC, Pinduoduo PMC; docs/continuous.md).

:class:`MessageQueue` holds one app's messages and delivers them at least once: a message dealt to a connection and
not acknowledged within ``redeliver_seconds`` is dealt again (to whichever connection asks next), as the platforms
document for unconfirmed messages. Like :class:`~orderlayer.sandboxes.kit.push.WebhookPusher` it behaves like a
platform that guarantees neither order nor single delivery: ``duplicate_rate`` deals an acknowledged message once
more, ``reorder`` shuffles what one clock step published. :class:`ChannelServer` serves a sandbox's protocol on a
WebSocket port of its own (websockets' threaded server: one thread per connection). Nothing here knows a platform.
"""

from __future__ import annotations

import abc
import bisect
import hashlib
import random
import threading
import time
import typing as t
from dataclasses import dataclass, field

from websockets.sync.server import ServerConnection, serve

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["ChannelServer", "Message", "MessageQueue", "MessagingSandbox"]


@dataclass(frozen=True)
class Message:
    """One message: its platform id, the protocol's payload (the sandbox encodes it per connection) and
    ``changed_at``, the sandbox-clock epoch seconds of the change it reports; ``changes`` names it for a freshness
    measure as a webhook Delivery does: (the order's channel id, the version's change time)."""

    id: int
    payload: dict
    changed_at: int
    changes: tuple[tuple[str, int], ...] = ()


@dataclass
class _Out:
    message: Message
    due: float  # when it may be dealt (again)
    dealt: int = 0


@dataclass
class MessageQueue:
    """One app's messages (module docstring). Thread-safe."""

    redeliver_seconds: float = 2.0
    duplicate_rate: float = 0.0
    reorder: bool = False
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _out: dict[int, _Out] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    stats: dict[str, int] = field(default_factory=lambda: {"published": 0, "dealt": 0, "redealt": 0, "acked": 0, "duplicated": 0})

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def publish(self, messages: Iterable[Message]) -> None:
        batch = list(messages)
        with self._lock:
            if self.reorder:
                self._rng.shuffle(batch)
            now = self.clock()
            for k, message in enumerate(batch):
                if message.id not in self._out:
                    self._out[message.id] = _Out(message, now + k * 1e-6)  # dealt in publication order
                    self.stats["published"] += 1

    def deal(self, limit: int = 100) -> list[Message]:
        """Messages due now, oldest first; each is due again after ``redeliver_seconds`` until acknowledged."""
        with self._lock:
            now = self.clock()
            due = sorted((o for o in self._out.values() if o.due <= now), key=lambda o: o.due)[:limit]
            for out in due:
                self.stats["redealt" if out.dealt else "dealt"] += 1
                out.dealt += 1
                out.due = now + self.redeliver_seconds
            return [o.message for o in due]

    def ack(self, message_id: int) -> bool:
        """Acknowledge; True when it was outstanding. A duplicate may be dealt once more afterwards."""
        with self._lock:
            out = self._out.pop(message_id, None)
            if out is None:
                return False
            self.stats["acked"] += 1
            if self.duplicate_rate and not out.message.payload.get("_duplicate") and self._rng.random() < self.duplicate_rate:
                copy = Message(out.message.id, {**out.message.payload, "_duplicate": True}, out.message.changed_at, out.message.changes)
                self._out[message_id] = _Out(copy, self.clock())
                self.stats["duplicated"] += 1
            return True

    def outstanding_ids(self) -> set[int]:
        with self._lock:
            return set(self._out)

    def outstanding(self) -> int:
        """Messages not acknowledged yet (a duplicate counts until it is acknowledged too)."""
        with self._lock:
            return len(self._out)


class ChannelServer:
    """Serves ``session(connection)`` (the sandbox's protocol) on ``ws://host:port``; ``refuse(path)`` may answer the
    handshake with an HTTP status and reason (a wrong signature in the path) instead."""

    def __init__(
        self,
        session: Callable[[ServerConnection], None],
        *,
        refuse: Callable[[str], tuple[int, str] | None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._session = session
        self._refuse = refuse

        def process_request(connection: ServerConnection, request: t.Any) -> t.Any:  # noqa: ANN401
            refusal = self._refuse(request.path) if self._refuse else None
            return None if refusal is None else connection.respond(refusal[0], refusal[1] + "\n")

        self._server = serve(self._handle, host, port, process_request=process_request, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-channel", daemon=True)
        self.host, self.port = self._server.socket.getsockname()[:2]
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def _handle(self, connection: ServerConnection) -> None:
        try:
            self._session(connection)
        except Exception:  # noqa: BLE001, S110 - a client that went away mid-session: the queue redelivers
            pass

    def drop_connections(self) -> None:
        """Close every open connection (a platform-side drop): clients must reconnect."""
        for connection in list(self._server.connections):
            connection.close(1012, "service restart")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


class MessagingSandbox(abc.ABC):
    """Mixin (before :class:`~orderlayer.sandboxes.kit.channel.ChannelSandbox`) for a channel sandbox whose platform
    keeps a message WebSocket open to the app. :meth:`open_message_channel` serves the sandbox's endpoint (its
    :meth:`message_endpoint`: an object with a ``queue``, a ``session(connection)`` and optionally a ``refuse(path)``
    handshake check); from then on every clock step publishes :meth:`channel_messages` of what changed on its queue.
    The sandbox's ``_index`` (shop -> change times ascending, item indexes) says what changed."""

    #: the endpoint's path under the server's origin (what the platform's URL has there)
    channel_path: t.ClassVar[str] = "/"
    #: the endpoint once open (None: the sandbox keeps no channel), and the URL to give the tap
    channel: t.Any = None
    channel_url: str | None = None
    #: Called with each clock step's messages before they are published (e.g. to time their way to published).
    on_publish: Callable[[list[Message]], None] | None = None
    _channel_server: ChannelServer | None = None
    _index: dict[str, tuple[list[int], list[int]]]
    _lock: threading.Lock

    def open_message_channel(
        self, *, redeliver_seconds: float = 2.0, duplicate_rate: float = 0.0, reorder: bool = False, seed: int = 0, **options: t.Any  # noqa: ANN401
    ) -> str:
        """Serve the platform's message endpoint on a port of its own (``options``: the endpoint's own, see
        :meth:`message_endpoint`); returns the URL to give the tap. Unacknowledged messages come again after
        ``redeliver_seconds``; ``duplicate_rate``, ``reorder`` and ``seed`` as :class:`MessageQueue`."""
        queue = MessageQueue(redeliver_seconds=redeliver_seconds, duplicate_rate=duplicate_rate, reorder=reorder, seed=seed)
        self.channel = self.message_endpoint(queue, **options)
        self._channel_server = ChannelServer(self.channel.session, refuse=getattr(self.channel, "refuse", None))
        self.channel_url = self._channel_server.url + self.channel_path
        return self.channel_url

    @abc.abstractmethod
    def message_endpoint(self, queue: MessageQueue, **options: t.Any) -> t.Any:  # noqa: ANN401
        """The platform's endpoint over ``queue`` (every messaging sandbox has one: ChannelSandbox is an ABC)."""

    def drop_channel_connections(self) -> None:
        """The platform drops every open connection (a restart): clients must reconnect."""
        if self._channel_server is not None:
            self._channel_server.drop_connections()

    def advance(self, as_of: t.Any) -> None:  # noqa: ANN401
        before = self.now_ts  # type: ignore[attr-defined]
        super().advance(as_of)  # type: ignore[misc]
        if self.channel is not None:
            messages = self.channel_messages(before, self.now_ts)  # type: ignore[attr-defined]
            if self.on_publish is not None:
                self.on_publish(messages)
            self.channel.queue.publish(messages)

    @abc.abstractmethod
    def channel_messages(self, after_ts: int, until_ts: int) -> list[Message]:
        """The messages the platform sends for what changed in (after_ts, until_ts] (sandbox clock), oldest first."""

    def changed(self, after_ts: int, until_ts: int) -> Iterator[tuple[str, int, int]]:
        """(shop, change time, item index) of every item whose change time falls in (after_ts, until_ts]; the caller
        holds the lock."""
        for shop, (times, members) in self._index.items():
            lo, hi = bisect.bisect_right(times, after_ts), bisect.bisect_right(times, until_ts)
            for changed_at, i in zip(times[lo:hi], members[lo:hi], strict=True):
                yield shop, changed_at, i

    @staticmethod
    def message_id(key: str, changed_at: int) -> int:
        """A message id stable for one version of one item (a redelivery is the same message), below 2^60."""
        return int(hashlib.sha256(f"{key}|{changed_at}".encode()).hexdigest()[:15], 16)

    def stop(self) -> None:
        if self._channel_server is not None:
            self._channel_server.stop()
            self._channel_server = None
        super().stop()  # type: ignore[misc]
