"""Building one warehouse on both engines and comparing what they hold (issue 16).

`spark_twin` copies a DuckDB warehouse's raw tables into a Spark warehouse (Parquet tables in its catalog), so the
same dbt project can be built there from the same landed records; `spark_rows` reads a Spark table back through
DuckDB (its Parquet files), so a comparison needs no second JVM.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from orderlayer.core.config import Settings
from orderlayer.core.engines import spark_conf, warehouse_dir
from orderlayer.loader.spark_catalog import run_spark_sql


def spark_settings(settings: Settings) -> Settings:
    """`settings` on Spark, in-process (`method: session`)."""
    return settings.model_copy(update={"engine": "spark"})


def spark_twin(duck_db: Path, settings: Settings, spark_db: Path, schemas: tuple[str, ...] = ("raw",)) -> list[str]:
    """Copy every table of `schemas` in the DuckDB warehouse into the Spark warehouse at `spark_db` as Parquet
    tables of the same names; returns them as schema.table."""
    spark = spark_settings(settings)
    spark_db.mkdir(parents=True, exist_ok=True)
    root = Path(warehouse_dir(spark, spark_db))
    tables = []
    with duckdb.connect(str(duck_db), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        names = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(s) for s in schemas)}) and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema, table in names:
            location = root / "twin" / schema / table
            location.mkdir(parents=True, exist_ok=True)
            # JSON is text on Spark; every other column keeps its type
            columns = conn.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [schema, table],
            ).fetchall()
            select = ", ".join(f'"{c}"::varchar as "{c}"' if t == "JSON" else f'"{c}"' for c, t in columns)
            conn.execute(f"copy (select {select} from {schema}.{table}) to '{location / 'part-0.parquet'}' (format parquet)")
            tables.append((schema, table, str(location)))
    statements = [f"create database if not exists {schema}" for schema in sorted({t[0] for t in tables})]
    for schema, table, location in tables:
        statements += [f"drop table if exists {schema}.{table}",
                       f"create table {schema}.{table} using parquet location '{location}'"]
    run_spark_sql(spark_conf(spark, spark_db), statements).check_returncode()
    return [f"{s}.{t}" for s, t, _ in tables]


def spark_rows(settings: Settings, spark_db: Path, relation: str, order_by: str | None = None) -> tuple[list[str], list[tuple]]:
    """The rows of a Spark table (schema.table) of the warehouse at `spark_db`, read from its Parquet files."""
    schema, table = relation.split(".")
    location = Path(warehouse_dir(spark_settings(settings), spark_db)) / f"{schema}.db" / table
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        rel = conn.sql(f"select * from read_parquet('{location}/*.parquet')")
        return rel.columns, conn.sql(f"select * from rel order by {order_by or 'all'}").fetchall()


def duckdb_rows(duck_db: Path, relation: str, order_by: str | None = None) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(duck_db), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        rel = conn.sql(f"select * from {relation}")
        return rel.columns, conn.sql(f"select * from rel order by {order_by or 'all'}").fetchall()


def normalised(value: object) -> object:
    """A cell as both engines can agree on it: decimals by value (Spark may widen the scale), instants in UTC."""
    if isinstance(value, Decimal):
        return value.normalize()
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None) - value.utcoffset()
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def assert_same_relation(duck_db: Path, settings: Settings, spark_db: Path, relation: str) -> int:
    """Assert that `relation` (schema.table) holds the same rows on both engines (same column names, every row equal
    after `normalised`, as multisets); returns the row count. A difference names the first rows that differ."""
    duck_cols, duck = duckdb_rows(duck_db, relation)
    spark_cols, spark = spark_rows(settings, spark_db, relation)
    assert spark_cols == duck_cols, f"{relation}: columns differ\n duckdb: {duck_cols}\n spark:  {spark_cols}"
    key = repr
    left = sorted((tuple(normalised(c) for c in row) for row in duck), key=key)
    right = sorted((tuple(normalised(c) for c in row) for row in spark), key=key)
    only_duck = [r for r in left if r not in right][:3]
    only_spark = [r for r in right if r not in left][:3]
    assert left == right, (
        f"{relation}: {len(left)} rows on DuckDB, {len(right)} on Spark\n"
        + "\n".join(f" only DuckDB: {dict(zip(duck_cols, r))}" for r in only_duck)
        + "\n"
        + "\n".join(f" only Spark:  {dict(zip(duck_cols, r))}" for r in only_spark)
    )
    return len(left)
