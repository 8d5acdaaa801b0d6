"""Great Expectations on a Spark warehouse: GX's own Spark datasource, every metric computed by Spark.

Each judged table is handed to GX as the DataFrame of `spark.table(schema.model)` (a whole-DataFrame batch), so
the same suites as on DuckDB (`gx_duckdb.py`) run through GX's Spark execution engine; an UnexpectedRowsExpectation's
query runs as Spark SQL over the batch (GX registers it as a temporary view). GX reuses the caller's session
(`spark_config` left unset: nothing of the session's settings changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import great_expectations as gx
from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from orderlayer.core.warehouse import check_identifier

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def validate_spark_models(
    spark: SparkSession,
    schema: str,
    suites: Mapping[str, ExpectationSuite],
    result_format: str = "SUMMARY",
) -> dict[str, ExpectationSuiteValidationResult]:
    """Validate each table `schema.<model>` of the Spark catalog against its suite; returns GX's results by model."""
    schema = check_identifier(schema)
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    datasource = context.data_sources.add_spark(name="warehouse")
    results = {}
    for model, suite in suites.items():
        asset = datasource.add_dataframe_asset(name=model)
        batch = asset.add_batch_definition_whole_dataframe(f"{model}_whole").get_batch(
            batch_parameters={"dataframe": spark.table(f"{schema}.{check_identifier(model)}")}
        )
        results[model] = batch.validate(suite, result_format=result_format)
    return results
