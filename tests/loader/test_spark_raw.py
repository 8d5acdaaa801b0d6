"""A sync with `engine: spark` lands the rows a DuckDB sync lands, as Parquet tables Spark's catalog reads: registered
once, and a later sync's files seen without registering again."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from orderlayer.core.config import load_settings
from orderlayer.core.engines import spark_conf
from orderlayer.core.sync import sync_connection
from orderlayer.loader import stores
from tests.support.engines import duckdb_rows, spark_rows

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["订单号", "订单状态", "下单时间", "支付时间", "发货时间", "完成时间", "更新时间", "商品总额", "店铺优惠", "运费",
          "实付金额", "退款金额", "收货省份", "收货城市", "快递单号", "测试订单"]
#: the raw columns each landing fixes for itself: when the tap read the record and it landed, by which sync, its number
PER_LANDING = {"_extracted_at", "_synced_at", "_sync_id", "_landed_seq"}

_QUERY = """
import json, sys
from pyspark.sql import SparkSession
builder = SparkSession.builder.enableHiveSupport()
for key, value in json.loads(sys.argv[1]).items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()
rows = spark.sql("select _record_hash, _record, _primary_key, _landed_seq, cast(_synced_at as string) as synced "
                 "from raw.wechat_shop__orders order by _landed_seq").collect()
types = {r.col_name: r.data_type for r in spark.sql("describe table raw.wechat_shop__orders").collect()}
print(json.dumps({"rows": [r.asDict() for r in rows], "types": types}))
spark.stop()
"""


def write_orders(exports: Path, name: str, first: int, count: int) -> None:
    with (exports / name).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(first, first + count):
            writer.writerow([f"WX{i:06d}", "待发货", "2026/10/08 12:00:00", "2026/10/08 12:00:30", "", "", "", "9.90",
                             "0.00", "8.00", "17.90", "0.00", "上海市", "上海市", "", "否"])


def test_a_spark_sync_lands_what_duckdb_lands_and_spark_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORDERLAYER_PII_SALT", "spark-raw-test-salt")
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", tmp_path / "wechat_shop.yml")
    exports = tmp_path / "exports"
    exports.mkdir()
    write_orders(exports, "wechat_orders_1.csv", 0, 30)
    book = Workbook()
    book.active.title = "商品明细"
    book.active.append(["订单号", "商品编码", "商品名称", "数量", "单价", "小计"])
    book.save(exports / "wechat_order_items_1.xlsx")
    config = tmp_path / "orderlayer.yml"
    config.write_text("connections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
                      "    options:\n      mapping: wechat_shop.yml\n", encoding="utf-8")
    duck = load_settings(config, tmp_path / "w.duckdb")
    config.write_text("engine: spark\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    spark = load_settings(config, tmp_path / "spark")
    spark_db = tmp_path / "spark"

    for settings, db in ((duck, tmp_path / "w.duckdb"), (spark, spark_db)):
        result = sync_connection("wechat", settings, db)
        assert (result.status, result.error, result.rows_added) == ("ok", None, 30)
    assert stores.read_state(spark, spark_db, "wechat") == stores.read_state(duck, tmp_path / "w.duckdb", "wechat")
    # the same rows as DuckDB's raw table, column for column, but for each landing's own time, sync and number
    duck_columns, duck_raw = duckdb_rows(tmp_path / "w.duckdb", "raw.wechat_shop__orders", "_record_hash")
    spark_columns, spark_raw = spark_rows(spark, spark_db, "raw.wechat_shop__orders", "_record_hash")
    assert spark_columns == duck_columns
    keep = [i for i, c in enumerate(duck_columns) if c not in PER_LANDING]
    assert [[r[i] for i in keep] for r in spark_raw] == [[r[i] for i in keep] for r in duck_raw]
    assert len(spark_raw) == 30 and (spark_db / "warehouse" / "raw.db" / "wechat_shop__orders" / "_registered").is_file()

    # a second export: new files in the folder, seen by Spark without registering the table again
    write_orders(exports, "wechat_orders_2.csv", 30, 5)
    again = sync_connection("wechat", spark, spark_db)
    assert (again.status, again.rows_added) == ("ok", 5)
    assert stores.after_landing(spark, spark_db) == []  # registered once: no Spark session started
    read = subprocess.run([sys.executable, "-c", _QUERY, json.dumps(spark_conf(spark, spark_db))],
                          capture_output=True, text=True, check=True)
    seen = json.loads(read.stdout.strip().splitlines()[-1])
    assert seen["types"] == {"_record_hash": "string", "_stream": "string", "_connection": "string",
                                  "_primary_key": "string", "_replication_value": "string", "_record": "string",
                                  "_extracted_at": "timestamp", "_synced_at": "timestamp", "_sync_id": "string",
                                  "_landed_seq": "bigint"}
    rows = seen["rows"]
    assert [r["_landed_seq"] for r in rows] == list(range(1, 36))
    by_hash = {r[0]: r for r in spark_raw}
    columns = spark_columns
    for row in rows[:30]:  # what Spark's SQL reads is what the files hold, instants in UTC
        stored = by_hash[row["_record_hash"]]
        assert row["_record"] == stored[columns.index("_record")]
        assert row["synced"] == stored[columns.index("_synced_at")].strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    assert "WX000034" in rows[-1]["_record"] and all("WX000034" not in r["_record"] for r in rows[:-1])
