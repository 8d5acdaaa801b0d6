"""The record of runs, syncs and checks in `ops`, so `report` can show today and the trend.

The tables are defined in `core/warehouse.py` (OPS_TABLES); this module writes their rows.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from orderlayer.core.engines import is_spark
from orderlayer.core.warehouse import OPS, RAW, connect, ensure_ops, table_exists
from orderlayer.loader import parquet_store, stores

if TYPE_CHECKING:
    from orderlayer.core.lock import Holder  # the lock imports this module
    from orderlayer.core.config import Settings


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_run_id() -> str:
    """Sortable by start time, unique across concurrent commands."""
    return now().strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def start_run(db: Path, run_id: str, command: str) -> None:
    con = connect(db, create=True)
    try:
        ensure_ops(con, "runs")
        con.execute(
            f"insert into {OPS}.runs (run_id, command, started_at, status) values (?, ?, ?, 'running')",
            [run_id, command, now()],
        )
    finally:
        con.close()


def finish_run(db: Path, run_id: str, status: str, verdict: str | None, detail: dict[str, Any]) -> None:
    con = connect(db, create=True)
    try:
        ensure_ops(con, "runs")
        con.execute(
            f"update {OPS}.runs set finished_at = ?, status = ?, verdict = ?, detail = ? where run_id = ?",
            [now(), status, verdict, json.dumps(detail, default=str), run_id],
        )
    finally:
        con.close()


def record_sync(db: Path, row: dict[str, Any]) -> None:
    con = connect(db, create=True)
    try:
        ensure_ops(con, "sync_runs")
        con.execute(
            f"""insert or replace into {OPS}.sync_runs (sync_id, run_id, connection, started_at, finished_at, status,
                records_read, rows_added, bookmark_before, bookmark_after, error)
            values ($sync_id, $run_id, $connection, $started_at, $finished_at, $status,
                $records_read, $rows_added, $bookmark_before, $bookmark_after, $error)""",
            {k: (json.dumps(v) if k.startswith("bookmark") and v is not None else v) for k, v in row.items()},
        )
    finally:
        con.close()


def record_check(
    db: Path,
    run_id: str,
    checked_at: datetime,
    verdict: str,
    gates_verdict: str,
    dbt_tests: list[dict[str, Any]],
    basis: str | None = None,
) -> None:
    """One row per `check`: the overall verdict the report shows (gate rows are in ops.gate_results) and its
    basis (core/check_reuse.py)."""
    con = connect(db)
    try:
        ensure_ops(con, "check_runs")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {OPS}.check_runs WHERE run_id = ?", [run_id])
            con.execute(
                f"""INSERT INTO {OPS}.check_runs (run_id, checked_at, verdict, gates_verdict, dbt_tests, basis)
                    VALUES (?, ?, ?, ?, ?, ?)""",
                [run_id, checked_at, verdict, gates_verdict, json.dumps(dbt_tests, default=str), basis],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def close_abandoned(db: Path, died: Holder | None, settings: Settings | None = None) -> list[str]:
    """Close the run and sync records left `running` as `abandoned`; returns their ids.

    Called by a writer that holds the warehouse lock (core/lock.py), so nothing else is running: a `running`
    record belongs to a command that died. An abandoned sync's `rows_added` counts the raw rows it committed
    before it died, so every raw row stays traceable to its sync record (`_sync_id`)."""
    note = f"abandoned: {died.describe()} died without finishing" if died else "abandoned: its command died without finishing"
    # on Spark the records are in a DuckDB file in the warehouse folder, the raw rows in its Parquet tables
    spark = settings is not None and is_spark(settings)
    records = stores.ops_database(settings, db) if spark else db
    if not records.is_file():
        return []
    con = connect(records)
    try:
        closed: list[str] = []
        if table_exists(con, OPS, "runs"):
            closed += [
                r[0]
                for r in con.execute(
                    f"""update {OPS}.runs set status = 'abandoned', finished_at = ?,
                        detail = json_merge_patch(coalesce(detail, '{{}}'), json_object('error', ?::VARCHAR))
                    where status = 'running' returning run_id""",
                    [now(), note],
                ).fetchall()
            ]
        if table_exists(con, OPS, "sync_runs"):
            syncs = [r[0] for r in con.execute(f"select sync_id from {OPS}.sync_runs where status = 'running'").fetchall()]
            for sync_id in syncs:
                landed = (
                    stores.rows_of_sync(settings, db, parquet_store.table_names(stores.spark_warehouse(settings, db), RAW), sync_id)
                    if spark
                    else _rows_of_sync(con, sync_id)
                )
                con.execute(
                    f"""update {OPS}.sync_runs set status = 'abandoned', finished_at = ?, rows_added = ?, error = ?
                    where sync_id = ?""",
                    [now(), landed, note, sync_id],
                )
            closed += syncs
        return closed
    finally:
        con.close()


def _rows_of_sync(con: duckdb.DuckDBPyConnection, sync_id: str) -> int:
    """The raw rows a sync landed, over every raw table of a DuckDB warehouse."""
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'", [RAW]
    ).fetchall()
    return sum(con.execute(f'select count(*) from {RAW}."{t}" where _sync_id = ?', [sync_id]).fetchone()[0] for (t,) in tables)
