"""`run` with nothing built since a check re-uses its verdict only while it provably holds (core/check_reuse.py).

The verdicts are recorded by the real gate runner on hand-made marts; the freshness figures are hand-written:
newest douyin record 10 minutes before NOW, warn after 15 minutes, error after 1440.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from orderlayer.core import ops
from orderlayer.core.check_reuse import check_basis, reusable_check
from orderlayer.core.config import Settings
from orderlayer.core.quality import gate_context
from orderlayer.core.warehouse import connect, ensure_ops
from orderlayer.expectations import GateReport, run_gates
from orderlayer.expectations.freshness import SourceFreshness

from .conftest import NOW, WarehouseFactory, order

FRESH = SourceFreshness(
    source="douyin.orders", channel="douyin", status="pass", max_loaded_at=NOW - timedelta(minutes=10),
    snapshotted_at=NOW, age_seconds=600.0, warn_after_minutes=15.0, error_after_minutes=1440.0,
)  # fmt: skip


def checked(path: Path, settings: Settings, run_id: str = "run-1") -> GateReport:
    report = run_gates(path, settings.gates, run_id, NOW, context=gate_context(settings), freshness=[FRESH])
    ops.record_check(path, run_id, NOW, report.verdict, report.verdict, [], check_basis(settings, path))
    return report


def lights(results: list) -> list[tuple]:  # noqa: ANN001
    return sorted((r.gate_id, r.channel or "", r.colour, r.failing_count, tuple(r.examples), r.note) for r in results)


def test_the_verdict_of_the_same_build_is_reused_while_freshness_holds(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse([order("douyin:1"), order("douyin:2", status="unknown", status_native="99")])
    settings = Settings(database=path)
    report = checked(path, settings)
    assert report.verdict == "yellow"  # Y2: one unmapped status

    reused = reusable_check(settings, path, NOW + timedelta(minutes=4))  # newest record 14 minutes old: still pass
    assert reused is not None and reused.reused_from == "run-1"
    assert (reused.verdict, reused.gates.verdict) == ("yellow", "yellow")
    assert lights(reused.gates.results) == lights(report.results)

    # 16 minutes old: dbt would now say warn, so the verdict may differ and the run checks again
    assert reusable_check(settings, path, NOW + timedelta(minutes=6)) is None


def test_changed_gate_settings_or_a_new_build_check_again(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse([order("douyin:1")])
    settings = Settings(database=path)
    checked(path, settings)
    assert reusable_check(settings, path, NOW) is not None
    stricter = settings.model_copy(update={"gates": settings.gates.model_copy(update={"trailing_runs": 3})})
    assert reusable_check(stricter, path, NOW) is None
    con = connect(path)
    try:
        ensure_ops(con, "build_state")
        con.execute("INSERT INTO ops.build_state VALUES (now(), 'incremental', 'test', 0, 5, '{}')")
    finally:
        con.close()
    assert reusable_check(settings, path, NOW) is None
    checked(path, settings, "run-2")  # a check of the new build can be re-used again
    assert reusable_check(settings, path, NOW).reused_from == "run-2"


def test_a_red_r3_is_always_judged_again(make_warehouse: WarehouseFactory) -> None:
    # ordered two hours after NOW: in the future at check time, but not an hour later
    path = make_warehouse([order("douyin:1", ordered_at=NOW + timedelta(hours=2), paid_at=NOW + timedelta(hours=2))])
    settings = Settings(database=path)
    assert checked(path, settings).verdict == "red"
    assert reusable_check(settings, path, NOW + timedelta(minutes=1)) is None


def test_a_warehouse_checked_before_bases_were_recorded_is_judged_again(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse([order("douyin:1")])
    settings = Settings(database=path)
    checked(path, settings)
    con = duckdb.connect(str(path))
    con.execute("UPDATE ops.check_runs SET basis = NULL")
    con.close()
    assert reusable_check(settings, path, NOW) is None


def test_the_basis_covers_the_shops_zones(make_warehouse: WarehouseFactory) -> None:
    from orderlayer.core.config import Connection

    path = make_warehouse([order("douyin:1")])
    shop = Connection(source="douyin", shop_id="shop1", timezone="Asia/Shanghai")
    settings = Settings(database=path, connections={"d": shop})
    checked(path, settings)
    assert reusable_check(settings, path, NOW) is not None
    moved = settings.model_copy(update={"connections": {"d": shop.model_copy(update={"timezone": "Asia/Tokyo"})}})
    assert reusable_check(moved, path, NOW) is None
