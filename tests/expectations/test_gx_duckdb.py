"""GX on DuckDB: the upstream trap, and the persistent-connection fix in expectations/gx_duckdb.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from orderlayer.expectations.gx_duckdb import _DuckDBExecutionEngine, evaluation_error, validate_models


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA audit")
    # main.t for the stock datasource (no schema support needed), audit.u for ours: a different
    # name, so a lookup that ignored the schema could not find it by accident.
    for table in ("main.t", "audit.u"):
        conn.execute(
            f"CREATE TABLE {table} AS SELECT i::VARCHAR AS k, CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS v "
            "FROM range(100) AS r(i)"
        )
    conn.close()
    return path


def test_stock_gx_sql_datasource_loses_results_on_duckdb(db: Path) -> None:
    """Documents the trap: if this starts passing, GX fixed it upstream and gx_duckdb.py can go."""
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_sql(name="stock", connection_string=f"duckdb:///{db}")
    try:
        batch = datasource.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all").get_batch()
        result = batch.validate(gxe.ExpectColumnValuesToNotBeNull(column="k"))
        assert result.success is False  # the column has no NULLs: the failure is GX's, not the data's
        assert "list index out of range" in (evaluation_error(result) or "")
    finally:
        datasource.get_execution_engine().close()
        datasource.get_engine().dispose()


def _validate(db: Path, *expectations: gxe.Expectation) -> list:
    conn = duckdb.connect(str(db))
    try:
        suite = gx.ExpectationSuite(name="s", expectations=list(expectations))
        result = validate_models(conn, db, "audit", {"u": suite})["u"]
    finally:
        conn.close()
    by_type = {r.expectation_config.type: r for r in result.results}
    return [by_type[e.expectation_type] for e in expectations]


def test_fixed_engine_evaluates_expectations_in_duckdb(db: Path) -> None:
    keys, values = _validate(
        db, gxe.ExpectColumnValuesToNotBeNull(column="k"), gxe.ExpectColumnValuesToBeBetween(column="v", max_value=89)
    )
    assert keys.success is True and evaluation_error(keys) is None
    assert values.success is False
    # v is NULL for i in 0, 10, ..., 90 and above 89 for 91..99: 9 unexpected of 90 non-null values.
    assert values.result["unexpected_count"] == 9
    assert values.result["element_count"] == 100


def test_a_failing_query_does_not_poison_later_ones(db: Path) -> None:
    broken, counted = _validate(
        db,
        gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT no_such_column FROM {batch}"),
        gxe.ExpectColumnValuesToNotBeNull(column="v"),
    )
    assert "no_such_column" in (evaluation_error(broken) or "")
    # DuckDB aborted the shared transaction on the error above; the engine rolled it back.
    assert counted.success is False and counted.result["unexpected_count"] == 10


def test_gx_sessions_are_utc(db: Path) -> None:
    (utc,) = _validate(
        db,
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="SELECT k FROM {batch} WHERE current_setting('TimeZone') <> 'UTC'"
        ),
    )
    # DuckDB's default here would be the machine's zone name (e.g. 'Etc/UTC'), not 'UTC'.
    assert utc.success is True and utc.result["observed_value"] == 0


def test_engine_close_closes_its_persistent_connection(db: Path) -> None:
    engine = _DuckDBExecutionEngine(connection_string=f"duckdb:///{db}")
    with engine.get_connection() as first:
        pass
    with engine.get_connection() as second:
        assert second is first  # one connection for the engine's life
    assert not first.closed
    engine.close()
    assert first.closed
