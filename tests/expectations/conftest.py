"""Hand-made audit marts in a throwaway DuckDB file.

`make_warehouse(orders, lines)` creates `audit.fct_orders` / `audit.fct_order_lines` with the dbt
contract's columns; rows are dicts naming only the columns a test cares about, on top of a clean,
paid, two-line default order. It also lands what R4 reconciles with: one raw record per distinct
(channel, shop_id, channel_order_id) of the orders in `raw.<channel>__orders` (unless `raw` is given)
and `quarantine.quarantine_orders` (empty unless `quarantine` is given).
"""

from __future__ import annotations

from collections.abc import Callable
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ORDER_COLUMNS = {
    "order_key": "VARCHAR",
    "channel": "VARCHAR",
    "shop_id": "VARCHAR",
    "channel_order_id": "VARCHAR",
    "order_type": "VARCHAR",
    "erp_order_id": "VARCHAR",
    "customer_key": "VARCHAR",
    "receiver_province": "VARCHAR",
    "receiver_city": "VARCHAR",
    "receiver_phone_masked": "VARCHAR",
    "receiver_name_masked": "VARCHAR",
    "currency": "VARCHAR",
    "goods_amount": "DECIMAL(18,2)",
    "shop_discount_amount": "DECIMAL(18,2)",
    "platform_discount_amount": "DECIMAL(18,2)",
    "freight_amount": "DECIMAL(18,2)",
    "tax_amount": "DECIMAL(18,2)",
    "paid_amount": "DECIMAL(18,2)",
    "platform_commission_amount": "DECIMAL(18,2)",
    "refund_amount": "DECIMAL(18,2)",
    "deposit_amount": "DECIMAL(18,2)",
    "balance_amount": "DECIMAL(18,2)",
    "paid_amount_reporting": "DECIMAL(18,2)",
    "ordered_at": "TIMESTAMPTZ",
    "paid_at": "TIMESTAMPTZ",
    "shipped_at": "TIMESTAMPTZ",
    "delivered_at": "TIMESTAMPTZ",
    "completed_at": "TIMESTAMPTZ",
    "cancelled_at": "TIMESTAMPTZ",
    "promised_ship_by": "TIMESTAMPTZ",
    "promised_delivery_by": "TIMESTAMPTZ",
    "source_updated_at": "TIMESTAMPTZ",
    "business_date": "DATE",
    "shop_local_date": "DATE",
    "status": "VARCHAR",
    "status_native": "VARCHAR",
    "is_paid": "BOOLEAN",
    "is_cancelled": "BOOLEAN",
    "is_shipped": "BOOLEAN",
    "is_delivered": "BOOLEAN",
    "is_refunded": "BOOLEAN",
    "has_open_after_sale": "BOOLEAN",
    "is_presale": "BOOLEAN",
    "is_test": "BOOLEAN",
    "is_valid": "BOOLEAN",
    "source_system": "VARCHAR",
    "quality_flags": "VARCHAR[]",
    "source_synced_at": "TIMESTAMPTZ",
    "raw_record_id": "VARCHAR",
}

LINE_COLUMNS = {
    "order_key": "VARCHAR",
    "line_number": "INTEGER",
    "channel_line_id": "VARCHAR",
    "sku_id": "VARCHAR",
    "sku_name": "VARCHAR",
    "quantity": "INTEGER",
    "unit_price": "DECIMAL(18,2)",
    "line_goods_amount": "DECIMAL(18,2)",
    "line_discount_amount": "DECIMAL(18,2)",
    "line_paid_amount": "DECIMAL(18,2)",
    "refund_amount": "DECIMAL(18,2)",
    "currency": "VARCHAR",
}

#: The clock every gate test runs at.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def order(key: str, channel: str = "douyin", **overrides: object) -> dict[str, object]:
    """A clean paid order: goods 100.00, paid 90.00, ordered a day before NOW, paid a minute later,
    promised to ship within two days; its raw pointer is `raw:<key>`."""
    row: dict[str, object] = {
        "order_key": key,
        "channel": channel,
        "shop_id": "shop1",
        "channel_order_id": key.split(":")[-1],
        "order_type": "normal",
        "receiver_phone_masked": "138****1234",
        "receiver_name_masked": "张*",
        "currency": "CNY",
        "goods_amount": Decimal("100.00"),
        "paid_amount": Decimal("90.00"),
        "refund_amount": Decimal("0.00"),
        "ordered_at": datetime(2026, 2, 28, 12, 0, tzinfo=UTC),
        "paid_at": datetime(2026, 2, 28, 12, 1, tzinfo=UTC),
        "status": "paid",
        "status_native": "2",
        "is_paid": True,
        "is_cancelled": False,
        "is_test": False,
        "is_valid": True,
        "source_system": channel,
    }
    row.update(overrides)
    if "promised_ship_by" not in overrides:
        row["promised_ship_by"] = (row["ordered_at"] or NOW) + timedelta(days=2)  # type: ignore[operator]
    row.setdefault("raw_record_id", f"raw:{key}")
    return row


RAW_COLUMNS = {
    "_record_hash": "VARCHAR",
    "_stream": "VARCHAR",
    "_connection": "VARCHAR",
    "_primary_key": "VARCHAR",
    "_replication_value": "VARCHAR",
    "_record": "JSON",
    "_extracted_at": "TIMESTAMPTZ",
    "_synced_at": "TIMESTAMPTZ",
    "_sync_id": "VARCHAR",
}

QUARANTINE_COLUMNS = {
    "raw_record_id": "VARCHAR",
    "channel": "VARCHAR",
    "shop_id": "VARCHAR",
    "channel_order_id": "VARCHAR",
    "quarantine_reason": "VARCHAR",
    "source_synced_at": "TIMESTAMPTZ",
    "has_valid_version": "BOOLEAN",
}


def raw_record(
    channel: str, shop_id: str | None, order_id: str | None, record_hash: str, **record: object
) -> dict[str, object]:
    """One raw row as the loader lands it: `_primary_key` is the JSON list [shop_id, order_id]."""
    body = {"shop_id": shop_id, "order_id": order_id, **record}
    return {
        "_record_hash": record_hash,
        "_stream": "orders",
        "_connection": f"{channel}_main",
        "_primary_key": json.dumps([shop_id, order_id]),
        "_record": json.dumps(body, default=str),
        "_synced_at": NOW,
        "_sync_id": "sync-1",
        "channel": channel,  # which raw table; not a column
    }


def raw_for(orders: list[dict[str, object]]) -> list[dict[str, object]]:
    """One raw record per distinct (channel, shop_id, channel_order_id) of `orders`, pointed to by the
    first order's raw_record_id; orders missing any of the three have no raw record."""
    seen: dict[tuple[object, object, object], dict[str, object]] = {}
    for o in orders:
        identity = (o.get("channel"), o.get("shop_id"), o.get("channel_order_id"))
        if None not in identity and identity not in seen:
            seen[identity] = raw_record(*identity, record_hash=str(o["raw_record_id"]))  # type: ignore[arg-type]
    return list(seen.values())


def quarantined(
    channel: str, shop_id: str | None, order_id: str | None, record_hash: str, has_valid_version: bool,
    reason: str = "non-numeric pay_amount",
) -> dict[str, object]:
    return {
        "raw_record_id": record_hash,
        "channel": channel,
        "shop_id": shop_id,
        "channel_order_id": order_id,
        "quarantine_reason": reason,
        "source_synced_at": NOW,
        "has_valid_version": has_valid_version,
    }


Amounts = tuple[tuple[str | None, str | None], ...]


def lines_for(key: str, amounts: Amounts = (("60.00", "54.00"), ("40.00", "36.00"))) -> list[dict[str, object]]:
    """Lines of one order as (line_goods_amount, line_paid_amount) pairs; the default sums to order()."""
    return [
        {
            "order_key": key,
            "line_number": i,
            "sku_id": f"sku{i}",
            "quantity": 1,
            "line_goods_amount": None if goods is None else Decimal(goods),
            "line_paid_amount": None if paid is None else Decimal(paid),
            "currency": "CNY",
        }
        for i, (goods, paid) in enumerate(amounts, start=1)
    ]


def _create(
    conn: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], rows: list[dict[str, object]]
) -> None:
    conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, f"not contract columns: {unknown}"
        names = list(row)
        conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [row[n] for n in names],
        )


def land_raw(conn: duckdb.DuckDBPyConnection, records: list[dict[str, object]]) -> None:
    by_channel: dict[str, list[dict[str, object]]] = {}
    for r in records:
        by_channel.setdefault(str(r["channel"]), []).append({k: v for k, v in r.items() if k != "channel"})
    for channel, rows in by_channel.items():
        table = f"raw.{channel}__orders"
        if not conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = ?",
            [f"{channel}__orders"],
        ).fetchone()[0]:
            _create(conn, table, RAW_COLUMNS, [])
        for row in rows:
            names = list(row)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [row[n] for n in names],
            )


def create_order_fulfillment(conn: duckdb.DuckDBPyConnection) -> None:
    """Y5 reads the ERP flags of audit.order_fulfillment; here they follow audit.fct_orders (due 24 h after
    payment at NOW, consistent when linked to an ERP order), so a test changes fct_orders only."""
    due = f"is_valid AND paid_at <= TIMESTAMPTZ '{NOW.isoformat()}' - INTERVAL 24 HOUR"
    conn.execute(
        f"""CREATE VIEW audit.order_fulfillment AS
            SELECT order_key,
                   coalesce({due}, false) AS is_erp_expected,
                   coalesce({due} AND erp_order_id IS NOT NULL, false) AS is_erp_consistent
            FROM audit.fct_orders"""
    )


WarehouseFactory = Callable[..., Path]


@pytest.fixture
def make_warehouse(tmp_path: Path) -> WarehouseFactory:
    made = 0

    def make(
        orders: list[dict[str, object]],
        lines: list[dict[str, object]] | None = None,
        raw: list[dict[str, object]] | None = None,
        quarantine: list[dict[str, object]] | None = None,
    ) -> Path:
        nonlocal made
        made += 1
        path = tmp_path / f"warehouse{made}.duckdb"
        conn = duckdb.connect(str(path))
        try:
            conn.execute("SET TimeZone = 'UTC'")
            for schema in ("audit", "raw", "quarantine"):
                conn.execute(f"CREATE SCHEMA {schema}")
            _create(conn, "audit.fct_orders", ORDER_COLUMNS, orders)
            _create(conn, "audit.fct_order_lines", LINE_COLUMNS, lines or [])
            _create(conn, "quarantine.quarantine_orders", QUARANTINE_COLUMNS, quarantine or [])
            create_order_fulfillment(conn)
            land_raw(conn, raw_for(orders) if raw is None else raw)
        finally:
            conn.close()
        return path

    return make
