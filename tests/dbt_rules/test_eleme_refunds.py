"""stg_eleme__refunds on hand-written orders with the partial refunds tap-eleme attaches (order.partrefund.get),
every expected value computed by hand; built once for the module with the real project."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from tests.dbt_rules.test_eleme_rules import PENDING, PK, TWO_BAGS, dbt_build, query, record, utc
from tests.dbt_rules.refunds_contract import refund_row

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

# PENDING's 500 fen, agreed at 1731996000: this version lands first, the pending one (older) after it.
AGREED_LATER = {**PENDING, "part_refunds": [{**PENDING["part_refunds"][0], "status": 20, "update_time": "1731996000"}]}
# Two products in one refund: no single line. A status no set names; a fraction of a fen.
TWO_PRODUCTS = record("17319456001020", products=[[{"custom_sku_id": "SKU-1", "baidu_product_id": "1001", "product_name": "可乐",
                                                    "product_price": 1000, "product_amount": 1, "total_fee": 1000},
                                                   {"custom_sku_id": "SKU-2", "baidu_product_id": "1002", "product_name": "雪碧",
                                                    "product_price": 1000, "product_amount": 1, "total_fee": 1000}]],
                      part_refunds=[{"refund_id": "1731945600102001", "status": 20, "refund_price": 2000, "apply_time": "1731990000",
                                     "update_time": "1731992000", "products": [{"custom_sku_id": "SKU-1", "baidu_product_id": "1001"},
                                                                               {"custom_sku_id": "SKU-2", "baidu_product_id": "1002"}]}])
ODD = record("17319456001021", part_refunds=[
    {"refund_id": "1731945600102101", "status": 40, "refund_price": 500, "update_time": "1731990000", "products": []},
    {"refund_id": "1731945600102102", "status": 20, "refund_price": "12.5", "update_time": "1731990000", "products": []}])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("eleme_refunds")
    db = tmp / "refunds.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "eleme", "test", "sync-1")
    raw.append("orders", [copy.deepcopy(r) for r in (TWO_BAGS, AGREED_LATER, TWO_PRODUCTS, ODD)], PK, "create_time")
    raw.sync_id = "sync-2"
    raw.append("orders", [copy.deepcopy(PENDING)], PK, "create_time")
    con.close()
    proc = dbt_build(db, ["douyin", "eleme"], "stg_eleme__refunds", tmp)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return db


def row(db: Path, refund_id: str) -> dict:
    return refund_row(query, db, "stg_eleme__refunds", refund_id)


def test_fen_partial_refunds_on_the_first_line_of_their_sku(warehouse: Path) -> None:
    agreed, rejected = row(warehouse, "1731945600100101"), row(warehouse, "1731945600100102")
    # TWO_BAGS: line 1 SKU-A (bag 1), line 2 B-2 (bag 2, no custom sku: the baidu product id)
    assert (agreed["channel"], agreed["shop_id"], agreed["channel_order_id"], agreed["channel_line_id"]) == (
        "eleme", "test_781544_62863", "17319456001001", "17319456001001:SKU-A:1")
    assert (agreed["refund_type"], agreed["status"], agreed["status_native"], agreed["refund_amount"], agreed["currency"]) == (
        "refund_only", "refunded", "20", Decimal("15.90"), "CNY")  # 1590 fen
    assert (agreed["requested_at"], agreed["refunded_at"], agreed["source_updated_at"]) == (utc(1731990000), utc(1732000000), utc(1732000000))
    assert (rejected["channel_line_id"], rejected["status"], rejected["refund_amount"], rejected["refunded_at"]) == (
        "17319456001001:B-2:2", "rejected", Decimal("49.90"), None)


def test_latest_version_and_several_products(warehouse: Path) -> None:
    later = row(warehouse, "1731945600100201")
    assert (later["status"], later["refund_amount"], later["refunded_at"]) == ("refunded", Decimal("5.00"), utc(1731996000))
    both = row(warehouse, "1731945600102001")
    assert (both["channel_line_id"], both["refund_amount"]) == (None, Decimal("20.00"))


def test_unreadable_records_are_quarantined_with_the_field(warehouse: Path) -> None:
    assert row(warehouse, "1731945600102101")["quarantine_reason"] == "unknown status"
    assert row(warehouse, "1731945600102102")["quarantine_reason"] == "non-numeric refund_price"
    assert query(warehouse, "select count(*), count(distinct refund_id) from staging.stg_eleme__refunds") == [(6, 6)]
