"""The live demo (`orderlayer demo --serve`) and the freshness benchmark's machinery (docs/continuous.md).

The channel sandboxes that push start with their clock ``replay`` before the end of their generated history and
replay it: each step advances their clocks, orders are created, paid, shipped, refunded, and each sandbox pushes
what changed to `orderlayer serve` the way its platform does (signed, with redeliveries, duplicates, reordering
and forged copies: sandboxes/kit/push.py). serve runs as its own process, from the `orderlayer.yml` written
beside the warehouse, exactly as a user runs it; :class:`Freshness` watches the read snapshot for each change to
be published and measures the lag from the moment the sandbox made it.

Only channels that push take part (a channel whose sandbox has no push, an ERP or a file source would be a poll
of a world frozen at the end of the replay, or hold orders of the replayed future). The sandbox clock stays
behind the wall clock, so no order is from the future of the run's clock (gate R3).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
import yaml

from orderlayer.core.demo import DemoWorld, declarations, demo_settings
from orderlayer.core.serve import push_path
from orderlayer.core.warehouse import connect, reader_path
from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.kit.push import Delivery, WebhookPusher

if TYPE_CHECKING:
    from orderlayer.core.config import Settings

#: The platform faults the live sandboxes push with (a correct serve absorbs them all).
FAULTS: dict[str, Any] = {"duplicate_rate": 0.05, "reorder": True, "forge_rate": 0.02}
#: How much history the live sandboxes replay (their clocks start this long before the end of it).
REPLAY = timedelta(days=20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def changes_per_second(world: DemoWorld) -> float:
    """Order changes per sandbox second over what is left to replay (the sandboxes' own pushes counted)."""
    total, span = 0, 0
    for _, sandbox in world.channels:
        start, end = sandbox.now_ts, int(sandbox.generator.as_of_ts)
        total += sum(len(d.changes) for d in sandbox.push_deliveries(start, end))
        span = max(span, end - start)
    return total / span if span else 0.0


def pushing_specs() -> list[DemoChannel]:
    """The demo's channels whose sandbox pushes (their declaration names the options that open the push channel)."""
    return [s for s in declarations() if isinstance(s, DemoChannel) and s.push_options is not None]


@contextmanager
def start_live(
    seed: int, as_of: datetime, orders: int, shops: int, replay: timedelta, app_qps: float | None = None
) -> Iterator[DemoWorld]:
    """Start the pushing channels' sandboxes, their clocks at ``as_of - replay``; ``app_qps``: the requests per second
    each sandbox allows an app (default: the sandbox's own budget)."""
    specs = pushing_specs()
    if not specs:
        msg = "no bundled channel sandbox pushes"
        raise RuntimeError(msg)
    with ExitStack() as stack:
        world = DemoWorld(as_of=as_of - replay, channels=[])
        for spec in specs:
            n_shops = shops if spec.scales_with_shops else len(spec.shops)
            n_orders = max(spec.minimum, int(orders * spec.share))
            kwargs = spec.kwargs if app_qps is None else {**spec.kwargs, "qps": app_qps}
            sandbox = spec.sandbox(*spec.leading, seed, as_of, n_orders, list(spec.shops[:n_shops]), clock=as_of - replay, **kwargs)
            sandbox.start()
            stack.callback(sandbox.stop)
            world.channels.append((spec, sandbox))
            world.orders[spec.source] = n_orders
        yield world


def live_settings(world: DemoWorld, db: Path, port: int, base: Settings | None = None, fetch_rate: float | None = None) -> Settings:
    """The demo's settings for the pushing channels, their push channels open, serve on ``port`` building as soon as
    something landed (a micro-batch follows the last one at once) and polling every 15 minutes; ``fetch_rate``: each
    connection's request budget (``max_requests_per_second``; default the demo's)."""
    settings = demo_settings(world, db, base)
    rate = {} if fetch_rate is None else {"max_requests_per_second": fetch_rate}
    pushing = {spec.source: {**(spec.push_options or {}), **rate} for spec, _ in world.channels}
    connections = {
        name: conn.model_copy(update={"options": {**conn.options, **(pushing.get(conn.source) or {})}})
        for name, conn in settings.connections.items()
    }
    serve = settings.serve.model_copy(update={"port": port, "land_every_seconds": 1, "publish_every_seconds": 0, "reconcile_at_start": False})
    return settings.model_copy(update={"connections": connections, "serve": serve})


def write_config(settings: Settings, path: Path) -> Path:
    """``settings`` as an orderlayer.yml (secrets stay in the environment variables its credentials name)."""
    data = settings.model_dump(mode="json", exclude_defaults=True)
    data["database"] = str(settings.database.resolve())
    path.write_text("# written by `orderlayer demo --serve` / bench/freshness_bench.py\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Freshness:
    """Lag from a change in a sandbox to that version of the order in published.fct_orders."""

    db: Path
    #: channel order id -> [(change time on the sandbox clock, wall time the sandbox made it)]
    pending: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    #: (wall time made, lag seconds) of every change seen published
    seen: list[tuple[float, float]] = field(default_factory=list)
    #: published version -> wall time it was first seen
    versions: dict[int, float] = field(default_factory=dict)
    #: reads of the snapshot that failed (a reader must never meet a lock error while serve writes)
    read_failures: int = 0

    def made(self, changes: tuple[tuple[str, int], ...], wall: float) -> None:
        for order_id, at in changes:
            self.pending.setdefault(order_id, []).append((at, wall))

    @property
    def events(self) -> int:
        return len(self.seen) + sum(len(v) for v in self.pending.values())

    def observe(self) -> int | None:
        """Look at the read snapshot once; returns the published version seen (None: none yet)."""
        if not self.pending:
            return self._version()
        ids = list(self.pending)
        try:
            con = connect(reader_path(self.db), read_only=True)
        except Exception:  # noqa: BLE001 - counted: a reader should never fail
            self.read_failures += 1
            return None
        try:
            version = _published_version(con)
            rows = con.execute(
                "select f.channel_order_id, max(epoch(f.source_updated_at)) from published.fct_orders f "
                "join (select unnest(?::varchar[]) as id) w on f.channel_order_id = w.id group by 1",
                [ids],
            ).fetchall()
        except Exception:  # noqa: BLE001 - counted (nothing published yet is the first run's to rule out)
            self.read_failures += 1
            return None
        finally:
            con.close()
        now = time.time()
        if version is not None:
            self.versions.setdefault(version, now)
        for order_id, updated in rows:
            waiting = self.pending[order_id]
            done = [(at, wall) for at, wall in waiting if updated is not None and updated >= at]
            for _, wall in done:
                self.seen.append((wall, now - wall))
            left = [w for w in waiting if w not in done]
            if left:
                self.pending[order_id] = left
            else:
                del self.pending[order_id]
        return version

    def _version(self) -> int | None:
        try:
            con = connect(reader_path(self.db), read_only=True)
        except Exception:  # noqa: BLE001
            return None
        try:
            return _published_version(con)
        finally:
            con.close()

    def summary(self, since: float | None = None, until: float | None = None) -> dict[str, Any]:
        lags = sorted(lag for wall, lag in self.seen if (since is None or wall >= since) and (until is None or wall < until))
        return {
            "events": len(lags),
            "p50_seconds": round(statistics.median(lags), 1) if lags else None,
            "p95_seconds": round(lags[max(0, int(len(lags) * 0.95) - 1)], 1) if lags else None,
            "max_seconds": round(lags[-1], 1) if lags else None,
        }


def _published_version(con: Any) -> int | None:  # noqa: ANN401 - a duckdb connection
    try:
        row = con.execute("select max(version) from ops.publish_log").fetchone()
    except Exception:  # noqa: BLE001 - no publish yet
        return None
    return None if row is None or row[0] is None else int(row[0])


class _Recorder:
    """Stands where a sandbox expects its pusher: records what changed, then hands the deliveries on."""

    def __init__(self, pusher: WebhookPusher, freshness: Freshness) -> None:
        self.pusher = pusher
        self.freshness = freshness

    def send(self, deliveries: list[Delivery]) -> None:
        wall = time.time()
        for delivery in deliveries:
            self.freshness.made(delivery.changes, wall)
        self.pusher.send(deliveries)


class Live:
    """`orderlayer serve` (a child process) and the pushing sandboxes replaying their history into it."""

    def __init__(self, world: DemoWorld, settings: Settings, config: Path, seed: int, log: Path, faults: dict[str, Any] | None = None) -> None:
        self.world = world
        self.settings = settings
        self.config = config
        self.seed = seed
        self.log = log
        self.faults = FAULTS if faults is None else faults
        self.freshness = Freshness(settings.database)
        self.pushers: list[WebhookPusher] = []
        self._proc: subprocess.Popen | None = None
        self._stack = ExitStack()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.serve.port}"

    def __enter__(self) -> Live:
        exe = Path(sys.executable).with_name("orderlayer")
        out = self._stack.enter_context(self.log.open("w", encoding="utf-8"))
        self._proc = subprocess.Popen(  # noqa: S603 - our own console script
            [str(exe), "serve", "--config", str(self.config), "--log-format", "json"], stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        self._stack.callback(self._stop_serve)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            if self._proc.poll() is not None or time.monotonic() > deadline:
                msg = f"orderlayer serve did not start; see {self.log}"
                raise RuntimeError(msg)
            time.sleep(0.2)
        for spec, sandbox in self.world.channels:
            first = next(n for n, c in self.settings.connections.items() if c.source == spec.source)  # one URL per app
            pusher = WebhookPusher(self.url + push_path(spec.source, first), sandbox.push_acknowledged, seed=self.seed, **self.faults)
            self.pushers.append(pusher)
            self._stack.callback(pusher.close)
            sandbox.subscribe(_Recorder(pusher, self.freshness))
            self._stack.callback(sandbox.subscribe, None)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _stop_serve(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    @property
    def end_ts(self) -> int:
        return min(int(sandbox.generator.as_of_ts) for _, sandbox in self.world.channels)

    def clock(self) -> int:
        return min(sandbox.now_ts for _, sandbox in self.world.channels)

    def step(self, sandbox_seconds: float) -> bool:
        """Advance every sandbox clock; False once the replay reached its end."""
        target = min(self.end_ts, int(self.clock() + sandbox_seconds))
        for _, sandbox in self.world.channels:
            if target > sandbox.now_ts:
                sandbox.advance(target)
        return target < self.end_ts

    def health(self) -> dict:
        return requests.get(f"{self.url}/health", timeout=10).json()

    def settle(self, timeout: float) -> bool:
        """Wait until every push is delivered, landed, built and published (or ``timeout``)."""
        end = time.monotonic() + timeout
        for pusher in self.pushers:
            if not pusher.drain(max(1.0, end - time.monotonic())):
                return False
        while time.monotonic() < end:
            health = self.health()
            if not any(health["spooled"].values()) and health["unbuilt_rows"] == 0:
                self.freshness.observe()
                if not self.freshness.pending:
                    return True
            self.freshness.observe()
            time.sleep(0.5)
        return False

    def replay(self, seconds: int | None, per_minute: float, rate: float) -> Iterator[dict[str, Any]]:
        """Advance the clocks once a second so that about ``per_minute`` changes happen a minute (``rate``: changes
        per sandbox second), watching what is published meanwhile; yields a status every 10 seconds. Ends after
        ``seconds`` (None: when the replay reaches its end)."""
        speed = per_minute / 60 / rate if rate else 0.0
        next_tick, second = time.monotonic(), 0
        while seconds is None or second < seconds:
            more = self.step(speed)
            second += 1
            next_tick += 1
            while (left := next_tick - time.monotonic()) > 0:
                self.freshness.observe()
                time.sleep(min(0.5, left))
            if second % 10 == 0 or not more:
                yield {"second": second, "clock": datetime.fromtimestamp(self.clock(), UTC), "changes": self.freshness.events,
                       "published": len(self.freshness.seen), "version": max(self.freshness.versions, default=None), **self.freshness.summary()}
            if not more:
                return

    def pushed(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for pusher in self.pushers:
            for key, value in pusher.stats().items():
                totals[key] = totals.get(key, 0) + value
        return totals
