"""The canonical rules on TikTok Shop data, each with a hand-computed expected value.

Raw records are written by hand (as the order search returns them, plus the tap's `shop_id`), landed
with the real loader store, and the real dbt project is built on them once for the module with
`orderlayer_channels = [douyin, tiktok_shop]`, in a process whose TZ is America/New_York (rule T5).
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
from tests.support.incremental import one

US_SHOP = "7494105515082810525"  # configured: America/Los_Angeles, USD
VN_SHOP = "7494105515082810527"  # configured: Asia/Ho_Chi_Minh, VND
LOOSE_SHOP = "7494105515082810599"  # no connection: nothing to fall back on for a missing currency
SHOPS = [
    {"channel": "tiktok_shop", "shop_id": US_SHOP, "timezone": "America/Los_Angeles", "currency": "USD"},
    {"channel": "tiktok_shop", "shop_id": VN_SHOP, "timezone": "Asia/Ho_Chi_Minh", "currency": "VND"},
]


def unit(line_id: str, sku: str, original: str, sale: str, status: str = "AWAITING_SHIPMENT", **extra: object) -> dict:
    """One line item = one unit (TikTok has no quantity field)."""
    return {
        "id": line_id, "product_id": "1729385019432113841", "product_name": f"Product {sku[-3:]}", "sku_id": sku,
        "sku_name": "Default", "currency": "USD", "original_price": original, "sale_price": sale,
        "display_status": status, **extra,
    }


def order(order_id: str, shop_id: str = US_SHOP, **overrides: object) -> dict:
    """A paid US order awaiting shipment: one unit at 10.00, no discounts, no shipping, no tax."""
    base = {
        "id": order_id,
        "shop_id": shop_id,
        "status": "AWAITING_SHIPMENT",
        "order_type": "NORMAL",
        "create_time": 1731916551,  # 2024-11-18 07:55:51 UTC
        "update_time": 1731920000,
        "paid_time": 1731916600,
        "user_id": "sha256:buyer",
        "is_buyer_request_cancel": False,
        "recipient_address": {"name": "J***n D***", "phone": "(+1)213*****34", "state": "California", "city": "Los Angeles",
                              "full_address": None},
        "payment": {"currency": "USD", "total_amount": "10.00", "sub_total": "10.00", "original_total_product_price": "10.00",
                    "seller_discount": "0.00", "platform_discount": "0.00", "shipping_fee": "0.00", "original_shipping_fee": "0.00",
                    "shipping_fee_seller_discount": "0.00", "shipping_fee_platform_discount": "0.00"},
        "line_items": [unit(f"{order_id[:-2]}91", "1729385019432179377", "10.00", "10.00")],
    }
    base.update(overrides)
    return base


def payment(**values: str) -> dict:
    return {"currency": "USD", **values}


# A: 2 units of SKU X at 19.99 (seller −2.00 each, platform −1.00 on the first) + 1 unit of SKU Y at 10.01;
# shipping 5.99 with 1.00 off from the seller; tax 3.71. goods 49.99 = 19.99 × 2 + 10.01; shop discount
# 4.00 + 1.00 = 5.00; platform 1.00; paid 44.99 + 4.99 + 3.71 = 53.69 (= 49.99 − 5.00 − 1.00 + 5.99 + 3.71).
ORDER_A = order(
    "576460752303423489",  # 2^59 + 1: a float would print ...488
    status="IN_TRANSIT",
    rts_time=1731990000,
    collection_time=1732000000,
    tracking_number="TT0000000001",
    payment=payment(total_amount="53.69", sub_total="44.99", original_total_product_price="49.99", seller_discount="4.00",
                    platform_discount="1.00", original_shipping_fee="5.99", shipping_fee="4.99",
                    shipping_fee_seller_discount="1.00", shipping_fee_platform_discount="0.00", tax="3.71",
                    product_tax="3.30", shipping_fee_tax="0.41"),
    line_items=[
        unit("576460752303423501", "1729385019432179377", "19.99", "16.99", "IN_TRANSIT", tracking_number="TT0000000001"),
        unit("576460752303423502", "1729385019432179377", "19.99", "17.99", "IN_TRANSIT", tracking_number="TT0000000001"),
        unit("576460752303423503", "9007199254740993", "10.01", "10.01", "IN_TRANSIT", tracking_number="TT0000000001"),
    ],
)
# The sheet's captured Vietnam payload (§9): VND amounts are whole-dong strings.
ORDER_VN = {
    "id": "585058128552559789", "shop_id": VN_SHOP, "status": "COMPLETED",
    "create_time": 1784030587, "update_time": 1786830778, "paid_time": 1784212544, "rts_time": 1784557100,
    "fulfillment_type": "FULFILLMENT_BY_SELLER",
    "payment": {"currency": "VND", "total_amount": "553169", "sub_total": "553169", "original_total_product_price": "921947"},
    "line_items": [{"id": "585058128552625325", "product_id": "1736496376479712503", "sku_id": "sku-1", "sku_name": "M",
                    "sale_price": "553169", "original_price": "921947", "currency": "VND", "display_status": "COMPLETED"}],
}
# Placed at 2024-11-18 16:00:00 UTC = 2024-11-19 00:00 in Beijing (reporting zone) = 08:00 on the 18th in Los Angeles.
ORDER_MIDNIGHT = order("576460752303424001", create_time=1731945600, paid_time=1731945660, update_time=1731945700)
# Pre-order awaiting release, payment not yet captured: presale, not paid, no deposit.
ORDER_PREORDER_HELD = order("576460752303424002", status="ON_HOLD", order_type="PRE_ORDER", release_date=1732500000,
                            paid_time=None, is_on_hold_order=True)
# Pre-order released and paid (captured 2024-11-20 02:00 UTC).
ORDER_PREORDER_PAID = order("576460752303424003", order_type="PRE_ORDER", paid_time=1732068000, update_time=1732154400)
# Buyer cancelled after paying 10.00: refunded in full.
ORDER_CANCELLED_PAID = order("576460752303424004", status="CANCELLED", cancel_time=1732000000, update_time=1732000000,
                             cancellation_initiator="BUYER", is_buyer_request_cancel=True,
                             line_items=[unit("576460752303424091", "1729385019432179377", "10.00", "10.00", "CANCELLED")])
# Never paid, cancelled by the system: no refund, no payment time (absent field = not reached).
ORDER_CANCELLED_UNPAID = order("576460752303424005", status="CANCELLED", paid_time=None, cancel_time=1732003600,
                               update_time=1732003600, cancellation_initiator="SYSTEM")
# Cancelled by the seller at 00:53:20 UTC (cancel_time 1731200000 = 2024-11-10 00:53:20 UTC); the refund settled at
# 04:53:20 (update_time), and that is the first version ever synced: cancelled_at must be the platform's 00:53:20,
# not the 04:53:20 observation.
ORDER_CANCELLED_SYNCED_LATE = order("576460752303424014", status="CANCELLED", create_time=1731196800, paid_time=1731196860,
                                    cancel_time=1731200000, update_time=1731214400, cancellation_initiator="SELLER",
                                    line_items=[unit("576460752303424141", "1729385019432179377", "10.00", "10.00", "CANCELLED")])
# Item-level cancellation: 2 units of one SKU at 9.00 (sale 8.50); one cancelled after payment → refund 8.50.
ORDER_ITEM_CANCEL = order(
    "576460752303424006",
    payment=payment(total_amount="8.50", sub_total="17.00", original_total_product_price="18.00", seller_discount="1.00",
                    platform_discount="0.00", shipping_fee="0.00", original_shipping_fee="0.00"),
    line_items=[unit("576460752303424061", "1729412230564922545", "9.00", "8.50"),
                unit("576460752303424062", "1729412230564922545", "9.00", "8.50", "CANCELLED")],
)
# The buyer asked to cancel; the seller has not answered.
ORDER_CANCEL_REQUESTED = order("576460752303424007", is_buyer_request_cancel=True, request_cancel_time=1731930000)
# Split shipment: one package with the carrier, one not; rts_time only, no collection_time yet.
ORDER_SPLIT = order(
    "576460752303424008", status="PARTIALLY_SHIPPING", rts_time=1731990000, tracking_number="TT0000000012",
    payment=payment(total_amount="20.00", sub_total="20.00", original_total_product_price="20.00"),
    line_items=[unit("576460752303424081", "1729385019432179377", "10.00", "10.00", "IN_TRANSIT", tracking_number="TT0000000012"),
                unit("576460752303424082", "1729412230564922545", "10.00", "10.00", "AWAITING_COLLECTION", tracking_number="TT0000000011"),
                unit("576460752303424083", "1729412230564922545", "10.00", "10.00", "AWAITING_COLLECTION", tracking_number="")],
)
# Shipping arranged, carrier not there yet: ready to ship is not shipped.
ORDER_AWAITING_COLLECTION = order("576460752303424009", status="AWAITING_COLLECTION", rts_time=1731990000)
# Versions: v2 (delivered) lands first, v1 (awaiting shipment) arrives late and must not win; then completed
# (v3) and a later seller note on the completed order (v4): completed_at is v3's update time.
ORDER_V2 = order("576460752303424010", status="DELIVERED", rts_time=1731990000, collection_time=1732000000,
                 delivery_time=1732100000, update_time=1732100000)
ORDER_V1 = order("576460752303424010", update_time=1731920000)
ORDER_V3 = {**ORDER_V2, "status": "COMPLETED", "update_time": 1732700000}
ORDER_V4 = {**ORDER_V3, "update_time": 1732800000, "seller_note": "thanks"}
# Unknown status: kept as unknown.
ORDER_UNKNOWN = order("576460752303424011", status="AWAITING_PICKUP_V2")
# Three units of one SKU are one canonical line with quantity 3.
ORDER_THREE_UNITS = order(
    "576460752303424012",
    payment=payment(total_amount="15.00", sub_total="15.00", original_total_product_price="15.00"),
    line_items=[unit(f"5764607523034241{k}", "1729468112908370097", "5.00", "5.00") for k in (21, 22, 23)],
)
# No payment.currency: the configured shop's connection currency applies.
ORDER_NO_CURRENCY = order("576460752303424013", payment={k: v for k, v in order("0")["payment"].items() if k != "currency"})
# Quarantine: each cannot be typed.
BAD_AMOUNT = order("576460752303429001", payment=payment(total_amount="12,50"))
BAD_TIME = order("576460752303429002", create_time="2024-11-18")
BAD_PRECISION = order("576460752303429003", payment=payment(total_amount="10.005"))
BAD_CURRENCY = order("576460752303429004", payment=payment(total_amount="10.00", currency="US$"))
LOOSE_NO_CURRENCY = order("576460752303429005", shop_id=LOOSE_SHOP, payment={"total_amount": "10.00"})
MISSING_ID = {k: v for k, v in order("576460752303429006").items() if k != "id"}

RECORDS = [
    ORDER_A, ORDER_VN, ORDER_MIDNIGHT, ORDER_PREORDER_HELD, ORDER_PREORDER_PAID, ORDER_CANCELLED_PAID, ORDER_CANCELLED_UNPAID,
    ORDER_ITEM_CANCEL, ORDER_CANCEL_REQUESTED, ORDER_SPLIT, ORDER_AWAITING_COLLECTION, ORDER_V2, ORDER_UNKNOWN, ORDER_THREE_UNITS,
    ORDER_NO_CURRENCY, ORDER_CANCELLED_SYNCED_LATE, BAD_AMOUNT, BAD_TIME, BAD_PRECISION, BAD_CURRENCY, LOOSE_NO_CURRENCY, MISSING_ID,
]


def land(records: list[dict]) -> list[dict]:
    """Drop the None placeholders: the platform omits a time it has not reached."""
    return [{k: v for k, v in copy.deepcopy(r).items() if v is not None} for r in records]


def dbt(args: list[str], db: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ORDERLAYER_DB": str(db),
        "DBT_PROFILES_DIR": str(project_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TZ": "America/New_York",  # rule T5: nothing may depend on the machine's zone
    }
    variables = {"orderlayer_channels": ["douyin", "tiktok_shop"], "orderlayer_shops": SHOPS}
    cmd = [str(Path(sys.executable).with_name("dbt")), *args, "--vars", json.dumps(variables),
           "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(cmd, cwd=project_dir(), env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("tiktok_rules")
    db = tmp / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "tiktok_shop", "test", "sync-1")
    raw.append("orders", land(RECORDS), ["shop_id", "id"], "update_time")
    raw.sync_id = "sync-2"
    # the late, older version, the completed versions, and an exact re-send of ORDER_A (adds nothing)
    raw.append("orders", land([ORDER_V1, ORDER_V3, ORDER_V4, ORDER_A]), ["shop_id", "id"], "update_time")
    con.close()
    selection = ["--select", "@stg_tiktok_shop__orders", "@stg_tiktok_shop__order_lines"]
    built = dbt(["build", *selection, "--resource-type", "seed", "--resource-type", "model"], db, tmp)
    assert built.returncode == 0, built.stdout[-4000:]
    return db


@pytest.fixture(scope="module")
def dbt_dir(warehouse: Path) -> Path:
    """The build's target/log folder: a later dbt call there reuses the parsed project."""
    return warehouse.parent


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, order_id: str, columns: str) -> tuple:
    return one(db, f"select {columns} from audit.fct_orders where channel = 'tiktok_shop' and channel_order_id = ?", [order_id])


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def test_staging_has_exactly_the_douyin_columns_and_types(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        sql = ("select column_name, data_type from information_schema.columns where table_schema = 'staging' "
               "and table_name = ? order by ordinal_position")
        assert rows(warehouse, sql, [f"stg_tiktok_shop__{entity}"]) == rows(warehouse, sql, [f"stg_douyin__{entity}"])


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert one(warehouse, "select count(*) from raw.tiktok_shop__orders")[0] == len(RECORDS) + 3


def test_ids_stay_text_digit_for_digit(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_A["id"], "channel_order_id, shop_id, order_key")
    assert row == ("576460752303423489", US_SHOP, one(warehouse, f"select md5('tiktok_shop|{US_SHOP}|576460752303423489')")[0])
    assert one(warehouse, "select sku_id from audit.fct_order_lines l join audit.fct_orders o using (order_key) "
                          "where o.channel_order_id = ? and line_number = 2", [ORDER_A["id"]])[0] == "9007199254740993"


def test_decimal_string_amounts_are_exact(warehouse: Path) -> None:
    amounts = fact(warehouse, ORDER_A["id"], "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, "
                                             "tax_amount, paid_amount, currency")
    assert amounts == (Decimal("49.99"), Decimal("5.00"), Decimal("1.00"), Decimal("5.99"), Decimal("3.71"), Decimal("53.69"), "USD")
    # VND: whole-dong strings, its own currency (never converted, never summed with USD)
    assert fact(warehouse, ORDER_VN["id"], "paid_amount, goods_amount, currency") == (Decimal("553169.00"), Decimal("921947.00"), "VND")


def test_units_become_lines_and_allocation_sums_exactly(warehouse: Path) -> None:
    lines = rows(warehouse, """select line_number, channel_line_id, sku_id, quantity, unit_price, line_goods_amount,
                                      line_discount_amount, line_paid_amount
                               from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                               where o.channel_order_id = ? order by line_number""", [ORDER_A["id"]])
    # paid 5369 cents × 3998/4999 = 4293.9 → 4293 (+1 remainder cent: largest line), × 1001/4999 = 1075.09 → 1075
    # discount 600 × 3998/4999 = 479.9 → 479 (+1), × 1001/4999 = 120.1 → 120
    assert lines == [
        (1, "576460752303423501", "1729385019432179377", 2, Decimal("19.99"), Decimal("39.98"), Decimal("4.80"), Decimal("42.94")),
        (2, "576460752303423503", "9007199254740993", 1, Decimal("10.01"), Decimal("10.01"), Decimal("1.20"), Decimal("10.75")),
    ]
    three = rows(warehouse, """select quantity, unit_price, line_goods_amount, channel_line_id from audit.fct_order_lines l
                               join audit.fct_orders o using (order_key) where o.channel_order_id = ?""", [ORDER_THREE_UNITS["id"]])
    assert three == [(3, Decimal("5.00"), Decimal("15.00"), "576460752303424121")]


def test_epoch_seconds_to_business_and_shop_local_dates(warehouse: Path) -> None:
    ordered_at, business_date, shop_local_date = fact(warehouse, ORDER_MIDNIGHT["id"], "ordered_at, business_date, shop_local_date")
    assert ordered_at == datetime(2024, 11, 18, 16, 0, 0, tzinfo=timezone.utc)  # the instant is not shifted
    assert business_date == date(2024, 11, 19)  # 00:00 in Beijing (reporting zone)
    assert shop_local_date == date(2024, 11, 18)  # 08:00 in Los Angeles (the shop's zone)


def test_preorder_awaiting_release_is_presale_and_not_paid(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_PREORDER_HELD["id"], "order_type, is_presale, is_paid, is_valid, status, paid_at, "
                                                     "deposit_amount, balance_amount, deposit_paid_at, quality_flags")
    assert row == ("presale", True, False, False, "pending_payment", None, None, None, None, [])
    row = fact(warehouse, ORDER_PREORDER_PAID["id"], "order_type, is_paid, is_valid, status, paid_at")
    assert row == ("presale", True, True, "paid", datetime(2024, 11, 20, 2, 0, tzinfo=timezone.utc))


def test_cancelled_after_payment_is_refunded_in_full(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_CANCELLED_PAID["id"], "status, is_paid, is_cancelled, is_refunded, is_valid, refund_amount, cancelled_at")
    assert row == ("cancelled", True, True, True, False, Decimal("10.00"), utc(1732000000))
    line_refund = one(warehouse, "select l.refund_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key) "
                                 "where o.channel_order_id = ?", [ORDER_CANCELLED_PAID["id"]])[0]
    assert line_refund == Decimal("10.00")


def test_cancelled_at_is_the_platforms_cancel_time_not_the_first_sync(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_CANCELLED_SYNCED_LATE["id"], "status, cancelled_at, cancelled_at_source, source_updated_at")
    assert row == ("cancelled", datetime(2024, 11, 10, 0, 53, 20, tzinfo=timezone.utc), "platform",
                   datetime(2024, 11, 10, 4, 53, 20, tzinfo=timezone.utc))
    # the event log dates the cancellation the same way; the status change stays at the version's update time
    events = rows(warehouse, """select event_type, event_at from audit.fct_order_events e join audit.fct_orders o using (order_key)
                                where o.channel_order_id = ? and event_type in ('cancelled', 'status_changed')
                                order by event_type""", [ORDER_CANCELLED_SYNCED_LATE["id"]])
    assert events == [("cancelled", utc(1731200000))]  # one version only: no status change was observed
    # the buyer's open cancellation request is not a cancellation: no cancel time anywhere
    assert one(warehouse, "select cancelled_at from staging.stg_tiktok_shop__orders where channel_order_id = ?",
               [ORDER_CANCEL_REQUESTED["id"]])[0] is None
    assert fact(warehouse, ORDER_CANCEL_REQUESTED["id"], "cancelled_at, cancelled_at_source") == (None, None)


def test_cancelled_before_payment(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_CANCELLED_UNPAID["id"], "status, is_paid, paid_at, refund_amount, is_refunded, quality_flags")
    assert row == ("cancelled", False, None, Decimal("0.00"), False, [])


def test_item_level_cancellation_refunds_the_unit(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_ITEM_CANCEL["id"], "status, is_cancelled, is_refunded, refund_amount, status_native")
    assert row == ("paid", False, True, Decimal("8.50"), "AWAITING_SHIPMENT")
    assert one(warehouse, "select status_detail_native from staging.stg_tiktok_shop__orders where channel_order_id = ?",
               [ORDER_ITEM_CANCEL["id"]])[0] == "AWAITING_SHIPMENT,CANCELLED"
    line = one(warehouse, "select l.quantity, l.line_goods_amount, l.refund_amount from audit.fct_order_lines l "
                          "join audit.fct_orders o using (order_key) where o.channel_order_id = ?", [ORDER_ITEM_CANCEL["id"]])
    assert line == (2, Decimal("18.00"), Decimal("8.50"))


def test_open_cancel_request_is_an_open_after_sale(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_CANCEL_REQUESTED["id"], "has_open_after_sale, status, is_valid") == (True, "paid", True)
    assert fact(warehouse, ORDER_CANCELLED_PAID["id"], "has_open_after_sale")[0] is False  # answered: cancelled


def test_shipping_follows_the_carrier_handover(warehouse: Path) -> None:
    split = fact(warehouse, ORDER_SPLIT["id"], "status, is_shipped, shipped_at")
    assert split == ("shipped", True, utc(1731990000))  # past collection: rts_time is the ship time
    tracking = one(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = ?", [ORDER_SPLIT["id"]])[0]
    assert tracking == ["TT0000000011", "TT0000000012"]  # distinct, sorted, the empty one ignored
    waiting = fact(warehouse, ORDER_AWAITING_COLLECTION["id"], "status, is_shipped, shipped_at, quality_flags")
    assert waiting == ("paid", False, None, [])
    assert fact(warehouse, ORDER_A["id"], "shipped_at")[0] == utc(1732000000)  # collection_time wins over rts_time


def test_late_older_version_never_wins_and_completion_is_first_seen(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_V2["id"], "status, status_native, delivered_at, completed_at, source_updated_at, quality_flags")
    assert row == ("completed", "COMPLETED", utc(1732100000), utc(1732700000), utc(1732800000), [])
    assert one(warehouse, "select count(*) from audit.fct_orders where channel_order_id = ?", [ORDER_V2["id"]])[0] == 1
    events = rows(warehouse, """select event_type, event_at, status_before, status_after from audit.fct_order_events e
                                join audit.fct_orders o using (order_key) where o.channel_order_id = ?
                                and event_type = 'status_changed' order by event_at""", [ORDER_V2["id"]])
    assert events == [("status_changed", utc(1732100000), "paid", "delivered"), ("status_changed", utc(1732700000), "delivered", "completed")]


def test_unknown_status_is_kept_and_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_UNKNOWN["id"], "status, status_native, quality_flags") == ("unknown", "AWAITING_PICKUP_V2", ["unmapped_status"])


def test_missing_currency_takes_the_connections(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_NO_CURRENCY["id"], "currency, paid_amount") == ("USD", Decimal("10.00"))


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(rows(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason from quarantine.quarantine_orders "
                                   "where channel = 'tiktok_shop'"))
    assert reasons == {
        BAD_AMOUNT["id"]: "non-numeric payment.total_amount",
        BAD_TIME["id"]: "missing or unparseable create_time",
        BAD_PRECISION["id"]: "non-numeric payment.total_amount",  # 3 decimals would be rounded: never
        BAD_CURRENCY["id"]: "malformed payment.currency",
        LOOSE_NO_CURRENCY["id"]: "missing payment.currency (and the connection sets no currency)",
        "(none)": "missing or malformed id",
    }


def test_nothing_lost_raw_equals_facts_plus_quarantine(warehouse: Path) -> None:
    raw_orders = one(warehouse, "select count(distinct coalesce(_record->>'id', _record_hash)) from raw.tiktok_shop__orders")[0]
    facts = one(warehouse, "select count(*) from audit.fct_orders where channel = 'tiktok_shop'")[0]
    quarantined = one(warehouse, "select count(*) from quarantine.quarantine_orders where channel = 'tiktok_shop' and not has_valid_version")[0]
    assert (raw_orders, facts, quarantined) == (len(RECORDS), len(RECORDS) - 6, 6)


def test_data_tests_pass(warehouse: Path, dbt_dir: Path) -> None:
    """The staging and mart data tests (uniqueness, line totals = order totals, contracts) on this data."""
    selection = ["stg_tiktok_shop__orders", "stg_tiktok_shop__order_lines", "fct_orders", "fct_order_lines", "map_order_ids",
                 "quarantine_orders", "integrity_daily_totals"]
    result = dbt(["test", "--select", *selection, "--exclude-resource-type", "unit_test"], warehouse, dbt_dir)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "PASS=" in result.stdout
