"""Metrics on a Spark warehouse: MetricFlow's planner with its Databricks SQL renderer, answered by a Spark session.

MetricFlow's CLI and dbt adapter refuse `spark`, but its planner only needs a SqlClient whose engine type picks the
renderer; Databricks SQL is Spark SQL (DATE_TRUNC, PERCENTILE_CONT … WITHIN GROUP, backtick identifiers), so the
same plan runs on open-source Spark. Results come back through Arrow: DECIMAL sums stay exact Decimals and
timestamps arrive as UTC instants, whatever the zone of this process (D-079).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.databricks import DatabricksSqlPlanRenderer
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

from orderlayer.core.config import Settings
from orderlayer.core.metrics import MetricQuery, MetricResult, MetricsError, MetricsWarehouse, answer_metrics
from orderlayer.core.spark_session import spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkSqlClient(MetricsWarehouse):
    """MetricFlow's SqlClient protocol over a Spark session, with MetricFlow's Databricks renderer."""

    engine = SqlEngine.DATABRICKS
    renderer = DatabricksSqlPlanRenderer()
    quote = "`"

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark

    def catalog(self) -> str:
        return self._spark.catalog.currentCatalog()

    def has_table(self, schema: str, table: str) -> bool:
        return self._spark.catalog.tableExists(f"{schema}.{table}")

    def fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        table = self._spark.sql(sql).toArrow()
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return list(table.column_names), list(zip(*columns)) if columns else []

    def _bound(self, stmt: str, bind: SqlBindParameterSet) -> str:
        # MetricFlow binds nothing for the queries orderlayer plans; refuse rather than run a different query
        if bind.param_dict:
            raise MetricsError(f"bind parameters are not supported on Spark: {sorted(bind.param_dict)}")
        return stmt

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> MetricFlowDataTable:
        names, rows = self.fetch(self._bound(stmt, sql_bind_parameter_set))
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._spark.sql(self._bound(stmt, sql_bind_parameter_set)).collect()

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._spark.sql(f"explain {self._bound(stmt, sql_bind_parameter_set)}").collect()

    def close(self) -> None:
        """The session belongs to whoever opened it."""

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"


def query_spark_metrics(settings: Settings, db_path: Path, manifest_path: Path, query: MetricQuery) -> MetricResult:
    """`core/metrics.py query_metrics` for the Spark warehouse at `db_path` (a folder)."""
    if not db_path.is_dir():
        raise MetricsError(f"Spark warehouse {db_path} not found; run `orderlayer run` or `orderlayer demo` first")
    with spark_session(settings, db_path) as spark:
        return answer_metrics(SparkSqlClient(spark), manifest_path, query)
