"""Which raw store an engine lands in, for the loader's callers (core/sync.py): the DuckDB file's `raw` schema, or
with `engine: spark` Parquet tables in the Spark warehouse (loader/parquet_store.py). The one place that chooses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from orderlayer.core.config import Settings
from orderlayer.core.engines import is_spark, warehouse_dir
from orderlayer.core.warehouse import RAW, connect, table_exists
from orderlayer.loader import parquet_store, raw_store
from orderlayer.loader.spark_catalog import register_raw_tables

T = TypeVar("T")


def spark_warehouse(settings: Settings, db: Path) -> parquet_store.Warehouse:
    return parquet_store.open_warehouse(warehouse_dir(settings, db))


def ops_database(settings: Settings, db: Path) -> Path:
    """Where the records of syncs and push landings (`ops.sync_runs`) go: the warehouse file, or on Spark a DuckDB
    file in its folder (not `ops.duckdb`: DuckDB would name its catalog `ops`, like the schema)."""
    return db / "operations.duckdb" if is_spark(settings) else db


def target_location(settings: Settings, db: Path) -> dict[str, str]:
    """The part of target-orderlayer's config that says where raw lands."""
    if is_spark(settings):
        return {"engine": "spark", "warehouse": warehouse_dir(settings, db)}
    return {"database": str(db.resolve())}


def read_state(settings: Settings, db: Path, state_key: str) -> dict[str, Any] | None:
    return _on_state(settings, db, parquet_store.read_state, raw_store.read_state, state_key)


def clear_state(settings: Settings, db: Path, state_key: str) -> bool:
    return _on_state(settings, db, parquet_store.clear_state, raw_store.clear_state, state_key)


def _on_state(settings: Settings, db: Path, on_spark: Callable[..., T], on_duckdb: Callable[..., T], state_key: str) -> T:
    """Run the engine's state function on the warehouse's bookmarks."""
    if is_spark(settings):
        return on_spark(spark_warehouse(settings, db), state_key)
    con = connect(db, create=True)
    try:
        return on_duckdb(con, state_key)
    finally:
        con.close()


def rows_of_sync(settings: Settings, db: Path, tables: Iterable[str], sync_id: str) -> int:
    """How many rows of these raw tables (names without the schema) the sync `sync_id` landed."""
    if is_spark(settings):
        return parquet_store.rows_of_sync(spark_warehouse(settings, db), RAW, tables, sync_id)
    con = connect(db)
    try:
        return sum(
            con.execute(f"select count(*) from {RAW}.{table} where _sync_id = ?", [sync_id]).fetchone()[0]
            for table in tables
            if table_exists(con, RAW, table)
        )
    finally:
        con.close()


@contextmanager
def open_raw_store(
    settings: Settings, db: Path, prefix: str, connection: str, sync_id: str
) -> Iterator[raw_store.RawStore | parquet_store.ParquetRawStore]:
    """The raw store of the warehouse at `db`, for landing in this process (a push landing)."""
    if is_spark(settings):
        yield parquet_store.ParquetRawStore(warehouse_dir(settings, db), RAW, prefix, connection, sync_id)
        return
    con = connect(db, create=True)
    try:
        yield raw_store.RawStore(con, RAW, prefix, connection, sync_id)
    finally:
        con.close()


def after_landing(settings: Settings, db: Path) -> list[str]:
    """What landing leaves to do: on Spark, registering new raw tables in its catalog (returns them)."""
    return register_raw_tables(settings, db, RAW) if is_spark(settings) else []
