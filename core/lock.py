"""One writer at a time: the warehouse lock every writing command takes (docs/operations.md, D-054).

DuckDB lets one process write a file and refuses a second one at once ("Could not set lock"). Writers
(`sync`, `build`, `check`, `publish`, `run`, `demo`) therefore queue on a lock file beside the database
first: `<database>.lock`, held with `flock` for the command's whole life and naming its holder (pid, host,
command, start time). The kernel drops the lock when its holder dies, so a killed writer never leaves a
lock that has to be removed by hand; the holder record it leaves behind is how the next writer knows it
died, and that writer closes the dead one's `running` run and sync records as `abandoned`.

A writer that finds the lock taken says once who holds it and waits up to `warehouse.lock_wait_seconds`,
then gives up with that line (`WarehouseBusy`). A program that is not an orderlayer writer (a notebook
holding the file) is waited for the same way. Readers never take this lock: they read the snapshot
(core/snapshot.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from orderlayer.core.config import Settings
from orderlayer.core.ops import close_abandoned
from orderlayer.core.warehouse import WarehouseBusy

T = TypeVar("T")

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock."""

    pid: int
    host: str
    command: str
    started_at: str

    def describe(self) -> str:
        return f"`orderlayer {self.command}` (pid {self.pid} on {self.host}, since {self.started_at})"


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def read_holder(path: Path) -> Holder | None:
    """The holder record in a lock file; None when there is none (free, or a holder that released cleanly)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):  # being rewritten right now, or not ours
        return None


def _busy_line(db: Path, holder: Holder | None) -> str:
    who = holder.describe() if holder else "another orderlayer command"
    return f"warehouse {db} is busy: {who} is writing to it"


def reader_busy_line(db: Path, exc: WarehouseBusy) -> str:
    """The line for a reader refused by the warehouse itself: that happens only while there is no read snapshot
    yet, so when an orderlayer writer holds the lock, say so (it writes the snapshot first) rather than blame a
    notebook."""
    holder = read_holder(lock_path(db))
    if holder is None:
        return str(exc)
    return f"{_busy_line(db, holder)} and there is no read snapshot yet; it writes one before its work: retry in a moment"


@dataclass
class WriterLock:
    """The held lock: who we are, and the holder record a writer that died left behind (if any)."""

    db: Path
    holder: Holder
    died: Holder | None
    abandoned: list[str]


@contextmanager
def writer_lock(
    db: Path,
    command: str,
    wait_seconds: float,
    tell: Callable[[str], None] = lambda line: None,
    settings: Settings | None = None,
) -> Iterator[WriterLock]:
    """Hold the warehouse's writer lock for the body. Waits up to ``wait_seconds`` for another writer (or a
    program holding the database file), telling once who it waits for; then raises WarehouseBusy with that
    line. On entry, run and sync records a dead writer left `running` are closed as `abandoned` (`settings`: where
    an `engine: spark` warehouse keeps them)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(db)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        _until(lambda: _take(fd, db), deadline, wait_seconds, tell)
        died = read_holder(path)  # a clean release empties the record: one left here belonged to a writer that died
        me = Holder(os.getpid(), socket.gethostname(), command, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(me)).encode(), 0)
        os.fsync(fd)
        try:
            # closing what a dead writer left is also the first open of the file: it waits for a program holding it
            abandoned = _until(lambda: close_abandoned(db, died, settings), deadline, wait_seconds, tell) if db.exists() else []
            yield WriterLock(db, me, died, abandoned)
        finally:
            os.ftruncate(fd, 0)  # released cleanly: no holder record left
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _take(fd: int, db: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise WarehouseBusy(_busy_line(db, read_holder(lock_path(db)))) from None


def _until(attempt: Callable[[], T], deadline: float, wait_seconds: float, tell: Callable[[str], None]) -> T:
    """Call ``attempt`` until it no longer raises WarehouseBusy: tell its line once, give up with it at the deadline."""
    told = False
    while True:
        try:
            return attempt()
        except WarehouseBusy as exc:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{exc}; gave up after {wait_seconds:g} s (warehouse.lock_wait_seconds)") from None
            if not told:
                tell(f"{exc}; waiting up to {wait_seconds:g} s")
                told = True
            time.sleep(POLL_SECONDS)
