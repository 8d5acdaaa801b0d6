"""DuckDB storage of the loader: append-only raw tables and the persisted Singer state.

Raw rows are keyed by a hash of the record's canonical JSON, so re-sending a record adds nothing,
while every distinct version of an order is kept (architecture principle 1).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, NamedTuple

import duckdb
import pyarrow as pa

from orderlayer.core.warehouse import ensure_ops
from orderlayer.loader.canonical import JsonObject, canonical_bytes, canonical_text, record_digest
from orderlayer.loader.canonical import record_hash as record_hash  # re-exported
from orderlayer.loader.canonical import canonical_json as canonical_json  # re-exported: the spool writes it

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


def check_identifier(value: str, key: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(f"{key}: '{value}' must be lower-case letters, digits and underscores, starting with a letter")
    return value


RAW_COLUMNS = """
    _record_hash VARCHAR NOT NULL,
    _stream VARCHAR NOT NULL,
    _connection VARCHAR NOT NULL,
    _primary_key VARCHAR,
    _replication_value VARCHAR,
    _record JSON NOT NULL USING COMPRESSION zstd,
    _extracted_at TIMESTAMPTZ,
    _synced_at TIMESTAMPTZ NOT NULL,
    _sync_id VARCHAR NOT NULL,
    _landed_seq BIGINT DEFAULT nextval('ops.raw_landed_seq')
"""

#: `_record` is stored with zstd: DuckDB's default string compression (dictionary + FSST) spent about 3 s of CPU
#: per 20,000 Douyin orders at the checkpoint, more than the rest of the landing, for a file 7x the size
#: (bench/landing_bench.py; docs/DECISIONS.md). Tables created before keep their compression.

#: One sequence numbers every raw row of the warehouse in the order it landed: the incremental build's
#: watermark (docs/incremental.md). Taken at insert, inside the inserting transaction; DuckDB lets one process
#: write the file at a time, so while a build holds the file every row with a number at or below the highest
#: one it sees is committed, and every row committed later gets a higher number.
LANDED_SEQUENCE = "ops.raw_landed_seq"


class RawRow(NamedTuple):
    """One record as it is stored: text and load metadata only, so a pending batch holds no parsed dicts."""

    digest: str
    primary_key: str | None
    replication_value: str | None
    record: bytes  # canonical JSON, UTF-8
    extracted_at: datetime | None


def raw_row(
    stream: str,
    record: dict[str, Any],
    key_properties: list[str],
    replication_key: str | None,
    extracted_at: datetime | None,
) -> RawRow:
    float_free = isinstance(record, JsonObject)
    data = canonical_bytes(record)
    # Primary key kept as JSON text of the values: ids stay exactly as sent.
    pk = canonical_text([record.get(k) for k in key_properties], float_free) if key_properties else None
    rv = record.get(replication_key) if replication_key else None
    return RawRow(record_digest(stream, data), pk, None if rv is None else str(rv), data, extracted_at)


class LandsRecords(ABC):
    """A raw store: lands rows (`append_rows`), and records as a push landing hands them over (`append`)."""

    @abstractmethod
    def append_rows(self, stream: str, rows: Iterable[RawRow]) -> int:
        """Land the rows not already present; returns how many were new. One transaction (or the open one)."""

    def append(
        self,
        stream: str,
        records: Iterable[dict[str, Any]],
        key_properties: list[str],
        replication_key: str | None,
    ) -> int:
        """Land the records not already present (extraction time under `__extracted_at`); returns how many rows
        were new. One transaction."""
        return self.append_rows(
            stream,
            (
                raw_row(stream, record, key_properties, replication_key, record.pop("__extracted_at", None))
                for record in records
            ),
        )


class RawStore(LandsRecords):
    """One raw table per source stream: `<schema>.<prefix>__<stream>`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, prefix: str, connection: str, sync_id: str):
        self.con = con
        self.schema = check_identifier(schema, "schema")
        self.prefix = check_identifier(prefix, "table_prefix")
        self.connection = connection
        self.sync_id = sync_id
        self._in_transaction = False
        self._ready: set[str] = set()
        con.execute(f"create schema if not exists {self.schema}")
        ensure_ops(con, "singer_state", "raw_landed_seq")

    def table(self, stream: str) -> str:
        name = re.sub(r"[^a-z0-9_]", "_", stream.lower())
        return f"{self.schema}.{self.prefix}__{name}"

    def ensure_table(self, stream: str) -> str:
        table = self.table(stream)
        if table in self._ready:
            return table
        self.con.execute(f"create table if not exists {table} ({RAW_COLUMNS})")
        migrate_landed_seq(self.con, self.schema, table.split(".", 1)[1])
        self._ready.add(table)
        return table

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; inside an open one, joins it (so rows and the state covering them commit together)."""
        if self._in_transaction:
            yield
            return
        self.con.execute("begin transaction")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.con.execute("rollback")
            raise
        else:
            self.con.execute("commit")
        finally:
            self._in_transaction = False

    def append_rows(self, stream: str, rows: Iterable[RawRow]) -> int:
        """Insert the rows not already present; returns how many were new. One transaction (or the open one)."""
        unique: dict[str, RawRow] = {}
        for row in rows:
            unique.setdefault(row.digest, row)
        if not unique:
            return 0
        batch = pa.table(
            {
                "h": pa.array(list(unique), pa.string()),
                "pk": pa.array([r.primary_key for r in unique.values()], pa.string()),
                "rv": pa.array([r.replication_value for r in unique.values()], pa.string()),
                # bytes to a string column: Arrow checks the UTF-8 without a Python str per record
                "rec": pa.array([r.record for r in unique.values()], pa.binary()).cast(pa.string()),
                "ext": pa.array([r.extracted_at for r in unique.values()], pa.timestamp("us", tz="UTC")),
            }
        )
        unique.clear()
        synced_at = datetime.now(timezone.utc)
        self.con.register("_incoming", batch)
        try:
            with self.transaction():
                table = self.ensure_table(stream)
                # NOT EXISTS plans as an anti join that builds its hash table on the incoming batch and streams
                # the stored hashes past it; `NOT IN (subquery)` built it on the whole table on every batch.
                added = self.con.execute(
                    f"""insert into {table}
                    select h, ?, ?, pk, rv, rec::JSON, ext, ?, ?, nextval('{LANDED_SEQUENCE}')
                    from _incoming i
                    where not exists (select 1 from {table} t where t._record_hash = i.h)""",
                    [stream, self.connection, synced_at, self.sync_id],
                ).fetchall()[0][0]
        finally:
            self.con.unregister("_incoming")
        return int(added)

    def write_state(self, state_key: str, state: dict[str, Any]) -> list[str]:
        """`write_state` on this store's connection: inside an open transaction, committed with its rows."""
        return write_state(self.con, state_key, state, self.sync_id)


def migrate_landed_seq(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Give a raw table written before landing sequences existed its `_landed_seq` column; returns True if added.

    Existing rows are numbered in one statement (their order among themselves does not matter: the first build
    after the migration is a full one, as no build state exists yet) and new rows default to the sequence."""
    ensure_ops(con, "raw_landed_seq")
    present = con.execute(
        "select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
        "and column_name = '_landed_seq'",
        [schema, name],
    ).fetchone()[0]
    if present:
        return False
    con.execute(f"alter table {schema}.{name} add column _landed_seq BIGINT default nextval('{LANDED_SEQUENCE}')")
    return True


def migrate_raw(con: duckdb.DuckDBPyConnection, schema: str = "raw") -> list[str]:
    """Migrate every table of the raw schema (see migrate_landed_seq); returns the tables migrated."""
    names = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'",
            [schema],
        ).fetchall()
    ]
    return [f"{schema}.{n}" for n in names if migrate_landed_seq(con, schema, n)]


def _bookmarks(state: dict[str, Any]) -> dict[str, Any]:
    """Flatten a singer-sdk state into {stream/partition: replication_key_value}."""
    out: dict[str, Any] = {}
    for stream, entry in (state.get("bookmarks") or {}).items():
        if not isinstance(entry, dict):
            continue
        if "replication_key_value" in entry:
            out[stream] = entry["replication_key_value"]
        for i, part in enumerate(entry.get("partitions") or []):
            if isinstance(part, dict) and "replication_key_value" in part:
                out[f"{stream}#{json.dumps(part.get('context'), sort_keys=True) or i}"] = part["replication_key_value"]
    return out


def regressions(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Bookmarks that would move backwards if `new` replaced `old`."""
    before, after = _bookmarks(old), _bookmarks(new)
    found = []
    for key, value in before.items():
        if key not in after:
            found.append(f"{key}: bookmark {value!r} would be dropped")
            continue
        try:
            if after[key] < value:
                found.append(f"{key}: bookmark {value!r} would move back to {after[key]!r}")
        except TypeError:
            continue
    return found


def read_state(con: duckdb.DuckDBPyConnection, state_key: str) -> dict[str, Any] | None:
    ensure_ops(con, "singer_state")
    row = con.execute("select state from ops.singer_state where state_key = ?", [state_key]).fetchone()
    return json.loads(row[0]) if row else None


def write_state(con: duckdb.DuckDBPyConnection, state_key: str, state: dict[str, Any], sync_id: str) -> list[str]:
    """Persist state unless it is empty or would move a bookmark back; returns the refusals."""
    old = read_state(con, state_key) or {}
    if not _bookmarks(state) and _bookmarks(old):
        return ["empty state would replace existing bookmarks"]
    problems = regressions(old, state)
    if problems:
        return problems
    con.execute(
        """insert or replace into ops.singer_state (state_key, state, sync_id, updated_at)
        values (?, ?, ?, ?)""",
        [state_key, json.dumps(state, sort_keys=True), sync_id, datetime.now(timezone.utc)],
    )
    return []


def clear_state(con: duckdb.DuckDBPyConnection, state_key: str) -> bool:
    ensure_ops(con, "singer_state")
    return bool(con.execute("delete from ops.singer_state where state_key = ? returning 1", [state_key]).fetchall())
