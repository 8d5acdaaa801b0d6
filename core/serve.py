"""`orderlayer serve`: the long-running receiver of platform pushes (docs/serve.md, docs/continuous.md).

A Starlette app under uvicorn routes ``POST /push/<source>/<connection>`` to the connection's receiver
(taps/common/push.py; one per configured connection whose source declares one and whose settings open a push
channel), and runs a task per message-channel consumer (Taobao TMC, Pinduoduo PMC). A push is verified by the
receiver, stored in the spool (core/push_spool.py) and committed there, and only then acknowledged with the
platform's success answer; a push refused or not stored gets the platform's failure answer, so the platform sends it
again. A refusal is counted and logged with its reason, never with the body. ``GET /health`` and ``GET /metrics``
tell the counts, the spool's backlog and what the writer did.

Serve never holds the warehouse's writer lock while it waits for pushes, so `sync` and `run` work beside it. Its
writer (core/continuous.py) tries the lock without waiting every ``serve.land_every_seconds``: when it is free it
lands the spool, builds, checks and publishes; when a writer holds it, it tries again next time (that writer lands
the spool itself before it syncs). Its fetcher resolves the spool's fetch requests meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orderlayer.core.config import ConfigError
from orderlayer.core.continuous import FetchWorker, Writer
from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.core.registry import source
from orderlayer.core.serve_metrics import CONTENT_TYPE, ServeCollector, metrics_text
from orderlayer.core.sync import push_config
from orderlayer.taps.common.push import Consumer, PushItem, PushRejected, PushRequest, Receiver, Reply

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from orderlayer.core.config import Settings

log = logging.getLogger("orderlayer.serve")
#: The path a connection's platform pushes to (the URL to register with it, behind your proxy's origin).
PUSH_PATH = "/push/{source}/{connection}"
#: How long serve waits before it restarts a consumer that failed.
CONSUMER_RESTART_SECONDS = 5


def push_path(source_name: str, connection: str) -> str:
    return PUSH_PATH.format(source=source_name, connection=connection)


@dataclass(frozen=True)
class PushChannels:
    """The push channels serve runs: (source, connection) -> its receiver (routes) or consumer (tasks)."""

    receivers: dict[tuple[str, str], Receiver]
    consumers: dict[tuple[str, str], Consumer]


def channels_for(settings: Settings) -> PushChannels:
    """Every configured connection's push channels. Raises ConfigError naming the connection's key when one is
    configured wrongly, or when no connection has one."""
    receivers: dict[tuple[str, str], Receiver] = {}
    consumers: dict[tuple[str, str], Consumer] = {}
    for name, conn in settings.connections.items():
        spec = source(conn.source)
        if not spec.pushes:
            continue
        config = push_config(name, settings)  # the tap's settings, secrets and PII salt included
        for cls, found in ((spec.receiver_class(), receivers), (spec.consumer_class(), consumers)):
            if cls is None:
                continue
            try:
                channel = cls.from_config(config)
            except ValueError as exc:  # "<tap setting>: <why and fix>": name it where orderlayer.yml sets it
                setting = str(exc).partition(":")[0]
                where = "credentials." if setting in spec.secret_keys else "options." if setting in spec.option_keys else ""
                raise ConfigError(f"connections.{name}.{where}{exc}") from None
            if channel is not None:
                found[(conn.source, name)] = channel
    if not receivers and not consumers:
        pushing = sorted(n for n, c in settings.connections.items() if source(c.source).pushes)
        hint = f" ({', '.join(pushing)} could)" if pushing else ""
        raise ConfigError(
            "serve: no connection has a push channel to receive; give a kuaidi100 connection options.callback_url "
            f"(the URL Kuaidi100 pushes to, ending in /push/kuaidi100/<connection>) and credentials.salt, or see "
            f"docs/continuous.md for the other platforms' push settings{hint}"
        )
    return PushChannels(receivers, consumers)


@dataclass
class PushStats:
    """What serve received, per connection and outcome (accepted, duplicate, rejected, failed)."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    last_push: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, connection: str, outcome: str) -> None:
        with self._lock:
            self.counts[(connection, outcome)] += 1
            self.last_push[connection] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def as_dict(self) -> dict:
        with self._lock:
            pushes: dict[str, dict] = {}
            for (connection, outcome), n in sorted(self.counts.items()):
                pushes.setdefault(connection, {"last_push": self.last_push.get(connection)})[outcome] = n
            return {"pushes": pushes}


def _reply(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type)


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes while it is read (a declared length is not trusted)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            msg = f"push body larger than serve.max_body_bytes ({limit})"
            raise PushRejected(msg)
        chunks.append(chunk)
    return b"".join(chunks)


async def _note(spool: PushSpool, connection: str, outcome: str) -> None:
    """Count an outcome in the spool's log for `orderlayer status` (accepted and duplicate are counted by add)."""
    with contextlib.suppress(sqlite3.Error, OSError):  # a count lost is not a push lost
        await run_in_threadpool(spool.note, connection, outcome)


async def _consume(key: tuple[str, str], consumer: Consumer, spool: PushSpool, stats: PushStats, stop: asyncio.Event) -> None:
    """Run one consumer until stop; a consumer that fails is restarted after a pause (its unacknowledged messages are
    redelivered by the platform), and the failure is logged without the message."""
    connection = key[1]

    async def store(items: list[PushItem]) -> int:
        try:
            new = await run_in_threadpool(spool.add, connection, items)
        except (sqlite3.Error, OSError):
            stats.count(connection, "failed")
            await _note(spool, connection, "failed")
            raise
        stats.count(connection, "accepted" if new or not items else "duplicate")
        return new

    while not stop.is_set():
        try:
            await consumer.consume(store, stop)
        except Exception as exc:  # noqa: BLE001 - one channel's failure must not stop the others or the receivers
            log.error("%s consumer of %s stopped (%s); restarting in %d s", key[0], connection, type(exc).__name__, CONSUMER_RESTART_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CONSUMER_RESTART_SECONDS)


def build_app(settings: Settings, channels: PushChannels, spool: PushSpool, stats: PushStats) -> Starlette:
    """The ASGI app: the push routes, /health, /metrics, and for the app's lifetime the consumers, the writer and the
    fetcher."""
    limit = settings.serve.max_body_bytes
    receivers = channels.receivers
    # (source, app, shop) -> connection: where an item naming another shop of the same app is spooled
    shops = {
        (src, app, settings.connections[name].shop_id): name
        for (src, name), receiver in receivers.items()
        if (app := getattr(receiver, "app", None)) is not None
    }

    def route(key: tuple[str, str], receiver: Receiver, items: list[PushItem]) -> dict[str, list[PushItem]]:
        routed: dict[str, list[PushItem]] = {key[1]: []}
        dropped = 0
        for item in items:
            target = key[1] if item.shop_id is None else shops.get((key[0], getattr(receiver, "app", None), item.shop_id))
            if target is None:
                dropped += 1
            else:
                routed.setdefault(target, []).append(item)
        if dropped:
            log.info("%s push to %s: %d item(s) of shops no connection of this app has; left to their polls", key[0], key[1], dropped)
        return routed

    async def push(request: Request) -> Response:
        key = (request.path_params["source"], request.path_params["connection"])
        receiver = receivers.get(key)
        if receiver is None:
            return JSONResponse({"error": "no receiver at this path; see docs/serve.md"}, status_code=404)
        connection = key[1]
        try:
            body = await _body(request, limit)
            records = receiver.receive(PushRequest({k.lower(): v for k, v in request.headers.items()}, body))
        except PushRejected as exc:
            stats.count(connection, "rejected")
            await _note(spool, connection, "rejected")
            log.warning("%s push to %s rejected: %s", key[0], connection, exc)
            return _reply(receiver.rejected(str(exc)))
        try:
            new = await run_in_threadpool(spool.add_each, connection, route(key, receiver, records))
        except (sqlite3.Error, OSError) as exc:  # not stored: not acknowledged, the platform sends it again
            stats.count(connection, "failed")
            await _note(spool, connection, "failed")
            log.error("%s push to %s not stored (%s): answered as failed so it is sent again", key[0], connection, type(exc).__name__)
            return _reply(receiver.rejected("not stored"))
        stats.count(connection, "accepted" if new or not records else "duplicate")
        return _reply(receiver.accepted())

    async def metrics(request: Request) -> Response:
        writer = request.app.state.writer
        collector = ServeCollector(lambda: stats.as_dict()["pushes"], lambda: writer.status, spool.counts)
        return Response(await run_in_threadpool(metrics_text, collector), media_type=CONTENT_TYPE)

    async def health(request: Request) -> Response:
        backlog = await run_in_threadpool(spool.counts)
        writer = request.app.state.writer
        return JSONResponse({"status": "ok", **stats.as_dict(), **writer.status.as_dict(), "spooled": backlog})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writer = Writer(settings, spool)
        fetcher = FetchWorker(settings, spool)
        app.state.writer = writer
        writer.start()
        fetcher.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_consume(key, c, spool, stats, stop)) for key, c in channels.consumers.items()]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(fetcher.stop)
            await asyncio.to_thread(writer.stop)
            spool.close()

    routes = [Route(PUSH_PATH, push, methods=["POST"]), Route("/health", health, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


def make_server(settings: Settings, host: str | None = None, port: int | None = None) -> tuple[uvicorn.Server, list[str]]:
    """The uvicorn server of ``serve``, and what it runs (the push paths it routes, the channels it consumes).
    Raises ConfigError (see channels_for)."""
    channels = channels_for(settings)
    spool = PushSpool(spool_path(settings.database))
    app = build_app(settings, channels, spool, PushStats())
    config = uvicorn.Config(
        app,
        host=host or settings.serve.host,
        port=port or settings.serve.port,
        log_config=None,  # the process's logging (the CLI sets it up); uvicorn's own loggers propagate to it
        access_log=True,  # method, path (source and connection), status: no body
        timeout_graceful_shutdown=10,
    )
    runs = [f"POST {push_path(s, c)}" for s, c in channels.receivers] + [f"{s} consumer {c}" for s, c in channels.consumers]
    return uvicorn.Server(config), runs
