"""Metrics on Spark (issue 16): MetricFlow's planner with its Databricks renderer, answered by Spark, give the
values the plain-Python reference computes and DuckDB answers, metric for metric.

The enriched demo warehouse's published tables are twinned into a Spark warehouse (Parquet tables of the same
names); its semantic manifest is dbt's for the Spark target (one expression in semantic/orders.yml differs per
engine). One Spark session serves the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import json

import pytest

from tests.support.engines import spark_settings, spark_twin

from orderlayer.core.config import Settings
from orderlayer.core.dbt import run_dbt, semantic_manifest
from orderlayer.core.metrics import MetricQuery, MetricResult, answer_metrics, query_metrics
from orderlayer.core.metrics_spark import SparkSqlClient
from orderlayer.core.spark_client import spark_client

from .conftest import Enriched, cli
from .reference import Reference, bucket, load_orders

pytestmark = pytest.mark.spark

SIMPLE = ("orders_placed", "valid_orders", "deposit_only_orders")
RATIO = ("cancellation_rate", "refund_rate", "exception_rate", "ship_within_24h_rate")
DERIVED = ("gmv", "net_sales", "average_order_value")
PERCENTILE = ("status_sync_latency_p95", "p90_fulfillment_hours")
METRICS = SIMPLE + RATIO + DERIVED + PERCENTILE


@pytest.fixture(scope="module")
def spark_db(enriched: Enriched, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("spark-metrics") / "warehouse"
    twinned = spark_twin(enriched.db, Settings(), db, schemas=("published",))
    assert {"published.fct_orders", "published.order_fulfillment", "published.metricflow_time_spine"} <= set(twinned)
    return db


@pytest.fixture(scope="module")
def spark_manifest(spark_db: Path) -> Path:
    parsed = run_dbt(["parse"], spark_settings(Settings()), spark_db)
    assert parsed.ok, parsed.log_tail
    return semantic_manifest(spark_db)


@pytest.fixture(scope="module")
def spark(spark_db: Path) -> Iterator[SparkSqlClient]:
    with spark_client(spark_settings(Settings()), spark_db) as client:
        yield SparkSqlClient(client)


def test_orderlayer_metrics_answers_from_a_spark_warehouse(
    enriched: Enriched, manifest: Path, spark_db: Path, spark_manifest: Path, tmp_path: Path
) -> None:
    """The CLI with `engine: spark` (its own Spark session: this runs before the module's session starts)."""
    (tmp_path / "orderlayer.yml").write_text("engine: spark\n", encoding="utf-8")
    out = cli("metrics", "valid_orders", "gmv", "--by", "channel", "--grain", "none", "--format", "json",
              "--db", str(spark_db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    expected = query_metrics(enriched.db, manifest, ["valid_orders", "gmv"], ["channel"], None)
    answered = {(r["channel"], r["currency"]): (r["valid_orders"], Decimal(str(r["gmv"]))) for r in json.loads(out.stdout)}
    assert answered == {(r["channel"], r["currency"]): (r["valid_orders"], r["gmv"]) for r in expected.records()}


def _by_key(result: MetricResult, metrics: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    groups = result.columns[: -len(metrics)]
    return {tuple(r[g] for g in groups): {m: r[m] for m in metrics} for r in result.records()}


def _same(spark: Any, expected: Any, where: str) -> None:
    if expected is None or isinstance(expected, (int, Decimal)):
        # counts stay integers and money exact Decimals (a Spark sum widens the scale, never the value)
        assert spark == expected and type(spark) is type(expected), f"{where}: {spark!r} != {expected!r}"
    else:  # ratios, means and percentiles are DOUBLE
        assert spark == pytest.approx(expected, rel=1e-9, abs=1e-9), f"{where}: {spark!r} != {expected!r}"


@pytest.mark.parametrize(("grain", "by"), [("week", ("channel",)), ("day", ("shop_id",)), (None, ())])
def test_spark_answers_every_kind_of_metric_as_the_reference_and_duckdb(
    enriched: Enriched, manifest: Path, spark: SparkSqlClient, spark_manifest: Path, grain: str | None, by: tuple[str, ...]
) -> None:
    on_spark = answer_metrics(spark, spark_manifest, MetricQuery(METRICS, by, grain))
    on_duckdb = query_metrics(enriched.db, manifest, METRICS, by, grain)
    assert on_spark.columns == on_duckdb.columns == ([f"metric_time__{grain}"] if grain else []) + [*by, "currency", *METRICS]
    assert "PERCENTILE_CONT" in on_spark.sql and "`spark_catalog`.`published`.`fct_orders`" in on_spark.sql
    answered, duck = _by_key(on_spark, METRICS), _by_key(on_duckdb, METRICS)
    expected = Reference(load_orders(enriched.db)).table(
        METRICS,
        lambda o: ((bucket(o["business_date"], grain),) if grain else ()) + tuple(o[d] for d in by) + (o["currency"],),
    )
    assert set(answered) == set(expected) == set(duck)
    for key, values in expected.items():
        for metric in METRICS:
            _same(answered[key][metric], values[metric], f"{metric} {key} (reference)")
            _same(answered[key][metric], duck[key][metric], f"{metric} {key} (DuckDB)")

