"""The canonical rules on Pinduoduo data, each with a hand-computed expected value.

Raw records are written by hand, shaped as tap-pinduoduo emits them (the platform's payload plus the tap's
``shop_id``), landed with the real loader store; the real dbt project is then built once for the module with
Pinduoduo in the channel list (``orderlayer_channels``). dbt runs with its own target and log paths, so this
module never races another dbt invocation over the project's ``target/``.
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

from orderlayer.core.config import Settings
from orderlayer.core.dbt import dbt_vars, project_dir
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store
from tests.support.incremental import one

SHOP = "100200300"
NY_SHOP = "100200399"  # configured with the America/New_York zone


def order(order_sn: str, shop_id: str = SHOP, **overrides: object) -> dict:
    """A Pinduoduo order shaped like shared/channels/pinduoduo.md §6, one line unless overridden."""
    base = {
        "order_sn": order_sn,
        "shop_id": shop_id,
        "order_status": 1,
        "confirm_status": 1,
        "group_status": 1,
        "refund_status": 1,
        "after_sales_status": 0,
        "risk_control_status": 0,
        "trade_type": 0,
        "step_order_info": None,
        "created_time": "2024-11-18 15:55:51",  # 07:55:51 UTC
        "pay_time": "2024-11-18 15:56:00",
        "confirm_time": "2024-11-18 15:56:01",
        "shipping_time": "",
        "receive_time": "",
        "last_ship_time": "2024-11-20 15:56:01",
        "updated_at": "2024-11-18 15:56:40",
        "goods_amount": Decimal("10.0"),
        "discount_amount": Decimal("0.0"),
        "platform_discount": Decimal("0.0"),
        "seller_discount": Decimal("0.0"),
        "capital_free_discount": Decimal("0.0"),
        "order_change_amount": Decimal("0.0"),
        "postage": Decimal("0.0"),
        "pay_amount": Decimal("10.0"),
        "province": "广东省",
        "city": "潮州市",
        "receiver_phone_mask": "1*********5",
        "receiver_name_mask": "王*",
        "receiver_phone": "$Y/YKpKSij9Re$AgAAAAKj5K0Hxyz$0$$",
        "open_address_id": "sha256:0f1e",
        "tracking_number": "",
        "extra_delivery_list": [],
        "item_list": [line(840777314605, "10.0", 1)],
    }
    base.update(overrides)
    return base


def line(sku_id: int, price: str, count: object, name: str = "考勤机") -> dict:
    return {"goods_id": 3956183219, "sku_id": sku_id, "goods_name": name, "goods_price": Decimal(price), "goods_count": count}


# A: two lines 19.99 × 2 + 10.01 = 49.99; coupon 5.00 (shop) + 3.00 (platform); postage 6.00; paid 47.99.
ORDER_A = order(
    "241118-100000000000001",
    order_status=2,
    shipping_time="2024-11-19 10:00:00",
    goods_amount=Decimal("49.99"),
    discount_amount=Decimal("8.0"),
    platform_discount=Decimal("3.0"),
    seller_discount=Decimal("5.0"),
    postage=Decimal("6.0"),
    pay_amount=Decimal("47.99"),
    item_list=[line(840777314601, "19.99", 2), line(840777314602, "10.01", 1)],
)
# B: placed at 00:00:00 Beijing on 2024-11-19 = 16:00:00 UTC on 2024-11-18; B2 one second earlier.
ORDER_B = order("241119-100000000000002", created_time="2024-11-19 00:00:00", pay_time="2024-11-19 00:00:10", updated_at="2024-11-19 00:01:00")
ORDER_B2 = order("241118-100000000000003", created_time="2024-11-18 23:59:59", pay_time="2024-11-19 00:00:10", updated_at="2024-11-19 00:01:00")
# NY: the same instant as B in a shop whose own zone is America/New_York (11:00 on 2024-11-18 there).
ORDER_NY = order("241119-100000000000004", shop_id=NY_SHOP, created_time="2024-11-19 00:00:00", updated_at="2024-11-19 00:01:00")
# Price change: the shop cut 20.00 to 18.00 (order_change_amount 2.00): list value stays 20.00.
ORDER_CHANGE = order(
    "241118-100000000000005", goods_amount=Decimal("18.0"), order_change_amount=Decimal("2.0"), pay_amount=Decimal("18.0"),
    item_list=[line(840777314605, "20.0", 1)],
)
# Deposit presale, deposit only: 50.00 of 200.00 paid, not dealt yet (confirm_status 0).
ORDER_DEPOSIT = order(
    "241118-100000000000006", trade_type=1, confirm_status=0, confirm_time="", last_ship_time="",
    step_order_info={"step_trade_status": 1, "advanced_paid_fee": Decimal("50.0"), "step_paid_fee": Decimal("50.0"), "step_discount_amount": Decimal("0.0")},
    goods_amount=Decimal("200.0"), pay_amount=Decimal("200.0"), item_list=[line(840777314606, "200.0", 1)],
)
# Deposit presale, fully paid: the balance was paid (and the deal made) at 2024-11-20 10:00:00 Beijing.
ORDER_PRESALE_PAID = order(
    "241118-100000000000007", trade_type=1, confirm_time="2024-11-20 10:00:00", updated_at="2024-11-20 10:00:05",
    step_order_info={"step_trade_status": 2, "advanced_paid_fee": Decimal("50.0"), "step_paid_fee": Decimal("200.0"), "step_discount_amount": Decimal("0.0")},
    goods_amount=Decimal("200.0"), pay_amount=Decimal("200.0"), item_list=[line(840777314606, "200.0", 1)],
)
# Refunded before shipping (退款成功), two lines 20.00 + 10.00, paid 30.00: closed, refund 30.00 → lines 20.00 / 10.00.
ORDER_REFUNDED = order(
    "241118-100000000000008", refund_status=4, after_sales_status=10, updated_at="2024-11-19 09:00:00",
    goods_amount=Decimal("30.0"), pay_amount=Decimal("30.0"), item_list=[line(840777314601, "20.0", 1), line(840777314602, "10.0", 1)],
)
# Group failed after 24 h, refunded automatically; first seen cancelled at 2024-11-19 15:56:00 Beijing.
ORDER_GROUP_FAILED = order(
    "241118-100000000000009", confirm_status=2, group_status=2, refund_status=4, confirm_time="", last_ship_time="",
    updated_at="2024-11-19 15:56:00",
)
# Versions: v2 (shipped, updated later) lands first; v1 (awaiting shipment) arrives late and must not win.
ORDER_V2 = order("241118-100000000000010", order_status=2, shipping_time="2024-11-19 08:00:00", updated_at="2024-11-19 08:00:00")
ORDER_V1 = order("241118-100000000000010")
# A refund_status the docs do not list: kept as unknown.
ORDER_UNKNOWN = order("241118-100000000000011", refund_status=9)
# A split shipment: the main waybill plus an extra parcel (and an empty entry).
ORDER_TRACKED = order(
    "241118-100000000000012", order_status=2, shipping_time="2024-11-19 10:00:00", tracking_number="YT7788990011",
    extra_delivery_list=[{"logistics_id": 44, "tracking_number": "SF1234567890"}, {"logistics_id": 44, "tracking_number": ""}],
)
# Received (已签收): completed and delivered at receive_time; an open after-sale on another shipped order.
ORDER_RECEIVED = order("241118-100000000000013", order_status=3, shipping_time="2024-11-19 10:00:00", receive_time="2024-11-21 18:30:00", updated_at="2024-11-21 18:30:00")
ORDER_AFTERSALE = order("241118-100000000000014", order_status=2, shipping_time="2024-11-19 10:00:00", refund_status=2, after_sales_status=3)
# 19999999999.99 yuan as a JSON number (a float prints 19999999999.990002), and a sku id past 2**53.
ORDER_BIG = order(
    "241118-100000000000015", goods_amount=Decimal("19999999999.99"), pay_amount=Decimal("19999999999.99"),
    item_list=[line(9007199254740993, "19999999999.99", 1, "牙刷")],
)
# Shipped per its status, but shipping_time is the empty-string sentinel: typed, flagged.
ORDER_SHIPPED_NO_TIME = order("241118-100000000000016", order_status=2, shipping_time="")
# Quarantine: each cannot be typed.
BAD_AMOUNT = order("241118-100000000009001", pay_amount="abc")
BAD_TIME = order("241118-100000000009002", created_time="2024/11/18 15:55")
BAD_ID = order("2.4111810000000001e+20")
BAD_CENTS = order("241118-100000000009004", pay_amount=Decimal("12.345"))
BAD_COUNT = order("241118-100000000009005", item_list=[line(840777314605, "10.0", Decimal("1.5"))])

RECORDS = [
    ORDER_A, ORDER_B, ORDER_B2, ORDER_NY, ORDER_CHANGE, ORDER_DEPOSIT, ORDER_PRESALE_PAID, ORDER_REFUNDED,
    ORDER_GROUP_FAILED, ORDER_V2, ORDER_UNKNOWN, ORDER_TRACKED, ORDER_RECEIVED, ORDER_AFTERSALE, ORDER_BIG,
    ORDER_SHIPPED_NO_TIME, BAD_AMOUNT, BAD_TIME, BAD_ID, BAD_CENTS, BAD_COUNT,
]


def run_dbt(args: list[str], db: Path, work: Path) -> subprocess.CompletedProcess:
    """dbt on ``db`` with Pinduoduo among the staged channels and the NY shop's zone configured."""
    dbt_vars_ = dbt_vars(Settings(database=db)) | {
        "orderlayer_channels": ["douyin", "pinduoduo"],
        "orderlayer_amount_ceilings": {"default": 100_000_000_000},  # the big-amount orders test exactness above the default ceiling (A5)
        "orderlayer_shops": [{"channel": "pinduoduo", "shop_id": NY_SHOP, "timezone": "America/New_York", "currency": "CNY"}],
    }
    env = {
        **os.environ,
        "ORDERLAYER_DB": str(db),
        "DBT_PROFILES_DIR": str(project_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--vars", json.dumps(dbt_vars_),
    ]
    return subprocess.run(cmd, cwd=project_dir(), env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("pdd_rules")
    db = work / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "pinduoduo", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in RECORDS], ["shop_id", "order_sn"], "updated_at")
    raw.sync_id = "sync-2"
    # the late, older version of ORDER_V and an exact re-send of ORDER_A (must add nothing)
    raw.append("orders", [copy.deepcopy(ORDER_V1), copy.deepcopy(ORDER_A)], ["shop_id", "order_sn"], "updated_at")
    con.close()
    # every model the Pinduoduo staging feeds, and everything those need (seeds, the other staged channel)
    selection = ["--select", "@stg_pinduoduo__orders", "@stg_pinduoduo__order_lines"]
    built = run_dbt(["build", "--resource-type", "seed", "--resource-type", "model", *selection], db, work)
    assert built.returncode == 0, built.stdout[-3000:]
    return db


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, order_sn: str, columns: str) -> tuple:
    return one(db, f"select {columns} from audit.fct_orders where channel_order_id = ?", [order_sn])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_staging_matches_the_douyin_column_contract(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        douyin = rows(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_douyin__{entity}' order by ordinal_position")
        pdd = rows(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_pinduoduo__{entity}' order by ordinal_position")
        assert pdd == douyin and pdd


def test_staging_data_tests_pass(warehouse: Path) -> None:
    # the build's target path: dbt re-uses its parse (same vars), which saves most of the run
    tested = run_dbt(["test", "--select", "stg_pinduoduo__orders", "stg_pinduoduo__order_lines"], warehouse, warehouse.parent)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "PASS=" in tested.stdout and "PASS=0 " not in tested.stdout


def test_order_sn_stays_text_and_keys_the_order(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_A["order_sn"], "channel_order_id, shop_id, order_key, channel")
    assert row == (ORDER_A["order_sn"], SHOP, one(warehouse, f"select md5('pinduoduo|{SHOP}|{ORDER_A['order_sn']}')")[0], "pinduoduo")


def test_yuan_amounts_are_exact(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["order_sn"], "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, tax_amount, paid_amount, currency") == (
        Decimal("49.99"), Decimal("5.00"), Decimal("3.00"), Decimal("6.00"), Decimal("0.00"), Decimal("47.99"), "CNY"
    )
    # the price change is the shop's: list value 20.00, shop discount 2.00, paid 18.00
    assert fact(warehouse, ORDER_CHANGE["order_sn"], "goods_amount, shop_discount_amount, platform_discount_amount, paid_amount") == (
        Decimal("20.00"), Decimal("2.00"), Decimal("0.00"), Decimal("18.00")
    )
    assert fact(warehouse, ORDER_BIG["order_sn"], "paid_amount")[0] == Decimal("19999999999.99")


def test_lines_have_composite_keys_and_sum_exactly(warehouse: Path) -> None:
    got = rows(
        warehouse,
        """select line_number, channel_line_id, sku_id, quantity, unit_price, line_goods_amount, line_discount_amount, line_paid_amount
        from audit.fct_order_lines l join audit.fct_orders o using (order_key) where o.channel_order_id = ? order by line_number""",
        [ORDER_A["order_sn"]],
    )
    # paid 4799 fen × 3998/4999 = 3838.05 → 3838, × 1001/4999 = 960.95 → 960, remainder 1 fen to the larger line;
    # discount 800 × 3998/4999 = 639.8 → 639, × 1001/4999 = 160.2 → 160, remainder 1 fen to the larger line.
    sn = ORDER_A["order_sn"]
    assert got == [
        (1, f"{sn}:840777314601:1", "840777314601", 2, Decimal("19.99"), Decimal("39.98"), Decimal("6.40"), Decimal("38.39")),
        (2, f"{sn}:840777314602:2", "840777314602", 1, Decimal("10.01"), Decimal("10.01"), Decimal("1.60"), Decimal("9.60")),
    ]
    assert one(warehouse, "select sku_id from audit.fct_order_lines where sku_id like '9007%'")[0] == "9007199254740993"


def test_beijing_time_strings_become_utc_and_business_dates(warehouse: Path) -> None:
    ordered_at, paid_at, business_date = fact(warehouse, ORDER_B["order_sn"], "ordered_at, paid_at, business_date")
    assert ordered_at == utc(2024, 11, 18, 16, 0, 0)  # the instant is not shifted
    assert paid_at == utc(2024, 11, 18, 16, 0, 10)
    assert business_date == date(2024, 11, 19)
    assert fact(warehouse, ORDER_B2["order_sn"], "business_date")[0] == date(2024, 11, 18)
    assert fact(warehouse, ORDER_NY["order_sn"], "business_date, shop_local_date") == (date(2024, 11, 19), date(2024, 11, 18))
    promised, = fact(warehouse, ORDER_A["order_sn"], "promised_ship_by")
    assert promised == utc(2024, 11, 20, 7, 56, 1)


def test_presale_deposit_only_is_not_paid(warehouse: Path) -> None:
    row = fact(
        warehouse, ORDER_DEPOSIT["order_sn"],
        "order_type, is_presale, deposit_amount, balance_amount, is_paid, is_valid, paid_at, deposit_paid_at, status",
    )
    assert row == ("presale", True, Decimal("50.00"), Decimal("150.00"), False, False, None, utc(2024, 11, 18, 7, 56, 0), "pending_payment")


def test_presale_fully_paid_when_the_balance_is_paid(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_PRESALE_PAID["order_sn"], "is_paid, is_valid, paid_at, deposit_amount, balance_amount, status")
    assert row == (True, True, utc(2024, 11, 20, 2, 0, 0), Decimal("50.00"), Decimal("150.00"), "paid")


def test_refund_before_shipping_closes_the_order_and_reaches_the_lines(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_REFUNDED["order_sn"], "status, status_native, is_paid, is_shipped, is_refunded, is_cancelled, is_valid, refund_amount")
    assert row == ("cancelled", "os1-cs1-gs1-rs4", True, False, True, True, False, Decimal("30.00"))
    lines = rows(
        warehouse,
        "select l.line_number, l.refund_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key) where o.channel_order_id = ? order by 1",
        [ORDER_REFUNDED["order_sn"]],
    )
    assert lines == [(1, Decimal("20.00")), (2, Decimal("10.00"))]  # 30.00 by list value 20 : 10


def test_failed_group_is_cancelled_at_its_first_cancelled_version(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_GROUP_FAILED["order_sn"], "status, status_native, is_cancelled, is_refunded, cancelled_at")
    assert row == ("cancelled", "os1-cs2-gs2-rs4", True, True, utc(2024, 11, 19, 7, 56, 0))


def test_late_older_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_V2["order_sn"], "status, status_native, is_shipped, shipped_at") == (
        "shipped", "os2-cs1-gs1-rs1", True, utc(2024, 11, 19, 0, 0, 0)
    )
    assert one(warehouse, "select count(*) from raw.pinduoduo__orders where _record->>'order_sn' = ?", [ORDER_V2["order_sn"]])[0] == 2


def test_unknown_composite_is_kept_and_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_UNKNOWN["order_sn"], "status, status_native, quality_flags") == ("unknown", "os1-cs1-gs1-rs9", ["unmapped_status"])


def test_received_order_is_completed_and_open_after_sale_is_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_RECEIVED["order_sn"], "status, is_delivered, delivered_at, completed_at") == (
        "completed", True, utc(2024, 11, 21, 10, 30, 0), utc(2024, 11, 21, 10, 30, 0)
    )
    assert fact(warehouse, ORDER_AFTERSALE["order_sn"], "status, has_open_after_sale, is_refunded") == ("shipped", True, False)
    assert fact(warehouse, ORDER_A["order_sn"], "has_open_after_sale")[0] is False


def test_tracking_numbers_include_split_parcels(warehouse: Path) -> None:
    got = one(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = ?", [ORDER_TRACKED["order_sn"]])
    assert got == (["SF1234567890", "YT7788990011"],)


def test_empty_time_where_the_status_needs_one_is_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_SHIPPED_NO_TIME["order_sn"], "status, is_shipped, shipped_at, quality_flags") == (
        "shipped", True, None, ["shipped_without_shipped_at"]
    )


def test_masks_only_and_the_hashed_address_id(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["order_sn"], "receiver_province, receiver_city, receiver_phone_masked, receiver_name_masked, customer_key") == (
        "广东省", "潮州市", "1*********5", "王*", "sha256:0f1e"
    )


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(rows(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason from quarantine.quarantine_orders"))
    assert reasons == {
        BAD_AMOUNT["order_sn"]: "non-numeric pay_amount",
        BAD_TIME["order_sn"]: "missing or unparseable created_time",
        BAD_ID["order_sn"]: "missing or malformed order_sn",
        BAD_CENTS["order_sn"]: "non-numeric pay_amount",
        BAD_COUNT["order_sn"]: "non-numeric item goods_count",
    }


def test_nothing_lost_raw_equals_facts_plus_quarantine(warehouse: Path) -> None:
    raw_orders = one(warehouse, "select count(distinct _record->>'order_sn') from raw.pinduoduo__orders")[0]
    facts = one(warehouse, "select count(*) from audit.fct_orders where channel = 'pinduoduo'")[0]
    quarantined = one(warehouse, "select count(*) from quarantine.quarantine_orders where not has_valid_version")[0]
    assert (raw_orders, facts, quarantined) == (21, 16, 5)
