"""The intermediate models, the marts, quarantine and the semantic models give the same rows on Spark as on DuckDB
(issue 16), from the same staged rows.

A small demo warehouse is built on DuckDB, and a few hostile rows are added to its raw and staging tables so that
every quarantine holds rows with reasons: a later landing of an order version with the same update time and another
paid amount (the earlier one is a conflicting version, D-051), a placeholder shop id, a negative payment, an
after-sale record with a status outside the contract's five, and an exchange. The downstream models are rebuilt on
DuckDB from that staging; the raw and staging schemas (the seeds with them) are twinned into Spark, where dbt builds
only the downstream models (staging is being ported on its own); then every table of theirs is compared row for row.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orderlayer.core import pipeline
from orderlayer.core.config import Settings
from orderlayer.core.dbt import run_dbt
from orderlayer.core.demo import demo_settings, start_sandboxes
from tests.support.engines import assert_same_relation, duckdb_rows, spark_settings, spark_twin

# one DuckDB and one Spark build of their own: `make test-spark` (docs/engines.md), not `make test`
pytestmark = [pytest.mark.spark, pytest.mark.spark_build]

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
DOWNSTREAM = ["path:models/intermediate", "path:models/marts", "path:models/quarantine", "path:semantic"]

#: every table the downstream models build
RELATIONS = [
    *(f"staging.{m}" for m in (
        "int_erp_orders__affected", "int_erp_orders__changed", "int_erp_orders__current", "int_order_lines__current",
        "int_orders__affected", "int_orders__changed", "int_orders__current", "int_orders__erp_matches",
        "int_orders__judged", "int_orders__parcels", "int_orders__versions", "int_reconciliation_days__affected",
    )),
    *(f"audit.{m}" for m in (
        "fct_order_events", "fct_order_lines", "fct_orders", "fct_reconciliation_daily", "fct_reconciliation_exceptions",
        "fct_refunds", "fct_returns", "fct_shipment_events", "map_order_ids", "metricflow_time_spine",
        "order_fulfillment", "order_parcels", "shop_as_of",
    )),
    "staging.order_fulfillment__scope",
    *(f"quarantine.{m}" for m in ("quarantine_orders", "quarantine_refunds", "refunds_left_out")),
]

#: the douyin order versions and after-sale records the hostile rows copy: the first of each by raw id
HOSTILE = [
    # a later landing (raw row and staged version) of the first version, same update time, another paid amount
    """insert into raw.douyin__orders select * replace ('hostile-conflict' as _record_hash, 1000000000 as _landed_seq)
       from raw.douyin__orders where _record_hash = (select min(raw_record_id) from staging.stg_douyin__orders)""",
    """insert into staging.stg_douyin__orders select * replace ('hostile-conflict' as raw_record_id, paid_amount + 1 as paid_amount)
       from staging.stg_douyin__orders where raw_record_id = (select min(raw_record_id) from staging.stg_douyin__orders)""",
    """insert into staging.stg_douyin__orders select * replace ('hostile-shop' as raw_record_id, 'N/A' as shop_id)
       from staging.stg_douyin__orders where raw_record_id = (select max(raw_record_id) from staging.stg_douyin__orders where raw_record_id not like 'hostile-%')""",
    """insert into staging.stg_douyin__orders select * replace ('hostile-negative' as raw_record_id,
           'hostile-negative' as channel_order_id, -5.00 as paid_amount)
       from staging.stg_douyin__orders where raw_record_id = (select max(raw_record_id) from staging.stg_douyin__orders where raw_record_id not like 'hostile-%')""",
    """insert into staging.stg_douyin__refunds select * replace ('hostile-status' as raw_record_id, 'hostile-status' as refund_id,
           'on_hold' as status)
       from staging.stg_douyin__refunds where raw_record_id = (select min(raw_record_id) from staging.stg_douyin__refunds)""",
    """insert into staging.stg_douyin__refunds select * replace ('hostile-exchange' as raw_record_id, 'hostile-exchange' as refund_id,
           'exchange' as refund_type)
       from staging.stg_douyin__refunds where raw_record_id = (select min(raw_record_id) from staging.stg_douyin__refunds)""",
]


class Quiet:
    """A RunProgress that shows nothing."""

    def __getattr__(self, name: str) -> object:
        return (lambda *args: nullcontext()) if name == "stage" else (lambda *args: None)


def _failed(result) -> str:
    return "\n".join(f"{f['unique_id']}: {f['message']}" for f in result.failures()) or result.log_tail


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings, Path]:
    """(DuckDB warehouse, its settings, Spark warehouse): the downstream models built on both from one staging."""
    work = tmp_path_factory.mktemp("downstream")
    duck = work / "demo.duckdb"
    with start_sandboxes(seed=11, as_of=AS_OF, orders=60, shops=1, work=work) as world:
        settings = demo_settings(world, duck)
        pipeline.run(settings, Quiet(), end_date=AS_OF + timedelta(seconds=1), now=AS_OF)  # type: ignore[arg-type]
    with duckdb.connect(str(duck)) as conn:
        for statement in HOSTILE:
            conn.execute(statement)
    # a full build, as every build on Spark is (the hostile staged rows have no landing of their own)
    built = run_dbt(["build", "--select", *DOWNSTREAM, "--full-refresh"], settings, duck)
    assert built.ok, _failed(built)
    spark_db = work / "spark"
    spark_twin(duck, settings, spark_db, schemas=("raw", "staging"))
    # staging and the seeds are twinned, not rebuilt; the unit tests' fixtures are DuckDB SQL
    built = run_dbt(["build", "--select", *DOWNSTREAM, "--exclude", "resource_type:unit_test"], spark_settings(settings), spark_db)
    assert built.ok, _failed(built)
    return duck, settings, spark_db


@pytest.mark.parametrize("relation", RELATIONS)
def test_spark_builds_the_same_rows(warehouses: tuple[Path, Settings, Path], relation: str) -> None:
    duck, settings, spark_db = warehouses
    assert_same_relation(duck, settings, spark_db, relation)


def test_the_hostile_versions_are_quarantined_with_their_reasons(warehouses: tuple[Path, Settings, Path]) -> None:
    """What the equality above covers: the quarantine holds exactly the hostile rows, with the reasons the rules give
    (checked on DuckDB; Spark's rows are equal to these)."""
    duck, _, _ = warehouses
    with duckdb.connect(str(duck), read_only=True) as conn:
        first, first_id, updated = conn.execute(
            "select raw_record_id, channel_order_id, strftime(source_updated_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') "
            "from staging.stg_douyin__orders where raw_record_id <> 'hostile-conflict' order by raw_record_id limit 1"
        ).fetchall()[0]
        last_id = conn.execute(
            "select channel_order_id from staging.stg_douyin__orders where raw_record_id not like 'hostile-%' "
            "order by raw_record_id desc limit 1"
        ).fetchall()[0][0]
    _, orders = duckdb_rows(duck, "quarantine.quarantine_orders", "raw_record_id")
    assert [(r[0], r[4], r[6]) for r in orders] == sorted([
        (first, f'douyin order "{first_id}" (raw record {first}): conflicting version of order {first_id} — same '
                f'source_updated_at {updated} as douyin order "{first_id}" (raw record hostile-conflict), different '
                "content; the later landing wins (D-051)", True),
        ("hostile-negative", 'douyin order "hostile-negative" (raw record hostile-negative): negative paid_amount -5.00', False),
        ("hostile-shop", f'douyin order "{last_id}" (raw record hostile-shop): placeholder shop_id "N/A"', False),
    ])
    _, refunds = duckdb_rows(duck, "quarantine.quarantine_refunds", "raw_record_id")
    assert [(r[1], r[8]) for r in refunds] == [("hostile-status", 'status "on_hold" is not one of the contract\'s five')]
    _, left_out = duckdb_rows(duck, "quarantine.refunds_left_out", "raw_record_id")
    assert [r[1] for r in left_out] == ["hostile-exchange"]
