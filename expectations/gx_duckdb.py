"""Great Expectations on a DuckDB file, every metric computed by DuckDB (nothing loaded into pandas).

The trap (shared/notes/stack.md; GX issues #11579, #10738): `SqlAlchemyExecutionEngine.execute_query`
runs a query inside `with self.get_connection()` and returns the result *after* that block has handed
the connection back to the pool. The pool's reset-on-return issues a ROLLBACK, and duckdb-engine's
cursor is the DuckDB connection itself, so the pending result is thrown away: `fetchall()` returns
`[]` and every metric fails with "list index out of range". GX already keeps one persistent
connection for sqlite, SQL Server, BigQuery and Databricks (`_PERSISTED_CONNECTION_DIALECTS` in
`get_connection`); `_DuckDBExecutionEngine` does the same for DuckDB and nothing else.

It is injected only where this module builds a datasource, through GX's own hook for that
(`Datasource.execution_engine_override`) on a private subclass: the leading underscore makes GX's
`MetaDatasource` skip registering it as a datasource type, so importing this module changes nothing
in GX for anyone else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import great_expectations as gx
from duckdb_engine import ConnectionWrapper
from great_expectations.core import (
    ExpectationSuite,
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy import Connection

from orderlayer.core.warehouse import check_identifier, set_utc


class _DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    @contextmanager
    def get_connection(self) -> Iterator[Connection]:
        if self.dialect_name != "duckdb":
            with super().get_connection() as connection:
                yield connection
            return
        # Keep one connection for the engine's life, as GX does for sqlite, so a result is still
        # there when the caller fetches it after this block.
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        try:
            yield self._connection
        except Exception:
            # DuckDB aborts the open transaction on any failed statement, and GX only recovers from
            # SQLAlchemy's PendingRollbackError: without this rollback one failing metric query would
            # make every later query on the shared connection fail too.
            self._connection.rollback()
            raise

    def close(self) -> None:
        # GX's close() closes `_connection` only for the dialects it persists itself; dispose() does
        # not close a checked-out connection, and an open one keeps the DuckDB file attached.
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        super().close()


class _DuckDBDatasource(SQLDatasource):
    execution_engine_override = _DuckDBExecutionEngine


def validate_models(
    conn: duckdb.DuckDBPyConnection,
    db_path: Path,
    schema: str,
    suites: Mapping[str, ExpectationSuite],
    result_format: str = "SUMMARY",
) -> dict[str, ExpectationSuiteValidationResult]:
    """Validate each table `schema.<model>` against its suite; returns GX's results by model.

    GX's connections are cursors of `conn` (same DuckDB instance, no second open of the file), so
    this works while the caller, or anyone else in the process, holds plain connections to the file.
    """
    schema = check_identifier(schema)

    def new_connection() -> ConnectionWrapper:
        cursor = conn.cursor()
        set_utc(cursor)
        # Schema "in the datasource's connection configuration" (GX's advice since 1.14): GX's
        # column-reflection fallback queries the bare table name, because duckdb-engine's inspector
        # fails on DuckDB's catalog (no pg_collation).
        cursor.execute(f"SET search_path = '{schema}'")
        # duckdb-engine's own connect() would open the file with an extra `custom_user_agent` config,
        # which DuckDB refuses beside plain connections; the wrapper is what that connect() returns.
        return ConnectionWrapper(cursor)

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    datasource = context.add_datasource(
        datasource=_DuckDBDatasource(
            name="warehouse",
            connection_string=f"duckdb:///{db_path}",
            kwargs={"creator": new_connection},
        )
    )
    try:
        results = {}
        for model, suite in suites.items():
            asset = datasource.add_table_asset(name=model, table_name=check_identifier(model))
            batch = asset.add_batch_definition_whole_table(f"{model}_whole").get_batch()
            results[model] = batch.validate(suite, result_format=result_format)
        return results
    finally:
        execution_engine = datasource.execution_engine
        if execution_engine is not None:
            execution_engine.close()
        datasource.get_engine().dispose()


def evaluation_error(result: ExpectationValidationResult) -> str | None:
    """GX's message if it could not evaluate the expectation (as opposed to the data failing it).

    GX reports an error either at the top of `exception_info` or, when a metric failed, keyed by
    metric id; both shapes are read here.
    """
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [str(e.get("exception_message")) for e in entries if e.get("raised_exception")]
    return "; ".join(messages) or None
