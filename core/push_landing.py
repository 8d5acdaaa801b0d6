"""Landing spooled pushes in raw (docs/serve.md): the spool's records go through the loader's raw store into the
same raw table as the tap's records, under the warehouse's writer lock, which the caller holds (`sync` and `run`
before they sync, `serve` when the lock is free).

Per connection, one transaction commits the records into raw, and only then are they removed from the spool. A
crash between the two leaves them in the spool; the next landing appends them again and raw keeps one row, as a
raw row is keyed by the hash of the record's canonical JSON. A landing is a sync record (`ops.sync_runs`, no
bookmark), so every raw row it adds is traceable to it like a sync's.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from orderlayer.core import ops
from orderlayer.core.push_spool import PushSpool, Spooled, spool_path
from orderlayer.core.registry import source
from orderlayer.core.warehouse import RAW, connect
from orderlayer.loader.canonical import decode_object
from orderlayer.loader.raw_store import RawStore

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from orderlayer.core.config import Settings

log = logging.getLogger(__name__)
#: Spooled records landed per transaction: a backlog after a long pause lands in bounded memory.
BATCH = 10_000


@dataclass(frozen=True)
class Landed:
    connection: str
    sync_id: str
    status: str  # ok / failed (the records stay in the spool)
    records: int
    rows_added: int
    error: str | None = None


def pushing_connections(settings: Settings, names: Iterable[str] | None = None) -> list[str]:
    """The named connections (default: all) whose source has a push receiver."""
    chosen = list(settings.connections) if names is None else list(names)
    return [n for n in chosen if n in settings.connections and source(settings.connections[n].source).receiver is not None]


def land_pushes(settings: Settings, names: Iterable[str] | None = None, run_id: str | None = None) -> list[Landed]:
    """Land what the spool holds for these connections (default: all); the caller holds the writer lock. A landing
    that fails is a result (its records stay spooled for the next one), not an error."""
    db = settings.database
    path = spool_path(db)
    connections = pushing_connections(settings, names)
    if not path.exists() or not connections:
        return []
    results: list[Landed] = []
    try:
        with PushSpool(path) as spool:
            for name in connections:
                while items := spool.pending([name], limit=BATCH):
                    result = _land(settings, name, items, run_id)
                    results.append(result)
                    if result.status != "ok":
                        break  # the records stay spooled; the next landing tries again
                    spool.remove(item.seq for item in items)
                    if len(items) < BATCH:
                        break
    except sqlite3.Error as exc:  # the spool unreadable or its delete failed: what landed lands as nothing new next time
        log.warning("the push spool %s could not be read or cleared (%s); its records land next time", path, exc)
    return results


def _land(settings: Settings, name: str, items: list[Spooled], run_id: str | None) -> Landed:
    db: Path = settings.database
    conn = settings.connections[name]
    keys = source(conn.source).receiver_class().streams
    sync_id = str(uuid.uuid4())
    record = {
        "sync_id": sync_id, "run_id": run_id, "connection": name, "started_at": ops.now(), "finished_at": None,
        "status": "running", "records_read": len(items), "rows_added": None, "bookmark_before": None,
        "bookmark_after": None, "error": None,
    }
    ops.record_sync(db, record)  # before anything lands: no raw row without its sync record
    added, error = 0, None
    try:
        con = connect(db, create=True)
        try:
            raw = RawStore(con, RAW, conn.channel, name, sync_id)
            with raw.transaction():
                for stream in sorted({item.stream for item in items}):
                    rows = (_record(item) for item in items if item.stream == stream)
                    added += raw.append(stream, rows, list(keys.get(stream, ())), None)
        finally:
            con.close()
    except (duckdb.Error, OSError, ValueError) as exc:  # e.g. a full disk: the spool keeps the records
        error = f"landing {len(items)} pushed record(s) failed: {exc}"
        log.warning("%s: %s", name, error)
    status = "ok" if error is None else "failed"
    ops.record_sync(db, {**record, "finished_at": ops.now(), "status": status, "rows_added": added if error is None else 0, "error": error})
    return Landed(name, sync_id, status, len(items), added if error is None else 0, error)


def _record(item: Spooled) -> dict:
    record = decode_object(item.record)  # float-free, so the raw store writes it on its fast path
    record["__extracted_at"] = item.received_at
    return record
