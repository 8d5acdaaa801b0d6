"""Spark storage of the loader: raw tables as Parquet files in the Spark warehouse, and the persisted Singer state.

`engine: spark` (docs/loader.md, "Raw on Spark"). The loader needs no JVM: each batch of a stream becomes one new
Parquet file in its table's folder, `<warehouse>/<schema>.db/<prefix>__<stream>/`, with the columns and meaning of
the DuckDB raw table (loader/raw_store.py), so the same dbt sources read both. A file is written under a name Spark
and the loader ignore (`_tmp-…`), made durable, and moved to its `part-…parquet` name only when the transaction
commits; the state covering the rows is written (the same way) after every file of the commit is in place. A crash
before the move leaves an ignored temporary file; a crash between the moves and the state re-lands the same
versions on the next run, and the hashes already in the table's files drop them. One writer at a time per warehouse
(core/lock.py), as on DuckDB: the hash cache and the landing numbers rely on it.

The warehouse is a local path, or a URL pyarrow's filesystem layer opens: `hdfs://…` (rename is atomic there), or an
object store, `s3://…`/`s3a://…` (pyarrow writes `s3a://` as `s3://`, the same bucket and key) or `gs://…`, where
the move is a server-side copy: the `part-` object appears whole or not at all, and a `_tmp-` object a crash leaves
between the copy and the delete is ignored by Spark and by the loader.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple
from urllib.parse import quote

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from orderlayer.core.processes import alive
from orderlayer.loader.raw_store import LandsRecords, RawRow, _bookmarks, check_identifier, regressions

#: The raw table's columns, as the DuckDB raw table has them (loader/raw_store.py RAW_COLUMNS): `_record` is the
#: canonical JSON text (Spark has no JSON type), the instants UTC microseconds.
RAW_SCHEMA = pa.schema(
    [
        pa.field("_record_hash", pa.string(), nullable=False),
        pa.field("_stream", pa.string(), nullable=False),
        pa.field("_connection", pa.string(), nullable=False),
        pa.field("_primary_key", pa.string()),
        pa.field("_replication_value", pa.string()),
        pa.field("_record", pa.string(), nullable=False),
        pa.field("_extracted_at", pa.timestamp("us", tz="UTC")),
        pa.field("_synced_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("_sync_id", pa.string(), nullable=False),
        pa.field("_landed_seq", pa.int64(), nullable=False),
    ]
)

#: A landed file: `part-<first landing number>-<last landing number>-<id>.parquet`, so the next number is known
#: from the file names alone. Spark reads every file of the folder not starting with `_` or `.`.
_PART = re.compile(r"^part-(\d{19})-(\d{19})-[0-9a-f]{32}\.parquet$")
_TMP_PREFIX = "_tmp-"
#: Folder (beside the schemas' folders) of the persisted Singer state, one JSON file per state key.
STATE_DIR = "_orderlayer_state"
#: Object stores: no rename, a move is a copy; nothing to fsync (an object is durable once written).
_OBJECT_STORES = {"s3", "gcs", "abfs"}


class Warehouse(NamedTuple):
    """The Spark warehouse folder: the filesystem pyarrow writes it through, its path there, and its URL as Spark
    names it (a table's LOCATION)."""

    fs: pafs.FileSystem
    root: str
    url: str

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def location(self, *parts: str) -> str:
        return "/".join([self.url.rstrip("/"), *parts])


def open_warehouse(url: str) -> Warehouse:
    """The warehouse at `url`: a local path, or `hdfs://`, `s3://`/`s3a://`, `gs://`. Credentials, region and
    endpoint as pyarrow reads them (AWS_* environment variables, instance roles), never in the URL: Spark is given
    the same URL as each table's location."""
    if "://" not in url or url.startswith("file://"):
        local = Path(url.removeprefix("file://")).resolve()
        return Warehouse(pafs.LocalFileSystem(), str(local), str(local))
    scheme, rest = url.split("://", 1)
    if scheme in ("s3", "s3a", "s3n"):
        # not from_uri: it asks the bucket for its region over the network; the region is the environment's
        return Warehouse(pafs.S3FileSystem(), rest.rstrip("/"), url)
    fs, root = pafs.FileSystem.from_uri(url)
    return Warehouse(fs, root, url)


def _sync_dir(fs: pafs.FileSystem, directory: str) -> None:
    """fsync a local folder, so a rename in it survives a power cut."""
    if isinstance(fs, pafs.LocalFileSystem):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_hidden(wh: Warehouse, directory: str, write: Callable[[Any], None]) -> str:
    """Write a new file in `directory` under a name Spark ignores, durably; returns its path (see `reveal`)."""
    wh.fs.create_dir(directory, recursive=True)
    path = f"{directory}/{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
    if isinstance(wh.fs, pafs.LocalFileSystem):
        with open(path, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
    else:  # HDFS: closing completes the file on its datanodes; an object store: the object exists once closed
        with wh.fs.open_output_stream(path) as out:
            write(out)
    return path


def reveal(wh: Warehouse, hidden: str, final: str) -> None:
    """Give a hidden file its final name: one rename locally and on HDFS; a copy on an object store (the object
    appears whole), then the hidden one is deleted."""
    wh.fs.move(hidden, final)
    _sync_dir(wh.fs, final.rsplit("/", 1)[0])


def write_file(wh: Warehouse, final: str, data: bytes) -> None:
    """Replace or create a small file all at once (readers see the old one or the new one)."""
    reveal(wh, write_hidden(wh, final.rsplit("/", 1)[0], lambda out: out.write(data)), final)


def _listing(wh: Warehouse, directory: str) -> list[pafs.FileInfo]:
    return wh.fs.get_file_info(pafs.FileSelector(directory, allow_not_found=True))


def landed_files(wh: Warehouse, directory: str) -> list[str]:
    """The landed Parquet files of a table folder, in landing order."""
    return sorted(i.path for i in _listing(wh, directory) if i.type == pafs.FileType.File and _PART.match(i.base_name))


def remove_dead_hidden(wh: Warehouse, directory: str) -> list[str]:
    """Remove the temporary files a killed loader of this machine left in `directory` (its process is gone)."""
    if not isinstance(wh.fs, pafs.LocalFileSystem):
        return []  # another machine's loader may be writing; a stray `_tmp-` object is ignored by every reader
    removed = []
    for info in _listing(wh, directory):
        pid = info.base_name.removeprefix(_TMP_PREFIX).split("-", 1)[0]
        if info.base_name.startswith(_TMP_PREFIX) and pid.isdigit() and not alive(int(pid)):
            wh.fs.delete_file(info.path)
            removed.append(info.path)
    return removed


class _Pending(NamedTuple):
    hidden: str
    final: str
    stream: str


class ParquetRawStore(LandsRecords):
    """One raw table per source stream, `<schema>.<prefix>__<stream>`, as Parquet files in the Spark warehouse; the
    same interface as the DuckDB `RawStore` (append, append_rows, transaction, write_state)."""

    def __init__(self, warehouse: str | Warehouse, schema: str, prefix: str, connection: str, sync_id: str):
        self.wh = warehouse if isinstance(warehouse, Warehouse) else open_warehouse(warehouse)
        self.schema = check_identifier(schema, "schema")
        self.prefix = check_identifier(prefix, "table_prefix")
        self.connection = connection
        self.sync_id = sync_id
        self._in_transaction = False
        self._pending: list[_Pending] = []
        self._pending_state: tuple[str, dict[str, Any]] | None = None
        #: per stream, the hashes in its table's files (read once per run), plus those of pending files
        self._hashes: dict[str, set[str]] = {}
        self._next_seq: int | None = None

    def table(self, stream: str) -> str:
        return f"{self.schema}.{self.table_name(stream)}"

    def table_name(self, stream: str) -> str:
        return f"{self.prefix}__{re.sub(r'[^a-z0-9_]', '_', stream.lower())}"

    def table_dir(self, stream: str) -> str:
        return self.wh.path(f"{self.schema}.db", self.table_name(stream))

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Files written inside appear when it ends (each at once), then the state it staged; inside an open one,
        joins it. On an error nothing appears and the state is not written."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._abandon()
            raise
        else:
            self._commit()
        finally:
            self._in_transaction = False

    def _commit(self) -> None:
        while self._pending:
            try:
                reveal(self.wh, self._pending[0].hidden, self._pending[0].final)
            except BaseException:
                self._abandon()  # the files not yet in place are not landed; neither is the state
                raise
            self._pending.pop(0)
        staged, self._pending_state = self._pending_state, None
        if staged is not None:  # only now: a bookmark never covers a row still hidden
            self._persist_state(*staged)

    def _abandon(self) -> None:
        pending, self._pending = self._pending, []
        self._pending_state = None
        for item in pending:
            self.wh.fs.delete_file(item.hidden)
            self._hashes.pop(item.stream, None)  # re-read from the files: the abandoned rows are not landed

    def _stored_hashes(self, stream: str) -> set[str]:
        if stream not in self._hashes:
            directory = self.table_dir(stream)
            remove_dead_hidden(self.wh, directory)
            files = landed_files(self.wh, directory)
            column = (
                ds.dataset(files, format="parquet", filesystem=self.wh.fs).to_table(columns=["_record_hash"])
                if files
                else pa.table({"_record_hash": pa.array([], pa.string())})
            )
            self._hashes[stream] = set(column.column(0).to_pylist())
        return self._hashes[stream]

    def _take_seqs(self, count: int) -> int:
        """The first of `count` new landing numbers: above every number in the schema's files (the writer lock
        keeps other writers out meanwhile)."""
        if self._next_seq is None:
            highest = 0
            for table in _listing(self.wh, self.wh.path(f"{self.schema}.db")):
                if table.type == pafs.FileType.Directory:
                    for name in landed_files(self.wh, table.path):
                        highest = max(highest, int(_PART.match(name.rsplit("/", 1)[1]).group(2)))  # type: ignore[union-attr]
            self._next_seq = highest + 1
        first = self._next_seq
        self._next_seq += count
        return first

    def append_rows(self, stream: str, rows: Iterable[RawRow]) -> int:
        """Land the rows not already present as one new file; returns how many were new. One transaction (or the
        open one)."""
        with self.transaction():
            stored = self._stored_hashes(stream)
            unique: dict[str, RawRow] = {}
            for row in rows:
                if row.digest not in stored:
                    unique.setdefault(row.digest, row)
            if not unique:
                return 0
            first = self._take_seqs(len(unique))
            batch = self._batch(stream, unique, first)
            directory = self.table_dir(stream)
            hidden = write_hidden(self.wh, directory, lambda out: pq.write_table(batch, out, compression="zstd"))
            last = first + len(unique) - 1
            self._pending.append(_Pending(hidden, f"{directory}/part-{first:019d}-{last:019d}-{uuid.uuid4().hex}.parquet", stream))
            stored.update(unique)
            return len(unique)

    def _batch(self, stream: str, unique: dict[str, RawRow], first: int) -> pa.Table:
        n = len(unique)
        rows = unique.values()
        return pa.table(
            [
                pa.array(list(unique), pa.string()),
                pa.array([stream] * n, pa.string()),
                pa.array([self.connection] * n, pa.string()),
                pa.array([r.primary_key for r in rows], pa.string()),
                pa.array([r.replication_value for r in rows], pa.string()),
                # bytes to a string column: Arrow checks the UTF-8 without a Python str per record
                pa.array([r.record for r in rows], pa.binary()).cast(pa.string()),
                pa.array([r.extracted_at for r in rows], pa.timestamp("us", tz="UTC")),
                pa.array([datetime.now(timezone.utc)] * n, pa.timestamp("us", tz="UTC")),
                pa.array([self.sync_id] * n, pa.string()),
                pa.array(range(first, first + n), pa.int64()),
            ],
            schema=RAW_SCHEMA,
        )

    def write_state(self, state_key: str, state: dict[str, Any]) -> list[str]:
        """Persist `state` unless it is empty or would move a bookmark back (returns the refusals); inside a
        transaction, once its files are in place."""
        old = (self._pending_state[1] if self._pending_state else None) or read_state(self.wh, state_key) or {}
        if not _bookmarks(state) and _bookmarks(old):
            return ["empty state would replace existing bookmarks"]
        problems = regressions(old, state)
        if problems:
            return problems
        if self._in_transaction:
            self._pending_state = (state_key, state)
        else:
            self._persist_state(state_key, state)
        return []

    def _persist_state(self, state_key: str, state: dict[str, Any]) -> None:
        body = {"state": state, "sync_id": self.sync_id, "updated_at": datetime.now(timezone.utc).isoformat()}
        remove_dead_hidden(self.wh, self.wh.path(STATE_DIR))
        write_file(self.wh, state_path(self.wh, state_key), json.dumps(body, sort_keys=True).encode())


def state_path(wh: Warehouse, state_key: str) -> str:
    return wh.path(STATE_DIR, quote(state_key, safe="") + ".json")


def read_state(wh: Warehouse, state_key: str) -> dict[str, Any] | None:
    """The persisted state of `state_key`, or None."""
    path = state_path(wh, state_key)
    if wh.fs.get_file_info(path).type != pafs.FileType.File:
        return None
    with wh.fs.open_input_stream(path) as src:
        return json.loads(src.read())["state"]


def clear_state(wh: Warehouse, state_key: str) -> bool:
    path = state_path(wh, state_key)
    if wh.fs.get_file_info(path).type != pafs.FileType.File:
        return False
    wh.fs.delete_file(path)
    return True


def rows_of_sync(wh: Warehouse, schema: str, tables: Iterable[str], sync_id: str) -> int:
    """How many rows of these raw tables (names without the schema) the sync `sync_id` landed."""
    files = [f for t in tables for f in landed_files(wh, wh.path(f"{schema}.db", t))]
    if not files:
        return 0
    dataset = ds.dataset(files, format="parquet", filesystem=wh.fs)
    return dataset.count_rows(filter=ds.field("_sync_id") == sync_id)
