"""`engine:` and `spark:` in orderlayer.yml: validated like every key, and what dbt and Spark are told (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderlayer.core.config import ConfigError, load_settings
from orderlayer.core.engines import build_args, dbt_env, dbt_target, spark_conf


def settings_of(tmp_path: Path, text: str):
    path = tmp_path / "orderlayer.yml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_of(tmp_path, text)
    return str(caught.value)


def test_duckdb_is_the_default_and_its_dbt_call_is_unchanged(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, "reporting_currency: CNY\n")
    assert settings.engine == "duckdb"
    assert dbt_target(settings) == "dev"
    assert build_args(settings, ["build", "--select", "x"]) == ["build", "--select", "x", "--target", "dev"]
    assert dbt_env(settings, tmp_path / "w.duckdb") == {"ORDERLAYER_DB": str((tmp_path / "w.duckdb").resolve())}


def test_an_unknown_engine_and_a_misspelt_spark_key_name_the_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, "engine: postgres\n")
    assert "engine: Input should be 'duckdb' or 'spark'" in message
    message = error_of(tmp_path, "engine: spark\nspark:\n  mastr: local[4]\n")
    assert "spark.mastr: unknown key (did you mean master?)" in message
    message = error_of(tmp_path, "engine: spark\nspark:\n  method: jdbc\n")
    assert "spark.method: Input should be 'session' or 'thrift'" in message


def test_thrift_needs_a_host(tmp_path: Path) -> None:
    message = error_of(tmp_path, "engine: spark\nspark:\n  method: thrift\n")
    assert "spark.host: method thrift needs the Thrift server's host; add `host:`" in message


def test_a_spark_session_keeps_its_catalog_and_tables_beside_the_database(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, "engine: spark\nspark:\n  master: local[4]\n  conf: {spark.driver.memory: 3g}\n")
    db = tmp_path / "lake"
    conf = spark_conf(settings, db)
    assert conf["spark.master"] == "local[4]"
    assert conf["spark.sql.warehouse.dir"] == str(db.resolve() / "warehouse")
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == f"jdbc:derby:;databaseName={db.resolve() / 'metastore_db'};create=true"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.driver.memory"] == "3g"
    assert dbt_target(settings) == "spark_session"
    env = dbt_env(settings, db)
    assert json.loads(env["ORDERLAYER_SPARK_CONF"]) == conf
    # plain Parquet tables take no DELETE: every Spark build is a full refresh (docs/engines.md)
    assert build_args(settings, ["build"]) == ["build", "--target", "spark_session", "--full-refresh"]
    assert build_args(settings, ["test"]) == ["test", "--target", "spark_session"]


def test_orderlayer_s_own_spark_settings_cannot_be_overridden(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, "engine: spark\nspark:\n  conf: {spark.sql.session.timeZone: Asia/Shanghai}\n")
    with pytest.raises(ConfigError, match=r"spark.conf: spark.sql.session.timeZone is set by orderlayer"):
        spark_conf(settings, tmp_path / "lake")


def test_a_thrift_password_comes_from_the_named_variable_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_of(
        tmp_path,
        "engine: spark\nspark:\n  method: thrift\n  host: sts.internal\n  port: 10001\n  auth: LDAP\n  user: etl\n"
        "  password_env: STS_PASSWORD\n",
    )
    monkeypatch.delenv("STS_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="spark.password_env: environment variable STS_PASSWORD is not set"):
        dbt_env(settings, tmp_path / "lake")
    monkeypatch.setenv("STS_PASSWORD", "pw")
    env = dbt_env(settings, tmp_path / "lake")
    assert (env["ORDERLAYER_SPARK_HOST"], env["ORDERLAYER_SPARK_PORT"], env["ORDERLAYER_SPARK_AUTH"]) == ("sts.internal", "10001", "LDAP")
    assert env["ORDERLAYER_SPARK_PASSWORD"] == "pw"
    sent = json.loads(env["ORDERLAYER_SPARK_CONF"])
    # a Thrift server takes a session's settings only under set:hiveconf:; a session's local folders are not sent
    assert sent["set:hiveconf:spark.sql.session.timeZone"] == "UTC"
    assert not any("warehouse.dir" in key or "ConnectionURL" in key for key in sent)
