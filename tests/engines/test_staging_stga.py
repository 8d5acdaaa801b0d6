"""Douyin, Taobao, JD and Pinduoduo staging gives the same rows on Spark as on DuckDB (issue 16).

One warehouse of raw records: the four channels' sandboxes synced by their real taps (realistic orders and
after-sales), plus every record the channels' rule tests land by hand (sentinel times, malformed amounts and
ids, placeholder ids, presale phases, split shipments, late older versions, refund applications and after-sale
services), the after-sale records the channels' dbt unit tests write by hand (every status and type, fen and yuan
that do not read, epoch text times), and a few records aimed at where Spark's SQL differs from DuckDB's (JSON numbers Java prints in
E-notation, a fractional quantity a cast would truncate, an id followed by a newline, absent lists). It is built
once on DuckDB, its raw tables are twinned into a Spark warehouse, the same selection is built there, and every
staging model is compared: every column, every row.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from orderlayer.core.config import Connection, Settings
from orderlayer.core.dbt import project_dir, run_dbt
from orderlayer.core.demo import demo_settings, start_sandboxes
from orderlayer.core.sync import sync_connection
from tests.dbt_rules import test_douyin_rules as douyin
from tests.dbt_rules import test_jd_rules as jd
from tests.dbt_rules import test_pinduoduo_rules as pdd
from tests.dbt_rules import test_taobao_rules as taobao
from tests.support.engines import assert_same_relation, spark_settings, spark_twin
from tests.support.incremental import land

# one DuckDB and one Spark build of their own: `make test-spark` (docs/engines.md), not `make test`
pytestmark = [pytest.mark.spark, pytest.mark.spark_build]

SOURCES = ("douyin", "taobao", "jd", "pinduoduo")
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
SELECTION = ["build", "--select", *(f"+path:models/staging/{s}" for s in SOURCES), "--exclude-resource-type", "unit_test"]

# Where Spark's SQL differs from DuckDB's, one record each (the channels' rule tests cover the rules themselves).
SPARK_EDGES = {
    "douyin": [
        # fen as JSON floats: DuckDB reads '10000000000.0', Java prints '1.0E10'; both are not whole fen
        douyin.order("6936476692437479101", pay_amount=1e10),
        # an id with a trailing newline is malformed (a full match must not stop before the newline)
        douyin.order("6936476692437479102\n"),
        # no phase list and no sku list at all: list sizes and sums of an absent list
        {k: v for k, v in douyin.order("6936476692437479103").items() if k not in ("order_phase_list", "sku_order_list")},
    ],
    "pinduoduo": [
        # yuan as JSON numbers Java prints in E-notation: 12,345,678.5 (valid) and 0.0005 (three decimals: invalid)
        pdd.order("241118-100000000009101", pay_amount=Decimal("12345678.5"), goods_amount=Decimal("12345678.5"),
                  item_list=[pdd.line(840777314601, "12345678.5", 1)]),
        pdd.order("241118-100000000009102", discount_amount=Decimal("0.0005")),
        # a fractional count a cast would truncate to 2
        pdd.order("241118-100000000009103", item_list=[pdd.line(840777314602, "10.0", "2.5")]),
    ],
    "taobao": [
        # a sub-order num of 1.5 (as text): not a whole number, never 1
        taobao.trade("227668460417209101", lines=[{**taobao.sub("227668460417209101", "10.00", 1, "10.00"), "num": "1.5"}]),
    ],
    "jd": [
        # a quantity of 12.5 and a waybill list with blanks and a repeat
        jd.order("3145878647546919101", itemInfoList=[jd.item("100034721569", "10.00", "12.5")]),
        jd.order("3145878647546919102", waybill=" JD001 ,,JD002, JD001"),
    ],
}

#: (source, stream) → the raw landings of the rule tests' records: (records, key properties, replication key)
RULE_RECORDS = {
    ("douyin", "orders"): ([douyin.RECORDS, [douyin.ORDER_V1, douyin.ORDER_A], SPARK_EDGES["douyin"]], ["shop_id", "order_id"], "update_time"),
    ("taobao", "orders"): ([taobao.RECORDS, [taobao.V1, taobao.REAL], SPARK_EDGES["taobao"]], ["shop_id", "tid"], "modified"),
    ("jd", "orders"): ([jd.SYNC_1, jd.SYNC_2, SPARK_EDGES["jd"]], ["venderId", "orderId"], "modified"),
    ("jd", "refund_applies"): ([jd.APPS_1, jd.APPS_2], ["venderId", "id"], "ol_changed_at"),
    ("jd", "service_refunds"): ([jd.SERVICES_1, jd.SERVICES_2], ["venderId", "serviceId"], "ol_changed_at"),
    ("pinduoduo", "orders"): ([pdd.RECORDS, [pdd.ORDER_V1, pdd.ORDER_A], SPARK_EDGES["pinduoduo"]], ["shop_id", "order_sn"], "updated_at"),
}

#: (source, stream) of the raw after-sale records in the channels' dbt unit tests → (key properties, replication key)
UNIT_TEST_STREAMS = {
    ("douyin", "after_sales"): (["shop_id", "aftersale_id"], "update_time"),
    ("taobao", "refunds"): (["shop_id", "refund_id"], "modified"),
    ("pinduoduo", "refunds"): (["shop_id", "id"], "updated_time"),
}


def unit_test_records(source: str, stream: str) -> list[dict]:
    """The JSON records of every `source('<source>', '<stream>')` input of `source`'s dbt unit tests."""
    tests = yaml.safe_load((project_dir() / "models" / "staging" / source / f"_{source}__unit_tests.yml").read_text("utf-8"))
    records = []
    for test in tests["unit_tests"]:
        for given in test["given"]:
            if given["input"] == f"source('{source}', '{stream}')":
                records += [json.loads(text.replace("''", "'")) for text in re.findall(r"'(\{.*?\})'::json", given["rows"])]
    assert records, (source, stream)
    return records


MODELS = (
    "stg_douyin__orders", "stg_douyin__order_lines", "stg_douyin__refunds",
    "stg_taobao__orders", "stg_taobao__order_lines", "stg_taobao__refunds", "stg_taobao__shops",
    "stg_jd__orders", "stg_jd__order_lines", "stg_jd__refund_applies", "stg_jd__service_refunds", "stg_jd__refunds",
    "stg_pinduoduo__orders", "stg_pinduoduo__order_lines", "stg_pinduoduo__refunds",
)


def _failed(result) -> list:  # noqa: ANN001
    return [(r["unique_id"], r["status"], (r["message"] or "")[:400]) for r in result.results if r["status"] in ("error", "fail", "skipped")]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Settings, Path]]:
    work = tmp_path_factory.mktemp("stga")
    duck_db = work / "duck" / "warehouse.duckdb"
    duck_db.parent.mkdir()
    with start_sandboxes(seed=7, as_of=AS_OF, orders=60, shops=1, work=work) as world:
        settings = demo_settings(world, duck_db)
        keep = {n: c for n, c in settings.connections.items() if c.source in SOURCES}
        assert {c.source for c in keep.values()} == set(SOURCES), sorted(keep)
        for name in keep:
            result = sync_connection(name, settings, duck_db, end_date=AS_OF + timedelta(seconds=1))
            assert result.status == "ok", (name, result.error)
    # the rule tests' shops in another zone, beside the sandboxes' (one connection per shop: shop settings are joined)
    configured = {(c.source, c.shop_id) for c in keep.values()}
    keep |= {
        name: connection
        for name, connection in {
            "douyin_rules_ny": Connection(source="douyin", shop_id=douyin.NY_SHOP, timezone="America/New_York"),
            "taobao_rules_ny": Connection(source="taobao", shop_id=taobao.NY_SHOP, timezone="America/New_York"),
            "pinduoduo_rules_ny": Connection(source="pinduoduo", shop_id=pdd.NY_SHOP, timezone="America/New_York", currency="CNY"),
        }.items()
        if (connection.source, connection.shop_id) not in configured
    }
    settings = settings.model_copy(update={"connections": keep})
    sync = 0
    for (source, stream), (batches, keys, replication) in RULE_RECORDS.items():
        for batch in batches:
            sync += 1
            land(duck_db, source, "rules", stream, [copy.deepcopy(r) for r in batch], keys, replication, f"rules-{sync}")

    for (source, stream), (keys, replication) in UNIT_TEST_STREAMS.items():
        sync += 1
        land(duck_db, source, "rules", stream, unit_test_records(source, stream), keys, replication, f"rules-{sync}")

    built = run_dbt(SELECTION, settings, duck_db)
    assert built.returncode == 0 and not _failed(built), _failed(built) or built.log_tail
    spark_db = work / "spark"
    spark_twin(duck_db, settings, spark_db)
    on_spark = run_dbt(SELECTION, spark_settings(settings), spark_db)
    assert on_spark.returncode == 0 and not _failed(on_spark), _failed(on_spark) or on_spark.log_tail
    yield duck_db, settings, spark_db


@pytest.mark.parametrize("model", MODELS)
def test_spark_stages_the_same_rows(warehouses: tuple[Path, Settings, Path], model: str) -> None:
    duck_db, settings, spark_db = warehouses
    rows = assert_same_relation(duck_db, settings, spark_db, f"staging.{model}")
    assert rows > 0, f"staging.{model} is empty on both engines: nothing was compared"
