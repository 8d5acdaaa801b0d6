"""Time the gate run on a synthetic warehouse: N orders (default 1M), ~2N lines, ~1.3N raw versions
and their quarantine, all built in DuckDB SQL.

    .venv/bin/python bench/gates_bench.py [--orders 1000000] [--dir bench/out] [--freshness]

Timed: a clean run (every gate of the catalogue: the aggregate inputs, GX's queries, the record in
ops), then the same data with defects for most gates (adds one per-channel GROUP BY per failing
gate), then `orderlayer report`'s reading and rendering (HTML + GX Data Docs). --freshness also times
`dbt source freshness` (Y1) on the raw table of the one dbt source (douyin). The clean run records the
trailing values (R5, Y3) the dirty run is compared with.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orderlayer.core.config import GateSettings, Settings
from orderlayer.expectations import run_gates
from orderlayer.expectations.gates import catalogue
from orderlayer.expectations.inputs import GateContext, raw_order_tables
from orderlayer.core.warehouse import GATE_TABLES, ensure_ops

NOW = datetime(2026, 3, 1, tzinfo=UTC)

# Order i has 1 + i % 3 lines; line j's goods amount is 10 + i % 50 + j and its paid amount one less,
# so the order's totals below are the exact sums of its lines.
_ORDERS = """
CREATE OR REPLACE TABLE audit.fct_orders AS
WITH base AS (
    SELECT i,
           ['douyin', 'jd', 'taobao', 'pinduoduo'][i % 4 + 1] AS ch,
           1 + i % 3 AS k,
           TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(i * 31 % 36000000) AS t0
    FROM range({n}) AS r(i)
)
SELECT
    ch || ':shop' || (i % 7) || ':' || i AS order_key,
    ch AS channel,
    'shop' || (i % 7) AS shop_id,
    (1000000000000000000 + i)::VARCHAR AS channel_order_id,
    CASE WHEN i % 20 = 0 THEN 'presale' ELSE 'normal' END AS order_type,
    NULL::VARCHAR AS erp_order_id,
    md5('c' || (i % 300000)) AS customer_key,
    ['广东', '浙江', '江苏', '北京'][i % 4 + 1] AS receiver_province,
    ['广州', '杭州', '南京', '北京'][i % 4 + 1] AS receiver_city,
    '138****' || lpad((i % 10000)::VARCHAR, 4, '0') AS receiver_phone_masked,
    '张*' AS receiver_name_masked,
    'CNY' AS currency,
    (k * (10 + i % 50) + k * (k + 1) // 2)::DECIMAL(18,2) AS goods_amount,
    0::DECIMAL(18,2) AS shop_discount_amount,
    0::DECIMAL(18,2) AS platform_discount_amount,
    0::DECIMAL(18,2) AS freight_amount,
    0::DECIMAL(18,2) AS tax_amount,
    (k * (10 + i % 50) + k * (k + 1) // 2 - k)::DECIMAL(18,2) AS paid_amount,
    0.5::DECIMAL(18,2) AS platform_commission_amount,
    CASE WHEN i % 50 = 0 THEN 5 ELSE 0 END::DECIMAL(18,2) AS refund_amount,
    NULL::DECIMAL(18,2) AS deposit_amount,
    NULL::DECIMAL(18,2) AS balance_amount,
    (k * (10 + i % 50) + k * (k + 1) // 2 - k)::DECIMAL(18,2) AS paid_amount_reporting,
    t0 AS ordered_at,
    t0 + INTERVAL 2 MINUTE AS paid_at,
    t0 + INTERVAL 20 HOUR AS shipped_at,
    t0 + INTERVAL 60 HOUR AS delivered_at,
    NULL::TIMESTAMPTZ AS completed_at,
    NULL::TIMESTAMPTZ AS cancelled_at,
    t0 + INTERVAL 48 HOUR AS promised_ship_by,
    t0 + INTERVAL 96 HOUR AS promised_delivery_by,
    t0 + INTERVAL 61 HOUR AS source_updated_at,
    (t0 AT TIME ZONE 'Asia/Shanghai')::DATE AS business_date,
    (t0 AT TIME ZONE 'Asia/Shanghai')::DATE AS shop_local_date,
    'delivered' AS status,
    '5' AS status_native,
    TRUE AS is_paid, FALSE AS is_cancelled, TRUE AS is_shipped, TRUE AS is_delivered,
    i % 50 = 0 AS is_refunded, FALSE AS has_open_after_sale, i % 20 = 0 AS is_presale,
    FALSE AS is_test, TRUE AS is_valid,
    -- Y8 reads the row flags; one order in 1000 lacks its ship time (too few to fail the gate)
    CASE WHEN i % 1000 = 7 THEN ['shipped_without_shipped_at'] ELSE []::VARCHAR[] END AS quality_flags,
    ch AS source_system,
    t0 + INTERVAL 62 HOUR AS source_synced_at,
    md5(i::VARCHAR) AS raw_record_id
FROM base
"""

_LINES = """
CREATE OR REPLACE TABLE audit.fct_order_lines AS
SELECT
    o.order_key,
    j::INTEGER AS line_number,
    o.channel_order_id || '-' || j AS channel_line_id,
    'sku' || ((o.i * 7 + j) % 5000) AS sku_id,
    '商品' || j AS sku_name,
    1 AS quantity,
    (10 + o.i % 50 + j)::DECIMAL(18,2) AS unit_price,
    (10 + o.i % 50 + j)::DECIMAL(18,2) AS line_goods_amount,
    0::DECIMAL(18,2) AS line_discount_amount,
    (10 + o.i % 50 + j - 1)::DECIMAL(18,2) AS line_paid_amount,
    0::DECIMAL(18,2) AS refund_amount,
    'CNY' AS currency
FROM (
    SELECT i, ['douyin', 'jd', 'taobao', 'pinduoduo'][i % 4 + 1] || ':shop' || (i % 7) || ':' || i AS order_key,
           (1000000000000000000 + i)::VARCHAR AS channel_order_id, 1 + i % 3 AS k
    FROM range({n}) AS r(i)
) AS o, range(1, o.k + 1) AS s(j)
"""

# One raw version per order, a second for every third order (a later status), keyed like the loader:
# `_primary_key` is the JSON list [shop_id, order_id]; the record is a small stand-in for the platform's.
_RAW = """
CREATE OR REPLACE TABLE raw.{channel}__orders AS
SELECT md5(order_key || ':' || v) AS _record_hash, 'orders' AS _stream, '{channel}_main' AS _connection,
       json_array(shop_id, channel_order_id)::VARCHAR AS _primary_key, v::VARCHAR AS _replication_value,
       json_object('shop_id', shop_id, 'order_id', channel_order_id, 'version', v, 'pay_amount', paid_amount * 100)
           AS _record,
       ordered_at AS _extracted_at, now() - INTERVAL 1 MINUTE AS _synced_at, 'bench' AS _sync_id
FROM audit.fct_orders, range(1, 3) AS r(v)
WHERE channel = '{channel}' AND (v = 1 OR hash(order_key) % 3 = 0)
"""

_QUARANTINE = """
CREATE OR REPLACE TABLE quarantine.quarantine_orders (
    raw_record_id VARCHAR, channel VARCHAR, shop_id VARCHAR, channel_order_id VARCHAR,
    quarantine_reason VARCHAR, source_synced_at TIMESTAMPTZ, has_valid_version BOOLEAN
)
"""

# Bad rows spread over the channels, one kind per gate.
_DIRTY = (
    # R2, R3, Y2, R1 (+ R4: the copies have no raw record of their own)
    "UPDATE audit.fct_orders SET refund_amount = paid_amount + 1 WHERE hash(order_key) % 20011 = 0",
    "UPDATE audit.fct_orders SET paid_amount = paid_amount + 0.01 WHERE hash(order_key) % 20021 = 1",
    "UPDATE audit.fct_orders SET ordered_at = TIMESTAMPTZ '1999-12-31 00:00:00+00' WHERE hash(order_key) % 20023 = 2",
    "UPDATE audit.fct_orders SET status = 'unknown' WHERE hash(order_key) % 5003 = 3",
    "INSERT INTO audit.fct_orders SELECT * FROM audit.fct_orders WHERE hash(order_key) % 100003 = 4",
    # R4: orders received but missing from fct_orders
    "DELETE FROM audit.fct_orders WHERE hash(order_key) % 50021 = 5",
    # R5: every pinduoduo amount 100x (fen read as yuan), lines too
    "UPDATE audit.fct_orders SET paid_amount = paid_amount * 100, goods_amount = goods_amount * 100 WHERE channel = 'pinduoduo'",
    "UPDATE audit.fct_order_lines SET line_paid_amount = line_paid_amount * 100, line_goods_amount = line_goods_amount * 100 "
    "WHERE order_key LIKE 'pinduoduo:%'",
    # R6: 1% of taobao's orders have a quarantined version (and no valid one: removed from fct)
    "INSERT INTO quarantine.quarantine_orders SELECT raw_record_id, channel, shop_id, channel_order_id, 'non-numeric pay_amount', "
    "now(), FALSE FROM audit.fct_orders WHERE channel = 'taobao' AND hash(order_key) % 100 = 7",
    "DELETE FROM audit.fct_orders WHERE channel = 'taobao' AND hash(order_key) % 100 = 7",
    # Y4: jd's third-to-last day never arrived (not in raw either, so R4 does not count it as lost)
    "DELETE FROM raw.jd__orders WHERE json_extract_string(_primary_key, '$[1]') IN (SELECT channel_order_id "
    "FROM audit.fct_orders WHERE channel = 'jd' AND business_date = (SELECT max(business_date) - 3 FROM audit.fct_orders))",
    "DELETE FROM audit.fct_orders WHERE channel = 'jd' AND business_date = (SELECT max(business_date) - 3 FROM audit.fct_orders)",
    # Y7: 10% of douyin's paid orders without a promised ship date
    "UPDATE audit.fct_orders SET promised_ship_by = NULL WHERE channel = 'douyin' AND hash(order_key) % 10 = 8",
)


def build(path: Path, n: int) -> float:
    started = time.perf_counter()
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("CREATE SCHEMA IF NOT EXISTS audit")
        conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
        conn.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
        conn.execute(_ORDERS.format(n=int(n)))
        conn.execute(_LINES.format(n=int(n)))
        for channel in ("douyin", "jd", "taobao", "pinduoduo"):
            conn.execute(_RAW.format(channel=channel))
        conn.execute(_QUARANTINE)
        counts = conn.execute(
            """SELECT (SELECT count(*) FROM audit.fct_orders), (SELECT count(*) FROM audit.fct_order_lines),
                      (SELECT count(*) FROM raw.douyin__orders) + (SELECT count(*) FROM raw.jd__orders)
                      + (SELECT count(*) FROM raw.taobao__orders) + (SELECT count(*) FROM raw.pinduoduo__orders)"""
        ).fetchone()
        print(
            f"built {counts[0]:,} orders, {counts[1]:,} lines and {counts[2]:,} raw versions "
            f"in {time.perf_counter() - started:.1f} s"
        )
    finally:
        conn.close()
    return time.perf_counter() - started


def dirty(path: Path) -> None:
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in _DIRTY:
            conn.execute(statement)
    finally:
        conn.close()


def time_inputs(path: Path) -> None:
    """Each aggregate input's SQL on its own (the runner computes them before GX validates)."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        ensure_ops(conn, *GATE_TABLES)
        raw = [name for (name,) in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()]
        gates = catalogue(GateSettings(), NOW, GateContext(), "bench-inputs", raw_order_tables(raw))
        inputs = {g.input.name: g.input for g in gates if g.input is not None}
        for name, gate_input in inputs.items():
            started = time.perf_counter()
            # materialised, as the runner does (a bare count would let DuckDB skip most columns)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE bench_{name} AS {gate_input.sql}")
            rows = conn.execute(f"SELECT count(*) FROM bench_{name}").fetchone()[0]
            print(f"  input {name:<17} {rows:>4} rows in {time.perf_counter() - started:.2f} s")
    finally:
        conn.close()


def timed_run(path: Path, run_id: str, clock: datetime) -> None:
    started = time.perf_counter()
    report = run_gates(path, GateSettings(), run_id, clock)
    elapsed = time.perf_counter() - started
    print(f"{run_id}: verdict {report.verdict} in {elapsed:.2f} s")
    for r in report.results:
        if r.colour != "green":
            examples = ", ".join(r.examples[:2])
            where = f"{r.gate_id} {r.channel!s:<10} {r.colour:<6}"
            print(f"  {where} {r.failing_count:>7,}  {r.checks}  e.g. {examples}")


def timed_report(path: Path) -> None:
    from orderlayer.core.report import build_report, write_html

    started = time.perf_counter()
    data = build_report(path)
    write_html(data, path.parent / "gates_bench_report.html")
    print(f"report (read ops + audit, GX Data Docs, HTML) in {time.perf_counter() - started:.2f} s")


def timed_freshness(path: Path) -> None:
    from orderlayer.core.quality import source_freshness

    started = time.perf_counter()
    freshness = source_freshness(Settings(database=path), path)
    statuses = ", ".join(f"{f.source} {f.status}" for f in freshness)
    print(f"dbt source freshness (Y1): {statuses} in {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the warehouse (default: a temp dir)")
    parser.add_argument("--freshness", action="store_true", help="also time dbt source freshness (Y1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "gates_bench.duckdb"
        path.unlink(missing_ok=True)
        build(path, args.orders)
        time_inputs(path)
        timed_run(path, "bench-clean", NOW)
        dirty(path)
        timed_run(path, "bench-dirty", NOW + timedelta(hours=1))
        timed_report(path)
        if args.freshness:
            timed_freshness(path)


if __name__ == "__main__":
    main()
