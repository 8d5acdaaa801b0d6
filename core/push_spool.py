"""The push spool: where `orderlayer serve` stores a verified push before it answers (docs/serve.md).

DuckDB lets one process write the warehouse, and that is the writer holding the lock (core/lock.py), so the
receiver cannot write raw itself without blocking `sync` and `run`. It appends to this SQLite file beside the
warehouse instead (`<database>.pushes.sqlite`): WAL journal with `synchronous=FULL`, so a push is on disk when its
insert commits, which is when the receiver acknowledges it. SQLite lets many processes share the file: the receiver
appends while a writer (`sync`, `run`, serve's own landing) reads the spool, lands it in raw and removes what it
landed (core/push_landing.py). One row per (connection, message id): a platform's redelivery of a message still in
the spool adds nothing; one already landed adds a row that lands as the same raw row (raw dedups by record hash).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from orderlayer.loader.raw_store import canonical_json
from orderlayer.taps.common.push import PushRecord

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from orderlayer.taps.common.push import PushItem

#: How long one statement waits for another process's write to the spool to finish.
BUSY_TIMEOUT_SECONDS = 30
SCHEMA = """
create table if not exists pushes (
    seq integer primary key autoincrement,
    connection text not null,
    message_id text not null,
    stream text not null,
    record text not null,
    received_at text not null,
    kind text not null default 'record',
    unique (connection, message_id)
)
"""
#: What serve and the landing did per connection, for `orderlayer status` (core/status.py): outcome is accepted,
#: duplicate, rejected, failed (pushes) or landed (items landed in raw); at is the last time, UTC ISO-8601.
LOG_SCHEMA = """
create table if not exists push_log (
    connection text not null,
    outcome text not null,
    count integer not null,
    at text not null,
    primary key (connection, outcome)
)
"""
#: kind: 'record' (the record a push carried) or 'fetch' (``{"id": …}`` of a record the landing fetches).
KINDS = ("record", "fetch")


def spool_path(db: Path) -> Path:
    return db.with_name(db.name + ".pushes.sqlite")


@dataclass(frozen=True)
class Spooled:
    """One stored push record, as the landing reads it."""

    seq: int
    connection: str
    message_id: str
    stream: str
    record: str
    received_at: datetime
    kind: str = "record"


class PushSpool:
    """The spool file. One connection shared by the threads of a process, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        self._con.execute("pragma journal_mode = wal")
        self._con.execute("pragma synchronous = full")  # a committed push survives a power cut, not only a crash
        self._con.execute(SCHEMA)
        self._con.execute(LOG_SCHEMA)
        columns = {row[1] for row in self._con.execute("pragma table_info(pushes)")}
        if "kind" not in columns:  # a spool written before fetch requests existed holds records only
            self._con.execute("alter table pushes add column kind text not null default 'record'")

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> PushSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, connection: str, items: Iterable[PushItem]) -> int:
        """Store one push's items (records, fetch requests) in one transaction; returns how many were new (0: a
        redelivery). Returns only once they are committed; raises (sqlite3.Error, OSError) when they could not be."""
        return self.add_each(connection, {connection: list(items)})

    def add_each(self, pushed_to: str, items: Mapping[str, list[PushItem]]) -> int:
        """Store one push's items, each under its connection (a push to ``pushed_to`` may carry other shops' items:
        taps/common/push.py Receiver.app), in one transaction; returns how many were new, as add."""
        received = datetime.now(timezone.utc).isoformat()
        rows = [
            (connection, i.message_id, i.stream, canonical_json(i.record), received, "record")
            if isinstance(i, PushRecord)
            else (connection, i.message_id, i.stream, canonical_json({"id": i.id}), received, "fetch")
            for connection, its in items.items()
            for i in its
        ]
        with self._lock, self._transaction():
            before = self._con.total_changes
            self._con.executemany(
                "insert or ignore into pushes (connection, message_id, stream, record, received_at, kind) values (?, ?, ?, ?, ?, ?)",
                rows,
            )
            new = self._con.total_changes - before
            self._count(pushed_to, "accepted" if new or not rows else "duplicate", 1, received)
            return new

    def pending(self, connections: Iterable[str], limit: int | None = None, kind: str | None = None) -> list[Spooled]:
        """The stored items of these connections (of one kind, or all), oldest first."""
        names = list(connections)
        if not names:
            return []
        marks = ",".join("?" * len(names))
        sql = f"select seq, connection, message_id, stream, record, received_at, kind from pushes where connection in ({marks})"
        args: list[object] = list(names)
        if kind is not None:
            sql += " and kind = ?"
            args.append(kind)
        sql += " order by seq"
        if limit is not None:
            sql += " limit ?"
            args.append(limit)
        with self._lock:
            rows = self._con.execute(sql, args).fetchall()
        return [Spooled(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), r[6]) for r in rows]

    def remove(self, seqs: Iterable[int]) -> None:
        """Forget landed records (by their spool sequence: a redelivery spooled meanwhile stays)."""
        ids = [(s,) for s in seqs]
        with self._lock, self._transaction():
            self._con.executemany("delete from pushes where seq = ?", ids)

    def note(self, connection: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` of an outcome for the connection (see LOG_SCHEMA)."""
        with self._lock, self._transaction():
            self._count(connection, outcome, n, datetime.now(timezone.utc).isoformat())

    def _count(self, connection: str, outcome: str, n: int, at: str) -> None:
        self._con.execute(
            "insert into push_log values (?, ?, ?, ?) on conflict (connection, outcome) do update set count = count + excluded.count, at = excluded.at",
            (connection, outcome, n, at),
        )

    def log(self) -> dict[str, dict[str, tuple[int, str]]]:
        """connection -> outcome -> (count, last time)."""
        with self._lock:
            rows = self._con.execute("select connection, outcome, count, at from push_log").fetchall()
        found: dict[str, dict[str, tuple[int, str]]] = {}
        for connection, outcome, count, at in rows:
            found.setdefault(connection, {})[outcome] = (count, at)
        return found

    def oldest(self) -> dict[str, str]:
        """connection -> when its oldest spooled item was received."""
        with self._lock:
            return dict(self._con.execute("select connection, min(received_at) from pushes group by connection").fetchall())

    def counts(self) -> dict[str, int]:
        """Stored records per connection (the backlog)."""
        with self._lock:
            return dict(self._con.execute("select connection, count(*) from pushes group by connection").fetchall())

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error): the write lock is taken up front, so a spool busy in
        another process waits in BEGIN rather than failing half-way."""
        self._con.execute("begin immediate")
        try:
            yield
        except BaseException:
            self._con.execute("rollback")
            raise
        self._con.execute("commit")


def loads(text: str) -> dict:
    """A spooled record back as the dict it was (numbers with a fraction as Decimal, digit for digit, like the
    target reads the tap's messages), so its canonical JSON and so its raw record hash are the same again."""
    return json.loads(text, parse_float=Decimal)
