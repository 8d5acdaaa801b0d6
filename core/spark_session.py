"""One Spark session on a warehouse, for what orderlayer itself asks Spark (gates, metrics); dbt starts its own.

`method: session` only: the session runs in this process with the settings of `core/engines.py spark_conf`, so it
sees the same catalog and tables dbt built. A Thrift server (`method: thrift`) speaks HiveServer2, which a
SparkSession cannot attach to (docs/engines.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.engines import spark_conf

if TYPE_CHECKING:  # pyspark is imported only when a Spark warehouse is used (it takes a second to import)
    from pyspark.sql import SparkSession


@contextmanager
def spark_session(settings: Settings, db_path: Path) -> Iterator[SparkSession]:
    """A Spark session on the warehouse at `db_path` (a folder), stopped on exit."""
    if settings.spark.method != "session":
        raise ConfigError(
            f"spark.method: {settings.spark.method}: gates and metrics run in a Spark session in this process; "
            "use method: session (docs/engines.md)"
        )
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("orderlayer").enableHiveSupport()
    for key, value in spark_conf(settings, db_path).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        yield spark
    finally:
        spark.stop()
