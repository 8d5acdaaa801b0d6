"""The canonical rules on Ele.me retail data, each with a hand-computed expected value.

Raw records are written by hand (as tap-eleme emits them: ``order.get`` data with the keys copied to
the top level, the buyer masks derived, the phone salted-hashed and partial refunds attached), landed
with the real loader store, and the real dbt project is built on them once for the module — Douyin and
Ele.me unioned, as `orderlayer_channels` selects.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.config import Settings
from orderlayer.core.dbt import dbt_vars, project_dir
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

SHOP = "test_781544_62863"
PK = ["shop_id", "order_id"]


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def product(custom: str, baidu: str, name: str, price: int, amount: int, package_fee: int = 0) -> dict:
    return {"baidu_product_id": baidu, "upc": "", "custom_sku_id": custom, "product_name": name, "product_type": 1,
            "product_price": price, "product_amount": amount, "product_fee": price * amount, "package_price": package_fee,
            "package_amount": 1 if package_fee else 0, "package_fee": package_fee, "total_fee": price * amount + package_fee,
            "product_subsidy": {"discount": 0, "baidu_rate": 0, "shop_rate": 0, "user_rate": 0, "agent_rate": 0, "logistics_rate": 0}}


def record(order_id: str, *, products: list | None = None, part_refunds: list | None = None, discount: list | None = None,
           **order_fields) -> dict:
    """A completed Ele.me order as tap-eleme emits it (one product of 20.00 unless overridden)."""
    order = {
        "order_id": order_id, "eleme_order_id": "2100170426395197452", "status": 9, "pay_status": 2, "pay_type": 2,
        "create_time": "1731945600",  # 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC
        "confirm_time": "1731945700", "atshop_time": 1731946500, "pickup_time": 1731946800, "delivery_time": 1731948000,
        "finished_time": "1731948300", "cancel_time": "0", "send_immediately": 1, "send_time": "1",
        "total_fee": 2000, "user_fee": 2000, "shop_fee": 1840, "send_fee": 0, "package_fee": 0, "discount_fee": 0,
        "commission": 160, "cold_box_fee": "0", "is_private": 1, "delivery_phone": None, "taxer_id": None,
    }
    order.update(order_fields)
    return {
        "order_id": order_id, "shop_id": SHOP, "create_time": int(order["create_time"]) if str(order["create_time"]).isdigit() else None,
        "source": "62863",
        "shop": {"id": SHOP, "name": "王景龙大排档", "baidu_shop_id": "2234526556"},
        "order": order,
        "user": {"name": None, "phone": "sha256:45c48cce2e2d7fbdea1afc51c7c6ad26", "gender": 1, "address": None,
                 "province": "山东省", "city": "济宁市", "district": None, "coord": None,
                 "phone_masked": "138****5202", "name_masked": "王**"},
        "products": products if products is not None else [[product("SKU-1", "1001", "可乐", 2000, 1)]],
        "discount": discount or [],
        "part_refunds": part_refunds or [],
    }


# The fact sheet's real order.get response (§B4) as the tap emits it: paid (pay_status 2) and cancelled (10);
# 1 fen everywhere — paid 0.01, refunded in full; the product has no custom_sku_id, so its sku is baidu_product_id.
SHEET = record(
    "15397181282021", status=10, create_time="1539718127", confirm_time="1539718241", cancel_time="1539718272",
    finished_time="0", atshop_time=0, pickup_time=0, delivery_time=0, total_fee=1, shop_fee=1, user_fee=1, commission=0,
    order_index="3", responsible_party="餐厅",
    products=[[product("", "1539717705337067", "蝌蚪啃蜡", 1, 1)]],
)
SHEET["create_time"] = 1539718127
# Two bags: 15.90 × 3 = 47.70 and 49.90 + 1.00 packaging = 50.90 → goods 98.60; delivery 5.00; discount 8.00
# (shop 3.00, Ele.me 5.00) → paid 95.60. A partial refund of one 15.90 agreed, one of 49.90 rejected.
TWO_BAGS = record(
    "17319456001001", total_fee=10360, user_fee=9560, send_fee=500, package_fee=100, discount_fee=800,
    products=[[product("SKU-A", "2001", "可口可乐330ml*6", 1590, 3)], [product("", "B-2", "蒙牛纯牛奶", 4990, 1, 100)]],
    discount=[{"type": "jian", "fee": 800, "baidu_rate": 500, "shop_rate": 300, "agent_rate": 0, "logistics_rate": 0}],
    part_refunds=[
        {"refund_id": "1731945600100101", "status": 20, "refund_price": 1590, "apply_time": "1731990000", "update_time": "1732000000",
         "products": [{"custom_sku_id": "SKU-A", "baidu_product_id": "2001", "upc": "", "number": 1, "refund_price": 1590}]},
        {"refund_id": "1731945600100102", "status": 30, "refund_price": 4990, "apply_time": "1731990100", "update_time": "1731999000",
         "products": [{"custom_sku_id": "", "baidu_product_id": "B-2", "upc": "", "number": 1, "refund_price": 4990}]},
    ],
)
PENDING = record("17319456001002", part_refunds=[
    {"refund_id": "1731945600100201", "status": 10, "refund_price": 500, "apply_time": "1731990000", "update_time": "1731990000",
     "products": [{"custom_sku_id": "SKU-1", "baidu_product_id": "1001", "upc": "", "number": 1, "refund_price": 500}]}])
SCHEDULED = record("17319456001003", send_immediately=0, send_time="1732003200")
IN_PROGRESS = record("17319456001004", status=5, atshop_time=0, pickup_time=0, delivery_time=0, finished_time="0")
UNKNOWN = record("17319456001005", status=6)
CANCELLED_UNPAID = record("17319456001006", status=10, pay_status=1, confirm_time="0", atshop_time=0, pickup_time=0,
                          delivery_time=0, finished_time="0", cancel_time="1731945900")
# Paid, cancelled at 16:05:00 UTC (cancel_time "1731945900"); a refund record updated at 19:05:00 UTC makes that the
# order's update time (source_updated_at) and the first version synced: cancelled_at stays the platform's 16:05:00.
CANCELLED_REFUND_LATER = record(
    "17319456001008", status=10, confirm_time="0", atshop_time=0, pickup_time=0, delivery_time=0, finished_time="0",
    cancel_time="1731945900",
    part_refunds=[{"refund_id": "1731945600100801", "status": 20, "refund_price": 2000, "apply_time": "1731945900",
                   "update_time": "1731956700",
                   "products": [{"custom_sku_id": "SKU-1", "baidu_product_id": "1001", "upc": "", "number": 1, "refund_price": 2000}]}],
)
# Versions: v2 (completed) lands first; v1 (rider accepted, 7) arrives late and must not win.
V2 = record("17319456001007")
V1 = record("17319456001007", status=7, pickup_time=0, delivery_time=0, finished_time="0")
# Quarantine: each cannot be typed.
BAD_FEN = record("17319456009001", user_fee="12.5")
BAD_TIME = record("17319456009002", create_time="yesterday")
BAD_PRODUCTS = record("17319456009003", products="not a list")
MISSING_ID = record("17319456009004")
del MISSING_ID["order"]["order_id"]

RECORDS = [SHEET, TWO_BAGS, PENDING, SCHEDULED, IN_PROGRESS, UNKNOWN, CANCELLED_UNPAID, CANCELLED_REFUND_LATER, V2, BAD_FEN, BAD_TIME, BAD_PRODUCTS, MISSING_ID]


def dbt_build(db: Path, channels: list[str], select: str, tmp: Path) -> subprocess.CompletedProcess:
    """`dbt build` of the real project on ``db`` with ``channels`` unioned, in its own target/log dirs
    (other dbt runs may share the checkout)."""
    variables = {**dbt_vars(Settings(database=db)), "orderlayer_channels": channels}
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(project_dir()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).with_name("dbt")), "build", "--select", select, "--vars", json.dumps(variables),
           "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(cmd, cwd=project_dir(), env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("eleme_rules")
    db = tmp / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "eleme", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in RECORDS], PK, "create_time")
    raw.sync_id = "sync-2"
    raw.append("orders", [copy.deepcopy(V1), copy.deepcopy(TWO_BAGS)], PK, "create_time")  # a late older version, a re-send
    con.close()
    proc = dbt_build(db, ["douyin", "eleme"], "@stg_eleme__orders @stg_eleme__order_lines", tmp)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return db


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, order_id: str, columns: str) -> tuple:
    rows = query(db, f"select {columns} from audit.fct_orders where channel = 'eleme' and channel_order_id = ?", [order_id])
    assert len(rows) == 1, rows
    return rows[0]


def lines(db: Path, order_id: str, columns: str) -> list[tuple]:
    return query(db, f"""select {columns} from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                         where o.channel = 'eleme' and o.channel_order_id = ? order by l.line_number""", [order_id])


def test_staging_has_exactly_the_douyin_columns_and_types(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        sql = "select column_name, data_type from information_schema.columns where table_name = ? order by ordinal_position"
        assert query(warehouse, sql, [f"stg_eleme__{entity}"]) == query(warehouse, sql, [f"stg_douyin__{entity}"])


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from raw.eleme__orders")[0][0] == len(RECORDS) + 1


def test_the_fact_sheet_example(warehouse: Path) -> None:
    row = fact(warehouse, "15397181282021", "shop_id, ordered_at, business_date, paid_amount, goods_amount, status, is_paid, "
               "is_cancelled, refund_amount, is_refunded, is_valid, paid_at, promised_delivery_by, receiver_province")
    # 1539718127 = 2018-10-16 19:28:47 UTC = 2018-10-17 03:28:47 Beijing; 1 fen = 0.01; paid then cancelled: refunded in full
    assert row == (SHOP, utc(1539718127), date(2018, 10, 17), D("0.01"), D("0.01"), "cancelled", True, True, D("0.01"),
                   True, False, utc(1539718127), None, "山东省")
    assert lines(warehouse, "15397181282021", "l.channel_line_id, l.sku_id, l.sku_name, l.refund_amount") == [
        ("15397181282021:1539717705337067:1", "1539717705337067", "蝌蚪啃蜡", D("0.01"))]


def test_fen_amounts_and_allocation_across_bags(warehouse: Path) -> None:
    row = fact(warehouse, TWO_BAGS["order_id"],
               "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, paid_amount")
    assert row == (D("98.60"), D("3.00"), D("5.00"), D("5.00"), D("95.60"))
    # paid 9560 fen × 4770/9860 = 4624.9 → 4624, × 5090/9860 = 4935.1 → 4935, +1 to the larger line;
    # discount 800 × 4770/9860 = 387.0 → 387, × 5090/9860 = 412.9 → 412, +1 to the larger line
    assert lines(warehouse, TWO_BAGS["order_id"],
                 "l.line_number, l.sku_id, l.quantity, l.unit_price, l.line_goods_amount, l.line_discount_amount, l.line_paid_amount") == [
        (1, "SKU-A", 3, D("15.90"), D("47.70"), D("3.87"), D("46.24")),
        (2, "B-2", 1, D("49.90"), D("50.90"), D("4.13"), D("49.36")),
    ]


def test_partial_refund_counts_only_what_was_agreed(warehouse: Path) -> None:
    row = fact(warehouse, TWO_BAGS["order_id"], "refund_amount, is_refunded, has_open_after_sale, status, is_valid, source_updated_at")
    # the agreed refund's update_time is the order's latest event: 1732000000
    assert row == (D("15.90"), True, False, "completed", True, utc(1732000000))
    assert lines(warehouse, TWO_BAGS["order_id"], "l.refund_amount") == [(D("15.90"),), (D("0.00"),)]


def test_pending_partial_refund_is_an_open_after_sale(warehouse: Path) -> None:
    assert fact(warehouse, PENDING["order_id"], "refund_amount, is_refunded, has_open_after_sale") == (D("0.00"), False, True)


def test_delivery_times_in_utc(warehouse: Path) -> None:
    row = fact(warehouse, TWO_BAGS["order_id"], "ordered_at, business_date, paid_at, shipped_at, delivered_at, completed_at, promised_delivery_by")
    assert row == (utc(1731945600), date(2024, 11, 19), utc(1731945600), utc(1731946800), utc(1731948000), utc(1731948300), None)
    assert fact(warehouse, SCHEDULED["order_id"], "promised_delivery_by")[0] == datetime(2024, 11, 19, 8, 0, tzinfo=timezone.utc)


def test_statuses(warehouse: Path) -> None:
    assert fact(warehouse, IN_PROGRESS["order_id"], "status, is_paid, is_shipped, quality_flags") == ("paid", True, False, [])
    assert fact(warehouse, UNKNOWN["order_id"], "status, status_native, quality_flags") == ("unknown", "6", ["unmapped_status"])
    assert fact(warehouse, CANCELLED_UNPAID["order_id"], "status, is_paid, paid_at, refund_amount, is_refunded") == (
        "cancelled", False, None, D("0.00"), False)


def test_cancelled_at_is_the_platforms_cancel_time(warehouse: Path) -> None:
    # the sheet's order: cancel_time "1539718272" (a string) = 2018-10-16 19:31:12 UTC
    assert fact(warehouse, SHEET["order_id"], "cancelled_at, cancelled_at_source") == (utc(1539718272), "platform")
    row = fact(warehouse, CANCELLED_REFUND_LATER["order_id"], "status, cancelled_at, cancelled_at_source, source_updated_at")
    assert row == ("cancelled", utc(1731945900), "platform", utc(1731956700))
    # a completed order's cancel_time "0" is no time
    assert query(warehouse, "select distinct cancelled_at from staging.stg_eleme__orders where channel_order_id = ?",
                 [TWO_BAGS["order_id"]]) == [(None,)]
    assert fact(warehouse, TWO_BAGS["order_id"], "cancelled_at, cancelled_at_source") == (None, None)


def test_late_older_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, V2["order_id"], "status, status_native") == ("completed", "9")


def test_buyer_masks_and_hashed_key(warehouse: Path) -> None:
    row = fact(warehouse, TWO_BAGS["order_id"], "receiver_phone_masked, receiver_name_masked, customer_key, receiver_city, currency")
    assert row == ("138****5202", "王**", "sha256:45c48cce2e2d7fbdea1afc51c7c6ad26", "济宁市", "CNY")


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(query(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason from quarantine.quarantine_orders where channel = 'eleme'"))
    assert reasons == {
        BAD_FEN["order_id"]: "non-numeric user_fee",
        BAD_TIME["order_id"]: "missing or unparseable create_time",
        BAD_PRODUCTS["order_id"]: "missing or malformed products",
        "(none)": "missing or malformed order_id",
    }
    assert query(warehouse, "select count(*) from audit.fct_orders where channel = 'eleme'")[0][0] == len(RECORDS) - 4
