"""DuckDB connections and the `ops` tables the gate runner and publish step write."""

from __future__ import annotations

import re
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

_OPS_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {OPS}",
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
    # Columns added after the first release: a warehouse written by it gains them (NULL for old runs).
    f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS example_key VARCHAR",
    f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS note VARCHAR",
    f"ALTER TABLE {OPS}.gate_results ADD COLUMN IF NOT EXISTS description VARCHAR",
    # Per-channel figures of every run: R5/Y3 read their trailing values here, the report its trends.
    f"""CREATE TABLE IF NOT EXISTS {OPS}.gate_metrics (
        run_id VARCHAR NOT NULL,
        checked_at TIMESTAMPTZ NOT NULL,
        verdict VARCHAR NOT NULL,
        channel VARCHAR,
        metric VARCHAR NOT NULL,
        value DOUBLE
    )""",
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
    # GX's own suite and validation result per validated table, for Data Docs (`orderlayer report`).
    f"""CREATE TABLE IF NOT EXISTS {OPS}.gate_validations (
        run_id VARCHAR NOT NULL,
        checked_at TIMESTAMPTZ NOT NULL,
        table_name VARCHAR NOT NULL,
        suite JSON NOT NULL,
        result JSON NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {OPS}.publish_log (
        run_id VARCHAR NOT NULL,
        published_at TIMESTAMPTZ NOT NULL,
        version BIGINT NOT NULL,
        verdict VARCHAR NOT NULL,
        marts JSON NOT NULL,
        row_counts JSON NOT NULL
    )""",
)


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write with the session in UTC.

    The file must exist: gates and publish judge what dbt built, so a missing file is a wrong path,
    not an empty warehouse. No connection config is passed, so this connection can live beside any
    other plain `duckdb.connect(path)` in the same process (DuckDB refuses a second connection to one
    file with a different config).
    """
    if not db_path.is_file():
        raise FileNotFoundError(f"warehouse {db_path} does not exist; run `orderlayer build` first")
    conn = duckdb.connect(str(db_path))
    try:
        set_utc(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def set_utc(conn: duckdb.DuckDBPyConnection) -> None:
    # Session scope: results must not depend on the machine's zone, and other connections keep theirs.
    conn.execute("SET TimeZone = 'UTC'")


def ensure_ops_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in _OPS_DDL:
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
