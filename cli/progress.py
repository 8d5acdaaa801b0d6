"""How a sync or a run looks: on a terminal a rich bar per connection and a spinner per stage counting dbt's
nodes; in a pipe or a log, one line per connection and per stage. Progress goes to stderr, results to stdout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.status import Status

from orderlayer.cli.output import Format, escape, print_check
from orderlayer.core.dbt import DbtNode
from orderlayer.core.incremental import BuildOutcome
from orderlayer.core.pipeline import CheckResult
from orderlayer.core.sync import SyncResult


class ProgressView:
    """Draws what `core.sync.sync_all` and `core.pipeline.run` report (their SyncProgress / RunProgress).

    Use as a context manager: the bars are stopped however the sync ends."""

    def __init__(self, out: Console, err: Console, results: bool = True, db: Path | None = None) -> None:
        """`results`: print the check's summary when it is known (off for --format json: one document);
        `db`: the warehouse its examples' order ids are looked up in."""
        self._out = out
        self._results = results
        self._db = db
        self._err = err
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} records"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
            disable=not err.is_terminal,  # off a terminal syncs_finished's one line per connection says it all
        )
        self._tasks: dict[str, TaskID] = {}
        self._status: Status | None = None
        self._stage = ""
        self._nodes = 0

    def __enter__(self) -> ProgressView:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop()

    def _stop(self) -> None:
        # Progress.stop() is not idempotent: off a terminal every call prints a blank line.
        if self._bars.live.is_started:
            self._bars.stop()

    def sync_started(self, connection: str) -> None:
        if not self._tasks:  # the bars appear with the first sync, not before a configuration error
            self._bars.start()
        self._tasks[connection] = self._bars.add_task(f"sync {connection}", total=None)

    def records_read(self, connection: str, count: int) -> None:
        self._bars.advance(self._tasks[connection], count)

    def sync_finished(self, result: SyncResult) -> None:
        self._bars.update(self._tasks[result.connection], total=max(result.records_read, 1), completed=result.records_read)
        if not self._err.is_terminal:  # a log gets each connection's line as it finishes
            self._sync_line(result)

    def syncs_finished(self, results: list[SyncResult]) -> None:
        self._stop()
        if self._err.is_terminal:  # below the bars, once they stop
            for r in results:
                self._sync_line(r)

    def _sync_line(self, r: SyncResult) -> None:
        style = "green" if r.status == "ok" else "red"
        self._err.print(
            f"[{style}]{r.connection}: {r.status}[/] — {r.records_read:,} records read, {r.rows_added:,} new raw rows; "
            f"bookmark {bookmark_text(r.bookmark_before)} → {bookmark_text(r.bookmark_after)}"
            + (f"\n  {escape(r.error)}\n  log: {escape(r.log_path)}" if r.error else ""),
            soft_wrap=True,
        )

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A spinner while the stage runs (on a terminal), then one line: how long, how many dbt nodes."""
        self._stage, self._nodes = name, 0
        started = time.monotonic()
        try:
            if self._err.is_terminal:
                with self._err.status(name) as status:
                    self._status = status
                    yield
            else:
                yield
        finally:
            self._status = None
        nodes = f", {self._nodes:,} dbt nodes" if self._nodes else ""
        self._err.print(f"{name}: done in {time.monotonic() - started:.0f} s{nodes}", highlight=False)

    def step(self, text: str) -> None:
        """A named part of the stage (dbt source freshness, GX gates) on the spinner."""
        if self._status is not None:
            self._status.update(f"{self._stage} · {text}")

    def dbt_node(self, node: DbtNode) -> None:
        """dbt's node events during a stage: the spinner shows dbt's own "i of n" and the node's name."""
        if node.status is not None:
            self._nodes += 1
        if self._status is not None:
            self._status.update(f"{self._stage} · {node.index:,} of {node.total:,} · {node.name}")

    def built(self, outcome: BuildOutcome) -> None:
        self._out.print(escape(outcome.reason))

    def checked(self, result: CheckResult) -> None:
        if self._results:
            print_check(result, Format.table, self._out, self._db)


def bookmark_text(state: dict | None) -> str:
    """A Singer state as `stream=value, …`; epoch-second bookmarks shown as UTC timestamps."""
    if not state:
        return "none"
    values = []
    for stream, entry in (state.get("bookmarks") or {}).items():
        value = entry.get("replication_key_value") if isinstance(entry, dict) else None
        if isinstance(value, int) and value > 10**8:
            value = datetime.fromtimestamp(value, timezone.utc).isoformat()
        values.append(f"{stream}={value}")
    return ", ".join(values) or "none"
