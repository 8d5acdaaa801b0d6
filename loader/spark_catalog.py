"""Raw tables in Spark's catalog: each table folder the loader writes (loader/parquet_store.py) is registered once as
an external Parquet table, `create table raw.<t> (…) using parquet location '<folder>'`, so dbt's sources find it.

Registering needs a Spark session (a JVM, ~10 s), so it runs only when a folder has no `_registered` marker yet: a
table's first landing, or a registration that failed (the marker is written after Spark accepted the table, so a
failure is retried by the next sync). Spark reads the folder's files when a query plans, so new files need no
registration; a long-lived session (a Thrift server) caches the listing until `refresh table`, which registering
also runs. Dropping such a table removes only the catalog entry, never the landed files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.fs as pafs

from orderlayer.core.config import Settings
from orderlayer.core.engines import spark_conf, warehouse_dir
from orderlayer.loader.parquet_store import RAW_SCHEMA, Warehouse, landed_files, open_warehouse, write_file

#: The marker in a table folder once the table is in the catalog (Spark ignores files starting with `_`).
MARKER = "_registered"
#: The Spark setting naming a cluster's Hive metastore: where a Thrift server's tables are (method thrift).
METASTORE_URIS = "spark.hadoop.hive.metastore.uris"

#: Spark SQL types of RAW_SCHEMA's Arrow types.
_SPARK_TYPES = {"string": "string", "timestamp[us, tz=UTC]": "timestamp", "int64": "bigint"}

#: Runs Spark SQL statements (argv[2], a JSON list) in a session with the settings in argv[1] (a JSON object).
SPARK_SQL = """
import json, sys
from pyspark.sql import SparkSession
conf, statements = json.loads(sys.argv[1]), json.loads(sys.argv[2])
builder = SparkSession.builder.enableHiveSupport()
for key, value in conf.items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()
try:
    for statement in statements:
        spark.sql(statement)
finally:
    spark.stop()
"""


def run_spark_sql(conf: dict[str, str], statements: list[str]) -> subprocess.CompletedProcess:
    """Run `statements` in a Spark session of its own process (a JVM that ends with it); check the return code."""
    return subprocess.run([sys.executable, "-c", SPARK_SQL, json.dumps(conf), json.dumps(statements)],
                          capture_output=True, text=True)


class RegistrationFailed(Exception):
    """Spark refused to register a raw table; the message is its error."""


def raw_columns_ddl() -> str:
    """The raw table's column list in Spark SQL."""
    return ", ".join(f"{f.name} {_SPARK_TYPES[str(f.type)]}" for f in RAW_SCHEMA)


def unregistered(wh: Warehouse, schema: str = "raw") -> list[str]:
    """The table folders of `schema` holding landed files but no registration marker (names, sorted)."""
    found = []
    for info in wh.fs.get_file_info(pafs.FileSelector(wh.path(f"{schema}.db"), allow_not_found=True)):
        if info.type != pafs.FileType.Directory or not landed_files(wh, info.path):
            continue
        if wh.fs.get_file_info(f"{info.path}/{MARKER}").type != pafs.FileType.File:
            found.append(info.base_name)
    return sorted(found)


def register_statements(wh: Warehouse, schema: str, tables: list[str]) -> list[str]:
    statements = [f"create database if not exists {schema}"]
    for table in tables:
        location = wh.location(f"{schema}.db", table)
        if "'" in location:
            raise ValueError(f"warehouse location {location!r}: a quote cannot stand in a table location")
        statements += [
            f"create table if not exists {schema}.{table} ({raw_columns_ddl()}) using parquet location '{location}'",
            f"refresh table {schema}.{table}",
        ]
    return statements


def register_raw_tables(settings: Settings, db_path: Path, schema: str = "raw") -> list[str]:
    """Register the raw tables of the Spark warehouse at `db_path` that are not in its catalog yet; returns them as
    schema.table. Starts a Spark session with the warehouse's settings (core/engines.py) only when there are some."""
    wh = open_warehouse(warehouse_dir(settings, db_path))
    tables = unregistered(wh, schema)
    if not tables:
        return []
    if settings.spark.method == "thrift" and METASTORE_URIS not in settings.spark.conf:
        # a session of its own would register them in a catalog of its own, which the Thrift server never reads
        raise RegistrationFailed(
            f"spark.conf: with method thrift the loader registers new raw tables ({', '.join(tables)}) in the cluster's "
            f"Hive metastore; set {METASTORE_URIS} to its URI, e.g. thrift://metastore:9083 (docs/loader.md)"
        )
    done = run_spark_sql(spark_conf(settings, db_path), register_statements(wh, schema, tables))
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "Exception" in line or "Error" in line]
        raise RegistrationFailed(f"registering {', '.join(tables)} in Spark's catalog failed: "
                                 f"{(lines or done.stderr.splitlines() or ['no output'])[-1][-400:]}")
    for table in tables:
        write_file(wh, wh.path(f"{schema}.db", table, MARKER), b"")
    return [f"{schema}.{t}" for t in tables]
