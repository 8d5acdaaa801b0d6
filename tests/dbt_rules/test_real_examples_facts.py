"""The real example responses, as the taps emit them, built into facts: one warehouse, one dbt build.

``tests/taps/real_examples.py`` replays each example from the fact sheets (copies in ``tests/fixtures/``) through
its tap; the records are landed with the real loader store and the project is built once with all those channels.
Every expected value below was read off the example by hand (the sheet's numbers, its zone rule) and is written
as a literal: ids digit for digit, amounts, UTC instants, the canonical status.

Shopify's ``orders.json`` is not landed: it is the same order #1001, with the same ``updated_at``, as
``order.json`` but a different body (Shopify's docs' two samples, not two versions), so which one wins would be
arbitrary; ``order.json`` is the complete one (it has the line items).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from tests.taps import real_examples as ex

from orderlayer.core.config import Settings
from orderlayer.core.dbt import dbt_vars, project_dir
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

#: Each channel's orders stream: its primary key and replication key, as the tap declares them.
LANDING = {
    "pinduoduo": (["shop_id", "order_sn"], "updated_at"),
    "douyin": (["shop_id", "order_id"], "update_time"),
    "taobao": (["shop_id", "tid"], "modified"),
    "tiktok_shop": (["shop_id", "id"], "update_time"),
    "shopify": (["shop_id", "id"], "updated_at"),
    "eleme": (["shop_id", "order_id"], "create_time"),
    "meituan": (["app_poi_code", "order_id"], "utime"),
}
SHOPS = [
    {"channel": "shopify", "shop_id": ex.SHOPIFY_SHOP, "timezone": "America/New_York", "currency": "USD"},
    {"channel": "tiktok_shop", "shop_id": ex.TIKTOK_SHOP, "timezone": "Asia/Ho_Chi_Minh", "currency": "VND"},
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("real_examples")
    db = work / "examples.duckdb"
    con = connect(db, create=True)
    for channel, (keys, replication_key) in LANDING.items():
        records = ex.REPLAYS[channel]()
        store.RawStore(con, "raw", channel, "examples", "sync-1").append("orders", records, keys, replication_key)
    con.close()
    variables = dbt_vars(Settings(database=db)) | {"orderlayer_channels": sorted(LANDING), "orderlayer_shops": SHOPS}
    selection = [f"@stg_{channel}__orders" for channel in LANDING] + [f"@stg_{channel}__order_lines" for channel in LANDING]
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(project_dir()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [
        str(Path(sys.executable).with_name("dbt")), "build", "--resource-type", "seed", "--resource-type", "model",
        "--select", *selection, "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps(variables),
    ]
    built = subprocess.run(cmd, cwd=project_dir(), env=env, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout[-4000:]
    return db


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)



def fact(db: Path, channel: str, order_id: str, columns: str) -> tuple:
    [row] = query(db, f"select {columns} from audit.fct_orders where channel = ? and channel_order_id = ?", [channel, order_id])
    return row


def lines(db: Path, channel: str, order_id: str) -> list[tuple]:
    return query(db, """select l.line_number, l.channel_line_id, l.sku_id, l.quantity, l.unit_price, l.line_goods_amount,
                               l.line_discount_amount, l.line_paid_amount
                        from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                        where o.channel = ? and o.channel_order_id = ? order by l.line_number""", [channel, order_id])


AMOUNTS = "currency, goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, tax_amount, paid_amount"


def test_pinduoduo_example_order(warehouse: Path) -> None:
    order_sn = "240318-422796379670125"
    assert fact(warehouse, "pinduoduo", order_sn, "shop_id, status, status_native, is_paid, is_valid") == (
        "100200300", "paid", "os1-cs1-gs1-rs1", True, True)
    # 198.0 of goods, the seller's 10.0 coupon, no postage: 188.0 paid
    assert fact(warehouse, "pinduoduo", order_sn, AMOUNTS) == (
        "CNY", Decimal("198.00"), Decimal("10.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("188.00"))
    # Beijing wall clock (UTC+8): created 17:12:59, paid 17:13:00, ship by 03-20 17:13:01, updated 17:43:00
    assert fact(warehouse, "pinduoduo", order_sn, "ordered_at, paid_at, promised_ship_by, source_updated_at, business_date") == (
        utc(2024, 3, 18, 9, 12, 59), utc(2024, 3, 18, 9, 13, 0), utc(2024, 3, 20, 9, 13, 1), utc(2024, 3, 18, 9, 43, 0), date(2024, 3, 18))
    assert lines(warehouse, "pinduoduo", order_sn) == [
        (1, "240318-422796379670125:840777314605:1", "840777314605", 1, Decimal("198.00"), Decimal("198.00"), Decimal("10.00"), Decimal("188.00"))]


def test_meituan_example_order(warehouse: Path) -> None:
    view_id = "24581032571314888"
    assert fact(warehouse, "meituan", view_id, "shop_id, status, status_native, is_paid, quality_flags") == (
        "test_poi_01", "paid", "2", True, ["paid_without_paid_at"])
    # items 3 x 1 + 1 x 5 = 8.00, shipping 0.01, total 8.01 (the sheet's check: total includes freight, yuan)
    assert fact(warehouse, "meituan", view_id, AMOUNTS) == (
        "CNY", Decimal("8.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.01"), Decimal("0.00"), Decimal("8.01"))
    # ctime 1528700400 = 2018-06-11 07:00:00 UTC (15:00 in Beijing); utime 1509337095 = 2017-10-30 04:18:15 UTC
    assert fact(warehouse, "meituan", view_id, "ordered_at, source_updated_at, business_date") == (
        utc(2018, 6, 11, 7, 0, 0), utc(2017, 10, 30, 4, 18, 15), date(2018, 6, 11))
    # the two lines of the JSON-text detail; the freight cent is paid on the last line (paid sums to 8.01)
    assert lines(warehouse, "meituan", view_id) == [
        (1, "24581032571314888:1534343:1", "1534343", 1, Decimal("3.00"), Decimal("3.00"), Decimal("0.00"), Decimal("3.00")),
        (2, "24581032571314888:1534343:2", "1534343", 5, Decimal("1.00"), Decimal("5.00"), Decimal("0.00"), Decimal("5.01")),
    ]


def test_eleme_example_order(warehouse: Path) -> None:
    order_id = "15397181282021"
    assert fact(warehouse, "eleme", order_id, "shop_id, status, status_native, is_paid, is_cancelled, is_refunded, cancelled_at_source") == (
        "test_781544_62863", "cancelled", "10", True, True, True, "platform")
    # fen: total_fee 1 = 0.01 yuan, paid and (cancelled after payment) refunded
    assert fact(warehouse, "eleme", order_id, AMOUNTS + ", refund_amount") == (
        "CNY", Decimal("0.01"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.01"), Decimal("0.01"))
    # create_time 1539718127 = 2018-10-16 19:28:47 UTC (03:28 on the 17th in Beijing); cancel_time 1539718272 = 19:31:12
    assert fact(warehouse, "eleme", order_id, "ordered_at, cancelled_at, business_date") == (
        utc(2018, 10, 16, 19, 28, 47), utc(2018, 10, 16, 19, 31, 12), date(2018, 10, 17))
    assert lines(warehouse, "eleme", order_id) == [
        (1, "15397181282021:1539717705337067:1", "1539717705337067", 1, Decimal("0.01"), Decimal("0.01"), Decimal("0.00"), Decimal("0.01"))]


def test_tiktok_shop_example_order(warehouse: Path) -> None:
    order_id = "585058128552559789"
    assert fact(warehouse, "tiktok_shop", order_id, "shop_id, status, status_native, is_shipped, is_delivered") == (
        "7494105515082810527", "completed", "COMPLETED", True, True)
    # VND has no minor unit: 921947 listed, 553169 paid
    assert fact(warehouse, "tiktok_shop", order_id, "currency, goods_amount, paid_amount") == ("VND", Decimal("921947.00"), Decimal("553169.00"))
    assert fact(warehouse, "tiktok_shop", order_id, "ordered_at, paid_at, shipped_at, completed_at, shop_local_date") == (
        utc(2026, 7, 14, 12, 3, 7), utc(2026, 7, 16, 14, 35, 44), utc(2026, 7, 20, 14, 18, 20), utc(2026, 8, 15, 21, 52, 58), date(2026, 7, 14))
    assert lines(warehouse, "tiktok_shop", order_id) == [
        (1, "585058128552625325", "sku-1", 1, Decimal("921947.00"), Decimal("921947.00"), Decimal("0.00"), Decimal("553169.00"))]


def test_shopify_example_order_1001(warehouse: Path) -> None:
    order_id = "450789469"
    assert fact(warehouse, "shopify", order_id, "shop_id, status, status_native, is_paid, customer_key") == (
        "apple", "pending_payment", "authorized/unfulfilled", False,
        "sha256:16d48312b61207c5a959468148043895cfae49e4382a0f0b80eb4c43c57d2a02")  # team-computed digest of "207119551"
    # the NOTICE's numbers: subtotal 398.00, tax 11.94 added, total 409.94
    assert fact(warehouse, "shopify", order_id, "currency, goods_amount, tax_amount, paid_amount") == (
        "USD", Decimal("398.00"), Decimal("11.94"), Decimal("409.94"))
    # 2008-01-10T11:00:00-05:00 = 16:00 UTC: the 10th in New York, the 11th in Shanghai (reporting zone)
    assert fact(warehouse, "shopify", order_id, "ordered_at, shop_local_date, business_date") == (
        utc(2008, 1, 10, 16, 0, 0), date(2008, 1, 10), date(2008, 1, 11))
    # three 199.00 lines (597.00 though total_line_items_price says 398.00); 409.94 paid, spread 136.66 + 136.64 + 136.64
    assert [(n, line_id, qty, price, paid) for n, line_id, _, qty, price, _, _, paid in lines(warehouse, "shopify", order_id)] == [
        (1, "466157049", 1, Decimal("199.00"), Decimal("136.66")),
        (2, "518995019", 1, Decimal("199.00"), Decimal("136.64")),
        (3, "703073504", 1, Decimal("199.00"), Decimal("136.64")),
    ]


def test_abridged_examples_are_quarantined_not_lost(warehouse: Path) -> None:
    """Douyin's abridged shop-level object and Taobao's partial trade lack their creation time: quarantined with
    the reason, and every landed example is either a fact or a quarantined record."""
    assert sorted(query(warehouse, "select channel, channel_order_id, quarantine_reason from quarantine.quarantine_orders")) == [
        ("douyin", "6936476692437472563", "missing or unparseable create_time"),
        ("taobao", "227668460417201790", "missing or unparseable created"),
    ]
    assert sorted(query(warehouse, "select channel, channel_order_id from audit.fct_orders")) == [
        ("eleme", "15397181282021"), ("meituan", "24581032571314888"), ("pinduoduo", "240318-422796379670125"),
        ("shopify", "450789469"), ("tiktok_shop", "585058128552559789"),
    ]
