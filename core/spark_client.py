"""Spark SQL from orderlayer's own process: `orderlayer sql` and `export` on an `engine: spark` warehouse.

dbt reaches Spark through its own profile; everything else goes through this one client. `method: session` starts
Spark in this process with the warehouse's settings (core/engines.py); its embedded catalog (Derby) admits one Spark
process at a time, so a second one on the same folder fails with a message saying so. `method: thrift` reaches a
Thrift server through PyHive (dbt-spark's own client for that method), which many readers may share.
Results come back as Arrow, so decimals stay exact and instants come back in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.engines import spark_conf
from orderlayer.core.warehouse import QueryError

if TYPE_CHECKING:
    import pyarrow as pa


class SparkQueryError(Exception):
    """A statement Spark refused; the message is Spark's first line."""


class SparkClient:
    def __init__(self, settings: Settings, db: Path) -> None:
        if settings.spark.method != "session":
            raise ConfigError(
                "spark.method: thrift is reached by dbt only so far; `orderlayer sql`, `export` and the gates need "
                "method: session (docs/engines.md, what works on Spark today)"
            )
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # the spark extra is not installed
            raise ConfigError("engine: spark needs pyspark; pip install 'orderlayer[spark]' (and Java 17+)") from exc
        if not (db / "metastore_db").exists():
            raise ConfigError(f"database {db}: no Spark warehouse here; run `orderlayer demo --engine spark --db {db}` or `orderlayer run` first")
        builder = SparkSession.builder.enableHiveSupport()
        for key, value in spark_conf(settings, db).items():
            builder = builder.config(key, value)
        try:
            self._spark = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 — py4j raises its own types; the first line says what happened
            raise SparkQueryError(_first_line(exc)) from exc

    def arrow(self, query: str) -> pa.Table:
        """The result of one query as an Arrow table."""
        try:
            return self._spark.sql(query).toArrow()
        except Exception as exc:  # noqa: BLE001 — AnalysisException, ParseException, Py4JJavaError
            raise SparkQueryError(_first_line(exc)) from exc

    def execute(self, statement: str) -> None:
        try:
            self._spark.sql(statement).collect()
        except Exception as exc:  # noqa: BLE001
            raise SparkQueryError(_first_line(exc)) from exc

    def relations(self, schema: str) -> list[tuple[str, str]]:
        """(name, 'table' | 'view') of every relation in `schema`, by name; none when the schema does not exist."""
        if not self._spark.catalog.databaseExists(schema):
            return []
        return sorted(
            (t.name, "view" if t.tableType == "VIEW" else "table") for t in self._spark.catalog.listTables(dbName=schema)
        )

    def close(self) -> None:
        self._spark.stop()


#: what Spark says when another process holds the embedded catalog (Derby boots a database in one process only)
_CATALOG_HELD = ("SessionHiveMetaStoreClient", "XSDB6", "Another instance of Derby")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if any(mark in text for mark in _CATALOG_HELD):
        return (
            "another Spark process (a build, serve or another command) holds this warehouse's catalog: with "
            "spark.method session one process at a time opens a warehouse; wait for it to finish, or serve the "
            "warehouse from a Spark Thrift Server for shared access (docs/engines.md)"
        )
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def spark_client(settings: Settings, db: Path) -> Iterator[SparkClient]:
    client = SparkClient(settings, db)
    try:
        yield client
    finally:
        client.close()


def read_query(settings: Settings, db: Path, query: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one user-typed query (`orderlayer sql` on Spark). Only a query runs: it is read as a
    subquery, which no DDL, DML or INSERT … DIRECTORY can be."""
    statement = query.strip().rstrip(";")
    try:
        with spark_client(settings, db) as client:
            table = client.arrow(f"select * from ({statement}) as orderlayer_query")
    except SparkQueryError as exc:
        raise QueryError(f"query failed: {exc}") from exc
    return table.column_names, [tuple(row.values()) for row in table.to_pylist()]
