"""Write-audit-publish: red never touches `published`; a failure mid-way rolls everything back."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.config import GateSettings
from orderlayer.expectations import (
    GateReport,
    GateResult,
    PublishFailed,
    PublishRefused,
    publish,
    run_gates,
)

from .conftest import NOW, WarehouseFactory, lines_for, order

MARTS = ["fct_orders", "fct_order_lines"]


def report(verdict: str, run_id: str = "run-1") -> GateReport:
    colour = "green" if verdict == "green" else verdict
    severity = "warning" if verdict == "yellow" else "critical"
    result = GateResult("R1", "fct_orders", "keys", "douyin", colour, severity, 1 if verdict != "green" else 0, [], {})
    return GateReport(run_id=run_id, checked_at=NOW, verdict=verdict, results=[result], expectations=[])


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table in `published` and `ops.publish_log`, in a stable order."""
    conn = duckdb.connect(str(path))
    try:
        tables = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = 'published' OR (table_schema = 'ops' AND table_name = 'publish_log') ORDER BY 1"
        ).fetchall()
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for (t,) in tables}
    finally:
        conn.close()


def execute(path: Path, *statements: str) -> None:
    conn = duckdb.connect(str(path))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


@pytest.fixture
def warehouse(make_warehouse: WarehouseFactory) -> Path:
    keys = ["douyin:1", "douyin:2", "jd:3"]
    return make_warehouse(
        [order(keys[0]), order(keys[1]), order(keys[2], "jd")], [line for k in keys for line in lines_for(k)]
    )


def test_yellow_publishes_every_mart_and_logs_version_1(warehouse: Path) -> None:
    result = publish(warehouse, "run-1", report("yellow"), MARTS)
    assert (result.version, result.verdict, result.row_counts) == (1, "yellow", {"fct_orders": 3, "fct_order_lines": 6})
    conn = duckdb.connect(str(warehouse))
    try:
        for mart in MARTS:
            difference = conn.execute(
                f"SELECT count(*) FROM ((SELECT * FROM audit.{mart} EXCEPT ALL SELECT * FROM published.{mart}) "
                f"UNION ALL (SELECT * FROM published.{mart} EXCEPT ALL SELECT * FROM audit.{mart}))"
            ).fetchone()[0]
            assert difference == 0, mart
        # Same column types as the contract dbt enforced in audit.
        types = (
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND list_contains(?, table_name) ORDER BY table_name, ordinal_position"
        )
        assert conn.execute(types, ["published", MARTS]).fetchall() == conn.execute(types, ["audit", MARTS]).fetchall()
        log = conn.execute("SELECT run_id, version, verdict, marts, row_counts FROM ops.publish_log").fetchall()
    finally:
        conn.close()
    run_id, version, verdict, marts, counts = log[0]
    assert (run_id, version, verdict, json.loads(marts)) == ("run-1", 1, "yellow", MARTS)
    assert json.loads(counts) == {"fct_orders": 3, "fct_order_lines": 6}


def test_version_increments_and_published_follows_audit(warehouse: Path) -> None:
    assert publish(warehouse, "run-1", report("green"), MARTS).version == 1
    execute(warehouse, "DELETE FROM audit.fct_orders WHERE order_key = 'jd:3'")
    second = publish(warehouse, "run-2", report("green", "run-2"), MARTS)
    assert (second.version, second.row_counts["fct_orders"]) == (2, 2)
    assert [(row[0], row[2]) for row in snapshot(warehouse)["ops.publish_log"]] == [("run-1", 1), ("run-2", 2)]


def test_red_report_changes_nothing_not_even_a_byte(warehouse: Path) -> None:
    publish(warehouse, "run-1", report("green"), MARTS)
    execute(warehouse, "DELETE FROM audit.fct_orders", "CHECKPOINT")
    before_rows, before_bytes = snapshot(warehouse), hashlib.sha256(warehouse.read_bytes()).hexdigest()
    with pytest.raises(PublishRefused, match=r"run-2 is red \(R1 \(douyin\)\)"):
        publish(warehouse, "run-2", report("red", "run-2"), MARTS)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before_bytes
    assert snapshot(warehouse) == before_rows
    assert len(before_rows["published.fct_orders"]) == 3


def test_failure_mid_transaction_leaves_published_as_it_was(warehouse: Path) -> None:
    publish(warehouse, "run-1", report("green"), MARTS)
    before = snapshot(warehouse)
    execute(warehouse, "DELETE FROM audit.fct_orders WHERE channel = 'douyin'")
    # fct_orders is replaced first, then the missing mart fails: the replacement must roll back too.
    with pytest.raises(PublishFailed, match="fct_missing"):
        publish(warehouse, "run-2", report("green", "run-2"), ["fct_orders", "fct_missing", "fct_order_lines"])
    assert snapshot(warehouse) == before
    assert publish(warehouse, "run-3", report("green", "run-3"), MARTS).version == 2


def test_a_mart_new_to_published_appears_only_with_the_commit(warehouse: Path) -> None:
    execute(warehouse, "CREATE TABLE audit.fct_order_events AS SELECT order_key, 'paid' AS event FROM audit.fct_orders")
    with pytest.raises(PublishFailed):
        publish(warehouse, "run-1", report("green"), ["fct_order_events", "fct_missing"])
    assert snapshot(warehouse) == {}
    publish(warehouse, "run-2", report("green", "run-2"), [*MARTS, "fct_order_events"])
    assert len(snapshot(warehouse)["published.fct_order_events"]) == 3


def test_bad_arguments_are_refused_before_touching_the_file(warehouse: Path) -> None:
    with pytest.raises(ValueError, match="not run-2"):
        publish(warehouse, "run-2", report("green", "run-1"), MARTS)
    with pytest.raises(ValueError, match="plain identifier"):
        publish(warehouse, "run-1", report("green"), ["fct_orders; DROP TABLE audit.fct_orders"])
    with pytest.raises(ValueError, match="without repeats"):
        publish(warehouse, "run-1", report("green"), ["fct_orders", "fct_orders"])
    assert snapshot(warehouse) == {}


def test_gates_then_publish(make_warehouse: WarehouseFactory) -> None:
    """The real sequence: a yellow run publishes, a later red run leaves that release in place."""
    path = make_warehouse([order("douyin:1", status="unknown")], lines_for("douyin:1"))
    yellow = run_gates(path, GateSettings(), "run-1", NOW)
    assert publish(path, "run-1", yellow, MARTS).verdict == "yellow"
    execute(path, "UPDATE audit.fct_orders SET paid_amount = -1")
    red = run_gates(path, GateSettings(), "run-2", NOW)
    with pytest.raises(PublishRefused):
        publish(path, "run-2", red, MARTS)
    conn = duckdb.connect(str(path))
    try:
        # As published by run-1, not the -1 of the red run.
        assert conn.execute("SELECT paid_amount FROM published.fct_orders").fetchall() == [(90,)]
    finally:
        conn.close()


# ---------------------------------------------------------------- versions and rollback (docs/incremental.md)
def published_rows(path: Path, mart: str = "fct_orders") -> list[tuple]:
    conn = duckdb.connect(str(path))
    try:
        return conn.execute(f"SELECT * FROM published.{mart} ORDER BY ALL").fetchall()
    finally:
        conn.close()


def paid(path: Path) -> dict[str, Decimal]:
    conn = duckdb.connect(str(path))
    try:
        return dict(conn.execute("SELECT order_key, paid_amount FROM published.fct_orders").fetchall())
    finally:
        conn.close()


def pending_incremental_build(path: Path, *order_keys: str) -> None:
    """What `orderlayer build` records after an incremental build that recomputed these orders."""
    from orderlayer.core.warehouse import PENDING_TABLES, ensure_ops

    conn = duckdb.connect(str(path))
    try:
        ensure_ops(conn, "build_state", *PENDING_TABLES)  # the warehouse's builds are tracked
        conn.execute("INSERT INTO ops.unpublished_builds VALUES (now(), 'incremental')")
        for key in order_keys:
            conn.execute("INSERT INTO ops.unpublished_keys VALUES ('orders', ?)", [key])
    finally:
        conn.close()


def test_rollback_restores_the_previous_version_and_versions_are_never_reused(warehouse: Path) -> None:
    from orderlayer.expectations.publish import RollbackRefused, rollback

    assert publish(warehouse, "run-1", report("green"), MARTS).version == 1
    v1 = snapshot(warehouse)
    execute(warehouse, "DELETE FROM audit.fct_orders WHERE order_key = 'jd:3'", "UPDATE audit.fct_order_lines SET sku_id = 'X'")
    assert publish(warehouse, "run-2", report("green", "run-2"), MARTS).version == 2
    assert len(published_rows(warehouse)) == 2
    result = rollback(warehouse)
    assert (result.rolled_back, result.version) == (2, 1)
    assert snapshot(warehouse) == v1  # rows and the log, byte for byte as version 1 left them
    with pytest.raises(RollbackRefused, match="oldest one kept"):
        rollback(warehouse)
    third = publish(warehouse, "run-3", report("green", "run-3"), MARTS)
    assert third.version == 3 and len(published_rows(warehouse)) == 2  # audit again; 2 is not reused


def test_after_incremental_builds_publish_replaces_only_the_recomputed_orders(warehouse: Path) -> None:
    from orderlayer.expectations.publish import rollback

    assert publish(warehouse, "run-1", report("green"), MARTS).mode == "full"
    before = published_rows(warehouse)
    execute(warehouse, "UPDATE audit.fct_orders SET paid_amount = 80 WHERE order_key IN ('douyin:1', 'douyin:2')")
    pending_incremental_build(warehouse, "douyin:1")  # the build recomputed douyin:1 only
    second = publish(warehouse, "run-2", report("green", "run-2"), MARTS)
    assert (second.version, second.mode, second.row_counts["fct_orders"]) == (2, "delta", 3)
    # only the pending order is replaced: the untracked edit of douyin:2 is proof that nothing else was copied
    assert paid(warehouse) == {"douyin:1": Decimal("80.00"), "douyin:2": Decimal("90.00"), "jd:3": Decimal("90.00")}
    # nothing built since: no new version, and it says so
    third = publish(warehouse, "run-3", report("green", "run-3"), MARTS)
    assert (third.mode, third.new, third.version) == ("none", False, 2)
    assert [row[2] for row in snapshot(warehouse)["ops.publish_log"]] == [1, 2]
    # roll back: version 1's rows again; the next publish re-applies the rolled-back orders
    assert rollback(warehouse).version == 1
    assert published_rows(warehouse) == before
    again = publish(warehouse, "run-4", report("green", "run-4"), MARTS)
    assert (again.version, again.mode) == (3, "delta")
    assert paid(warehouse)["douyin:1"] == Decimal("80.00")


def test_only_keep_versions_versions_can_be_rolled_back(warehouse: Path) -> None:
    from orderlayer.expectations.publish import RollbackRefused, rollback

    for i in range(1, 5):
        execute(warehouse, f"UPDATE audit.fct_orders SET paid_amount = {i}")
        publish(warehouse, f"run-{i}", report("green", f"run-{i}"), MARTS, keep_versions=2)
    assert rollback(warehouse).version == 3
    assert rollback(warehouse).version == 2
    assert set(paid(warehouse).values()) == {Decimal(2)}
    with pytest.raises(RollbackRefused):
        rollback(warehouse)


def test_keep_versions_is_validated() -> None:
    from pydantic import ValidationError

    from orderlayer.core.config import Settings

    assert Settings().publish.keep_versions == 3
    with pytest.raises(ValidationError, match="keep_versions"):
        Settings.model_validate({"publish": {"keep_versions": 0}})
