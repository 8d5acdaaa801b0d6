"""The canonical rules on Youzan data, each with a hand-computed expected value.

Raw records are written by hand as tap-youzan emits them (the platform's ``full_order_info`` plus the tap's
top-level kdt_id / tid / update_time), landed with the real loader store, and the real dbt project is built
on them once for the module with Youzan among the staged channels.
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

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

ROOT = Path(__file__).resolve().parents[2]
SHOP = "42971327"
NY_SHOP = "42979999"  # configured with the America/New_York zone
# the big-amount orders test exactness above the default ceiling (A5)
CHANNELS = {"orderlayer_channels": ["douyin", "youzan"], "orderlayer_amount_ceilings": {"default": 100_000_000_000}}


def line(oid: str, price: str | Decimal, num: int, payment: str | Decimal, **extra: object) -> dict:
    return {"oid": oid, "item_id": 1109844007, "sku_id": 28710011, "title": f"商品 {oid[-3:]}", "num": num,
            "price": price, "payment": payment, "pre_sale_type": "", "is_pre_sale": "0", **extra}


def order(tid: str, shop: str = SHOP, **kw: object) -> dict:
    """A record as tap-youzan emits it: full_order_info (fact sheet §3) with kdt_id/tid/update_time on top."""
    update_time = kw.pop("update_time", "2024-11-18 15:56:40")
    info = {
        "tid": tid, "status": kw.pop("status", "WAIT_SELLER_SEND_GOODS"), "type": 0,
        "created": kw.pop("created", "2024-11-18 15:55:51"),  # = 2024-11-18 07:55:51 UTC
        "update_time": update_time,
        "pay_time": kw.pop("pay_time", "2024-11-18 15:56:00"),
        "consign_time": kw.pop("consign_time", ""), "success_time": kw.pop("success_time", ""),
        "refund_state": kw.pop("refund_state", 0), "close_type": kw.pop("close_type", 0),
        "order_tags": {"is_down_payment_pre": kw.pop("is_down_payment_pre", False), "is_feedback": False},
    }
    pay = {"total_fee": kw.pop("total_fee", "10.00"), "post_fee": kw.pop("post_fee", "0.00"), "payment": kw.pop("payment", "10.00")}
    if "phases" in kw:
        pay["phase_payments"] = kw.pop("phases")
    record = {
        "kdt_id": shop, "tid": tid, "update_time": update_time,
        "order_info": info,
        "buyer_info": {"buyer_id": "sha256:buyer-1", "buyer_phone": None, "fans_id": "sha256:fans-1"},
        "pay_info": pay,
        "address_info": {
            "receiver_name": kw.pop("receiver_name", "张*"), "receiver_tel": kw.pop("receiver_tel", "138****1234"),
            "delivery_province": "浙江省", "delivery_city": "杭州市", "delivery_address": None,
            **({"delivery_end_time": kw.pop("delivery_end_time")} if "delivery_end_time" in kw else {}),
        },
        "orders": kw.pop("lines", [line(tid[-6:] + "0001", "10.00", 1, "10.00")]),
    }
    if kw:
        raise TypeError(f"unknown fields {sorted(kw)}")
    return record


# A: two lines, goods 19.99×2 + 10.01 = 49.99; freight 6.00; paid 47.99 → discounts 8.00 (all shop-funded).
ORDER_A = order("E20241118155551000000001", status="WAIT_BUYER_CONFIRM_GOODS", consign_time="2024-11-19 09:30:00",
                total_fee="49.99", post_fee="6.00", payment="47.99",
                lines=[line("2917181375781500001", "19.99", 2, "33.59"), line("2917181375781500002", "10.01", 1, "8.40")])
# B: created 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC (the UTC date is a day earlier).
ORDER_B = order("E20241119000000000000002", created="2024-11-19 00:00:00", pay_time="2024-11-19 00:01:00",
                update_time="2024-11-19 00:01:40")
# B2: one second earlier, 23:59:59 Beijing on 2024-11-18.
ORDER_B2 = order("E20241118235959000000003", created="2024-11-18 23:59:59", pay_time="2024-11-19 00:01:00",
                 update_time="2024-11-19 00:01:40")
# NY: the same instant as B, in a shop whose own zone is America/New_York (11:00 on 2024-11-18 there).
ORDER_NY = order("E20241119000000000000004", shop=NY_SHOP, created="2024-11-19 00:00:00", update_time="2024-11-19 00:01:40")
# BIG: amounts as JSON numbers (Decimal on the wire); an item id above 2**53; sku_id 0 = item without specs.
ORDER_BIG = order("E20241118155551000000005", total_fee=Decimal("1999999999.99"), payment=Decimal("1999999999.99"),
                  post_fee=Decimal("0.00"),
                  lines=[line("2917181375781500005", Decimal("1999999999.99"), 1, Decimal("1999999999.99"),
                              item_id=9007199254740993, sku_id=0)])
# Presale, deposit only: deposit 50.00 paid (fen 5000), balance 150.00 open; pay_time is the deposit's.
ORDER_DEPOSIT = order("E20241118155551000000006", status="WAIT_BUYER_PAY", is_down_payment_pre=True, total_fee="200.00",
                      payment="200.00", lines=[line("2917181375781500006", "200.00", 1, "200.00", pre_sale_type="1", is_pre_sale="1")],
                      phases=[{"phase": 1, "real_price": 5000, "inner_transaction_no": "T6-1", "outer_transaction_no": "4200006"},
                              {"phase": 2, "real_price": 15000, "inner_transaction_no": "", "outer_transaction_no": ""}])
# Presale, fully paid: the balance paid 2024-11-20 10:00:00 Beijing = 02:00 UTC, when the order became paid.
ORDER_PRESALE_PAID = order("E20241118155551000000007", status="WAIT_SELLER_SEND_GOODS", is_down_payment_pre=True,
                           pay_time="2024-11-20 10:00:00", update_time="2024-11-20 10:00:00", total_fee="200.00",
                           payment="200.00", lines=[line("2917181375781500007", "200.00", 1, "200.00", pre_sale_type="1")],
                           phases=[{"phase": 1, "real_price": 5000, "inner_transaction_no": "T7-1"},
                                   {"phase": 2, "real_price": 15000, "inner_transaction_no": "T7-2"}])
# Presale whose phase_payments is one object (the SDK's shape): deposit 30.00 paid, no balance phase listed.
ORDER_PHASE_OBJECT = order("E20241118155551000000008", status="WAIT_BUYER_PAY", total_fee="120.00", payment="120.00",
                           lines=[line("2917181375781500008", "120.00", 1, "120.00", pre_sale_type="1")],
                           phases={"phase": 1, "real_price": 3000, "inner_transaction_no": "T8-1"})
# Versions: v2 (shipped, updated later) lands first; v1 (awaiting shipment) arrives late and must not win.
ORDER_V2 = order("E20241118155551000000009", status="WAIT_BUYER_CONFIRM_GOODS", consign_time="2024-11-19 12:20:00",
                 update_time="2024-11-19 12:20:00")
ORDER_V1 = order("E20241118155551000000009", status="WAIT_SELLER_SEND_GOODS", update_time="2024-11-18 15:56:40")
ORDER_UNKNOWN = order("E20241118155551000000010", status="TRADE_SOMETHING_NEW")
# Cancelled before payment (expired, close_type 1); pay_time '' is the platform's "never".
ORDER_CANCELLED = order("E20241118155551000000011", status="TRADE_CLOSED", pay_time="", close_type=1,
                        update_time="2024-11-21 10:00:00")
# Paid, fully refunded before shipping (refund_state 12) and closed.
ORDER_REFUNDED = order("E20241118155551000000012", status="TRADE_CLOSED", refund_state=12, close_type=2,
                       update_time="2024-11-19 08:00:00")
# Received, then line 2 refunded; the per-line refund_state says which line (50.00 paid, 20.00 back).
ORDER_PARTIAL = order("E20241118155551000000013", status="TRADE_SUCCESS", refund_state=2,
                      consign_time="2024-11-19 09:00:00", success_time="2024-11-22 09:00:00", update_time="2024-11-23 09:00:00",
                      total_fee="50.00", payment="50.00",
                      lines=[line("2917181375781500131", "30.00", 1, "30.00", refund_state=0),
                             line("2917181375781500132", "20.00", 1, "20.00", refund_state=12)])
# The same without per-line states: refunded, amount unknown in this API.
ORDER_PARTIAL_NO_LINES = order("E20241118155551000000014", status="TRADE_SUCCESS", refund_state=2,
                               consign_time="2024-11-19 09:00:00", success_time="2024-11-22 09:00:00")
# Shipped with a full refund requested (11): an open after-sale.
ORDER_REFUNDING = order("E20241118155551000000015", status="WAIT_BUYER_CONFIRM_GOODS", refund_state=11,
                        consign_time="2024-11-19 09:00:00")
# Self pick-up, completed: no consign_time, and that is no defect.
ORDER_PICKUP = order("E20241118155551000000016", status="TRADE_SUCCESS", success_time="2024-11-19 18:00:00")
# Shipped per its status, but consign_time is the sentinel 0000-00-00 00:00:00: typed, flagged.
ORDER_SHIPPED_NO_TIME = order("E20241118155551000000017", status="WAIT_BUYER_CONFIRM_GOODS", consign_time="0000-00-00 00:00:00")
# Same-city delivery promised by 2024-11-18 18:30 Beijing; a receiver phone that is not a mask.
ORDER_SAME_CITY = order("E20241118155551000000018", delivery_end_time="2024-11-18 18:30:00", receiver_tel="13812345678",
                        receiver_name="张三")
# An integer amount (the one third-party mock sends 9900): yuan by default → 9900.00.
ORDER_INTEGER_AMOUNT = order("E20241118155551000000019", total_fee=9900, post_fee=0, payment=9900, lines=[line("2917181375781500019", 9900, 1, 9900)])
# Quarantine: each cannot be typed.
BAD_AMOUNT = order("E20241118155551000009001", payment="abc")
BAD_TIME = order("E20241118155551000009002", created="2024/11/18 15:55")
BAD_YUAN = order("E20241118155551000009003", payment="12.345")  # three decimals
BAD_PHASE = order("E20241118155551000009004", status="WAIT_BUYER_PAY", phases=[{"phase": 1, "real_price": "12.5"}])
MISSING_TID = order("E20241118155551000009005")
del MISSING_TID["tid"], MISSING_TID["order_info"]["tid"]

RECORDS = [
    ORDER_A, ORDER_B, ORDER_B2, ORDER_NY, ORDER_BIG, ORDER_DEPOSIT, ORDER_PRESALE_PAID, ORDER_PHASE_OBJECT, ORDER_V2,
    ORDER_UNKNOWN, ORDER_CANCELLED, ORDER_REFUNDED, ORDER_PARTIAL, ORDER_PARTIAL_NO_LINES, ORDER_REFUNDING, ORDER_PICKUP,
    ORDER_SHIPPED_NO_TIME, ORDER_SAME_CITY, ORDER_INTEGER_AMOUNT, BAD_AMOUNT, BAD_TIME, BAD_YUAN, BAD_PHASE, MISSING_TID,
]


def dbt_build(db: Path, work: Path, dbt_vars: dict, select: tuple[str, ...] = ("@stg_youzan__orders", "@stg_youzan__order_lines")) -> None:
    """`dbt build` of ``select`` (default: everything Youzan's staging feeds, and its inputs) on ``db``, with
    private target/log paths (other sessions build the same project at the same time)."""
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(ROOT)}
    cmd = [str(Path(sys.executable).with_name("dbt")), "build", "--select", *select,
           "--vars", json.dumps(dbt_vars), "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]


def land(db: Path, records: list[dict], *, late: list[dict] = ()) -> None:
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "youzan", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in records], ["kdt_id", "tid"], "update_time")
    if late:
        raw.sync_id = "sync-2"
        raw.append("orders", [copy.deepcopy(r) for r in late], ["kdt_id", "tid"], "update_time")
    con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("youzan_rules")
    db = work / "rules.duckdb"
    # the late, older version of ORDER_V and an exact re-send of ORDER_A (must add nothing)
    land(db, RECORDS, late=[ORDER_V1, ORDER_A])
    shops = [{"channel": "youzan", "shop_id": SHOP, "timezone": "Asia/Shanghai", "currency": "CNY"},
             {"channel": "youzan", "shop_id": NY_SHOP, "timezone": "America/New_York", "currency": "CNY"}]
    dbt_build(db, work, {**CHANNELS, "orderlayer_shops": shops})
    return db


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, tid: str, columns: str) -> tuple:
    rows = query(db, f"select {columns} from audit.fct_orders where channel = 'youzan' and channel_order_id = ?", [tid])
    assert len(rows) == 1, rows
    return rows[0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_staging_has_the_douyin_columns_and_types(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        cols = {
            channel: query(warehouse, "select column_name, data_type from information_schema.columns where table_schema = "
                           "'staging' and table_name = ? order by ordinal_position", [f"stg_{channel}__{entity}"])
            for channel in ("douyin", "youzan")
        }
        assert cols["youzan"] and cols["youzan"] == cols["douyin"]


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert query(warehouse, "select count(*) from raw.youzan__orders")[0][0] == len(RECORDS) + 1  # + the late v1


def test_ids_stay_text(warehouse: Path) -> None:
    row = fact(warehouse, ORDER_A["tid"], "channel_order_id, shop_id, order_key")
    assert row == (ORDER_A["tid"], SHOP, query(warehouse, f"select md5('youzan|{SHOP}|{ORDER_A['tid']}')")[0][0])
    lines = query(warehouse, "select l.channel_line_id, l.sku_id from audit.fct_order_lines l join audit.fct_orders o "
                  "using (order_key) where o.channel_order_id = ?", [ORDER_BIG["tid"]])
    assert lines == [("2917181375781500005", "9007199254740993")]  # sku 0 → the item id, digit for digit


def test_yuan_amounts_are_exact(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["tid"], "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, "
                "tax_amount, paid_amount, currency") == (
        Decimal("49.99"), Decimal("8.00"), Decimal("0.00"), Decimal("6.00"), Decimal("0.00"), Decimal("47.99"), "CNY")
    assert fact(warehouse, ORDER_BIG["tid"], "paid_amount, goods_amount") == (Decimal("1999999999.99"), Decimal("1999999999.99"))
    assert fact(warehouse, ORDER_INTEGER_AMOUNT["tid"], "paid_amount")[0] == Decimal("9900.00")


def test_lines_allocation_sums_exactly(warehouse: Path) -> None:
    rows = query(warehouse, """select line_number, channel_line_id, quantity, unit_price, line_goods_amount,
        line_discount_amount, line_paid_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key)
        where o.channel_order_id = ? order by line_number""", [ORDER_A["tid"]])
    # paid 4799 fen × 3998/4999 → 3838, × 1001/4999 → 960, remainder 1 fen to the larger line;
    # discount 800 × 3998/4999 → 639, × 1001/4999 → 160, remainder 1 fen to the larger line.
    assert rows == [
        (1, "2917181375781500001", 2, Decimal("19.99"), Decimal("39.98"), Decimal("6.40"), Decimal("38.39")),
        (2, "2917181375781500002", 1, Decimal("10.01"), Decimal("10.01"), Decimal("1.60"), Decimal("9.60")),
    ]


def test_beijing_strings_become_utc_and_dates_follow_the_zones(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_B["tid"], "ordered_at, business_date") == (utc(2024, 11, 18, 16), date(2024, 11, 19))
    assert fact(warehouse, ORDER_B2["tid"], "business_date")[0] == date(2024, 11, 18)
    assert fact(warehouse, ORDER_NY["tid"], "business_date, shop_local_date") == (date(2024, 11, 19), date(2024, 11, 18))
    assert fact(warehouse, ORDER_A["tid"], "ordered_at, paid_at, shipped_at") == (
        utc(2024, 11, 18, 7, 55, 51), utc(2024, 11, 18, 7, 56), utc(2024, 11, 19, 1, 30))
    assert fact(warehouse, ORDER_SAME_CITY["tid"], "promised_delivery_by")[0] == utc(2024, 11, 18, 10, 30)


def test_presale_deposit_only_is_not_paid(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_DEPOSIT["tid"], "order_type, is_presale, deposit_amount, balance_amount, is_paid, is_valid, "
                "paid_at, deposit_paid_at, status") == (
        "presale", True, Decimal("50.00"), Decimal("150.00"), False, False, None, utc(2024, 11, 18, 7, 56), "pending_payment")


def test_presale_fully_paid_when_balance_paid(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PRESALE_PAID["tid"], "is_paid, is_valid, paid_at, deposit_amount, balance_amount, status") == (
        True, True, utc(2024, 11, 20, 2), Decimal("50.00"), Decimal("150.00"), "paid")


def test_presale_phase_payments_as_one_object(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PHASE_OBJECT["tid"], "is_presale, deposit_amount, balance_amount, is_paid") == (
        True, Decimal("30.00"), None, False)


def test_late_older_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_V2["tid"], "status, status_native, is_shipped, source_updated_at") == (
        "shipped", "WAIT_BUYER_CONFIRM_GOODS", True, utc(2024, 11, 19, 4, 20))


def test_unknown_status_is_kept(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_UNKNOWN["tid"], "status, status_native, quality_flags") == (
        "unknown", "TRADE_SOMETHING_NEW", ["unmapped_status"])


def test_cancelled_before_payment(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_CANCELLED["tid"], "status, is_paid, paid_at, cancelled_at, is_valid, quality_flags") == (
        "cancelled", False, None, utc(2024, 11, 21, 2), False, [])


def test_refunds(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_REFUNDED["tid"], "status, is_paid, is_refunded, is_cancelled, is_valid, refund_amount") == (
        "cancelled", True, True, True, False, Decimal("10.00"))
    assert fact(warehouse, ORDER_PARTIAL["tid"], "status, is_refunded, refund_amount, is_valid") == (
        "completed", True, Decimal("20.00"), True)
    refunds = query(warehouse, "select l.line_number, l.refund_amount from audit.fct_order_lines l join audit.fct_orders o "
                    "using (order_key) where o.channel_order_id = ? order by 1", [ORDER_PARTIAL["tid"]])
    assert refunds == [(1, Decimal("0.00")), (2, Decimal("20.00"))]
    assert fact(warehouse, ORDER_PARTIAL_NO_LINES["tid"], "is_refunded, refund_amount") == (True, Decimal("0.00"))
    assert fact(warehouse, ORDER_REFUNDING["tid"], "has_open_after_sale, is_refunded, status") == (True, False, "shipped")


def test_self_pickup_completed_without_shipping_is_clean(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PICKUP["tid"], "status, is_shipped, is_delivered, completed_at, quality_flags") == (
        "completed", False, True, utc(2024, 11, 19, 10), [])


def test_sentinel_where_a_time_is_required_is_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_SHIPPED_NO_TIME["tid"], "status, is_shipped, shipped_at, quality_flags") == (
        "shipped", True, None, ["shipped_without_shipped_at"])


def test_only_masks_and_hashes_reach_the_facts(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["tid"], "receiver_phone_masked, receiver_name_masked, receiver_province, customer_key") == (
        "138****1234", "张*", "浙江省", "sha256:buyer-1")
    assert fact(warehouse, ORDER_SAME_CITY["tid"], "receiver_phone_masked, receiver_name_masked") == (None, None)
    dumped = query(warehouse, "select string_agg(cast(columns(*) as varchar), '|') from audit.fct_orders")
    assert "13812345678" not in str(dumped) and "张三" not in str(dumped)


def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(query(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason "
                         "from quarantine.quarantine_orders where channel = 'youzan'"))
    assert reasons == {
        BAD_AMOUNT["tid"]: "non-numeric payment",
        BAD_TIME["tid"]: "missing or unparseable created",
        BAD_YUAN["tid"]: "non-numeric payment",
        BAD_PHASE["tid"]: "non-numeric phase real_price",
        "(none)": "missing or malformed tid",
    }


def test_nothing_lost_raw_equals_facts_plus_quarantine(warehouse: Path) -> None:
    raw = query(warehouse, "select count(distinct coalesce(_record->>'tid', _record_hash)) from raw.youzan__orders")[0][0]
    facts = query(warehouse, "select count(*) from audit.fct_orders where channel = 'youzan'")[0][0]
    lost = query(warehouse, "select count(*) from quarantine.quarantine_orders where channel = 'youzan' and not has_valid_version")[0][0]
    assert (raw, facts, lost) == (len(RECORDS), len(RECORDS) - 5, 5)


def test_events_of_versions_and_refunds(warehouse: Path) -> None:
    def events(tid: str) -> list[tuple]:
        return query(warehouse, """select e.event_type, e.event_at, e.status_before, e.status_after
            from audit.fct_order_events e join audit.fct_orders o using (order_key)
            where o.channel_order_id = ? order by e.event_at, e.event_type""", [tid])

    # v1 (awaiting shipment) arrived after v2 (shipped): created → paid → shipped, one change paid → shipped
    assert events(ORDER_V2["tid"]) == [
        ("created", utc(2024, 11, 18, 7, 55, 51), None, "pending_payment"),
        ("paid", utc(2024, 11, 18, 7, 56), None, "paid"),
        ("shipped", utc(2024, 11, 19, 4, 20), None, "shipped"),
        ("status_changed", utc(2024, 11, 19, 4, 20), "paid", "shipped"),
    ]
    assert events(ORDER_CANCELLED["tid"]) == [
        ("created", utc(2024, 11, 18, 7, 55, 51), None, "pending_payment"),
        ("cancelled", utc(2024, 11, 21, 2), None, "cancelled"),
    ]


def test_unconfirmed_units_are_dbt_vars(tmp_path: Path) -> None:
    """youzan_amount_unit=fen reads integers as fen and sends yuan decimals to quarantine instead of scaling them."""
    db = tmp_path / "fen.duckdb"
    land(db, [ORDER_A, ORDER_INTEGER_AMOUNT])
    dbt_build(db, tmp_path, {**CHANNELS, "youzan_amount_unit": "fen", "youzan_discounts_funded_by": "platform"},
              select=("stg_youzan__orders",))
    rows = dict((tid, rest) for tid, *rest in query(db, "select channel_order_id, quarantine_reason, paid_amount, "
                                                   "platform_discount_amount from staging.stg_youzan__orders"))
    assert rows[ORDER_INTEGER_AMOUNT["tid"]] == [None, Decimal("99.00"), Decimal("0.00")]
    assert rows[ORDER_A["tid"]][0] == "non-numeric payment"
