"""Metrics through MetricFlow, answered from the `published` schema.

dbt writes the semantic manifest (`<db dir>/dbt/<db name>/target/semantic_manifest.json`, see
project.dbt_artifacts) with the marts' build relations in `audit`; consumers must only ever see what passed
the gates, so the manifest's relations are pointed at `published` before MetricFlow plans a query. MetricFlow renders
the SQL for the warehouse's engine: DuckDB queries run in-process on a read-only connection, Spark ones in a Spark
session with MetricFlow's Databricks renderer (`core/metrics_spark.py`, D-079).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import duckdb
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet
from metricflow_semantic_interfaces.protocols.semantic_manifest import SemanticManifest

from orderlayer.core.config import closest
from orderlayer.core.warehouse import PUBLISHED, connect

GRAINS = ("day", "week", "month", "quarter", "year")
#: Dimension names users type (`--by channel`) → the semantic model's entity-qualified names.
ENTITY = "order"
#: Metrics whose `config.meta.unit` is this are sums of money in the order's currency (semantic/orders.yml).
AMOUNT_UNIT = "amount"
CURRENCY = f"{ENTITY}__currency"


class MetricsError(Exception):
    """A metrics request that cannot be answered; the message says why and what to do."""


class MetricsWarehouse(ABC):
    """A warehouse metrics are answered from: MetricFlow's SqlClient protocol (its engine type and renderer decide the
    SQL MetricFlow writes) plus what `answer_metrics` asks (DuckDB: `DuckDBSqlClient`; Spark: `core/metrics_spark.py`)."""

    engine: ClassVar[SqlEngine]
    renderer: ClassVar[SqlPlanRenderer]
    #: how the warehouse quotes an identifier in a relation name
    quote: ClassVar[str]

    @property
    def sql_engine_type(self) -> SqlEngine:
        return self.engine

    @property
    def sql_plan_renderer(self) -> SqlPlanRenderer:
        return self.renderer

    @abstractmethod
    def catalog(self) -> str: ...

    @abstractmethod
    def has_table(self, schema: str, table: str) -> bool: ...

    @abstractmethod
    def fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of `sql`, numbers exact (DECIMAL as Decimal), instants timezone-aware or UTC."""


class DuckDBSqlClient(MetricsWarehouse):
    """One DuckDB connection (UTC session)."""

    engine = SqlEngine.DUCKDB
    renderer = DuckDbSqlPlanRenderer()
    quote = '"'

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def catalog(self) -> str:
        return self._con.execute("select current_database()").fetchone()[0]

    def has_table(self, schema: str, table: str) -> bool:
        return bool(
            self._con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
            ).fetchone()[0]
        )

    def fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self._con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()

    def _params(self, bind: SqlBindParameterSet) -> dict[str, Any]:
        return {key: value.union_value() for key, value in bind.param_dict.items()} if bind.param_dict else {}

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> MetricFlowDataTable:
        cursor = self._con.execute(stmt, self._params(sql_bind_parameter_set) or None)
        names = [d[0] for d in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._con.execute(stmt, self._params(sql_bind_parameter_set) or None)

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = SqlBindParameterSet()) -> None:
        self._con.execute(f"explain {stmt}", self._params(sql_bind_parameter_set) or None)

    def close(self) -> None:
        self._con.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@dataclass(frozen=True)
class MetricQuery:
    """Metrics grouped by dimensions (`by`, names as users type them) and metric_time at `grain` (None: no time)."""

    metrics: Sequence[str]
    by: Sequence[str] = ()
    grain: str | None = "day"
    where: Sequence[str] = ()


def published_manifest(manifest_path: Path, catalog: str, quote: str = '"') -> str:
    """The semantic manifest JSON with every model relation pointed at `<catalog>.published` (identifiers quoted
    with `quote`: `"` on DuckDB, a backtick on Spark)."""
    if not manifest_path.exists():
        raise MetricsError(f"{manifest_path} not found; run `orderlayer build` (dbt writes it) and publish first")
    data = json.loads(manifest_path.read_text(encoding="utf-8"))

    def repoint(relation: dict[str, Any]) -> None:
        relation["schema_name"] = PUBLISHED
        relation["database"] = catalog
        relation["relation_name"] = ".".join(f"{quote}{part}{quote}" for part in (catalog, PUBLISHED, relation["alias"]))

    for model in data.get("semantic_models", []):
        repoint(model["node_relation"])
    config = data.get("project_configuration", {})
    for spine in config.get("time_spines", []):
        repoint(spine["node_relation"])
    for spine in config.get("time_spine_table_configurations", []):
        spine["location"] = f"{catalog}.{PUBLISHED}.{spine['location'].split('.')[-1]}"
    return json.dumps(data)


@dataclass(frozen=True)
class MetricResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    sql: str
    #: seconds MetricFlow spent planning the SQL (manifest load included) and DuckDB spent answering it
    plan_seconds: float = 0.0
    query_seconds: float = 0.0

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def metric_catalogue(semantic_dir: Path) -> list[tuple[str, str]]:
    """(name, description) of every metric the project's semantic YAML defines, by name; read without dbt, for
    `orderlayer metrics --help` (answering a query uses the manifest dbt wrote)."""
    import yaml

    found: dict[str, str] = {}
    for path in sorted(semantic_dir.glob("*.yml")):
        for metric in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("metrics") or []:
            found[metric["name"]] = " ".join(str(metric.get("description") or metric.get("label") or "").split())
    return sorted(found.items())


def _group_by_name(dimension: str) -> str:
    return dimension if "__" in dimension else f"{ENTITY}__{dimension}"


def amount_metrics(manifest: SemanticManifest, names: Sequence[str]) -> list[str]:
    """The metrics among `names` that sum money (meta unit `amount`)."""
    units = {m.name: ((m.config.meta if m.config else None) or {}).get("unit") for m in manifest.metrics}
    return [n for n in names if units.get(n) == AMOUNT_UNIT]


def _clean(value: Any) -> Any:
    # MetricFlow hands counts back as Decimal; keep integers integral and money exact.
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return int(value)
    return value


def query_metrics(
    db_path: Path,
    manifest_path: Path,
    metrics: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = "day",
    where: Sequence[str] = (),
) -> MetricResult:
    """Answer `metrics` grouped by `by` (dimension names) and metric_time at `grain`, from the DuckDB warehouse's
    published schema (a Spark warehouse: `core/metrics_spark.py`)."""
    if not db_path.exists():
        raise MetricsError(f"database {db_path} not found; run `orderlayer run` or `orderlayer demo` first")
    con = connect(db_path, read_only=True)
    try:
        return answer_metrics(DuckDBSqlClient(con), manifest_path, MetricQuery(metrics, by, grain, where))
    finally:
        con.close()


def answer_metrics(warehouse: MetricsWarehouse, manifest_path: Path, query: MetricQuery) -> MetricResult:
    """MetricFlow plans the query for the warehouse's engine (its renderer), the warehouse answers it."""
    metrics, by, grain, where = query.metrics, query.by, query.grain, query.where
    if grain is not None and grain not in GRAINS:
        raise MetricsError(f"--grain {grain}: use one of {', '.join(GRAINS)}")
    if not warehouse.has_table(PUBLISHED, "fct_orders"):
        raise MetricsError("nothing is published yet; run `orderlayer run` (publish happens when no red gate fails)")
    started = time.perf_counter()
    manifest = parse_manifest_from_dbt_generated_manifest(
        published_manifest(manifest_path, warehouse.catalog(), warehouse.quote)
    )
    engine = MetricFlowEngine(SemanticManifestLookup(manifest), warehouse)
    known = sorted(m.name for m in manifest.metrics)
    unknown = [m for m in metrics if m not in known]
    if unknown:
        named = ", ".join(f"{m}{closest(m, known)}" for m in unknown)
        raise MetricsError(f"unknown metric {named}; available: {', '.join(known)}")
    group_by = ([f"metric_time__{grain}"] if grain else []) + [_group_by_name(d) for d in by]
    # Amounts are never summed across currencies (D-020): a money metric is always split by currency.
    if amount_metrics(manifest, metrics) and CURRENCY not in group_by:
        group_by.append(CURRENCY)
    request = MetricFlowQueryRequest.create(
        metric_names=list(metrics),
        group_by_names=group_by,
        where_constraints=list(where) or None,
        order_by_names=group_by,
    )
    try:
        plan = engine.explain(request)
    except Exception as exc:  # MetricFlow raises many types; all mean "this query is not valid"
        raise MetricsError(f"MetricFlow could not answer: {exc}") from exc
    planned = time.perf_counter()
    # MetricFlow plans the SQL; the warehouse runs it here so sums of DECIMAL(18,2) stay exact (MetricFlow's
    # own data table turns them into floats).
    sql = plan.sql_statement.sql
    found, fetched = warehouse.fetch(sql)
    names = [n.replace(f"{ENTITY}__", "") for n in found]
    answered = time.perf_counter()
    # group-by columns in the order asked for (metric_time first), then the metrics in the order asked for
    asked = [g.replace(f"{ENTITY}__", "") for g in group_by]

    def rank(name: str) -> int:
        return next((i for i, g in enumerate(asked) if name == g or name.startswith(f"{g}__")), len(asked))

    groups = sorted((i for i, n in enumerate(names) if n not in metrics), key=lambda i: rank(names[i]))
    order = groups + [names.index(m) for m in dict.fromkeys(metrics)]
    columns = [names[i] for i in order]
    # metric_time is a calendar bucket (DATE_TRUNC of a DATE yields a midnight TIMESTAMP): show the date
    is_time = [c.startswith("metric_time") for c in columns]
    rows = [
        tuple(row[i].date() if t and isinstance(row[i], datetime) else _clean(row[i]) for i, t in zip(order, is_time))
        for row in fetched
    ]
    return MetricResult(
        columns=columns,
        rows=rows,
        sql=sql,
        plan_seconds=planned - started,
        query_seconds=answered - planned,
    )
