"""Serve's writer: it lands pushes, builds, checks and publishes them in micro-batches, and runs the reconcile poll
(issue 15; docs/continuous.md).

One thread does every write serve makes, one after another, so serve is one writer among the others (`sync`,
`run`, `build`, `publish`) and takes the warehouse's writer lock like them (core/lock.py) — never waiting for it:
when another writer holds it, the writer tries again at its next tick (a `run` lands the spool itself).

Beside it, a fetcher thread turns the spooled fetch requests into the records they name (push_landing.resolve_fetches:
the platform's detail API through the tap, each id once), without the warehouse lock, so a burst is fetched while a
micro-batch builds the previous one.

Each tick (``serve.land_every_seconds``):
1. land the spool's records in raw (core/push_landing.py: those pushes carried and those fetched);
2. the reconcile poll, when due (``serve.reconcile_every_minutes``; at start unless ``serve.reconcile_at_start`` is
   off): `run` of every connection — the incremental syncs, then build, check, publish. No platform guarantees that
   every push arrives; the poll lands whatever none told of;
3. otherwise, when raw rows landed since the last micro-batch and ``serve.publish_every_seconds`` have passed since
   it started: a micro-batch, `run` without syncs — an incremental build of what landed, the check, and a publish
   of the changed orders. Readers keep reading the last published version meanwhile (the read snapshot).

A failed micro-batch or poll is logged and recorded (ops.runs) and tried again on a later tick; a red verdict
leaves published unchanged, as in `run`, and alerts go out as `run` sends them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from orderlayer.core.config import ConfigError
from orderlayer.core.lock import writer_lock
from orderlayer.core.pipeline import RunResult, StageError, run
from orderlayer.core.push_landing import land_pushes, pushing_connections, resolve_fetches
from orderlayer.core.snapshot import refresh_snapshot
from orderlayer.core.warehouse import WarehouseBusy, snapshot_path

if TYPE_CHECKING:
    from collections.abc import Iterator

    from orderlayer.core.config import Settings
    from orderlayer.core.dbt import DbtNode
    from orderlayer.core.incremental import BuildOutcome
    from orderlayer.core.pipeline import CheckResult
    from orderlayer.core.push_spool import PushSpool
    from orderlayer.core.sync import SyncResult

log = logging.getLogger("orderlayer.serve")


class LogProgress:
    """A run's progress told to the log (serve has no terminal): one line per sync, build and verdict."""

    def __init__(self, what: str) -> None:
        self.what = what

    def sync_started(self, connection: str) -> None:
        log.debug("%s: syncing %s", self.what, connection)

    def records_read(self, connection: str, count: int) -> None:
        pass

    def sync_finished(self, result: SyncResult) -> None:
        log.info("%s: sync of %s %s, %d record(s), %d new raw row(s)", self.what, result.connection, result.status, result.records_read, result.rows_added)

    def syncs_finished(self, results: list[SyncResult]) -> None:
        pass

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        yield

    def checked(self, result: CheckResult) -> None:
        log.info("%s: verdict %s", self.what, result.verdict)

    def built(self, outcome: BuildOutcome) -> None:
        log.info("%s: %s", self.what, outcome.reason)

    def dbt_node(self, node: DbtNode) -> None:
        pass

    def step(self, text: str) -> None:
        pass


@dataclass
class WriterStatus:
    """What the writer did last, for /health, /metrics and `orderlayer status` (times are UTC ISO-8601)."""

    landings: int = 0
    last_landing: str | None = None
    batches: int = 0
    last_batch: dict | None = None
    polls: int = 0
    last_poll: dict | None = None
    failures: int = 0
    #: raw rows landed by pushes and not yet built by a micro-batch or poll
    unbuilt_rows: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def as_dict(self) -> dict:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def update(self, **changes: object) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _outcome(result: RunResult, started: float) -> dict:
    return {
        "run_id": result.run_id,
        "at": _now(),
        "seconds": round(time.monotonic() - started, 1),
        "verdict": result.verdict,
        "published_version": result.published_version if result.published is not None and result.published.new else None,
    }


class Writer:
    """Serve's one writing thread (see module docstring)."""

    def __init__(self, settings: Settings, spool: PushSpool) -> None:
        self.settings = settings
        self.spool = spool
        self.status = WriterStatus()
        self._clock = time.monotonic
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="orderlayer-serve-writer", daemon=True)
        serve = settings.serve
        self._next_poll = self._clock() + (0 if serve.reconcile_at_start else serve.reconcile_every_minutes * 60)
        self._last_batch_started: float | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 600) -> None:
        """Stop after the step in progress (a build is not interrupted: dbt's writes are one transaction each, but a
        publish half-way is not something to risk on a service manager's stop)."""
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # the receivers must keep answering; what is spooled or landed stays for the next tick
                self.status.update(failures=self.status.failures + 1)
                log.exception("serve's writer failed; it tries again at the next tick")
            if self._stop.wait(self.settings.serve.land_every_seconds):
                return

    def tick(self) -> str:
        """One tick: land, then a poll or a micro-batch when due. Returns what it did: "busy" (another writer holds
        the warehouse), "poll", "batch", "landed" or "idle"."""
        serve = self.settings.serve
        spooled = self.spool.counts("record")  # fetch requests become records on the fetcher's thread
        has_spooled = any(spooled.get(name) for name in pushing_connections(self.settings))
        poll_due = self._clock() >= self._next_poll
        batch_due = self.status.unbuilt_rows > 0 and (
            self._last_batch_started is None or self._clock() - self._last_batch_started >= serve.publish_every_seconds
        )
        if not (has_spooled or poll_due or (batch_due and serve.micro_batches)):
            return "idle"  # leave the warehouse (and its lock) alone
        db = self.settings.database
        try:
            with writer_lock(db, "serve", 0, settings=self.settings):
                if not snapshot_path(db).exists():  # readers never read the warehouse itself while serve writes it
                    refresh_snapshot(db)
                try:
                    added = self._land() if has_spooled else 0
                    if poll_due:
                        self._poll()
                        return "poll"
                    if serve.micro_batches and (batch_due or (added and self._batch_allowed())):
                        self._batch()
                        return "batch"
                    return "landed" if added else "idle"
                finally:
                    refresh_snapshot(db)  # like every writer, whatever the outcome (core/snapshot.py)
        except WarehouseBusy:
            return "busy"

    def _batch_allowed(self) -> bool:
        return self._last_batch_started is None or self._clock() - self._last_batch_started >= self.settings.serve.publish_every_seconds

    def _land(self) -> int:
        results = land_pushes(self.settings, kinds=("record",))
        added = sum(r.rows_added for r in results)
        for result in results:
            if result.status == "ok":
                log.info("landed %d pushed item(s) of %s in raw (%d new rows)", result.records, result.connection, result.rows_added)
            else:
                log.warning("%s: %s", result.connection, result.error)
        if results:
            self.status.update(landings=self.status.landings + 1, last_landing=_now(), unbuilt_rows=self.status.unbuilt_rows + added)
        return added

    def _batch(self) -> None:
        self._last_batch_started = started = self._clock()
        landed = self.status.unbuilt_rows
        self.status.update(unbuilt_rows=0)
        result = self._run("micro-batch", [], started, landed)
        if result is not None:
            self.status.update(batches=self.status.batches + 1, last_batch=_outcome(result, started))

    def _poll(self) -> None:
        started = self._clock()
        self._next_poll = started + self.settings.serve.reconcile_every_minutes * 60
        landed = self.status.unbuilt_rows
        self.status.update(unbuilt_rows=0)
        result = self._run("reconcile poll", None, started, landed)
        if result is not None:
            self._last_batch_started = started
            self.status.update(polls=self.status.polls + 1, last_poll=_outcome(result, started))

    def _run(self, what: str, connections: list[str] | None, started: float, landed: int) -> RunResult | None:
        try:
            result = run(self.settings, LogProgress(what), connections=connections, kind=f"serve {what}")
        except (StageError, ConfigError) as exc:
            # what landed is still unbuilt: the next tick tries again (a poll at its next due time)
            self.status.update(failures=self.status.failures + 1, unbuilt_rows=self.status.unbuilt_rows + landed)
            log.error("%s failed: %s", what, exc)
            return None
        published = result.published_version if result.published is not None and result.published.new else None
        log.info(
            "%s: %s in %.1f s%s",
            what, result.verdict, self._clock() - started,
            f", published version {published}" if published is not None else ", published unchanged",
        )
        return result


class FetchWorker:
    """Serve's fetcher thread (see module docstring): resolves spooled fetch requests as they come."""

    def __init__(self, settings: Settings, spool: PushSpool) -> None:
        self.settings = settings
        self.spool = spool
        #: how long it waits when nothing was fetched: half the writer's tick, so fetched records are ready for it
        self.idle_seconds = settings.serve.land_every_seconds / 2
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="orderlayer-serve-fetcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 120) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                fetched = resolve_fetches(self.settings, self.spool)
            except Exception:  # the receivers must keep answering; the requests stay spooled
                log.exception("resolving fetch requests failed; they stay spooled for the next attempt")
                fetched = 0
            if not fetched and self._stop.wait(self.idle_seconds):
                return
