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
from datetime import datetime, timezone
from typing import TYPE_CHECKING


from orderlayer.core import ops
from orderlayer.core.push_spool import KINDS, PushSpool, Spooled, loads, spool_path
from orderlayer.core.registry import source
from orderlayer.loader import stores
from orderlayer.loader.canonical import decode_object
from orderlayer.taps.common.push import Fetcher, PushRecord

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from orderlayer.core.config import Settings

log = logging.getLogger(__name__)
#: Spooled records landed per transaction: a backlog after a long pause lands in bounded memory.
BATCH = 10_000
#: Fetch requests serve resolves at a time (resolve_fetches): what is fetched lands while a burst is still fetched.
FETCH_BATCH = 200


@dataclass(frozen=True)
class Landed:
    connection: str
    sync_id: str
    status: str  # ok / failed (the records stay in the spool)
    records: int
    rows_added: int
    error: str | None = None


def pushing_connections(settings: Settings, names: Iterable[str] | None = None) -> list[str]:
    """The named connections (default: all) whose source has a push channel (a receiver or a consumer)."""
    chosen = list(settings.connections) if names is None else list(names)
    return [n for n in chosen if n in settings.connections and source(settings.connections[n].source).pushes]


def fetcher_for(settings: Settings, name: str) -> Fetcher | None:
    """The connection's receiver or consumer that fetches the records its pushes name (None: neither does)."""
    from orderlayer.core.sync import push_config  # core.sync lands the spool before it syncs: imported here

    spec = source(settings.connections[name].source)
    config = push_config(name, settings)
    for cls in (spec.receiver_class(), spec.consumer_class()):
        if cls is not None and isinstance(channel := cls.from_config(config), Fetcher):
            return channel
    return None


def land_pushes(
    settings: Settings, names: Iterable[str] | None = None, run_id: str | None = None, kinds: Iterable[str] = KINDS
) -> list[Landed]:
    """Land what the spool holds for these connections (default: all); the caller holds the writer lock. The
    records pushes carried land first, then the records fetch requests name (every id fetched once however many
    requests name it); ``kinds`` ("record" only: serve's fetcher resolves the requests). A landing that fails is a
    result (its items stay spooled for the next one), not an error."""
    db = settings.database
    path = spool_path(db)
    connections = pushing_connections(settings, names)
    if not path.exists() or not connections:
        return []
    results: list[Landed] = []
    try:
        with PushSpool(path) as spool:
            for name in connections:
                for kind in kinds:
                    while items := spool.pending([name], limit=BATCH, kind=kind):
                        result = _land(settings, name, items, run_id)
                        results.append(result)
                        if result.status != "ok":
                            break  # the items stay spooled; the next landing tries again
                        spool.remove(item.seq for item in items)
                        spool.note(name, "landed", len(items))
                        if len(items) < BATCH:
                            break
    except sqlite3.Error as exc:  # the spool unreadable or its delete failed: what landed lands as nothing new next time
        log.warning("the push spool %s could not be read or cleared (%s); its records land next time", path, exc)
    return results


def resolve_fetches(settings: Settings, spool: PushSpool, names: Iterable[str] | None = None) -> int:
    """Fetch what the spooled fetch requests name and put the records in the spool in their place (PushSpool.swap),
    ``FETCH_BATCH`` requests at a time so records land while a burst is still being fetched. Needs no warehouse lock:
    serve runs it beside its micro-batches. Returns the records fetched; a failure leaves the requests spooled."""
    fetched_total = 0
    for name in pushing_connections(settings, names):
        while items := spool.pending([name], limit=FETCH_BATCH, kind="fetch"):
            try:
                fetched = _fetch(settings, name, items)
            except Exception as exc:  # noqa: BLE001 - a platform down, a token expired: fetched again next time
                log.warning("%s: fetching %d pushed id(s) failed (%s: %s); they stay spooled", name, len(items), type(exc).__name__, exc)
                break
            first = items[0].seq
            records = [
                PushRecord(stream, f"fetched:{first}:{stream}:{k}", record)
                for stream, rows in fetched.items()
                for k, record in enumerate(rows)
            ]
            spool.swap(name, (item.seq for item in items), records, datetime.now(timezone.utc))
            fetched_total += len(records)
            if len(items) < FETCH_BATCH:
                break
    return fetched_total


def _fetch(settings: Settings, name: str, items: list[Spooled]) -> dict[str, list[dict]]:
    """stream -> the records the fetch requests name, each id fetched once (in the order first requested)."""
    fetcher = fetcher_for(settings, name)
    if fetcher is None:
        msg = "its pushes ask for records to be fetched, but its settings no longer open a push channel that fetches"
        raise ValueError(msg)
    fetched: dict[str, list[dict]] = {}
    for stream in sorted({item.stream for item in items}):
        ids = list(dict.fromkeys(str(loads(item.record)["id"]) for item in items if item.stream == stream))
        fetched[stream] = fetcher.fetch(stream, ids)
        log.info("%s: fetched %d of %d %s record(s) named by %d push event(s)", name, len(fetched[stream]), len(ids), stream, sum(i.stream == stream for i in items))
    return fetched


def _land(settings: Settings, name: str, items: list[Spooled], run_id: str | None) -> Landed:
    db: Path = settings.database
    ops_db = stores.ops_database(settings, db)
    conn = settings.connections[name]
    keys = source(conn.source).push_streams()
    sync_id = str(uuid.uuid4())
    record = {
        "sync_id": sync_id, "run_id": run_id, "connection": name, "started_at": ops.now(), "finished_at": None,
        "status": "running", "records_read": len(items), "rows_added": None, "bookmark_before": None,
        "bookmark_after": None, "error": None,
    }
    ops.record_sync(ops_db, record)  # before anything lands: no raw row without its sync record
    added, error = 0, None
    try:
        if items[0].kind == "fetch":
            fetched_at = datetime.now(timezone.utc)
            by_stream = {stream: [{**r, "__extracted_at": fetched_at} for r in rows] for stream, rows in _fetch(settings, name, items).items()}
        else:
            by_stream = {}
            for item in items:
                by_stream.setdefault(item.stream, []).append(_record(item))
        with stores.open_raw_store(settings, db, conn.channel, name, sync_id) as raw, raw.transaction():
            for stream in sorted(by_stream):
                added += raw.append(stream, by_stream[stream], list(keys.get(stream, ())), None)
        stores.after_landing(settings, db)  # Spark: a new raw table into its catalog
    except Exception as exc:  # noqa: BLE001 - a full disk, a platform down while fetching: the spool keeps the items
        error = f"landing {len(items)} pushed item(s) failed: {type(exc).__name__}: {exc}"
        log.warning("%s: %s", name, error)
    status = "ok" if error is None else "failed"
    ops.record_sync(ops_db, {**record, "finished_at": ops.now(), "status": status, "rows_added": added if error is None else 0, "error": error})
    return Landed(name, sync_id, status, len(items), added if error is None else 0, error)


def _record(item: Spooled) -> dict:
    record = decode_object(item.record)  # float-free, so the raw store writes it on its fast path
    record["__extracted_at"] = item.received_at
    return record
