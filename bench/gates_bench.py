"""Time the gate run on a synthetic warehouse: N orders (default 1M) and ~2N lines, built in DuckDB SQL.

    .venv/bin/python bench/gates_bench.py [--orders 1000000] [--dir bench/out]

Two timed runs: a clean audit (GX's queries only), then the same data with a few hundred bad rows
spread over the channels (adds one per-channel GROUP BY per failing gate).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orderlayer.config import GateSettings
from orderlayer.expectations import run_gates

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

# A few hundred bad rows spread over the channels, one kind per gate.
_DIRTY = (
    "UPDATE audit.fct_orders SET refund_amount = paid_amount + 1 WHERE hash(order_key) % 20011 = 0",
    "UPDATE audit.fct_orders SET paid_amount = paid_amount + 0.01 WHERE hash(order_key) % 20021 = 1",
    "UPDATE audit.fct_orders SET ordered_at = TIMESTAMPTZ '1999-12-31 00:00:00+00' WHERE hash(order_key) % 20023 = 2",
    "UPDATE audit.fct_orders SET status = 'unknown' WHERE hash(order_key) % 5003 = 3",
    "INSERT INTO audit.fct_orders SELECT * FROM audit.fct_orders WHERE hash(order_key) % 100003 = 4",
)


def build(path: Path, n: int) -> float:
    started = time.perf_counter()
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("CREATE SCHEMA IF NOT EXISTS audit")
        conn.execute(_ORDERS.format(n=int(n)))
        conn.execute(_LINES.format(n=int(n)))
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM audit.fct_orders), (SELECT count(*) FROM audit.fct_order_lines)"
        ).fetchone()
        print(f"built {counts[0]:,} orders and {counts[1]:,} lines in {time.perf_counter() - started:.1f} s")
    finally:
        conn.close()
    return time.perf_counter() - started


def dirty(path: Path) -> None:
    conn = duckdb.connect(str(path))
    try:
        for statement in _DIRTY:
            conn.execute(statement)
    finally:
        conn.close()


def timed_run(path: Path, run_id: str) -> None:
    started = time.perf_counter()
    report = run_gates(path, GateSettings(), run_id, NOW)
    elapsed = time.perf_counter() - started
    print(f"{run_id}: verdict {report.verdict} in {elapsed:.2f} s")
    for r in report.results:
        if r.colour != "green":
            examples = ", ".join(r.examples[:2])
            where = f"{r.gate_id} {r.channel!s:<10} {r.colour:<6}"
            print(f"  {where} {r.failing_count:>5} rows  {r.checks}  e.g. {examples}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the warehouse (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "gates_bench.duckdb"
        path.unlink(missing_ok=True)
        build(path, args.orders)
        timed_run(path, "bench-clean")
        dirty(path)
        timed_run(path, "bench-dirty")


if __name__ == "__main__":
    main()
