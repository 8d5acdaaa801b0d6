"""The gates on Spark (issue 16): the same catalogue, through GX's Spark datasource and Spark SQL, gives the verdict,
lights, counts, examples and notes DuckDB gives, on a warehouse where most gates have something to say.

The two-channel warehouse of test_defects.py (every figure worked out by hand there) gets a clean, published run-0
on DuckDB, then several defects at once; the candidate is judged as run-1 on DuckDB, and its raw, audit,
quarantine and published tables are twinned into a Spark warehouse whose `operations.duckdb` holds run-0's history
(R5's and Y3's trailing values), where run-1 is judged again. One Spark session serves the module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.support.engines import spark_settings, spark_twin

from orderlayer.core.config import GateSettings, Settings
from orderlayer.core.spark_client import SparkClient, spark_client
from orderlayer.expectations import GateContext, GateReport, publish, run_gates
from orderlayer.expectations.runner import ops_database

from .conftest import NOW
from .scenario import build_two_channels

# one DuckDB and one Spark build of their own: `make test-spark` (docs/engines.md), not `make test`
pytestmark = [pytest.mark.spark, pytest.mark.spark_build]

MARTS = ["fct_orders", "fct_order_lines"]
CONTEXT = GateContext(shop_zones={("douyin", "shop1"): "Asia/Shanghai", ("jd", "shop1"): "Asia/Shanghai"})

DEFECTS = (
    # Y3: every douyin time 8 h late (7 of 14 orders a day now before 06:00 local)
    "UPDATE audit.fct_orders SET ordered_at = ordered_at + INTERVAL 8 HOUR, paid_at = paid_at + INTERVAL 8 HOUR, "
    "promised_ship_by = promised_ship_by + INTERVAL 8 HOUR, "
    "business_date = timezone('Asia/Shanghai', ordered_at + INTERVAL 8 HOUR)::DATE WHERE channel = 'douyin'",
    # R1 and R4: the same channel order under a second key
    "INSERT INTO audit.fct_orders SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_orders "
    "WHERE order_key = 'douyin:005'",
    "INSERT INTO audit.fct_order_lines SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_order_lines "
    "WHERE order_key = 'douyin:005'",
    # R5: every jd amount 100x (fen read as yuan)
    "UPDATE audit.fct_orders SET paid_amount = paid_amount * 100, goods_amount = goods_amount * 100 WHERE channel = 'jd'",
    "UPDATE audit.fct_order_lines SET line_paid_amount = line_paid_amount * 100, "
    "line_goods_amount = line_goods_amount * 100 WHERE order_key LIKE 'jd:%'",
    # Y4: jd's 2026-02-24 never arrived
    "DELETE FROM raw.jd__orders WHERE _record_hash IN "
    "(SELECT raw_record_id FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24')",
    "DELETE FROM audit.fct_order_lines WHERE order_key IN "
    "(SELECT order_key FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24')",
    "DELETE FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24'",
    # Y6: one jd order quarantined with no valid version (1 of 196 orders: 0.51% > R6's 0.5%, so R6 red instead)
    "INSERT INTO quarantine.quarantine_orders SELECT raw_record_id, channel, shop_id, channel_order_id, "
    "'non-numeric pay_amount', TIMESTAMPTZ '2026-03-01 00:00:00+00', FALSE FROM audit.fct_orders WHERE order_key = 'jd:100'",
    "DELETE FROM audit.fct_order_lines WHERE order_key = 'jd:100'",
    "DELETE FROM audit.fct_orders WHERE order_key = 'jd:100'",
    # Y2 and Y7: two douyin orders with an unmapped status, twelve jd orders without a ship promise (12 / 195 > 5%)
    "UPDATE audit.fct_orders SET status = 'unknown' WHERE order_key IN ('douyin:020', 'douyin:021')",
    "UPDATE audit.fct_orders SET promised_ship_by = NULL WHERE channel = 'jd' AND channel_order_id::INTEGER BETWEEN 30 AND 41",
)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, GateReport]:
    """(DuckDB warehouse, Spark warehouse, DuckDB's run-1 report)."""
    work = tmp_path_factory.mktemp("spark-gates")
    duck = work / "w.duckdb"
    build_two_channels(duck)
    first = run_gates(duck, GateSettings(), "run-0", NOW, context=CONTEXT)
    assert first.verdict == "green"
    publish(duck, "run-0", first, MARTS)
    # the Spark warehouse's ops store starts with run-0's history, as if run-0 had been judged there
    spark_db = work / "spark"
    spark_db.mkdir()
    shutil.copyfile(duck, ops_database(spark_db, on_spark=True))
    conn = duckdb.connect(str(duck))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in DEFECTS:
            conn.execute(statement)
        # the scenario's order_fulfillment is a view over fct_orders; dbt builds a table, which is what is twinned
        conn.execute("CREATE TABLE audit.fulfillment AS SELECT * FROM audit.order_fulfillment")
        conn.execute("DROP VIEW audit.order_fulfillment")
        conn.execute("ALTER TABLE audit.fulfillment RENAME TO order_fulfillment")
    finally:
        conn.close()
    report = run_gates(duck, GateSettings(), "run-1", NOW, context=CONTEXT)
    spark_twin(duck, Settings(), spark_db, schemas=("raw", "audit", "quarantine", "published"))
    return duck, spark_db, report


@pytest.fixture(scope="module")
def spark(judged: tuple[Path, Path, GateReport]) -> Iterator[SparkClient]:
    with spark_client(spark_settings(Settings()), judged[1]) as client:
        yield client


def _lights(report: GateReport) -> list[tuple]:
    return sorted(
        (r.gate_id, r.channel, r.colour, r.severity, r.failing_count, r.examples, r.checks, r.example_key, r.note)
        for r in report.results
    )


def test_spark_gives_duckdbs_verdict_lights_counts_examples_and_notes(
    judged: tuple[Path, Path, GateReport], spark: SparkClient
) -> None:
    _, spark_db, on_duckdb = judged
    on_spark = run_gates(spark_db, GateSettings(), "run-1", NOW, context=CONTEXT, spark=spark)
    assert on_spark.verdict == on_duckdb.verdict == "red"
    assert _lights(on_spark) == _lights(on_duckdb)
    assert sorted(on_spark.expectations, key=repr) == sorted(on_duckdb.expectations, key=repr)
    non_green = {(r.gate_id, r.channel): (r.colour, r.failing_count) for r in on_spark.results if r.colour != "green"}
    # worked out by hand (test_defects.py): the copy shares (douyin, shop1, 5) with douyin:005; its one raw record
    # faces two fct rows; jd's 196 valid orders (14 of 210 missing with 02-24) sit at 100x the trailing median
    # 70.00; 105 of douyin's 211 orders are at night (the copy's 23:00 is not); 02-24 has 0 jd orders; jd:100 is 1
    # quarantined of 196 raw jd orders (0.51% > 0.5%)
    assert non_green == {
        ("R1", "douyin"): ("red", 2),
        ("R4", "douyin"): ("red", 1),
        ("R5", "jd"): ("red", 195),
        ("R6", "jd"): ("red", 1),
        ("Y2", "douyin"): ("yellow", 2),
        ("Y3", "douyin"): ("yellow", 105),
        ("Y4", "jd"): ("yellow", 1),
        ("Y7", "jd"): ("yellow", 12),
    }
    lights = {(r.gate_id, r.channel): r for r in on_spark.results}
    assert lights["R1", "douyin"].examples == ["douyin:005", "douyin:005-copy"]
    assert lights["R5", "jd"].note == "median 7000.00 vs trailing 70.00 over 1 runs (100.00x)"
    assert lights["Y4", "jd"].note == "2026-02-24: 0 orders vs trailing median 14"
    assert lights["R6", "jd"].examples == ["raw:jd:100"]


def test_spark_records_the_run_in_its_ops_store(judged: tuple[Path, Path, GateReport], spark: SparkClient) -> None:
    _, spark_db, _ = judged
    report = run_gates(spark_db, GateSettings(), "run-2", NOW, context=CONTEXT, spark=spark)
    conn = duckdb.connect(str(ops_database(spark_db, on_spark=True)), read_only=True)
    try:
        recorded = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE colour <> 'green') FROM ops.gate_results WHERE run_id = 'run-2'"
        ).fetchone()
        (r5_median,) = conn.execute(
            "SELECT value FROM ops.gate_metrics WHERE run_id = 'run-2' AND channel = 'jd' AND metric = 'median_order_value'"
        ).fetchone()
    finally:
        conn.close()
    assert recorded == (len(report.results), 8)
    assert r5_median == 7000.0
