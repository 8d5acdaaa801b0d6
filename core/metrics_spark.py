"""Metrics on a Spark warehouse: MetricFlow's planner with its Databricks SQL renderer, answered by a Spark session.

MetricFlow's CLI and dbt adapter refuse `spark`, but its planner only needs a SqlClient whose engine type picks the
renderer; Databricks SQL is Spark SQL (DATE_TRUNC, PERCENTILE_CONT … WITHIN GROUP, backtick identifiers), so the
same plan runs on open-source Spark. Results come back through Arrow: DECIMAL sums stay exact Decimals and
timestamps arrive as UTC instants, whatever the zone of this process (D-079).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.databricks import DatabricksSqlPlanRenderer
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

from orderlayer.core.config import Settings
from orderlayer.core.metrics import MetricQuery, MetricResult, MetricsError, MetricsWarehouse, answer_metrics
from orderlayer.core.spark_client import SparkClient, SparkQueryError, spark_client


class SparkSqlClient(MetricsWarehouse):
    """MetricFlow's SqlClient protocol over orderlayer's Spark client, with MetricFlow's Databricks renderer."""

    engine = SqlEngine.DATABRICKS
    renderer = DatabricksSqlPlanRenderer()
    quote = "`"

    def __init__(self, client: SparkClient) -> None:
        self._client = client

    def catalog(self) -> str:
        return self._client.session.catalog.currentCatalog()

    def has_table(self, schema: str, table: str) -> bool:
        return table in {name for name, _ in self._client.relations(schema)}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        table = self._client.arrow(sql)
        return list(table.column_names), [tuple(row.values()) for row in table.to_pylist()]

    def _bound(self, stmt: str, bind: SqlBindParameterSet) -> str:
        # MetricFlow binds nothing for the queries orderlayer plans; refuse rather than run a different query
        if bind.param_dict:
            raise MetricsError(f"bind parameters are not supported on Spark: {sorted(bind.param_dict)}")
        return stmt

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> MetricFlowDataTable:
        names, rows = self.fetch(self._bound(stmt, sql_bind_parameter_set))
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._client.execute(self._bound(stmt, sql_bind_parameter_set))

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._client.execute(f"explain {self._bound(stmt, sql_bind_parameter_set)}")

    def close(self) -> None:
        """The client belongs to whoever opened it."""

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"


def query_spark_metrics(settings: Settings, db_path: Path, manifest_path: Path, query: MetricQuery) -> MetricResult:
    """`core/metrics.py query_metrics` for the Spark warehouse at `db_path` (a folder)."""
    try:
        with spark_client(settings, db_path) as client:
            return answer_metrics(SparkSqlClient(client), manifest_path, query)
    except SparkQueryError as exc:  # a query Spark refused, or the warehouse's catalog held by another process
        raise MetricsError(f"Spark: {exc}") from exc
