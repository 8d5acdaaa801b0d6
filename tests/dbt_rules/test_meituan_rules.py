"""The canonical rules on Meituan data, each with a hand-computed expected value.

Raw records are written by hand (as tap-meituan emits them: the platform's payload with the receiver
masks derived, the phone salted-hashed and the refund records attached), landed with the real loader
store, and the real dbt project is built on them once for the module — Douyin and Meituan unioned,
as `orderlayer_channels` selects.
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

POI = "test_poi_01"
PK = ["app_poi_code", "order_id"]


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def order(view_id: str | int, order_id: int, **overrides) -> dict:
    """A completed Meituan order as tap-meituan emits it (one food line unless overridden)."""
    base = {
        "order_id": order_id,
        "wm_order_id_view": view_id,
        "app_poi_code": POI,
        "status": 8,
        "pay_type": 2,
        "ctime": 1731945600,  # 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC
        "utime": 1731948300,
        "order_send_time": 1731945630,
        "order_receive_time": 1731945640,
        "order_confirm_time": 1731945700,
        "logistics_fetch_time": 1731946800,
        "logistics_completed_time": 1731948000,
        "order_completed_time": 1731948300,
        "order_cancel_time": 0,
        "delivery_time": 0,
        "logistics_status": 40,
        "total": D("20.00"),
        "original_price": D("20.00"),
        "shipping_fee": D("0"),
        "detail": [{"app_food_code": "F1", "food_name": "宫保鸡丁饭", "sku_id": "F1", "price": D("20"), "quantity": 1,
                    "box_num": 0, "box_price": D("0")}],
        "extras": [],
        "refund_records": [],
        "recipient_phone": "sha256:8f14e45fceea167a5a36dedd4bea2543",
        "recipient_phone_masked": "138****1234",
        "recipient_name_masked": "张*",
        "recipient_name": None,
        "recipient_address": None,
    }
    base.update(overrides)
    return base


# The fact sheet's own example (§A4, a push replayed in the test environment), as the tap emits it:
# strings everywhere, `detail` and `extras` as JSON strings; items 3×1 + 1×5 = 8.00, shipping 0.01 → total 8.01.
SHEET_EXAMPLE = {
    "app_poi_code": POI, "caution": "多来几袋番茄酱", "city_id": "999999", "ctime": "1528700400", "day_seq": "1",
    "delivery_time": "0",
    "detail": '[{"app_food_code":"1534343","box_num":1,"box_price":0,"food_discount":1,"food_name":"FS1","food_property":"热,特辣",'
              '"price":3,"quantity":1,"sku_id":"1534343","spec":"大份","unit":"份"},{"app_food_code":"1534343","box_num":10,'
              '"box_price":0,"food_discount":1,"food_name":"FS1","food_property":"热,特辣","price":1,"quantity":5,"sku_id":"1534343",'
              '"spec":"小份","unit":"份"}]',
    "wm_order_id_view": "24581032571314888", "wm_poi_name": "t_13qCOLH5", "shipping_fee": "0.01", "total": "8.01",
    "original_price": "8.01", "status": "2", "has_invoiced": "0", "utime": "1509337095", "is_third_shipping": "0",
    "pay_type": "2", "extras": "[]", "order_id": "6810571663", "avg_send_time": "2400.0",
    "recipient_phone": "sha256:c9f0f895fb98ab9159f51fd0297e236d", "recipient_phone_masked": "138****0000",
    "recipient_name_masked": "李*", "recipient_name": None, "recipient_address": None, "latitude": None, "longitude": None,
    "refund_records": [],
}
# Float-prone yuan amounts, detail as a JSON array: 0.1 × 3 = 0.30 (a double says 0.30000000000000004);
# 19.99 × 3 + 0.5 × 3 boxes = 61.47; goods 61.77; discount 5.00 (store 2.90, Meituan 2.10); shipping 3.30; paid 60.07.
FLOATS = order(
    "34017265082826430", 9007199254740931,
    total=D("60.07"), original_price=D("65.07"), shipping_fee=D("3.3"),
    detail=[
        {"app_food_code": "A1", "food_name": "米饭", "sku_id": "", "price": D("0.1"), "quantity": 3, "box_num": 0, "box_price": D("0")},
        {"app_food_code": "B2", "food_name": "鸡腿", "sku_id": "88001", "price": D("19.99"), "quantity": 3, "box_num": 3, "box_price": D("0.5")},
    ],
    extras=[{"reduce_fee": D("5.0"), "mt_charge": D("2.1"), "poi_charge": D("2.9"), "remark": "满60减5", "type": 2}],
)
# A partial refund of one 鸡腿 (19.99) agreed, another (5.00) rejected by the store (res_type 1).
PARTIAL = order(
    "34017265082826431", 9007199254740938,
    total=D("60.07"), original_price=D("65.07"), shipping_fee=D("3.3"), detail=FLOATS["detail"], extras=FLOATS["extras"],
    utime=1732010000,
    refund_records=[
        {"refund_id": 70000000001, "refund_type": 2, "res_type": 2, "money": D("19.99"), "ctime": 1732000000, "utime": 1732010000,
         "wmAppRetailForOrderPartRefundList": [{"app_food_code": "B2", "sku_id": "88001", "count": 1, "refund_price": D("19.99")}]},
        {"refund_id": 70000000002, "refund_type": 2, "res_type": 1, "money": D("5"), "ctime": 1732000100, "utime": 1732000200,
         "wmAppRetailForOrderPartRefundList": [{"app_food_code": "A1", "sku_id": "", "count": 1, "refund_price": D("5")}]},
    ],
)
# A refund applied and not yet decided: an open after-sale, nothing refunded.
PENDING = order(
    "34017265082826432", 9007199254740945, utime=1732000000,
    refund_records=[{"refund_id": 70000000003, "refund_type": 1, "res_type": 0, "money": D("20.00"), "ctime": 1732000000,
                     "utime": 1732000000, "wmAppRetailForOrderPartRefundList": []}],
)
# Paid, then cancelled by the store before delivery; refunded in full.
CANCELLED_PAID = order(
    "34017265082826433", 9007199254740952, status=9, logistics_fetch_time=0, logistics_completed_time=0,
    order_completed_time=0, order_cancel_time=1731946000, utime=1731946000, logistics_status=0,
    refund_records=[{"refund_id": 70000000004, "refund_type": 1, "res_type": 2, "money": D("20.00"), "ctime": 1731946000,
                     "utime": 1731946000, "wmAppRetailForOrderPartRefundList": []}],
)
# Cancelled without payment (never pushed): order_send_time is the "not yet" sentinel 0.
CANCELLED_UNPAID = order(
    "34017265082826434", 9007199254740959, status=9, order_send_time=0, order_receive_time=0, order_confirm_time=0,
    logistics_fetch_time=0, logistics_completed_time=0, order_completed_time=0, order_cancel_time=1731946500, utime=1731946500,
)
# Cash on delivery (pay_type 1): paid when the order completes.
COD = order("34017265082826435", 9007199254740966, pay_type=1)
# Versions: v2 (completed, updated later) lands first; v1 (confirmed) arrives late and must not win.
V2 = order("34017265082826436", 9007199254740973)
V1 = order("34017265082826436", 9007199254740973, status=4, logistics_fetch_time=0, logistics_completed_time=0,
           order_completed_time=0, utime=1731945700)
# Ids: the demo's text id kept as is; a display id sent as a JSON number stays digit for digit.
TEXT_ID = order("meituan_20251207152344_8892", 9007199254740980)
NUMERIC_VIEW_ID = order(24581032571314889, 9007199254740987)
# A reservation for noon the next day (delivery_time), and a status code the seed does not know.
RESERVATION = order("34017265082826437", 9007199254740994, delivery_time=1732003200, is_pre_order=True)
UNKNOWN = order("34017265082826438", 9007199254741001, status=5)
# Cancelled by the store at 16:10:00 UTC (order_cancel_time 1731946200); the refund settled at 19:00:00 UTC (utime
# 1731956400), the first version synced: cancelled_at is the platform's 16:10:00, not the observation.
CANCELLED_SYNCED_LATE = order(
    "34017265082826439", 9007199254741008, status=9, logistics_fetch_time=0, logistics_completed_time=0,
    order_completed_time=0, order_cancel_time=1731946200, utime=1731956400, logistics_status=0,
)
# Quarantine: each cannot be typed.
BAD_TOTAL = order("34017265082826901", 9007199254749001, total="abc")
BAD_TIME = order("34017265082826902", 9007199254749002, ctime="yesterday")
BAD_DETAIL = order("34017265082826903", 9007199254749003, detail="not json")
THREE_DECIMALS = order("34017265082826904", 9007199254749004, total=D("20.005"))
BAD_CANCEL_TIME = order("34017265082826905", 9007199254749006, status=9, order_cancel_time="2024-11-19 00:10:00")
MISSING_ID = {k: v for k, v in order("x", 9007199254749005).items() if k != "wm_order_id_view"}

RECORDS = [SHEET_EXAMPLE, FLOATS, PARTIAL, PENDING, CANCELLED_PAID, CANCELLED_UNPAID, COD, V2, TEXT_ID, NUMERIC_VIEW_ID,
           RESERVATION, UNKNOWN, CANCELLED_SYNCED_LATE, BAD_TOTAL, BAD_TIME, BAD_DETAIL, THREE_DECIMALS, BAD_CANCEL_TIME,
           MISSING_ID]


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
    tmp = tmp_path_factory.mktemp("meituan_rules")
    db = tmp / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "meituan", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in RECORDS], PK, "utime")
    raw.sync_id = "sync-2"
    raw.append("orders", [copy.deepcopy(V1), copy.deepcopy(FLOATS)], PK, "utime")  # a late older version, a re-send
    con.close()
    proc = dbt_build(db, ["douyin", "meituan"], "@stg_meituan__orders @stg_meituan__order_lines", tmp)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return db


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, view_id: str, columns: str) -> tuple:
    rows = query(db, f"select {columns} from audit.fct_orders where channel = 'meituan' and channel_order_id = ?", [view_id])
    assert len(rows) == 1, rows
    return rows[0]


def lines(db: Path, view_id: str, columns: str) -> list[tuple]:
    return query(db, f"""select {columns} from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                         where o.channel = 'meituan' and o.channel_order_id = ? order by line_number""", [view_id])


def test_staging_has_exactly_the_douyin_columns_and_types(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        douyin = query(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_douyin__{entity}' order by ordinal_position")
        meituan = query(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_meituan__{entity}' order by ordinal_position")
        assert meituan == douyin


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from raw.meituan__orders")[0][0] == len(RECORDS) + 1  # + the late v1


def test_the_fact_sheet_example_adds_up(warehouse: Path) -> None:
    row = fact(warehouse, "24581032571314888", "shop_id, goods_amount, freight_amount, paid_amount, status, is_paid, paid_at, quality_flags")
    # 3×1 + 1×5 = 8.00 goods, 0.01 shipping, 8.01 paid; status 2 is paid, but the push carries no order_send_time
    assert row == (POI, D("8.00"), D("0.01"), D("8.01"), "paid", True, None, ["paid_without_paid_at"])
    # no line id: (order id, sku, position); 8.01 allocated 3/8 and 5/8: 300.375 → 300, 500.625 → 500, +1 fen to the larger
    assert lines(warehouse, "24581032571314888", "line_number, channel_line_id, sku_id, quantity, unit_price, line_goods_amount, line_paid_amount") == [
        (1, "24581032571314888:1534343:1", "1534343", 1, D("3.00"), D("3.00"), D("3.00")),
        (2, "24581032571314888:1534343:2", "1534343", 5, D("1.00"), D("5.00"), D("5.01")),
    ]


def test_yuan_doubles_are_exact(warehouse: Path) -> None:
    row = fact(warehouse, FLOATS["wm_order_id_view"],
               "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, paid_amount")
    assert row == (D("61.77"), D("2.90"), D("2.10"), D("3.30"), D("60.07"))
    # paid 6007 fen × 30/6177 = 29.17 → 29, × 6147/6177 = 5977.8 → 5977, +1 to the larger line;
    # discount 500 × 30/6177 = 2.4 → 2, × 6147/6177 = 497.6 → 497, +1 to the larger line
    assert lines(warehouse, FLOATS["wm_order_id_view"], "sku_id, unit_price, line_goods_amount, line_discount_amount, line_paid_amount") == [
        ("A1", D("0.10"), D("0.30"), D("0.02"), D("0.29")),
        ("88001", D("19.99"), D("61.47"), D("4.98"), D("59.78")),
    ]


def test_epoch_seconds_to_utc_and_beijing_business_date(warehouse: Path) -> None:
    row = fact(warehouse, FLOATS["wm_order_id_view"],
               "ordered_at, business_date, paid_at, shipped_at, delivered_at, completed_at, promised_delivery_by, status, is_delivered")
    assert row == (utc(1731945600), date(2024, 11, 19), utc(1731945630), utc(1731946800), utc(1731948000), utc(1731948300),
                   None, "completed", True)


def test_reservation_promise_and_unknown_status(warehouse: Path) -> None:
    assert fact(warehouse, RESERVATION["wm_order_id_view"], "promised_delivery_by")[0] == datetime(2024, 11, 19, 8, 0, tzinfo=timezone.utc)
    assert fact(warehouse, UNKNOWN["wm_order_id_view"], "status, status_native, quality_flags") == ("unknown", "5", ["unmapped_status"])


def test_partial_refund_counts_only_what_was_agreed(warehouse: Path) -> None:
    row = fact(warehouse, PARTIAL["wm_order_id_view"], "refund_amount, is_refunded, has_open_after_sale, status, is_valid")
    assert row == (D("19.99"), True, False, "completed", True)
    assert lines(warehouse, PARTIAL["wm_order_id_view"], "l.sku_id, l.refund_amount") == [("A1", D("0.00")), ("88001", D("19.99"))]


def test_pending_refund_is_an_open_after_sale(warehouse: Path) -> None:
    assert fact(warehouse, PENDING["wm_order_id_view"], "refund_amount, is_refunded, has_open_after_sale") == (D("0.00"), False, True)


def test_paid_then_cancelled_is_refunded_and_invalid(warehouse: Path) -> None:
    row = fact(warehouse, CANCELLED_PAID["wm_order_id_view"],
               "status, is_paid, is_cancelled, is_refunded, refund_amount, is_valid, paid_at, cancelled_at")
    assert row == ("cancelled", True, True, True, D("20.00"), False, utc(1731945630), utc(1731946000))
    assert lines(warehouse, CANCELLED_PAID["wm_order_id_view"], "l.refund_amount") == [(D("20.00"),)]


def test_cancelled_at_is_the_platforms_order_cancel_time(warehouse: Path) -> None:
    row = fact(warehouse, CANCELLED_SYNCED_LATE["wm_order_id_view"], "status, cancelled_at, cancelled_at_source, source_updated_at")
    assert row == ("cancelled", utc(1731946200), "platform", utc(1731956400))
    # a completed order's order_cancel_time 0 is "not cancelled": no cancel time in staging or the mart
    staged = query(warehouse, "select cancelled_at from staging.stg_meituan__orders where channel_order_id = ?",
                   [COD["wm_order_id_view"]])
    assert staged == [(None,)]
    assert fact(warehouse, COD["wm_order_id_view"], "cancelled_at, cancelled_at_source") == (None, None)


def test_cancelled_without_payment(warehouse: Path) -> None:
    row = fact(warehouse, CANCELLED_UNPAID["wm_order_id_view"], "status, is_paid, paid_at, refund_amount, quality_flags")
    assert row == ("cancelled", False, None, D("0.00"), [])


def test_cash_on_delivery_is_paid_at_completion(warehouse: Path) -> None:
    assert fact(warehouse, COD["wm_order_id_view"], "paid_at, is_paid") == (utc(1731948300), True)


def test_late_older_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, V2["wm_order_id_view"], "status, status_native, completed_at") == ("completed", "8", utc(1731948300))
    events = query(warehouse, """select event_type, status_before, status_after from audit.fct_order_events e
                                 join audit.fct_orders o using (order_key) where o.channel_order_id = ? and event_type = 'status_changed'""",
                   [V2["wm_order_id_view"]])
    assert events == [("status_changed", "paid", "completed")]


def test_ids_stay_text_exactly_as_sent(warehouse: Path) -> None:
    assert fact(warehouse, "meituan_20251207152344_8892", "channel_order_id, order_key")[1] == \
        query(warehouse, f"select md5('meituan|{POI}|meituan_20251207152344_8892')")[0][0]
    assert fact(warehouse, "24581032571314889", "channel_order_id")[0] == "24581032571314889"


def test_receiver_masks_and_hashed_buyer_key(warehouse: Path) -> None:
    row = fact(warehouse, FLOATS["wm_order_id_view"], "receiver_phone_masked, receiver_name_masked, customer_key, currency")
    assert row == ("138****1234", "张*", "sha256:8f14e45fceea167a5a36dedd4bea2543", "CNY")


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(query(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason from quarantine.quarantine_orders where channel = 'meituan'"))
    assert reasons == {
        BAD_TOTAL["wm_order_id_view"]: "non-numeric total",
        BAD_TIME["wm_order_id_view"]: "missing or unparseable ctime",
        BAD_DETAIL["wm_order_id_view"]: "unparseable detail",
        THREE_DECIMALS["wm_order_id_view"]: "non-numeric total",
        BAD_CANCEL_TIME["wm_order_id_view"]: "unparseable order_cancel_time",
        "(none)": "missing or malformed wm_order_id_view",
    }
    facts = query(warehouse, "select count(*) from audit.fct_orders where channel = 'meituan'")[0][0]
    assert facts == len(RECORDS) - 6  # raw distinct orders = facts + quarantined-only orders
