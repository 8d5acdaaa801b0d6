"""The two-channel warehouse the defect and report tests start from (see test_defects.py's docstring):
douyin and jd, 210 orders each over 15 business days, every figure simple enough to work out by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .conftest import LINE_COLUMNS, ORDER_COLUMNS, QUARANTINE_COLUMNS, RAW_COLUMNS, _create, create_order_fulfillment

CHANNELS = ("douyin", "jd")
HOURS = (1, 9, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 21, 22)

_ORDERS_SQL = """
INSERT INTO audit.fct_orders BY NAME
SELECT key AS order_key, ch AS channel, 'shop1' AS shop_id, i::VARCHAR AS channel_order_id, 'normal' AS order_type,
       'erp-' || key AS erp_order_id, 'CNY' AS currency, '138****0000' AS receiver_phone_masked,
       (60 + 10 * (i % 5))::DECIMAL(18,2) AS goods_amount, (50 + 10 * (i % 5))::DECIMAL(18,2) AS paid_amount,
       0::DECIMAL(18,2) AS refund_amount, t AS ordered_at, t + INTERVAL 1 MINUTE AS paid_at,
       t + INTERVAL 2 DAY AS promised_ship_by, day AS business_date, day AS shop_local_date,
       'paid' AS status, '2' AS status_native, TRUE AS is_paid, FALSE AS is_cancelled, FALSE AS is_test,
       TRUE AS is_valid, ch AS source_system, 'raw:' || key AS raw_record_id
FROM (
    SELECT ch, i, ch || ':' || lpad(i::VARCHAR, 3, '0') AS key, DATE '2026-02-14' + (i // 14)::INTEGER AS day,
           timezone('Asia/Shanghai', (DATE '2026-02-14' + (i // 14)::INTEGER)::TIMESTAMP + to_hours(hours[i % 14 + 1])) AS t
    FROM (VALUES ('douyin'), ('jd')) AS c(ch), range(210) AS r(i), (SELECT {hours} AS hours)
)
"""

_LINES_SQL = """
INSERT INTO audit.fct_order_lines BY NAME
SELECT order_key, 1 AS line_number, 'sku1' AS sku_id, 1 AS quantity, goods_amount AS line_goods_amount,
       paid_amount AS line_paid_amount, 'CNY' AS currency
FROM audit.fct_orders
"""

_RAW_SQL = """
INSERT INTO raw.{ch}__orders BY NAME
SELECT raw_record_id AS _record_hash, 'orders' AS _stream, '{ch}_main' AS _connection,
       json_array(shop_id, channel_order_id)::VARCHAR AS _primary_key,
       json_object('shop_id', shop_id, 'order_id', channel_order_id) AS _record,
       now() AS _synced_at, 'sync-1' AS _sync_id
FROM audit.fct_orders WHERE channel = '{ch}'
"""


def build_two_channels(path: Path) -> None:
    """audit marts, raw records and an empty quarantine for douyin and jd; raw synced now (wall clock)."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for schema in ("audit", "raw", "quarantine"):
            conn.execute(f"CREATE SCHEMA {schema}")
        _create(conn, "audit.fct_orders", ORDER_COLUMNS, [])
        _create(conn, "audit.fct_order_lines", LINE_COLUMNS, [])
        _create(conn, "quarantine.quarantine_orders", QUARANTINE_COLUMNS, [])
        create_order_fulfillment(conn)
        conn.execute(_ORDERS_SQL.format(hours=list(HOURS)))
        conn.execute(_LINES_SQL)
        for ch in CHANNELS:
            _create(conn, f"raw.{ch}__orders", RAW_COLUMNS, [])
            conn.execute(_RAW_SQL.format(ch=ch))
    finally:
        conn.close()
