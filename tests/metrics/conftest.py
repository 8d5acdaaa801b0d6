"""One demo run for every test in tests/metrics, and an enriched copy of it.

The Douyin sandbox has no delivery promises, no ERP, no row-level flags, one currency and only full
refunds, so most fulfilment and ERP metrics would be NULL or 0 on it. `enriched` copies the demo file,
changes `audit` deterministically (each change chosen by the order_key's hex digits), rebuilds the
order_fulfillment model with dbt and copies the marts to `published` the way publish does (without the
gates: the point is metric data, the gates have their own tests), then recreates the views.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.demo_settings import DEMO_SHOPS

from orderlayer.core.config import Settings
from orderlayer.core.pipeline import MARTS
from orderlayer.core.dbt import run_dbt, semantic_manifest
from orderlayer.core.views import create_views

ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
SHOPS = DEMO_SHOPS


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=dict(os.environ), capture_output=True, text=True, timeout=900)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def view_rows(db: Path, view: str) -> list[tuple]:
    return query(db, f"SELECT * FROM published.{view} ORDER BY ALL")


@pytest.fixture(scope="session")
def demo_dir(shared_demo: Path) -> Path:
    return shared_demo


@pytest.fixture(scope="session")
def demo_db(demo_dir: Path) -> Path:
    return demo_dir / "demo.duckdb"


@pytest.fixture(scope="session")
def manifest(demo_db: Path) -> Path:
    return semantic_manifest(demo_db)


# Each statement changes a deterministic slice of audit; c1 / c2 are the last / second-to-last hex digit.
_C1 = "right(order_key, 1)"
_C2 = "substr(order_key, 31, 1)"
ENRICH = (
    # delivery promises: late by a day (0-3), exactly met (4), missed by a second (5), met (6-d), none (e, f)
    f"""UPDATE audit.fct_orders SET promised_delivery_by = CASE
          WHEN {_C1} IN ('0', '1', '2', '3') THEN delivered_at - INTERVAL 1 DAY
          WHEN {_C1} = '4' THEN delivered_at
          WHEN {_C1} = '5' THEN delivered_at - INTERVAL 1 SECOND
          WHEN {_C1} IN ('e', 'f') THEN NULL
          ELSE delivered_at + INTERVAL 1 DAY END
        WHERE delivered_at IS NOT NULL""",
    # partial refunds on valid orders (half of them flagged is_refunded, half only by amount)
    f"""UPDATE audit.fct_orders SET refund_amount = round(paid_amount * 0.3, 2), is_refunded = ({_C2} = '0')
        WHERE is_valid AND {_C2} IN ('0', '1')""",
    # row-level yellow flags
    f"UPDATE audit.fct_orders SET quality_flags = ['paid_without_paid_at'] WHERE {_C2} = '2'",
    f"UPDATE audit.fct_orders SET quality_flags = ['unmapped_status', 'shipped_without_shipped_at'] WHERE {_C2} = '3'",
    # test orders are never valid
    f"UPDATE audit.fct_orders SET is_test = true, is_valid = false WHERE {_C2} IN ('4', 'a')",
    # a second currency in one shop, without a reporting rate
    f"""UPDATE audit.fct_orders SET currency = 'USD', paid_amount_reporting = NULL
        WHERE shop_id = '{SHOPS[1]}' AND {_C2} IN ('5', '6')""",
    # shipping exactly 24 h after payment (within) and one second later (late)
    f"UPDATE audit.fct_orders SET shipped_at = paid_at + INTERVAL 24 HOUR WHERE shipped_at IS NOT NULL AND {_C2} = '7'",
    f"""UPDATE audit.fct_orders SET shipped_at = paid_at + INTERVAL 24 HOUR + INTERVAL 1 SECOND
        WHERE shipped_at IS NOT NULL AND {_C2} = '8'""",
    # ship promises exactly met and missed by a second
    f"UPDATE audit.fct_orders SET promised_ship_by = shipped_at WHERE shipped_at IS NOT NULL AND {_C2} = '9'",
    f"""UPDATE audit.fct_orders SET promised_ship_by = shipped_at - INTERVAL 1 SECOND
        WHERE shipped_at IS NOT NULL AND {_C2} = 'b'""",
    # ERP: linked and agreeing (0-b), linked and disagreeing (c, d), not found (e, f) — valid or not
    f"""UPDATE audit.map_order_ids SET
          erp_system = CASE WHEN {_C1} IN ('e', 'f') THEN NULL ELSE 'kingdee' END,
          erp_order_id = CASE WHEN {_C1} IN ('e', 'f') THEN NULL ELSE 'SO' || channel_order_id END,
          match_method = CASE WHEN {_C1} IN ('e', 'f') THEN 'none' ELSE 'exact_reference' END,
          match_status = CASE WHEN {_C1} IN ('e', 'f') THEN 'unmatched'
                              WHEN {_C1} IN ('c', 'd') THEN 'conflict' ELSE 'matched' END""",
    # the warehouse holds ERP orders (order_fulfillment's "an ERP is linked")
    """INSERT INTO staging.int_erp_orders__current (erp_system, erp_order_id, status)
        VALUES ('kingdee', 'SO-ERP-ONLY-1', 'open')""",
)


@dataclass(frozen=True)
class Boundary:
    """Orders paid exactly 24 h, and 24 h minus a second, before their shop's as-of time (both unshipped)."""

    due: str
    not_due: str


@dataclass(frozen=True)
class Enriched:
    db: Path
    #: published.daily_channel_kpis before audit changed, after audit changed and was rebuilt, after publish
    kpis_before: list[tuple]
    kpis_after_build: list[tuple]
    kpis_after_publish: list[tuple]
    boundary: Boundary


def _boundary_orders(con: duckdb.DuckDBPyConnection) -> Boundary:
    keys = [
        k
        for (k,) in con.execute(
            f"""SELECT order_key FROM audit.fct_orders
                WHERE is_paid AND NOT is_test AND shipped_at IS NULL AND shop_id = '{SHOPS[0]}'
                ORDER BY order_key LIMIT 2"""
        ).fetchall()
    ]
    as_of = f"(SELECT max(source_updated_at) FROM audit.fct_orders WHERE shop_id = '{SHOPS[0]}')"
    con.execute(f"UPDATE audit.fct_orders SET paid_at = {as_of} - INTERVAL 24 HOUR WHERE order_key = ?", [keys[0]])
    con.execute(
        f"UPDATE audit.fct_orders SET paid_at = {as_of} - INTERVAL 24 HOUR + INTERVAL 1 SECOND WHERE order_key = ?",
        [keys[1]],
    )
    return Boundary(due=keys[0], not_due=keys[1])


def publish_audit(db: Path) -> None:
    """What publish does with a green verdict: every mart replaced in one transaction, then the views."""
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN TRANSACTION")
        for mart in MARTS:
            con.execute(f"CREATE OR REPLACE TABLE published.{mart} AS SELECT * FROM audit.{mart}")
        con.execute("COMMIT")
    finally:
        con.close()
    create_views(db)


def without_erp_orders(demo_db: Path, db: Path) -> Path:
    """A copy of the demo warehouse whose ERPs hold nothing, rebuilt and published."""
    shutil.copyfile(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM staging.int_erp_orders__current")
    finally:
        con.close()
    # --full-refresh: the edit above is not a landed raw row, so an incremental run would not see it
    rebuilt = run_dbt(["run", "--full-refresh", "--select", "int_orders__erp_matches+"], Settings(), db)
    assert rebuilt.ok, rebuilt.log_tail
    publish_audit(db)
    return db


@pytest.fixture(scope="session")
def enriched(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Enriched:
    db = tmp_path_factory.mktemp("metrics-enriched") / "enriched.duckdb"
    shutil.copyfile(demo_db, db)
    before = view_rows(db, "daily_channel_kpis")
    con = duckdb.connect(str(db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        for statement in ENRICH:
            con.execute(statement)
        boundary = _boundary_orders(con)
    finally:
        con.close()
    rebuilt = run_dbt(["run", "--full-refresh", "--select", "order_fulfillment"], Settings(), db)
    assert rebuilt.ok, rebuilt.log_tail
    after_build = view_rows(db, "daily_channel_kpis")
    publish_audit(db)
    return Enriched(db, before, after_build, view_rows(db, "daily_channel_kpis"), boundary)
