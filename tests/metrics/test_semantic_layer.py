"""The semantic layer as a whole: every catalogue metric is defined, documented and valid for MetricFlow,
both semantically and against the published tables of a demo warehouse (what `mf validate-configs` runs)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from metricflow.validation.data_warehouse_model_validator import DataWarehouseModelValidator
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
from metricflow_semantic_interfaces.validations.validator_helpers import SemanticManifestValidationResults
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest

from orderlayer.core.metrics import DuckDBSqlClient, MetricsError, published_manifest, query_metrics

from .reference import AMOUNTS, CATALOGUE, EXTRA

DIMENSIONS = ("channel", "shop_id", "business_date", "receiver_province", "order_type", "is_presale")
UNITS = {"count", "amount", "rate", "hours", "seconds"}


@pytest.fixture(scope="module")
def metrics_by_name(manifest: Path) -> dict[str, dict]:
    return {m["name"]: m for m in json.loads(manifest.read_text(encoding="utf-8"))["metrics"]}


@pytest.mark.parametrize("name", CATALOGUE + EXTRA)
def test_metric_is_defined_with_label_description_and_unit(metrics_by_name: dict[str, dict], name: str) -> None:
    metric = metrics_by_name[name]
    assert metric["label"] and metric["label"] != name
    assert len(metric["description"]) > 20
    unit = metric["config"]["meta"]["unit"]
    assert unit in UNITS
    assert (unit == "amount") == (name in AMOUNTS)


def test_every_metric_documents_its_unit(metrics_by_name: dict[str, dict]) -> None:
    missing = [n for n, m in metrics_by_name.items() if (m.get("config") or {}).get("meta", {}).get("unit") not in UNITS]
    assert missing == []


def test_manifest_passes_metricflow_validation_against_published(manifest: Path, demo_db: Path) -> None:
    """In-process `mf validate-configs`: semantic rules, then every model, dimension, entity and metric queried."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        semantic = parse_manifest_from_dbt_generated_manifest(published_manifest(manifest, catalog))
        results = [SemanticManifestValidator().validate_semantic_manifest(semantic)]
        warehouse = DataWarehouseModelValidator(sql_client=DuckDBSqlClient(con))
        results += [
            warehouse.validate_semantic_models(semantic),
            warehouse.validate_dimensions(semantic),
            warehouse.validate_entities(semantic),
            warehouse.validate_metrics(semantic),
        ]
    finally:
        con.close()
    merged = SemanticManifestValidationResults.merge(results)
    assert [issue.as_readable_str() for issue in merged.errors] == []


def test_every_metric_answers_by_every_dimension(manifest: Path, demo_db: Path) -> None:
    result = query_metrics(demo_db, manifest, CATALOGUE + EXTRA, DIMENSIONS, "week")
    # business_date as a dimension keeps its own day grain; amounts bring the currency along (D-020)
    groups = ["metric_time__week", "channel", "shop_id", "business_date__day", "receiver_province", "order_type",
              "is_presale", "currency"]
    assert result.columns == groups + list(CATALOGUE + EXTRA)
    assert result.rows


def test_unknown_metric_and_grain_are_usage_errors(manifest: Path, demo_db: Path) -> None:
    with pytest.raises(MetricsError, match="unknown metric"):
        query_metrics(demo_db, manifest, ["gross_margin"])
    with pytest.raises(MetricsError, match="--grain"):
        query_metrics(demo_db, manifest, ["gmv"], grain="hour")
