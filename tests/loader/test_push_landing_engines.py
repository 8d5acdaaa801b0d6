"""A push landing (core/push_landing.py) lands the spool's records in the engine's raw store: the same rows on DuckDB
and on Spark, each traceable to its sync record, and on Spark the new table handed to the catalog registration."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orderlayer.core.config import Settings
from orderlayer.core.push_landing import land_pushes
from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.loader import stores
from orderlayer.taps.common.push import PushRecord
from tests.support.engines import duckdb_rows, spark_rows

PER_LANDING = {"_extracted_at", "_synced_at", "_sync_id", "_landed_seq"}
TRACK = {"nu": "YT7700000000001", "com": "yuantong", "state": "3", "data": [{"time": "2026-11-03 09:00:00", "context": "签收"}]}


def settings_for(db: Path, engine: str) -> Settings:
    return Settings.model_validate({
        "engine": engine,
        "database": str(db),
        "connections": {"kd": {"source": "kuaidi100", "shop_id": "demo-customer", "credentials": {"key": "KD_KEY", "salt": "KD_SALT"}}},
    })


def test_spooled_pushes_land_the_same_rows_on_both_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KD_KEY", "k")
    monkeypatch.setenv("KD_SALT", "s")
    registered: list[Path] = []
    monkeypatch.setattr(stores, "register_raw_tables", lambda settings, db, schema: registered.append(db) or [])
    landed = {}
    for engine, db in (("duckdb", tmp_path / "w.duckdb"), ("spark", tmp_path / "spark")):
        settings = settings_for(db, engine)
        with PushSpool(spool_path(db)) as spool:
            items = [PushRecord("tracking", "m1", TRACK), PushRecord("tracking", "m2", TRACK | {"state": "4"})]
            assert spool.add("kd", items) == 2
        [result] = land_pushes(settings)
        assert (result.status, result.records, result.rows_added) == ("ok", 2, 2)
        landed[engine] = (settings, db, result.sync_id)
    assert registered == [tmp_path / "spark"]  # only Spark has a catalog to tell

    duck_columns, duck = duckdb_rows(tmp_path / "w.duckdb", "raw.kuaidi100__tracking", "_record_hash")
    settings, spark_db, sync_id = landed["spark"]
    spark_columns, spark = spark_rows(settings, spark_db, "raw.kuaidi100__tracking", "_record_hash")
    assert spark_columns == duck_columns
    keep = [i for i, c in enumerate(duck_columns) if c not in PER_LANDING]
    assert [[r[i] for i in keep] for r in spark] == [[r[i] for i in keep] for r in duck]
    assert {r[duck_columns.index("_sync_id")] for r in spark} == {sync_id}
    with duckdb.connect(str(spark_db / "operations.duckdb"), read_only=True) as con:  # the landing's sync record
        assert con.execute("select status, rows_added from ops.sync_runs where sync_id = ?", [sync_id]).fetchall() == [("ok", 2)]
