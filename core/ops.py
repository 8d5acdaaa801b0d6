"""The `ops` schema: a record of every run and sync, so `report` can show today and the trend."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from orderlayer.loader.raw_store import connect


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        """create table if not exists ops.runs (
            run_id VARCHAR PRIMARY KEY,
            command VARCHAR NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            status VARCHAR,
            verdict VARCHAR,
            detail JSON
        )"""
    )
    con.execute(
        """create table if not exists ops.sync_runs (
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
        )"""
    )


def now() -> datetime:
    return datetime.now(timezone.utc)


def start_run(db: Path, run_id: str, command: str) -> None:
    con = connect(db)
    try:
        ensure(con)
        con.execute(
            "insert into ops.runs (run_id, command, started_at, status) values (?, ?, ?, 'running')",
            [run_id, command, now()],
        )
    finally:
        con.close()


def finish_run(db: Path, run_id: str, status: str, verdict: str | None, detail: dict[str, Any]) -> None:
    con = connect(db)
    try:
        ensure(con)
        con.execute(
            "update ops.runs set finished_at = ?, status = ?, verdict = ?, detail = ? where run_id = ?",
            [now(), status, verdict, json.dumps(detail, default=str), run_id],
        )
    finally:
        con.close()


def record_sync(db: Path, row: dict[str, Any]) -> None:
    con = connect(db)
    try:
        ensure(con)
        con.execute(
            """insert or replace into ops.sync_runs (sync_id, run_id, connection, started_at, finished_at, status,
                records_read, rows_added, bookmark_before, bookmark_after, error)
            values ($sync_id, $run_id, $connection, $started_at, $finished_at, $status,
                $records_read, $rows_added, $bookmark_before, $bookmark_after, $error)""",
            {k: (json.dumps(v) if k.startswith("bookmark") and v is not None else v) for k, v in row.items()},
        )
    finally:
        con.close()
