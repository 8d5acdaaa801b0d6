"""The staging models of Meituan, Ele.me, SF Express, Kuaidi100, SAP, Kingdee and Yonyou give the same rows on Spark as
on DuckDB (issue 16).

One DuckDB warehouse holds the sandboxes' records of these sources (synced by the real taps), the edge cases of their
rule tests (tests/dbt_rules/, imported, not copied) and the records where the engines read JSON differently (floating
yuan of 10 million and more, strings holding lists, fractional quantities, a missing bag, zero decimals); its raw
schema is twinned into Spark, the same selection is built on both, and every column of every row is compared.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest

from orderlayer.core.carriers import tracks
from orderlayer.core.config import Settings
from orderlayer.core.continuous import LogProgress
from orderlayer.core.dbt import run_dbt
from orderlayer.core.demo import demo_settings, start_sandboxes
from orderlayer.core.registry import source
from orderlayer.core.sync import sync_all
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store
from orderlayer.sandboxes.kit.parcels import shipped_parcels
from tests.dbt_rules import test_eleme_refunds as eleme_refunds
from tests.dbt_rules import test_eleme_rules as eleme
from tests.dbt_rules import test_erp_rules as erp
from tests.dbt_rules import test_logistics_rules as logistics
from tests.dbt_rules import test_meituan_refunds as meituan_refunds
from tests.dbt_rules import test_meituan_rules as meituan
from tests.support.engines import assert_same_relation, spark_rows, spark_settings, spark_twin

# one DuckDB and one Spark build of their own: `make test-spark` (docs/engines.md), not `make test`
pytestmark = [pytest.mark.spark, pytest.mark.spark_build]

SOURCES = ["meituan", "eleme", "sf_express", "kuaidi100", "sap", "kingdee", "yonyou"]
SELECT = [f"path:models/staging/{name}" for name in SOURCES]
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)

# Java writes a double outside [1e-3, 1e7) in scientific notation (1.23456789E7), DuckDB in full: yuan of ten million
# and more must read as the same amount (DuckDB reads a yuan double through a double: 99999999999999.99 is …98), and
# an amount below a fen must get the same quarantine reason.
MT_TEN_MILLION = meituan.order(
    "34017265082826950", 9007199254749050, total=D("12345678.90"), original_price=D("12345678.90"),
    detail=[{"app_food_code": "F9", "food_name": "宴席", "sku_id": "F9", "price": D("12345678.90"), "quantity": 1,
             "box_num": 0, "box_price": D("0")}],
)
MT_DOUBLE_LIMIT = meituan.order("34017265082826951", 9007199254749051, total=D("99999999999999.99"))
MT_TINY_FEE = meituan.order("34017265082826952", 9007199254749052, shipping_fee=D("0.0001"))
# `detail` as a string holding an object, `extras` as a string holding a list; a fractional quantity (DuckDB's
# try_cast rounds 2.5 to 3) and a quantity under a misspelled key.
MT_DETAIL_OBJECT = meituan.order("34017265082826953", 9007199254749053, detail='{"app_food_code": "F1"}')
MT_EXTRAS_TEXT = meituan.order(
    "34017265082826954", 9007199254749054, extras='[{"mt_charge": 1.5, "poi_charge": 0.5, "reduce_fee": 2}]',
    detail=[{"app_food_code": "F1", "sku_id": "F1", "food_name": "饭", "price": D("4"), "quantity": D("2.5"), "box_num": 0,
             "box_price": 0},
            {"app_food_code": "F2", "sku_id": "", "food_name": "汤", "price": D("3"), "quanity": 2}],
)
# A missing bag among Ele.me's bags; a fractional product amount.
EL_NULL_BAG = eleme.record(
    "17319456001090", products=[None, [eleme.product("SKU-1", "1001", "可乐", 1000, 2)], []],
)
EL_FRACTIONAL_AMOUNT = eleme.record(
    "17319456001091", products=[[{**eleme.product("SKU-1", "1001", "可乐", 1000, 1), "product_amount": "2.5"}]],
)
# A zero tax and a third decimal, as exact decimals.
KD_ZERO_TAX = erp.kd_bill(100905, "XSDD000905", FBillTaxAmount=D("0"), FBillAmount=D("113.00"), FBillAllAmount=D("113.0000000000"))
YY_FRACTION = erp.yy_order(9007199254741904, "UO-164820240501000904", payMoney=D("0.125"),
                           orderDetails=[{"lineno": 10, "oriMoney": D("0.1"), "oriSum": D("0.125"), "oriTax": D("0.025")}])


def land(db: Path, source: str, connection: str, sync: str, stream: str, records: list[dict], keys: list[str], rk: str | None) -> None:
    con = connect(db)
    try:
        store.RawStore(con, "raw", source, connection, sync).append(stream, [copy.deepcopy(r) for r in records], keys, rk)
    finally:
        con.close()


def land_edge_cases(db: Path) -> None:
    """The rule tests' records, landed as those tests land them, and the engine-difference records above."""
    land(db, "meituan", "test", "sync-1", "orders", [*meituan.RECORDS, MT_TEN_MILLION, MT_DOUBLE_LIMIT, MT_TINY_FEE, MT_DETAIL_OBJECT,
                                                       MT_EXTRAS_TEXT], meituan.PK, "utime")
    land(db, "meituan", "test", "sync-2", "orders", [meituan.V1, meituan.FLOATS], meituan.PK, "utime")
    land(db, "meituan", "test", "sync-3", "orders", [meituan_refunds.AGREED_LATER, meituan_refunds.WITHDRAWN, meituan_refunds.ODD],
         meituan.PK, "utime")
    land(db, "eleme", "test", "sync-1", "orders", [*eleme.RECORDS, EL_NULL_BAG, EL_FRACTIONAL_AMOUNT], eleme.PK, "create_time")
    land(db, "eleme", "test", "sync-2", "orders", [eleme.V1, eleme.TWO_BAGS], eleme.PK, "create_time")
    land(db, "eleme", "test", "sync-3", "orders", [eleme_refunds.AGREED_LATER, eleme_refunds.TWO_PRODUCTS, eleme_refunds.ODD],
         eleme.PK, "create_time")
    land(db, "sap", "sap-main", "sync-1", "sales_orders", erp.SAP_RECORDS, ["SalesOrder"], "LastChangeDateTime")
    land(db, "sap", "sap-main", "sync-2", "sales_orders", [erp.SAP_A_V1], ["SalesOrder"], "LastChangeDateTime")
    land(db, "kingdee", "kingdee-main", "sync-1", "sales_orders", [*erp.KD_RECORDS, KD_ZERO_TAX], ["FID"], "FModifyDate")
    land(db, "yonyou", "yonyou-main", "sync-1", "sales_orders", [*erp.YY_RECORDS, YY_FRACTION], ["id"], "pubts")
    land(db, "sf_express", "sf", "sync-1", "routes", [logistics.SF1_EARLY, logistics.SF2], ["mailNo"], None)
    land(db, "sf_express", "sf", "sync-2", "routes", [logistics.SF1, logistics.SF4_LATER], ["mailNo"], None)
    land(db, "kuaidi100", "kd", "sync-1", "tracking", [logistics.KD_SF1, logistics.KD_YT1, logistics.KD_YT2], ["com", "nu"], None)


def synced_sandboxes(work: Path, duck: Path) -> Settings:
    """The sandboxes' records of these sources, landed in `duck` by the real taps (a fixed clock and seed: the same
    records every run); the carriers track the channels' shipped parcels (the demo's builds find them in the marts)."""
    with start_sandboxes(seed=7, as_of=AS_OF, orders=60, shops=1, work=work) as world:
        demo = demo_settings(world, duck)
        mine = {name: c for name, c in demo.connections.items() if c.source in SOURCES}
        parcels = sorted(shipped_parcels(world.order_facts()))
        for name, c in mine.items():
            if source(c.source).kind == "carrier":
                waybills = [{"number": n} for n in parcels if tracks(c.source, n, demo)]
                mine[name] = c.model_copy(update={"options": {**c.options, "waybills": waybills}})
        settings = demo.model_copy(update={"connections": mine})
        results = sync_all(settings, list(mine), "stgc-sync", LogProgress("stgc"), end_date=AS_OF)
    assert results and all(r.status == "ok" for r in results), [(r.connection, r.error) for r in results if r.status != "ok"]
    return settings


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings, Path]:
    """(the DuckDB warehouse, its settings, the Spark warehouse), both built from the same raw records."""
    work = tmp_path_factory.mktemp("staging_stgc")
    duck = work / "stgc.duckdb"
    settings = synced_sandboxes(work, duck)
    land_edge_cases(duck)
    built = run_dbt(["build", "--select", *SELECT], settings, duck)
    assert built.ok and not built.failures(), built.log_tail
    spark_db = work / "spark"
    spark_twin(duck, settings, spark_db)
    built = run_dbt(["build", "--select", *SELECT], spark_settings(settings), spark_db)
    assert built.ok and not built.failures(), built.log_tail
    return duck, settings, spark_db


# (model, rows the edge cases alone give: the raw versions landed above, their lines, refund records and events);
# the sandboxes add more
MODELS = [
    ("stg_meituan__orders", 28),
    ("stg_meituan__order_lines", 30),
    ("stg_meituan__refunds", 7),
    ("stg_eleme__orders", 19),
    ("stg_eleme__order_lines", 20),
    ("stg_eleme__refunds", 7),
    ("stg_sf_express__route_events", 12),
    ("stg_kuaidi100__tracking_events", 6),
    ("stg_sap__sales_orders", 12),
    ("stg_kingdee__sales_orders", 9),
    ("stg_yonyou__sales_orders", 7),
]


@pytest.mark.parametrize(("model", "edge_rows"), MODELS, ids=[m for m, _ in MODELS])
def test_same_rows_on_spark(engines: tuple[Path, Settings, Path], model: str, edge_rows: int) -> None:
    duck, settings, spark_db = engines
    assert assert_same_relation(duck, settings, spark_db, f"staging.{model}") > edge_rows


def spark_values(engines: tuple[Path, Settings, Path], model: str, key: str, columns: list[str]) -> dict[str, tuple]:
    duck, settings, spark_db = engines
    names, rows = spark_rows(settings, spark_db, f"staging.{model}")
    return {row[names.index(key)]: tuple(row[names.index(c)] for c in columns) for row in rows}


def test_the_engine_cases_read_as_duckdb_reads_them(engines: tuple[Path, Settings, Path]) -> None:
    """The Spark side of the engine-difference records, against hand-computed values (equality alone would pass if
    both engines were wrong the same way)."""
    orders = spark_values(engines, "stg_meituan__orders", "channel_order_id",
                          ["goods_amount", "paid_amount", "shop_discount_amount", "platform_discount_amount", "quarantine_reason"])
    assert orders[MT_TEN_MILLION["wm_order_id_view"]] == (D("12345678.90"), D("12345678.90"), D("0.00"), D("0.00"), None)
    assert orders[MT_DOUBLE_LIMIT["wm_order_id_view"]][1:] == (D("99999999999999.98"), D("0.00"), D("0.00"), None)
    assert orders[MT_TINY_FEE["wm_order_id_view"]][4] == "non-numeric shipping_fee"
    assert orders[MT_DETAIL_OBJECT["wm_order_id_view"]][4] == "unparseable detail"
    # 4.00 × 2.5 + 3.00 × 2 = 16.00 goods; the store funds 0.50, Meituan 1.50
    assert orders[MT_EXTRAS_TEXT["wm_order_id_view"]] == (D("16.00"), D("20.00"), D("0.50"), D("1.50"), None)
    lines = spark_values(engines, "stg_meituan__order_lines", "channel_line_id", ["quantity", "line_goods_amount"])
    view = MT_EXTRAS_TEXT["wm_order_id_view"]
    assert (lines[f"{view}:F1:1"], lines[f"{view}:F2:2"]) == ((3, D("10.00")), (2, D("6.00")))

    eleme_lines = spark_values(engines, "stg_eleme__order_lines", "channel_line_id", ["quantity", "line_goods_amount"])
    assert eleme_lines["17319456001090:SKU-1:1"] == (2, D("20.00"))
    assert "17319456001090:SKU-1:2" not in eleme_lines
    assert eleme_lines["17319456001091:SKU-1:1"] == (3, D("10.00"))

    kingdee = spark_values(engines, "stg_kingdee__sales_orders", "erp_order_id", ["order_amount", "tax_amount", "quarantine_reason"])
    assert kingdee["XSDD000905"] == (D("113.00"), D("0.00"), None)
    yonyou = spark_values(engines, "stg_yonyou__sales_orders", "erp_order_id", ["order_amount", "quarantine_reason"])
    assert yonyou["UO-164820240501000904"] == (None, "fractional-cent or out-of-range payMoney")
