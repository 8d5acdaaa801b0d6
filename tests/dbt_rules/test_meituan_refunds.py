"""stg_meituan__refunds on hand-written orders with the refund records tap-meituan attaches (ecommerce/order/
getOrderRefundDetail), every expected value computed by hand; built once for the module with the real project."""

from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.dbt_rules.test_meituan_rules import CANCELLED_PAID, PARTIAL, PENDING, PK, dbt_build, order, query, utc
from tests.dbt_rules.refunds_contract import refund_row

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

# PENDING's refund, later agreed (res_type 2 at 1732003600): this version lands first, the pending one after it.
AGREED_LATER = {**PENDING, "utime": 1732003600,
                "refund_records": [{**PENDING["refund_records"][0], "res_type": 2, "utime": 1732003600}]}
# The buyer withdrew the request (res_type 7); a code no set names; money that is not a number.
WITHDRAWN = order("34017265082826440", 9007199254741008, refund_records=[
    {"refund_id": 70000000010, "refund_type": 1, "res_type": 7, "apply_type": 2, "money": D("20.00"), "ctime": 1732000000, "utime": 1732001000}])
ODD = order("34017265082826441", 9007199254741015, refund_records=[
    {"refund_id": 70000000011, "refund_type": 1, "res_type": 99, "money": D("20.00"), "ctime": 1732000000, "utime": 1732001000},
    {"refund_id": 70000000012, "refund_type": 1, "res_type": 2, "money": "abc", "ctime": 1732000000, "utime": 1732001000}])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("meituan_refunds")
    db = tmp / "refunds.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "meituan", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in (PARTIAL, AGREED_LATER, CANCELLED_PAID, WITHDRAWN, ODD)], PK, "utime")
    raw.sync_id = "sync-2"
    raw.append("orders", [copy.deepcopy(PENDING)], PK, "utime")  # the older, pending version lands late
    con.close()
    proc = dbt_build(db, ["douyin", "meituan"], "stg_meituan__refunds", tmp)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return db


def row(db: Path, refund_id: str) -> dict:
    return refund_row(query, db, "stg_meituan__refunds", refund_id)


def test_partial_refunds_name_the_first_line_of_their_sku(warehouse: Path) -> None:
    agreed, rejected = row(warehouse, "70000000001"), row(warehouse, "70000000002")
    # FLOATS' detail: line 1 米饭 (no sku id: food code A1), line 2 鸡腿 (sku 88001)
    assert (agreed["channel"], agreed["shop_id"], agreed["channel_order_id"]) == ("meituan", "test_poi_01", "34017265082826431")
    assert (agreed["channel_line_id"], agreed["refund_type"], agreed["status"], agreed["status_native"]) == (
        "34017265082826431:88001:2", "refund_only", "refunded", "2")
    assert (agreed["refund_amount"], agreed["currency"], agreed["requested_at"], agreed["refunded_at"]) == (
        D("19.99"), "CNY", utc(1732000000), utc(1732010000))
    assert (rejected["channel_line_id"], rejected["status"], rejected["refund_amount"], rejected["refunded_at"]) == (
        "34017265082826431:A1:1", "rejected", D("5.00"), None)
    assert all(r["return_tracking_number"] is None and r["is_restocked"] is None and r["reason_text"] is None for r in (agreed, rejected))


def test_latest_version_by_the_records_own_time(warehouse: Path) -> None:
    later = row(warehouse, "70000000003")  # full refund: no line
    assert (later["status"], later["refunded_at"], later["source_updated_at"], later["channel_line_id"]) == (
        "refunded", utc(1732003600), utc(1732003600), None)


def test_cancellation_refunds_and_withdrawn_requests(warehouse: Path) -> None:
    cancelled, withdrawn = row(warehouse, "70000000004"), row(warehouse, "70000000010")
    assert (cancelled["refund_type"], cancelled["status"], cancelled["refund_amount"]) == ("cancel_refund", "refunded", D("20.00"))
    assert (withdrawn["refund_type"], withdrawn["status"], withdrawn["reason_code"], withdrawn["refunded_at"]) == (
        "refund_only", "cancelled", "2", None)


def test_unreadable_records_are_quarantined_with_the_field(warehouse: Path) -> None:
    assert row(warehouse, "70000000011")["quarantine_reason"] == "unknown res_type"
    assert row(warehouse, "70000000012")["quarantine_reason"] == "non-numeric money"
    assert query(warehouse, "select count(*), count(distinct refund_id) from staging.stg_meituan__refunds") == [(7, 7)]
