"""The warehouse: schema names, the one way to open it, and the definition of every `ops` table.

Every module that reads or writes the DuckDB file opens it with `connect`, so the session is always UTC
and a read-only command can never write. The `ops` tables are defined here and only here; each writer
creates the ones it writes (`ensure_ops`), so a warehouse gains a table only when something is recorded
in it (`report` tells "no runs yet" from an absent `ops.gate_results`).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

#: The schema dbt builds the candidate marts in, and the one consumers read.
AUDIT = "audit"
PUBLISHED = "published"
OPS = "ops"
RAW = "raw"
QUARANTINE = "quarantine"
#: Small per-channel tables the gate runner computes in SQL for GX to validate (rebuilt every check).
GATES = "gates"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

#: Every `ops` table (and the landing sequence): its CREATE statement, then the columns added after the first release (a warehouse
#: written by an older release gains them, NULL for its old rows).
OPS_TABLES: dict[str, tuple[str, ...]] = {
    # The loader's committed Singer state per connection: the bookmark the next sync resumes from.
    "singer_state": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.singer_state (
            state_key VARCHAR PRIMARY KEY,
            state JSON NOT NULL,
            sync_id VARCHAR,
            updated_at TIMESTAMPTZ NOT NULL
        )""",
    ),
    # One row per `run` (and per `demo`): its status, verdict and what each stage reported.
    "runs": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.runs (
            run_id VARCHAR PRIMARY KEY,
            command VARCHAR NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR,
            verdict VARCHAR,
            detail JSON
        )""",
    ),
    "sync_runs": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.sync_runs (
            sync_id VARCHAR PRIMARY KEY,
            run_id VARCHAR,
            connection VARCHAR NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR NOT NULL,
            records_read BIGINT,
            rows_added BIGINT,
            bookmark_before JSON,
            bookmark_after JSON,
            error VARCHAR
        )""",
    ),
    # One row per `check`: the overall verdict (dbt tests + gates) the report shows.
    "check_runs": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.check_runs (
            run_id VARCHAR NOT NULL,
            checked_at TIMESTAMPTZ NOT NULL,
            verdict VARCHAR NOT NULL,
            gates_verdict VARCHAR NOT NULL,
            dbt_tests JSON NOT NULL
        )""",
        # what the verdict depends on besides the clock (core/check_reuse.py)
        f"ALTER TABLE {OPS}.check_runs ADD COLUMN IF NOT EXISTS basis VARCHAR",
    ),
    "gate_results": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.gate_results (
            run_id VARCHAR NOT NULL,
            checked_at TIMESTAMPTZ NOT NULL,
            verdict VARCHAR NOT NULL,
            gate_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            colour VARCHAR NOT NULL,
            severity VARCHAR NOT NULL,
            channel VARCHAR,
            failing_count BIGINT NOT NULL,
            examples JSON NOT NULL,
            checks JSON NOT NULL
        )""",
        f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS example_key VARCHAR",
        f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS note VARCHAR",
        f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS description VARCHAR",
    ),
    # Per-channel figures of every run: R5/Y3 read their trailing values here, the report its trends.
    "gate_metrics": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.gate_metrics (
            run_id VARCHAR NOT NULL,
            checked_at TIMESTAMPTZ NOT NULL,
            verdict VARCHAR NOT NULL,
            channel VARCHAR,
            metric VARCHAR NOT NULL,
            value DOUBLE
        )""",
    ),
    "source_freshness": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.source_freshness (
            run_id VARCHAR NOT NULL,
            checked_at TIMESTAMPTZ NOT NULL,
            source VARCHAR NOT NULL,
            channel VARCHAR,
            status VARCHAR NOT NULL,
            colour VARCHAR NOT NULL,
            max_loaded_at TIMESTAMPTZ,
            snapshotted_at TIMESTAMPTZ,
            age_seconds DOUBLE,
            warn_after_minutes DOUBLE,
            error_after_minutes DOUBLE,
            error VARCHAR
        )""",
    ),
    # GX's own suite and validation result per validated table, for Data Docs (`orderlayer report`).
    "gate_validations": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.gate_validations (
            run_id VARCHAR NOT NULL,
            checked_at TIMESTAMPTZ NOT NULL,
            table_name VARCHAR NOT NULL,
            suite JSON NOT NULL,
            result JSON NOT NULL
        )""",
    ),
    # Numbers every raw row in the order it landed: the incremental build's watermark (loader/raw_store.py).
    "raw_landed_seq": (f"CREATE SEQUENCE IF NOT EXISTS {OPS}.raw_landed_seq",),
    # What each successful build used (fingerprint) and the landing window it covered (core/incremental.py).
    "build_state": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.build_state (
            built_at TIMESTAMPTZ NOT NULL,
            mode VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            landed_after BIGINT,
            landed_through BIGINT NOT NULL,
            fingerprint JSON NOT NULL
        )""",
    ),
    # Builds not yet published (mode: incremental, partial, full, rollback) and the orders they recomputed, per
    # scope (ORDER_SCOPES below): what the next publish brings to `published`.
    "unpublished_builds": (f"CREATE TABLE IF NOT EXISTS {OPS}.unpublished_builds (built_at TIMESTAMPTZ NOT NULL, mode VARCHAR NOT NULL)",),
    "unpublished_keys": (f"CREATE TABLE IF NOT EXISTS {OPS}.unpublished_keys (scope VARCHAR NOT NULL, order_key VARCHAR NOT NULL)",),
    # What writers changed in the schemas readers read, since the read snapshot's generations were written
    # (core/snapshot.py): per write a number (`seq`) and the changed orders per scope, or no scope when the schema's
    # order-keyed marts must be copied whole. `snapshot_files`: each generation file, the token it was last written
    # with and the last `seq` it holds.
    "snapshot_journal": (
        f"CREATE SEQUENCE IF NOT EXISTS {OPS}.snapshot_journal_seq",
        f"CREATE TABLE IF NOT EXISTS {OPS}.snapshot_journal (seq BIGINT NOT NULL, schema_name VARCHAR NOT NULL, scope VARCHAR, order_key VARCHAR)",
    ),
    "snapshot_files": (
        f"CREATE TABLE IF NOT EXISTS {OPS}.snapshot_files (file VARCHAR NOT NULL, token VARCHAR NOT NULL, through BIGINT NOT NULL)",
    ),
    "publish_rollbacks": (
        f"CREATE TABLE IF NOT EXISTS {OPS}.publish_rollbacks (version BIGINT NOT NULL, rolled_back_at TIMESTAMPTZ NOT NULL, log JSON NOT NULL)",
    ),
    "publish_log": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.publish_log (
            run_id VARCHAR NOT NULL,
            published_at TIMESTAMPTZ NOT NULL,
            version BIGINT NOT NULL,
            verdict VARCHAR NOT NULL,
            marts JSON NOT NULL,
            row_counts JSON NOT NULL
        )""",
    ),
    # Per alert destination, the colour of each (gate, channel) light it was last told about (core/alerts): an
    # alert goes out when a light differs from it; green lights have no row.
    "alert_state": (
        f"""CREATE TABLE IF NOT EXISTS {OPS}.alert_state (
            destination VARCHAR NOT NULL,
            gate_id VARCHAR NOT NULL,
            channel VARCHAR,
            colour VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            notified_at TIMESTAMPTZ NOT NULL
        )""",
    ),
}
#: What the gate runner and the publish step record (and R5/Y3 read back).
#: Marts whose rows belong to one order, and the set of changed orders each is replaced by (`ops.unpublished_keys`,
#: `ops.snapshot_journal`): publish and the read snapshot replace only those orders' rows.
ORDER_SCOPES = {
    "fct_orders": "orders",
    "fct_order_lines": "orders",
    "fct_order_events": "orders",
    "fct_refunds": "orders",
    "fct_returns": "orders",
    "map_order_ids": "orders",
    "order_parcels": "orders",
    "order_fulfillment": "order_fulfillment",
}
#: What publish must bring to `published`: unpublished builds, the orders they recomputed, rollbacks.
PENDING_TABLES = ("unpublished_builds", "unpublished_keys", "publish_rollbacks")
GATE_TABLES = ("gate_results", "gate_metrics", "source_freshness", "gate_validations", "publish_log")


def connect(
    db_path: Path | str, *, read_only: bool = False, create: bool = False, external_access: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the session in UTC.

    ``create``: make the file (and its directory) if missing — the loader and the first run record do;
    everything else judges or reads what was built, so a missing file is a wrong path, not an empty
    warehouse. ``external_access=False`` also forbids file access (COPY, ATTACH) for user-typed SQL.
    DuckDB refuses a second connection to one file with a different configuration in one process, so
    read-write connections carry none: they can live beside each other and beside the target's.
    """
    path = Path(db_path)
    if create:
        if read_only:
            raise ValueError("a read-only connection cannot create the warehouse")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.is_file():
        raise FileNotFoundError(f"warehouse {path} does not exist; run `orderlayer build` first")
    config = {} if external_access else {"enable_external_access": False}
    try:
        conn = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if LOCK_CONFLICT not in str(exc):
            raise
        raise WarehouseBusy(foreign_lock_line(path, exc)) from exc
    try:
        set_utc(conn)
    except BaseException:
        conn.close()
        raise
    return conn


#: How DuckDB words a file another process holds ("Could not set lock on file …: Conflicting lock is held in …").
LOCK_CONFLICT = "Could not set lock"


class WarehouseBusy(Exception):
    """Another process holds the warehouse; the message is the one line saying who (core/lock.py)."""


def foreign_lock_line(path: Path, exc: BaseException) -> str:
    """The line for a file held by a program that is not an orderlayer writer (a notebook, a BI tool)."""
    held = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
    who = f"{held.group(1)} (pid {held.group(2)})" if held else "another program"
    return (
        f"warehouse {path} is open in {who}; close that connection (a notebook or BI tool should read the "
        "published snapshot instead, docs/operations.md) and retry"
    )


def snapshot_path(db: Path) -> Path:
    """The read snapshot beside the warehouse (core/snapshot.py writes it)."""
    return db.with_name(f"{db.stem}.snapshot{db.suffix or '.duckdb'}")


def reader_path(db: Path) -> Path:
    """What a reader opens: the read snapshot, or the warehouse itself while none exists yet (a warehouse no
    writer of this release has finished with)."""
    snapshot = snapshot_path(db)
    return snapshot if snapshot.is_file() else db


def set_utc(conn: duckdb.DuckDBPyConnection) -> None:
    # Session scope: results must not depend on the machine's zone, and other connections keep theirs.
    conn.execute("SET TimeZone = 'UTC'")


def ensure_ops(conn: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Create the named `ops` tables (see OPS_TABLES) if they do not exist yet, with every later column."""
    unknown = [t for t in tables if t not in OPS_TABLES]
    if unknown or not tables:
        raise ValueError(f"ops tables {unknown or '(none)'}: name some of {', '.join(OPS_TABLES)}")
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {OPS}")
    for table in tables:
        for statement in OPS_TABLES[table]:
            conn.execute(statement)


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def check_identifier(name: str) -> str:
    """Mart and column names are spliced into SQL; accept only plain lower-case identifiers."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"'{name}' is not a plain identifier (lower-case letters, digits, _)")
    return name


class QueryError(Exception):
    """A user-typed query that could not run; the message says why."""


def read_query(db_path: Path, query: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one user-typed query (`orderlayer sql`).

    Read-only, and no file access: a query can neither change the warehouse nor write elsewhere (COPY, ATTACH)."""
    if not db_path.exists():
        raise QueryError(f"database {db_path} not found; run `orderlayer demo` or `orderlayer run` first")
    conn = connect(db_path, read_only=True, external_access=False)
    try:
        cursor = conn.execute(query)
        if cursor.description is None:
            raise QueryError("the statement returned no rows (only queries are allowed)")
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {exc}") from exc
    finally:
        conn.close()


def sql_literal(value: object) -> str:
    """A Python value as a SQL literal (gate bounds, keys in generated SQL): strings quoted, datetimes with offset."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value}: gate bounds must carry a UTC offset")
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__} {value!r}")


# The read snapshot's journal (core/snapshot.py): what writers call, in the transaction that makes the change.
def journal_whole(conn: duckdb.DuckDBPyConnection, schema: str) -> int:
    """Record that `schema`'s order-keyed marts changed in ways not listed by order (a full build, a full publish,
    a build that may stop half-way); the next snapshot copies them whole. Returns the entry's number."""
    ensure_ops(conn, "snapshot_journal")
    seq = conn.execute(f"SELECT nextval('{OPS}.snapshot_journal_seq')").fetchone()[0]
    conn.execute(f"INSERT INTO {OPS}.snapshot_journal VALUES (?, ?, NULL, NULL)", [seq, schema])
    return int(seq)


def journal_orders(conn: duckdb.DuckDBPyConnection, schema: str, keys_sql: str) -> int:
    """Record the orders whose rows changed in `schema`'s order-keyed marts; `keys_sql` selects (scope, order_key)."""
    ensure_ops(conn, "snapshot_journal")
    seq = conn.execute(f"SELECT nextval('{OPS}.snapshot_journal_seq')").fetchone()[0]
    conn.execute(
        f"INSERT INTO {OPS}.snapshot_journal SELECT DISTINCT ?, ?, k.scope, k.order_key FROM ({keys_sql}) AS k(scope, order_key)",
        [seq, schema],
    )
    return int(seq)


def forget_entry(conn: duckdb.DuckDBPyConnection, seq: int) -> None:
    """Drop a journal entry written ahead of a change (a build's "copy audit whole" while it runs) once the change
    is recorded precisely."""
    conn.execute(f"DELETE FROM {OPS}.snapshot_journal WHERE seq = ?", [seq])
