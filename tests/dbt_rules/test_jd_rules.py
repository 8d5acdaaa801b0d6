"""The canonical rules on JD data, each with a hand-computed expected value.

Raw records are written by hand (orderInfo as jingdong.pop.order.search sends it, after tap-jd's PII policy),
landed with the real loader store into a fresh DuckDB ``raw.jd__orders``, and the real dbt project is built once
for the module: ``dbt build --select @stg_jd__orders quarantine_refunds`` (the staging models, everything downstream of them and
everything that needs) with both channels staged. The build runs under TZ=America/New_York to show nothing
depends on the session zone (rule T5); results are read in UTC.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.dbt import project_dir
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

SHOP = "10086521"
PRESALE_TYPE = "9999"  # configured below as a presale orderType (the platform's code is unconfirmed)


def order(order_id: str, **overrides: object) -> dict:
    """A JD orderInfo record as tap-jd emits it, one item unless overridden."""
    base = {
        "orderId": order_id,
        "venderId": SHOP,
        "orderType": "22",
        "orderState": "WAIT_SELLER_STOCK_OUT",
        "orderStateRemark": "等待出库",
        "orderStartTime": "2024-11-18 15:55:51",  # Beijing = 2024-11-18 07:55:51 UTC
        "paymentConfirmTime": "2024-11-18 15:56:00",
        "orderEndTime": "",
        "modified": "2024-11-18 15:56:40",
        "orderTotalPrice": "10.00",
        "orderSellerPrice": "10.00",
        "orderPayment": "10.00",
        "freightPrice": "0.00",
        "sellerDiscount": "0.00",
        "balanceUsed": "0.00",
        "taxFee": "0.00",
        "waybill": "",
        "pin": "sha256:pin-1",
        "open_id_buyer": "sha256:open-1",
        "consigneeInfo": {"fullname": None, "mobile": None, "fullAddress": None, "province": "北京", "city": "北京市",
                          "county": "朝阳区", "ol_masked_fullname": "王*", "ol_masked_mobile": "138****5678"},
        "itemInfoList": [item("100034721569", "10.00", "1")],
    }
    base.update(overrides)
    return base


def item(sku_id: str, price: str, qty: str, name: str = "智能电饭煲") -> dict:
    return {"skuId": sku_id, "skuName": name, "outerSkuId": "", "wareId": "100034721568", "jdPrice": price, "itemTotal": qty}


# A: two lines; goods 19.99×2 + 10.01×1 = 49.99; seller discount 5.00; freight 6.00; paid 47.99 →
#    platform discount 49.99 − 5.00 + 6.00 − 47.99 = 3.00. Two parcels on the waybill.
ORDER_A = order(
    "3145878647546918634",
    orderState="WAIT_GOODS_RECEIVE_CONFIRM",
    modified="2024-11-19 10:00:00",
    orderTotalPrice="49.99", orderSellerPrice="44.99", orderPayment="47.99", freightPrice="6.00", sellerDiscount="5.00",
    waybill="SF1234567890, JDV000123456",
    itemInfoList=[item("100018876555", "19.99", "2", "四件套"), item("100047719266", "10.01", "1", "耳机")],
)
# B: placed 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC (a day later than the UTC date); B2 one second earlier.
ORDER_B = order("3145878647546910001", orderStartTime="2024-11-19 00:00:00", paymentConfirmTime="2024-11-19 00:00:30",
                modified="2024-11-19 00:01:00")
ORDER_B2 = order("3145878647546910002", orderStartTime="2024-11-18 23:59:59", paymentConfirmTime="2024-11-19 00:00:30",
                 modified="2024-11-19 00:01:00")
# BIG: 19,999,999,999.99 yuan — a float would print 19999999999.990002.
ORDER_BIG = order("3145878647546910003", orderPayment="19999999999.99", itemInfoList=[item("100034721569", "19999999999.99", "1")])
# NUMERIC_ID: an orderId a gateway sent as a bare JSON number, 2**53 + 1 (a float reads it as ...992).
ORDER_NUMERIC_ID = order(9007199254740993)  # type: ignore[arg-type]
# Cancelled after payment: refunded in full.
ORDER_CANCELLED = order("3145878647546910004", orderState="TRADE_CANCELED", orderStateRemark="取消", orderPayment="100.00",
                        orderEndTime="2024-11-20 09:00:00", modified="2024-11-20 09:00:00",
                        itemInfoList=[item("100034721569", "100.00", "1")])
# Versions of one order: shipped (sync 1), then finished and a late, older stock-out version (sync 2).
V_SHIPPED = order("3145878647546910005", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 10:00:00",
                  waybill="JDV000999")
V_FINISHED = order("3145878647546910005", orderState="FINISHED_L", modified="2024-11-25 12:00:00",
                   orderEndTime="2024-11-25 12:00:00", waybill="JDV000999")
V_STOCK_OUT = order("3145878647546910005", modified="2024-11-18 16:00:00")
# Finished, never seen shipped (first synced after completion): shipped without a ship time — typed, flagged.
ORDER_FINISHED_ONLY = order("3145878647546910006", orderState="FINISHED_L", modified="2024-11-26 08:00:00",
                            orderEndTime="2024-11-26 08:00:00", waybill="YT0001")
# Presale by configured orderType: no deposit/balance fields on JD, paid when the payment is confirmed.
ORDER_PRESALE = order("3145878647546910007", orderType=PRESALE_TYPE)
# Unknown state: kept as `unknown`.
ORDER_UNKNOWN = order("3145878647546910008", orderState="WAIT_BUYER_PAY")
# A sentinel payment time on a paid state: NULL, flagged.
ORDER_SENTINEL = order("3145878647546910009", paymentConfirmTime="0000-00-00 00:00:00")
# No open id: the customer key falls back to the (hashed) pin.
ORDER_PIN_ONLY = order("3145878647546910010", open_id_buyer="", pin="sha256:pin-2")
# Quarantine: each cannot be typed.
BAD_AMOUNT = order("3145878647546919001", orderPayment="abc")
BAD_TIME = order("3145878647546919002", orderStartTime="yesterday")
BAD_DECIMALS = order("3145878647546919003", orderPayment="12.345")
BAD_MODIFIED = order("3145878647546919004", modified="2024-11-18T15:56:40+08:00")  # not the naive form JD sends
BAD_QUANTITY = order("3145878647546919005", itemInfoList=[item("100034721569", "10.00", "1.5")])
MISSING_ID = {k: v for k, v in order("0").items() if k != "orderId"}

# Refund applications (退款审核单): amounts in integer fen, as the API doc says.
# DELIVERED: paid 100.00; an application for 12.34 applied 11-21 08:00, approved 11-23 10:00 — after the order's last
# change (finished 11-22 10:00), so only the current version can show it. The earlier shipped version (11-21 12:00)
# shows it as open: applied by then, not yet reviewed.
V_DELIVERED_SHIPPED = order("3145878647546910011", orderState="WAIT_GOODS_RECEIVE_CONFIRM", orderPayment="100.00",
                            modified="2024-11-21 12:00:00", waybill="JDV000111",
                            itemInfoList=[item("100034721569", "100.00", "1")])
V_DELIVERED = order("3145878647546910011", orderState="FINISHED_L", orderPayment="100.00", modified="2024-11-22 10:00:00",
                    orderEndTime="2024-11-22 10:00:00", waybill="JDV000111", itemInfoList=[item("100034721569", "100.00", "1")])
# REJECTED: an application for the whole 10.00, rejected → no refund, nothing open.
ORDER_REJECTED = order("3145878647546910012", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 08:00:00")
# PENDING: an application awaiting review → has_open_after_sale, no refund yet.
ORDER_PENDING = order("3145878647546910013", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 08:00:00")
# REVIEWED_LATER: pending at sync 1, approved (5.50) at sync 2 → the latest application version counts.
ORDER_REVIEWED_LATER = order("3145878647546910014", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 08:00:00")
# OVER: paid 10.00, two approved applications 8.00 + 7.00 = 15.00 → capped at the paid 10.00 (rule A3).
ORDER_OVER = order("3145878647546910015", orderState="FINISHED_L", modified="2024-11-24 08:00:00",
                   orderEndTime="2024-11-24 08:00:00")


def application(app_id: str, order_id: str, status: str, fen: str, apply_time: str, check_time: str = "") -> dict:
    """A refund application as tap-jd emits it: venderId and ol_changed_at added, buyer data removed or hashed."""
    return {"id": app_id, "orderId": order_id, "status": status, "applyRefundSum": fen, "applyTime": apply_time,
            "checkTime": check_time, "buyerId": "sha256:buyer-1", "buyerName": None, "checkUserName": None,
            "checkRemark": "", "reason": "不想要了", "venderId": SHOP, "ol_changed_at": max(apply_time, check_time)}


APP_PARTIAL = application("50000000000000011", V_DELIVERED["orderId"], "1", "1234", "2024-11-21 08:00:00", "2024-11-23 10:00:00")
APP_REJECTED = application("50000000000000012", ORDER_REJECTED["orderId"], "2", "1000", "2024-11-19 08:00:00", "2024-11-19 09:00:00")
APP_PENDING = application("50000000000000013", ORDER_PENDING["orderId"], "0", "1000", "2024-11-19 08:00:00")
APP_LATER_1 = application("50000000000000014", ORDER_REVIEWED_LATER["orderId"], "0", "550", "2024-11-19 08:00:00")
APP_LATER_2 = application("50000000000000014", ORDER_REVIEWED_LATER["orderId"], "1", "550", "2024-11-19 08:00:00", "2024-11-26 09:00:00")
APP_CANCEL = application("50000000000000004", ORDER_CANCELLED["orderId"], "1", "10000", "2024-11-20 08:50:00", "2024-11-20 09:00:00")
APP_OVER_1 = application("50000000000000015", ORDER_OVER["orderId"], "1", "800", "2024-11-25 08:00:00", "2024-11-25 09:00:00")
APP_OVER_2 = application("50000000000000016", ORDER_OVER["orderId"], "5", "700", "2024-11-25 10:00:00", "2024-11-25 11:00:00")
APP_BAD = application("50000000000000017", ORDER_B["orderId"], "1", "12.5", "2024-11-19 08:00:00", "2024-11-19 09:00:00")
# After-sale services (refunds after shipment, jingdong.asc.serviceAndRefund.view): yuan refoundAmount, status 13 = refunded.
# AS_DELIVERED: finished 11-22 10:00, paid 100.00; a service applied 11-23, approved 11-24, refunded 23.45 on 11-26.
ORDER_AS_DELIVERED = order("3145878647546910021", orderState="FINISHED_L", orderPayment="100.00", modified="2024-11-22 10:00:00",
                           orderEndTime="2024-11-22 10:00:00", waybill="JDV000221", itemInfoList=[item("100034721569", "100.00", "1")])
# AS_OPEN: a service applied, not yet reviewed (status 0) → has_open_after_sale, nothing refunded.
ORDER_AS_OPEN = order("3145878647546910022", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 08:00:00")
# AS_REJECTED: a service refused at review (status 14, no amount) → nothing refunded, nothing open.
ORDER_AS_REJECTED = order("3145878647546910023", orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2024-11-20 08:00:00")
# AS_LATER: approved (status 1) at sync 1, refunded 7.00 at sync 2; plus a refunded cancel-refund application of 2.00
# made before shipping (different money): 2.00 + 7.00 = 9.00 of the paid 10.00.
ORDER_AS_LATER = order("3145878647546910024", orderState="FINISHED_L", modified="2024-11-24 08:00:00",
                       orderEndTime="2024-11-24 08:00:00")


def service(service_id: str, order_id: str, status: str, apply_time: str, approve_time: str | None = None,
            amount: str | None = None, complete_time: str | None = None) -> dict:
    """An after-sale service as tap-jd emits it: ids copied up, venderId and ol_changed_at added, buyer data hashed."""
    times = [t for t in (apply_time, approve_time, complete_time) if t]
    return {"serviceId": service_id, "orderId": order_id, "venderId": SHOP, "afsRefundId": "700000000001" if amount else None,
            "refoundAmount": amount, "status": status, "completeTime": complete_time, "ol_changed_at": max(times),
            "sameOrderServiceBill": {"serviceId": service_id, "orderId": order_id, "wareId": "100034721568",
                                     "afsApplyTime": apply_time, "approveDate": approve_time, "applyReason": "质量问题",
                                     "customerPin": "sha256:buyer-1", "questionDesc": None}}


AS_DELIVERED = service("4000000021", ORDER_AS_DELIVERED["orderId"], "13", "2024-11-23 09:00:00", "2024-11-24 09:00:00",
                       "23.45", "2024-11-26 09:00:00")
AS_DELIVERED["sameOrderServiceBill"]["customerExpect"] = "10"  # 退货: goods come back
# AS_EXCHANGE: an exchange (customerExpect 20) JD lists as "refunded" 9.99: no money back, not a refund anywhere
AS_EXCHANGE = service("4000000026", ORDER_AS_REJECTED["orderId"], "13", "2024-11-21 09:00:00", "2024-11-21 12:00:00",
                      "9.99", "2024-11-22 09:00:00")
AS_EXCHANGE["sameOrderServiceBill"]["customerExpect"] = "20"
AS_OPEN = service("4000000022", ORDER_AS_OPEN["orderId"], "0", "2024-11-21 09:00:00")
AS_REJECTED = service("4000000023", ORDER_AS_REJECTED["orderId"], "14", "2024-11-21 09:00:00", "2024-11-21 12:00:00")
AS_LATER_1 = service("4000000024", ORDER_AS_LATER["orderId"], "1", "2024-11-25 09:00:00", "2024-11-25 12:00:00")
AS_LATER_2 = service("4000000024", ORDER_AS_LATER["orderId"], "13", "2024-11-25 09:00:00", "2024-11-25 12:00:00",
                     "7.00", "2024-11-27 12:00:00")
AS_BAD = service("4000000025", ORDER_B2["orderId"], "13", "2024-11-21 09:00:00", "2024-11-21 12:00:00", "7.001", "2024-11-22 09:00:00")
SERVICES_1 = [AS_DELIVERED, AS_OPEN, AS_REJECTED, AS_LATER_1, AS_BAD, AS_EXCHANGE]
SERVICES_2 = [AS_LATER_2]
APP_AS_LATER = application("50000000000000024", ORDER_AS_LATER["orderId"], "1", "200", "2024-11-18 16:00:00", "2024-11-18 17:00:00")

APPS_1 = [APP_AS_LATER, APP_PARTIAL, APP_REJECTED, APP_PENDING, APP_LATER_1, APP_CANCEL, APP_OVER_1, APP_OVER_2, APP_BAD]
APPS_2 = [APP_LATER_2]

SYNC_1 = [ORDER_AS_DELIVERED, ORDER_AS_OPEN, ORDER_AS_REJECTED, ORDER_AS_LATER, V_DELIVERED_SHIPPED, ORDER_REJECTED, ORDER_PENDING, ORDER_REVIEWED_LATER, ORDER_OVER, ORDER_A, ORDER_B, ORDER_B2, ORDER_BIG, ORDER_NUMERIC_ID, ORDER_CANCELLED, V_SHIPPED, ORDER_FINISHED_ONLY,
          ORDER_PRESALE, ORDER_UNKNOWN, ORDER_SENTINEL, ORDER_PIN_ONLY, BAD_AMOUNT, BAD_TIME, BAD_DECIMALS, BAD_MODIFIED,
          BAD_QUANTITY, MISSING_ID]
SYNC_2 = [V_FINISHED, V_STOCK_OUT, ORDER_A, V_DELIVERED]  # ORDER_A re-sent unchanged: adds nothing

DBT_VARS = {
    "orderlayer_channels": ["douyin", "jd"],
    "orderlayer_amount_ceilings": {"default": 100_000_000_000},  # the big-amount orders test exactness above the default ceiling (A5)
    "jd_presale_order_types": [PRESALE_TYPE],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("jd_rules")
    db = work / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "jd", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in SYNC_1], ["venderId", "orderId"], "modified")
    raw.sync_id = "sync-2"
    raw.append("orders", [copy.deepcopy(r) for r in SYNC_2], ["venderId", "orderId"], "modified")
    raw.sync_id = "sync-1"
    raw.append("refund_applies", [copy.deepcopy(r) for r in APPS_1], ["venderId", "id"], "ol_changed_at")
    raw.sync_id = "sync-2"
    raw.append("refund_applies", [copy.deepcopy(r) for r in APPS_2], ["venderId", "id"], "ol_changed_at")
    raw.sync_id = "sync-1"
    raw.append("service_refunds", [copy.deepcopy(r) for r in SERVICES_1], ["venderId", "serviceId"], "ol_changed_at")
    raw.sync_id = "sync-2"
    raw.append("service_refunds", [copy.deepcopy(r) for r in SERVICES_2], ["venderId", "serviceId"], "ol_changed_at")
    con.close()
    root = project_dir()
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(root), "TZ": "America/New_York",
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).with_name("dbt")), "build", "--select", "@stg_jd__orders", "quarantine_refunds", "assert_refunds_consistent",
           "--vars", json.dumps(DBT_VARS), "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return db


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, order_id: str, columns: str) -> tuple:
    found = rows(db, f"select {columns} from audit.fct_orders where channel_order_id = ?", [order_id])
    assert len(found) == 1, found
    return found[0]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_staging_has_douyins_exact_columns_and_types(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        columns = [
            rows(warehouse, "select column_name, data_type from information_schema.columns where table_name = ? "
                 "order by ordinal_position", [f"stg_{channel}__{entity}"])
            for channel in ("jd", "douyin")
        ]
        assert columns[0] == columns[1] and columns[0]


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert rows(warehouse, "select count(*) from raw.jd__orders") == [(len(SYNC_1) + 3,)]  # ORDER_A re-sent adds nothing
    assert rows(warehouse, "select count(*) from raw.jd__refund_applies") == [(len(APPS_1) + len(APPS_2),)]


def test_ids_stay_text_digit_for_digit(warehouse: Path) -> None:
    assert fact(warehouse, "3145878647546918634", "shop_id, order_key") == (
        SHOP, rows(warehouse, "select md5('jd|10086521|3145878647546918634')")[0][0])
    assert fact(warehouse, "9007199254740993", "channel_order_id")[0] == "9007199254740993"


def test_yuan_strings_are_exact_and_discounts_close_to_paid(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["orderId"],
                "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, paid_amount") == (
        Decimal("49.99"), Decimal("5.00"), Decimal("3.00"), Decimal("6.00"), Decimal("47.99"))
    assert fact(warehouse, ORDER_BIG["orderId"], "paid_amount, goods_amount") == (Decimal("19999999999.99"),) * 2
    types = set(dict(rows(warehouse, "select column_name, data_type from information_schema.columns "
                                     "where table_name = 'fct_orders' and column_name like '%amount%'")).values())
    assert types == {"DECIMAL(18,2)"}


def test_lines_are_keyed_by_order_sku_position_and_sum_exactly(warehouse: Path) -> None:
    lines = rows(warehouse, """select line_number, channel_line_id, sku_id, quantity, unit_price, line_goods_amount,
        line_discount_amount, line_paid_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key)
        where o.channel_order_id = ? order by line_number""", [ORDER_A["orderId"]])
    # paid 4799 fen × 3998/4999 = 3838.05 → 3838, × 1001/4999 = 960.95 → 960, remainder 1 fen to the larger line;
    # discounts 800 fen × 3998/4999 = 639.8 → 639, × 1001/4999 = 160.2 → 160, remainder 1 fen to the larger line.
    assert lines == [
        (1, "3145878647546918634:100018876555:1", "100018876555", 2, Decimal("19.99"), Decimal("39.98"), Decimal("6.40"), Decimal("38.39")),
        (2, "3145878647546918634:100047719266:2", "100047719266", 1, Decimal("10.01"), Decimal("10.01"), Decimal("1.60"), Decimal("9.60")),
    ]


def test_beijing_strings_become_utc_and_the_beijing_business_date(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["orderId"], "ordered_at, paid_at") == (utc("2024-11-18 07:55:51"), utc("2024-11-18 07:56:00"))
    ordered_at, business_date = fact(warehouse, ORDER_B["orderId"], "ordered_at, business_date")
    assert ordered_at == utc("2024-11-18 16:00:00") and business_date == date(2024, 11, 19)
    assert fact(warehouse, ORDER_B2["orderId"], "business_date")[0] == date(2024, 11, 18)


def test_cancelled_after_payment_is_refunded_in_full(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_CANCELLED["orderId"],
               "status, is_paid, is_cancelled, is_refunded, is_valid, refund_amount, paid_amount, cancelled_at")
    assert row == ("cancelled", True, True, True, False, Decimal("100.00"), Decimal("100.00"), utc("2024-11-20 01:00:00"))
    assert rows(warehouse, """select l.refund_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key)
        where o.channel_order_id = ?""", [ORDER_CANCELLED["orderId"]]) == [(None,)]  # no per-line split from JD


def test_versions_latest_wins_and_ship_time_is_first_seen_shipped(warehouse: Path) -> None:
    row = fact(warehouse, V_FINISHED["orderId"], "status, shipped_at, completed_at, source_updated_at, quality_flags")
    assert row == ("completed", utc("2024-11-20 02:00:00"), utc("2024-11-25 04:00:00"), utc("2024-11-25 04:00:00"), [])
    stg = rows(warehouse, "select status_native, shipped_at from staging.stg_jd__orders where channel_order_id = ? "
                          "order by source_updated_at", [V_FINISHED["orderId"]])
    # the late stock-out version is older than the shipped one: it gets no ship time from a later version
    assert stg == [("WAIT_SELLER_STOCK_OUT", None), ("WAIT_GOODS_RECEIVE_CONFIRM", utc("2024-11-20 02:00:00")),
                   ("FINISHED_L", utc("2024-11-20 02:00:00"))]
    events = rows(warehouse, """select e.event_type, e.event_at, e.status_before, e.status_after
        from audit.fct_order_events e join audit.fct_orders o using (order_key) where o.channel_order_id = ?
        order by e.event_at, e.event_type""", [V_FINISHED["orderId"]])
    assert ("shipped", utc("2024-11-20 02:00:00"), None, "shipped") in events
    assert ("status_changed", utc("2024-11-20 02:00:00"), "paid", "shipped") in events
    assert ("completed", utc("2024-11-25 04:00:00"), None, "completed") in events


def test_finished_without_an_observed_shipment_is_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_FINISHED_ONLY["orderId"], "status, is_shipped, shipped_at, quality_flags") == (
        "completed", True, None, ["shipped_without_shipped_at"])


def test_presale_by_configured_order_type(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PRESALE["orderId"], "order_type, is_presale, deposit_amount, balance_amount, is_paid, is_valid") == (
        "presale", True, None, None, True, True)
    assert fact(warehouse, ORDER_A["orderId"], "order_type, is_presale") == ("normal", False)


def test_unknown_state_kept_and_sentinel_time_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_UNKNOWN["orderId"], "status, status_native, quality_flags") == (
        "unknown", "WAIT_BUYER_PAY", ["unmapped_status"])
    assert fact(warehouse, ORDER_SENTINEL["orderId"], "status, is_paid, paid_at, quality_flags") == (
        "paid", True, None, ["paid_without_paid_at"])


def test_receiver_masks_customer_key_and_tracking_numbers(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["orderId"], "receiver_province, receiver_city, receiver_phone_masked, receiver_name_masked, customer_key") == (
        "北京", "北京市", "138****5678", "王*", "sha256:open-1")
    assert fact(warehouse, ORDER_PIN_ONLY["orderId"], "customer_key")[0] == "sha256:pin-2"
    assert rows(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = ?",
                [ORDER_A["orderId"]]) == [(["JDV000123456", "SF1234567890"],)]


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(rows(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason "
                                   "from quarantine.quarantine_orders where channel = 'jd'"))
    assert reasons == {
        BAD_AMOUNT["orderId"]: "non-numeric orderPayment",
        BAD_TIME["orderId"]: "missing or unparseable orderStartTime",
        BAD_DECIMALS["orderId"]: "non-numeric orderPayment",
        BAD_MODIFIED["orderId"]: "missing or unparseable modified",
        BAD_QUANTITY["orderId"]: "missing or non-integer item itemTotal",
        "(none)": "missing or malformed orderId",
    }


def test_nothing_lost_raw_equals_facts_plus_quarantine(warehouse: Path) -> None:
    raw_orders = rows(warehouse, "select count(distinct coalesce(_record->>'orderId', _record_hash)) from raw.jd__orders")[0][0]
    facts = rows(warehouse, "select count(*) from audit.fct_orders where channel = 'jd'")[0][0]
    quarantined = rows(warehouse, "select count(*) from quarantine.quarantine_orders where channel = 'jd' and not has_valid_version")[0][0]
    assert (raw_orders, facts, quarantined) == (27, 21, 6)  # 4 after-sale orders added to 23 / 17


# --------------------------------------------------------------------------- refund applications
REFUND_COLUMNS = "refund_amount, is_refunded, has_open_after_sale, paid_amount, is_valid"


def test_partial_refund_approved_after_the_last_order_change(warehouse: Path) -> None:
    # 1234 fen = 12.34 yuan, approved after the order finished: the current version counts it
    assert fact(warehouse, V_DELIVERED["orderId"], f"status, {REFUND_COLUMNS}") == (
        "completed", Decimal("12.34"), True, False, Decimal("100.00"), True)
    stg = rows(warehouse, "select status_native, refund_amount, has_refund, has_open_after_sale from staging.stg_jd__orders "
                          "where channel_order_id = ? order by source_updated_at", [V_DELIVERED["orderId"]])
    # the shipped version (11-21 12:00) saw the application open (applied 08:00, reviewed only on 11-23)
    assert stg == [("WAIT_GOODS_RECEIVE_CONFIRM", Decimal("0.00"), False, True), ("FINISHED_L", Decimal("12.34"), True, False)]
    events = rows(warehouse, """select e.event_type, e.event_at from audit.fct_order_events e join audit.fct_orders o
        using (order_key) where o.channel_order_id = ? and e.event_type in ('refund_requested', 'refunded')
        order by e.event_at""", [V_DELIVERED["orderId"]])
    # the application's own times (docs/refunds.md): applied 11-21 08:00 and approved 11-23 10:00 Beijing — not the
    # updates of the order versions that first showed them (11-21 12:00, 11-22 10:00)
    assert events == [("refund_requested", utc("2024-11-21 00:00:00")), ("refunded", utc("2024-11-23 02:00:00"))]
    assert rows(warehouse, """select l.refund_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key)
        where o.channel_order_id = ?""", [V_DELIVERED["orderId"]]) == [(None,)]  # no per-line split from JD


def test_rejected_application_refunds_nothing(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_REJECTED["orderId"], REFUND_COLUMNS) == (Decimal("0.00"), False, False, Decimal("10.00"), True)


def test_pending_application_is_an_open_after_sale(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PENDING["orderId"], REFUND_COLUMNS) == (Decimal("0.00"), False, True, Decimal("10.00"), True)


def test_review_synced_later_wins(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_REVIEWED_LATER["orderId"], REFUND_COLUMNS) == (
        Decimal("5.50"), True, False, Decimal("10.00"), True)
    assert rows(warehouse, "select status_native, refund_amount, reviewed_at from staging.stg_jd__refund_applies "
                           "where application_id = ?", [APP_LATER_2["id"]]) == [("1", Decimal("5.50"), utc("2024-11-26 01:00:00"))]


def test_cancelled_after_payment_is_not_refunded_twice(warehouse: Path) -> None:
    # the approved cancel-refund application (100.00) is the same money as the cancellation's full refund
    assert fact(warehouse, ORDER_CANCELLED["orderId"], "refund_amount, is_refunded, paid_amount") == (
        Decimal("100.00"), True, Decimal("100.00"))


def test_refunds_never_exceed_paid(warehouse: Path) -> None:
    # approved 8.00 (status 1) + 7.00 (status 5, manual approval) = 15.00 > paid 10.00
    assert fact(warehouse, ORDER_OVER["orderId"], "refund_amount, is_refunded") == (Decimal("10.00"), True)


def test_untypable_application_is_left_out_with_reason(warehouse: Path) -> None:
    assert rows(warehouse, "select quarantine_reason from staging.stg_jd__refund_applies where application_id = ?",
                [APP_BAD["id"]]) == [("non-numeric applyRefundSum",)]
    assert fact(warehouse, ORDER_B["orderId"], "refund_amount, is_refunded") == (Decimal("0.00"), False)
    # ids above 2**53 stay exact text
    ids = {r[0] for r in rows(warehouse, "select application_id from staging.stg_jd__refund_applies")}
    assert APP_PARTIAL["id"] in ids and len(ids) == 9


# --------------------------------------------------------------------------- after-sale services (refunds after shipment)
def test_after_sale_refund_of_a_delivered_order(warehouse: Path) -> None:
    # 23.45 yuan refunded on 11-26, after the order's last change: the current version counts it
    assert fact(warehouse, ORDER_AS_DELIVERED["orderId"], REFUND_COLUMNS) == (
        Decimal("23.45"), True, False, Decimal("100.00"), True)
    assert rows(warehouse, "select status_native, refund_amount, refunded_at, is_open from staging.stg_jd__service_refunds "
                           "where service_id = ?", [AS_DELIVERED["serviceId"]]) == [
        ("13", Decimal("23.45"), utc("2024-11-26 01:00:00"), False)]


def test_open_after_sale_service(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_AS_OPEN["orderId"], REFUND_COLUMNS) == (Decimal("0.00"), False, True, Decimal("10.00"), True)


def test_rejected_after_sale_service_refunds_nothing(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_AS_REJECTED["orderId"], REFUND_COLUMNS) == (
        Decimal("0.00"), False, False, Decimal("10.00"), True)


def test_after_sale_refund_synced_later_adds_to_a_cancel_refund_application(warehouse: Path) -> None:
    # application 200 fen = 2.00 (before shipping) + after-sale 7.00 (refunded at sync 2) = 9.00 of paid 10.00
    assert fact(warehouse, ORDER_AS_LATER["orderId"], REFUND_COLUMNS) == (Decimal("9.00"), True, False, Decimal("10.00"), True)


def test_untypable_after_sale_service_is_left_out_with_reason(warehouse: Path) -> None:
    assert rows(warehouse, "select quarantine_reason from staging.stg_jd__service_refunds where service_id = ?",
                [AS_BAD["serviceId"]]) == [("non-numeric refoundAmount",)]
    assert fact(warehouse, ORDER_B2["orderId"], "refund_amount, is_refunded") == (Decimal("0.00"), False)


def test_untypable_refund_records_reach_quarantine(warehouse: Path) -> None:
    # the two refund records left out above are listed in quarantine with their order, id and reason (rule D3)
    assert sorted(rows(warehouse, "select channel, channel_order_id, record_type, record_id, quarantine_reason "
                                  "from quarantine.quarantine_refunds")) == sorted([
        ("jd", ORDER_B["orderId"], "cancel_refund", APP_BAD["id"], "non-numeric applyRefundSum"),
        ("jd", ORDER_B2["orderId"], "refund_only", AS_BAD["serviceId"], "non-numeric refoundAmount"),
    ])


# --------------------------------------------------------------------------- the after-sale contract (docs/refunds.md)
REFUND_FACT = ("select refund_type, status, status_native, refund_amount, currency, requested_at, refunded_at, refund_date, "
               "channel_line_id, line_number, reason_text from audit.fct_refunds where refund_id = ?")


def test_refund_applications_become_cancel_refunds(warehouse: Path) -> None:
    # 1234 fen → 12.34; approved (status 1) 2024-11-23 10:00 Beijing = 02:00 UTC, refund date the Beijing day
    assert rows(warehouse, REFUND_FACT, [APP_PARTIAL["id"]]) == [
        ("cancel_refund", "refunded", "1", Decimal("12.34"), "CNY", utc("2024-11-21 00:00:00"), utc("2024-11-23 02:00:00"),
         date(2024, 11, 23), None, None, "不想要了")]
    # rejected (2): the amount applied for, never refunded; pending (0): requested
    assert rows(warehouse, REFUND_FACT, [APP_REJECTED["id"]])[0][:4] == ("cancel_refund", "rejected", "2", Decimal("10.00"))
    assert rows(warehouse, REFUND_FACT, [APP_PENDING["id"]])[0][:4] == ("cancel_refund", "requested", "0", Decimal("10.00"))
    # a finance approval (3) and a manual one (5) count as refunded
    assert rows(warehouse, REFUND_FACT, [APP_OVER_2["id"]])[0][:4] == ("cancel_refund", "refunded", "5", Decimal("7.00"))


def test_after_sale_services_become_returns_or_refunds_only(warehouse: Path) -> None:
    # a return (customerExpect 10) refunded 23.45 yuan on 2024-11-26 09:00 Beijing = 01:00 UTC, on the ware's line
    line = f"{ORDER_AS_DELIVERED['orderId']}:100034721569:1"
    assert rows(warehouse, REFUND_FACT, [AS_DELIVERED["serviceId"]]) == [
        ("return_and_refund", "refunded", "13", Decimal("23.45"), "CNY", utc("2024-11-23 01:00:00"),
         utc("2024-11-26 01:00:00"), date(2024, 11, 26), line, 1, "质量问题")]
    # no customerExpect: refund only; status 0 requested, 14 rejected, 1 reviewed → approved (no amount until refunded)
    assert rows(warehouse, REFUND_FACT, [AS_OPEN["serviceId"]])[0][:4] == ("refund_only", "requested", "0", None)
    assert rows(warehouse, REFUND_FACT, [AS_REJECTED["serviceId"]])[0][:4] == ("refund_only", "rejected", "14", None)
    # AS_LATER: approved at sync 1, refunded 7.00 at sync 2 — the latest version
    assert rows(warehouse, REFUND_FACT, [AS_LATER_1["serviceId"]])[0][:4] == ("refund_only", "refunded", "13", Decimal("7.00"))


def test_an_exchange_is_not_a_refund(warehouse: Path) -> None:
    assert rows(warehouse, "select count(*) from audit.fct_refunds where refund_id = ?", [AS_EXCHANGE["serviceId"]]) == [(0,)]
    assert rows(warehouse, "select count(*) from quarantine.quarantine_refunds where record_id = ?", [AS_EXCHANGE["serviceId"]]) == [(0,)]
    # its order: the rejected service only → nothing refunded, nothing open
    assert fact(warehouse, ORDER_AS_REJECTED["orderId"], REFUND_COLUMNS) == (Decimal("0.00"), False, False, Decimal("10.00"), True)


def test_returns_list_the_goods_coming_back(warehouse: Path) -> None:
    # JD's list gives no return waybill, receipt or restock: the row exists, those columns are NULL
    assert rows(warehouse, "select refund_id, refund_status, return_tracking_number, return_carrier, return_received_at, "
                           "is_restocked from audit.fct_returns") == [
        (AS_DELIVERED["serviceId"], "refunded", None, None, None, None)]


def test_every_refund_record_is_a_fact_or_quarantined(warehouse: Path) -> None:
    # 9 applications + 6 services in raw (distinct ids) = 12 facts + 2 quarantined + 1 exchange left out
    raw = rows(warehouse, "select (select count(distinct _record->>'id') from raw.jd__refund_applies)"
                          " + (select count(distinct _record->>'serviceId') from raw.jd__service_refunds)")[0][0]
    facts = rows(warehouse, "select count(*) from audit.fct_refunds where channel = 'jd'")[0][0]
    quarantined = rows(warehouse, "select count(*) from quarantine.quarantine_refunds where channel = 'jd'")[0][0]
    assert (raw, facts, quarantined) == (15, 12, 2)
