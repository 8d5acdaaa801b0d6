"""The canonical rules on Taobao / Tmall data, each with a hand-computed expected value.

Raw trades are written by hand (as TOP sends them, after tap-taobao's id and personal-data handling), landed
with the real loader store in a fresh DuckDB, and the real dbt project is built on them once for the module:
``dbt build --select @stg_taobao__orders ...`` with ``orderlayer_channels = [douyin, taobao]`` (target and log
paths in a temp dir, so parallel runs do not share dbt's ``target/``).
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
from tests.support.incremental import one

ROOT = Path(os.environ.get("ORDERLAYER_PROJECT_DIR") or Path(__file__).resolve().parents[2])
SHOP = "573001"
NY_SHOP = "573009"  # configured with the America/New_York zone


def trade(tid: str | int, shop_id: str = SHOP, lines: list[dict] | None = None, **overrides: object) -> dict:
    """A trade shaped like shared/channels/taobao.md §5/§6, one sub-order unless overridden."""
    base = {
        "tid": tid,
        "shop_id": shop_id,
        "type": "fixed",
        "status": "WAIT_SELLER_SEND_GOODS",
        "created": "2024-11-18 15:55:51",  # = 07:55:51 UTC
        "pay_time": "2024-11-18 15:56:00",
        "modified": "2024-11-18 15:56:40",
        "payment": "10.00",
        "total_fee": "10.00",
        "post_fee": "0.00",
        "discount_fee": "0.00",
        "seller_nick": "山野茶舍",
        "buyer_open_uid": "sha256:abc",
        "receiver_state": "浙江省",
        "receiver_city": "杭州市",
        "receiver_district": "西湖区",
        "receiver_name": "张**",
        "receiver_mobile": "138****1234",
        "orders": {"order": lines if lines is not None else [sub(str(tid), "10.00", 1, "10.00")]},
    }
    base.update(overrides)
    return base


def sub(oid: str, price: str, num: int, payment: str, **extra: object) -> dict:
    return {
        "oid": oid,
        "num_iid": 559884639463,
        "sku_id": f"39517382{num:05d}",
        "title": f"item {oid[-3:]}",
        "num": num,
        "price": price,
        "payment": payment,
        "refund_status": "NO_REFUND",
        "seller_type": "C",
        "status": "WAIT_SELLER_SEND_GOODS",
        **extra,
    }


# The fact sheet's real trade (§6, from a public PHP integration), plus `created`, `total_fee` and
# `discount_fee`, which that captured dump does not show.
REAL = trade(
    "227668460417201790",
    type="fixed",
    status="TRADE_FINISHED",
    created="2018-09-27 19:54:20",
    pay_time="2018-09-27 19:54:34",
    modified="2018-10-23 10:31:20",
    payment="148.00",
    total_fee="160.00",
    discount_fee="20.00",
    post_fee="8.00",
    orders={"order": [{
        "adjust_fee": "0.00", "buyer_rate": True, "cid": 50021631, "consign_time": "2018-09-28 10:21:38",
        "discount_fee": "20.00", "divide_order_fee": "140.00", "end_time": "2018-10-08 10:21:44",
        "invoice_no": "048929553270", "is_daixiao": False, "logistics_company": "顺丰速运", "num": 1,
        "num_iid": 559884639463, "oid": "227668460417201790", "outer_iid": "06-18-08", "payment": "148.00",
        "price": "160.00", "refund_status": "NO_REFUND", "seller_rate": True, "seller_type": "C",
        "shipping_type": "express", "status": "TRADE_FINISHED", "title": "潍柴发动机专用停机断油熄火电磁阀", "total_fee": "140.00",
    }]},
    end_time="2018-10-08 10:21:44",
    consign_time="2018-09-28 10:21:38",
)
# Two lines: goods 2 × 59.00 + 89.00 = 207.00, shop discount 20.00, paid 187.00; line 1 refunded.
TWO_LINES = trade(
    "227668460417201801",
    status="TRADE_FINISHED",
    end_time="2024-11-25 10:00:00",
    consign_time="2024-11-19 09:00:00",
    payment="187.00",
    total_fee="207.00",
    discount_fee="20.00",
    lines=[
        sub("327668460417201802", "59.00", 2, "106.60", refund_status="SUCCESS", invoice_no="SF1234567890"),
        sub("327668460417201803", "89.00", 1, "80.40", invoice_no="YT9876543210"),
    ],
)
# Placed at 2024-11-19 00:00:00 Beijing = 2024-11-18 16:00:00 UTC: the UTC date is a day earlier.
MIDNIGHT = trade("227668460417201811", created="2024-11-19 00:00:00", pay_time="2024-11-19 00:01:00", modified="2024-11-19 00:02:00")
BEFORE_MIDNIGHT = trade("227668460417201812", created="2024-11-18 23:59:59", pay_time="2024-11-19 00:01:00", modified="2024-11-19 00:02:00")
NY = trade("227668460417201813", shop_id=NY_SHOP, created="2024-11-19 00:00:00", modified="2024-11-19 00:02:00")
# A tid TOP sent as a JSON number beyond 2**53 (the tap converts it; staging must keep the digits either way).
NUMERIC_TID = trade(9007199254740993, lines=[sub("9007199254740993", "10.00", 1, "10.00")])
# Yuan exactness: a float would print 19999999999.990002; and an amount sent as a JSON number.
BIG = trade("227668460417201821", payment="19999999999.99", total_fee="19999999999.99",
            lines=[sub("227668460417201821", "19999999999.99", 1, "19999999999.99")])
NUMBER_AMOUNT = trade("227668460417201822", payment=Decimal("0.10"), total_fee="0.10", lines=[sub("227668460417201822", "0.10", 1, "0.10")])
# Presale, deposit only: 50.00 of 200.00 paid.
DEPOSIT_ONLY = trade(
    "227668460417201831", type="step", status="WAIT_BUYER_PAY", step_trade_status="FRONT_PAID_FINAL_NOPAID",
    step_paid_fee="50.00", payment="200.00", total_fee="200.00", lines=[sub("227668460417201831", "200.00", 1, "200.00")],
)
# Presale paid in full, synced twice: deposit 50.00 seen in v1, balance seen paid at v2 (2024-11-20 10:00 Beijing).
PRESALE_V1 = trade(
    "227668460417201832", type="step", status="WAIT_BUYER_PAY", step_trade_status="FRONT_PAID_FINAL_NOPAID",
    step_paid_fee="50.00", payment="200.00", total_fee="200.00", modified="2024-11-18 16:00:00",
    lines=[sub("227668460417201832", "200.00", 1, "200.00")],
)
PRESALE_V2 = {**PRESALE_V1, "status": "WAIT_SELLER_SEND_GOODS", "step_trade_status": "FRONT_PAID_FINAL_PAID",
              "step_paid_fee": "200.00", "modified": "2024-11-20 10:00:00"}
# Refunded before shipping: paid, then closed (TRADE_CLOSED) with every sub-order refunded.
REFUNDED = trade("227668460417201841", status="TRADE_CLOSED", end_time="2024-11-19 12:00:00", modified="2024-11-19 12:00:00",
                 lines=[sub("227668460417201841", "10.00", 1, "10.00", refund_status="SUCCESS", status="TRADE_CLOSED")])
# Closed before payment; pay_time is the "no date" sentinel.
CANCELLED = trade("227668460417201842", status="TRADE_CLOSED_BY_TAOBAO", pay_time="0000-00-00 00:00:00",
                  end_time="2024-11-21 10:00:00", modified="2024-11-21 10:00:00")
# Closed before payment at 08:00:00 Beijing (end_time) = 00:00:00 UTC; a later change (modified 12:00 Beijing) is the
# first version synced: cancelled_at is end_time, not the 04:00 UTC observation.
CLOSED_SYNCED_LATE = trade("227668460417201843", status="TRADE_CLOSED_BY_TAOBAO", pay_time="", created="2024-11-10 07:30:00",
                           end_time="2024-11-10 08:00:00", modified="2024-11-10 12:00:00")
# Closed, but end_time is the "no date" sentinel: the observation (modified 12:00 Beijing = 04:00 UTC) stands in.
CLOSED_NO_END_TIME = trade("227668460417201844", status="TRADE_CLOSED_BY_TAOBAO", pay_time="", created="2024-11-10 07:30:00",
                           end_time="0000-00-00 00:00:00", modified="2024-11-10 12:00:00")
# A return in progress, a county-level city, and a plaintext name (not a mask: never lands).
OPEN_RETURN = trade("227668460417201851", status="WAIT_BUYER_CONFIRM_GOODS", consign_time="2024-11-19 09:00:00",
                    receiver_state="河南省", receiver_city="", receiver_district="济源市", receiver_name="张三",
                    lines=[sub("227668460417201851", "10.00", 1, "10.00", refund_status="WAIT_BUYER_RETURN_GOODS")])
UNKNOWN = trade("227668460417201861", status="SOME_NEW_STATUS")
# Versions: v2 (shipped, later) lands first; v1 arrives late and must not win.
V2 = trade("227668460417201871", status="WAIT_BUYER_CONFIRM_GOODS", consign_time="2024-11-19 09:00:00", modified="2024-11-19 09:00:00")
V1 = trade("227668460417201871", status="WAIT_SELLER_SEND_GOODS", modified="2024-11-18 15:56:40")
# Quarantine: each cannot be typed.
BAD_AMOUNT = trade("227668460417209001", payment="abc")
BAD_DECIMALS = trade("227668460417209002", payment="12.345")
BAD_CREATED = trade("227668460417209003", created="2024/11/18 10:00")
BAD_TID = trade("2276684604172090x4")
BAD_PAY_TIME = trade("227668460417209005", pay_time="yesterday")
BAD_LINE_PRICE = trade("227668460417209006", lines=[sub("227668460417209006", "ten", 1, "10.00")])

RECORDS = [
    REAL, TWO_LINES, MIDNIGHT, BEFORE_MIDNIGHT, NY, NUMERIC_TID, BIG, NUMBER_AMOUNT, DEPOSIT_ONLY, PRESALE_V1, PRESALE_V2,
    REFUNDED, CANCELLED, CLOSED_SYNCED_LATE, CLOSED_NO_END_TIME, OPEN_RETURN, UNKNOWN, V2,
    BAD_AMOUNT, BAD_DECIMALS, BAD_CREATED, BAD_TID, BAD_PAY_TIME, BAD_LINE_PRICE,
]
QUARANTINED = {
    "227668460417209001": "non-numeric payment",
    "227668460417209002": "non-numeric payment",
    "227668460417209003": "missing or unparseable created",
    "2276684604172090x4": "missing or malformed tid",
    "227668460417209005": "unparseable pay_time",
    "227668460417209006": "non-numeric sub-order price",
}


def dbt(args: list[str], db: Path, work: Path) -> subprocess.CompletedProcess:
    dbt_vars = {
        "orderlayer_channels": ["douyin", "taobao"],
        "orderlayer_amount_ceilings": {"default": 100_000_000_000},  # the big-amount orders test exactness above the default ceiling (A5)
        "orderlayer_shops": [
            {"channel": "taobao", "shop_id": SHOP, "timezone": "Asia/Shanghai", "currency": "CNY"},
            {"channel": "taobao", "shop_id": NY_SHOP, "timezone": "America/New_York", "currency": "CNY"},
        ],
    }
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--vars", json.dumps(dbt_vars),
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("taobao_rules")
    db = work / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "taobao", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in RECORDS], ["shop_id", "tid"], "modified")
    raw.sync_id = "sync-2"
    # the late, older version of V and an exact re-send of REAL (must add nothing)
    raw.append("orders", [copy.deepcopy(V1), copy.deepcopy(REAL)], ["shop_id", "tid"], "modified")
    con.close()
    selection = ["--select", "@stg_taobao__orders", "@stg_taobao__order_lines", "stg_taobao__shops", "--exclude-resource-type", "unit_test"]
    proc = dbt(["build", *selection], db, work)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return db


def fact(db: Path, tid: str, columns: str):  # noqa: ANN201
    return one(db, f"select {columns} from audit.fct_orders where channel = 'taobao' and channel_order_id = ?", [tid])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_staging_matches_the_douyin_contract(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for entity in ("orders", "order_lines"):
            douyin = con.execute(f"describe staging.stg_douyin__{entity}").fetchall()
            taobao = con.execute(f"describe staging.stg_taobao__{entity}").fetchall()
            assert [(c[0], c[1]) for c in taobao] == [(c[0], c[1]) for c in douyin]
    finally:
        con.close()


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    assert one(warehouse, "select count(*) from raw.taobao__orders")[0] == len(RECORDS) + 1


def test_the_real_trade_maps_exactly(warehouse: Path) -> None:
    row = fact(
        warehouse, REAL["tid"],
        "channel, shop_id, order_key, status, goods_amount, shop_discount_amount, freight_amount, paid_amount, "
        "ordered_at, paid_at, shipped_at, completed_at, business_date, is_valid",
    )
    assert row == (
        "taobao", SHOP, one(warehouse, f"select md5('taobao|{SHOP}|227668460417201790')")[0], "completed",
        Decimal("160.00"), Decimal("20.00"), Decimal("8.00"), Decimal("148.00"),
        utc(2018, 9, 27, 11, 54, 20), utc(2018, 9, 27, 11, 54, 34), utc(2018, 9, 28, 2, 21, 38), utc(2018, 10, 8, 2, 21, 44),
        date(2018, 9, 27), True,
    )
    tracking = one(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = ?", [REAL["tid"]])[0]
    assert tracking == ["048929553270"]


def test_lines_sum_exactly_and_carry_the_refund(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        """select line_number, channel_line_id, quantity, unit_price, line_goods_amount, line_discount_amount,
                  line_paid_amount, l.refund_amount
        from audit.fct_order_lines l join audit.fct_orders o using (order_key)
        where o.channel_order_id = ? order by line_number""",
        [TWO_LINES["tid"]],
    ).fetchall()
    refund, is_refunded, status = fact(warehouse, TWO_LINES["tid"], "refund_amount, is_refunded, status")
    con.close()
    # discount 2000 fen × 11800/20700 = 1140.09 → 1140, × 8900/20700 = 859.9 → 859; 1 fen remainder to the larger line.
    # paid 18700 fen × 11800/20700 = 10659.9 → 10659, × 8900/20700 = 8040.09 → 8040; 1 fen remainder likewise.
    assert rows == [
        (1, "327668460417201802", 2, Decimal("59.00"), Decimal("118.00"), Decimal("11.41"), Decimal("106.60"), Decimal("106.60")),
        (2, "327668460417201803", 1, Decimal("89.00"), Decimal("89.00"), Decimal("8.59"), Decimal("80.40"), Decimal("0.00")),
    ]
    assert (refund, is_refunded, status) == (Decimal("106.60"), True, "completed")


def test_beijing_time_strings_become_utc_and_business_dates(warehouse: Path) -> None:
    ordered_at, business_date = fact(warehouse, MIDNIGHT["tid"], "ordered_at, business_date")
    assert ordered_at == utc(2024, 11, 18, 16, 0, 0)  # the instant is not shifted
    assert business_date == date(2024, 11, 19)  # 00:00:00 Beijing
    assert fact(warehouse, BEFORE_MIDNIGHT["tid"], "business_date")[0] == date(2024, 11, 18)
    assert fact(warehouse, NY["tid"], "business_date, shop_local_date") == (date(2024, 11, 19), date(2024, 11, 18))


def test_ids_and_yuan_amounts_are_exact(warehouse: Path) -> None:
    assert fact(warehouse, "9007199254740993", "channel_order_id, paid_amount") == ("9007199254740993", Decimal("10.00"))
    assert fact(warehouse, BIG["tid"], "paid_amount")[0] == Decimal("19999999999.99")
    assert fact(warehouse, NUMBER_AMOUNT["tid"], "paid_amount")[0] == Decimal("0.10")


def test_presale_deposit_only_is_not_paid(warehouse: Path) -> None:
    row = fact(
        warehouse, DEPOSIT_ONLY["tid"],
        "order_type, is_presale, deposit_amount, balance_amount, is_paid, is_valid, paid_at, deposit_paid_at, status",
    )
    assert row == ("presale", True, Decimal("50.00"), Decimal("150.00"), False, False, None, utc(2024, 11, 18, 7, 56), "pending_payment")


def test_presale_paid_when_the_balance_is_paid(warehouse: Path) -> None:
    row = fact(warehouse, PRESALE_V1["tid"], "is_paid, is_valid, paid_at, deposit_amount, balance_amount, status_native")
    # the deposit comes from v1 (the only version showing it), the balance time from v2's `modified`
    assert row == (True, True, utc(2024, 11, 20, 2, 0), Decimal("50.00"), Decimal("150.00"), "WAIT_SELLER_SEND_GOODS")


def test_refund_before_shipping_closes_a_paid_order(warehouse: Path) -> None:
    row = fact(warehouse, REFUNDED["tid"], "status, is_paid, is_cancelled, is_refunded, is_valid, refund_amount, cancelled_at, "
                                          "cancelled_at_source")
    # TRADE_CLOSED: end_time 2024-11-19 12:00 Beijing is the close time
    assert row == ("cancelled", True, True, True, False, Decimal("10.00"), utc(2024, 11, 19, 4, 0), "platform")


def test_cancelled_before_payment_with_a_sentinel_pay_time(warehouse: Path) -> None:
    row = fact(warehouse, CANCELLED["tid"], "status, is_paid, paid_at, cancelled_at, quality_flags")
    assert row == ("cancelled", False, None, utc(2024, 11, 21, 2, 0), [])


def test_cancelled_at_is_the_close_time_of_a_closed_trade_only(warehouse: Path) -> None:
    # end_time "2024-11-10 08:00:00" Beijing = 00:00:00 UTC, though first synced at modified 12:00 Beijing
    assert fact(warehouse, CLOSED_SYNCED_LATE["tid"], "cancelled_at, cancelled_at_source, source_updated_at") == (
        utc(2024, 11, 10, 0, 0), "platform", utc(2024, 11, 10, 4, 0))
    # a sentinel end_time is no time: the first version seen closed (modified 12:00 Beijing = 04:00 UTC), D-009
    assert fact(warehouse, CLOSED_NO_END_TIME["tid"], "cancelled_at, cancelled_at_source") == (utc(2024, 11, 10, 4, 0), "observed")
    # a finished trade's end_time (2018-10-08 10:21:44 Beijing) is its completion, never a cancel time
    staged = one(warehouse, "select completed_at, cancelled_at from staging.stg_taobao__orders where channel_order_id = ? limit 1",
                 [REAL["tid"]])
    assert staged == (utc(2018, 10, 8, 2, 21, 44), None)
    assert fact(warehouse, REAL["tid"], "is_cancelled, cancelled_at, cancelled_at_source") == (False, None, None)


def test_open_return_county_city_and_masks_only(warehouse: Path) -> None:
    row = fact(warehouse, OPEN_RETURN["tid"], "has_open_after_sale, receiver_province, receiver_city, receiver_phone_masked, receiver_name_masked, status")
    assert row == (True, "河南省", "济源市", "138****1234", None, "shipped")


def test_unknown_status_is_kept_and_the_late_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, UNKNOWN["tid"], "status, status_native, quality_flags") == ("unknown", "SOME_NEW_STATUS", ["unmapped_status"])
    assert fact(warehouse, V2["tid"], "status, status_native, is_shipped") == ("shipped", "WAIT_BUYER_CONFIRM_GOODS", True)


def test_untypable_trades_are_quarantined_with_their_reason(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    reasons = dict(con.execute("select channel_order_id, quarantine_reason from quarantine.quarantine_orders where channel = 'taobao'").fetchall())
    facts = con.execute("select count(*) from audit.fct_orders where channel = 'taobao'").fetchone()[0]
    con.close()
    assert reasons == QUARANTINED
    assert facts == len({str(r["tid"]) for r in RECORDS}) - len(QUARANTINED)


def test_shop_type_from_seller_type(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("select shop_id, seller_nick, shop_type from staging.stg_taobao__shops order by shop_id").fetchall()
    con.close()
    assert rows == [(SHOP, "山野茶舍", "taobao"), (NY_SHOP, "山野茶舍", "taobao")]
