"""Which warehouse engine a build runs on, and what dbt and Spark are told about it (docs/engines.md).

DuckDB is the default: the warehouse is one file. With `engine: spark` the `database` path is a folder holding
Spark's catalog (an embedded Derby metastore, for `method: session`) and, unless `spark.warehouse_dir` says
otherwise, its tables as Parquet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from orderlayer.core.config import ConfigError, Settings

LOG4J = Path(__file__).with_name("spark_log4j2.properties")

#: Spark settings every orderlayer session runs with; `spark.conf` in orderlayer.yml may add others, not change these.
FIXED_SPARK_CONF = {
    # rule T5: nothing may depend on the machine's zone; a Spark timestamp is shown and cast in the session zone
    "spark.sql.session.timeZone": "UTC",
    # string literals are taken as written (no backslash escapes), as DuckDB takes them: one regex text for both
    # (macros/dialect/README.md: why not Spark 4's r'' literals, and how a quote is written)
    "spark.sql.parser.escapedStringLiterals": "true",
    # size() of a NULL list is NULL, not -1 (the legacy answer while ANSI mode is off, which dbt-spark forces)
    "spark.sql.legacy.sizeOfNull": "false",
}

#: Defaults sized for one machine; orderlayer.yml `spark.conf` overrides them.
DEFAULT_SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # Parquet timestamps as UTC microseconds (not INT96), which DuckDB, pyarrow and `orderlayer export` read as instants
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def is_spark(settings: Settings) -> bool:
    return settings.engine == "spark"


def dbt_target(settings: Settings) -> str:
    """The output of orderlayer's profile (profiles.yml) that dbt runs with."""
    if not is_spark(settings):
        return "dev"
    return f"spark_{settings.spark.method}"


def warehouse_dir(settings: Settings, db_path: Path) -> str:
    """Where Spark keeps its tables: `spark.warehouse_dir`, else the database folder's warehouse/."""
    return settings.spark.warehouse_dir or str((db_path / "warehouse").resolve())


def spark_conf(settings: Settings, db_path: Path) -> dict[str, str]:
    """The Spark settings of a session on the warehouse at `db_path`."""
    spark = settings.spark
    clash = sorted(set(spark.conf) & set(FIXED_SPARK_CONF))
    if clash:
        raise ConfigError(f"spark.conf: {', '.join(clash)} is set by orderlayer (docs/engines.md); remove it")
    conf = {**DEFAULT_SPARK_CONF, **spark.conf, **FIXED_SPARK_CONF}
    if spark.method == "thrift":
        # a session on a running server can change only SQL settings (the server refuses the session over any other)
        return {key: value for key, value in conf.items() if key.startswith("spark.sql.")}
    if spark.method == "session":
        home = db_path.resolve()
        conf.setdefault("spark.master", spark.master)
        conf["spark.sql.warehouse.dir"] = warehouse_dir(settings, db_path)
        # the catalog lives beside the tables, not in the folder dbt happens to start in
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true"
        # Derby's log beside its catalog; Spark's log4j quiet (core/spark_log4j2.properties: orderlayer reports errors)
        conf.setdefault("spark.driver.extraJavaOptions", f"-Dderby.system.home={home} -Dlog4j2.configurationFile=file:{LOG4J}")
    return conf


def dbt_env(settings: Settings, db_path: Path) -> dict[str, str]:
    """Environment variables orderlayer's profile reads for this engine (profiles.yml)."""
    if not is_spark(settings):
        return {"ORDERLAYER_DB": str(db_path.resolve())}
    db_path.mkdir(parents=True, exist_ok=True)
    spark = settings.spark
    conf = spark_conf(settings, db_path)
    if spark.method == "thrift":
        # a Thrift server applies a session's settings only when named `set:hiveconf:<key>`; plain keys are dropped
        # without a word (seen on Spark 4.3's Thrift server; tests/engines/test_spark_thrift.py)
        conf = {f"set:hiveconf:{key}": value for key, value in conf.items()}
    env = {"ORDERLAYER_SPARK_CONF": json.dumps(conf)}
    if spark.method == "thrift":
        env |= {
            "ORDERLAYER_SPARK_HOST": spark.host or "",
            "ORDERLAYER_SPARK_PORT": str(spark.port),
            "ORDERLAYER_SPARK_USER": spark.user or "",
            "ORDERLAYER_SPARK_AUTH": spark.auth or "",
        }
        if spark.password_env:
            password = os.environ.get(spark.password_env)
            if not password:
                raise ConfigError(f"spark.password_env: environment variable {spark.password_env} is not set; export the password there")
            env["ORDERLAYER_SPARK_PASSWORD"] = password
    return env


def build_args(settings: Settings, args: list[str]) -> list[str]:
    """dbt arguments for this engine. On Spark every build is a full refresh: plain Parquet tables take no DELETE or
    MERGE, so the incremental models' delete+insert cannot run there (docs/engines.md, D-077)."""
    out = [*args, "--target", dbt_target(settings)]
    if is_spark(settings) and args and args[0] in ("build", "run") and "--full-refresh" not in args:
        out.append("--full-refresh")
    return out
