"""The gate catalogue on hand-made rows; every expected count is worked out by hand in the comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from great_expectations.core import ExpectationValidationResult
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from orderlayer.core.config import GateSettings
from orderlayer.expectations.inputs import GateContext
from orderlayer.expectations import GateReport, GateResult, GateRunError, PublishRefused, publish, run_gates, verdict_of

from .conftest import NOW, WarehouseFactory, lines_for, order

#: The gates with lights when dbt source freshness (Y1) is not part of the run, in catalogue order.
GATES = ["R1", "R2", "R3", "R4", "R5", "R6", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Y8", "Y9"]
ROW_GATES = {"R1", "R2", "R3", "Y2"}


def run(path: Path, run_id: str = "run-1", **settings: object) -> GateReport:
    return run_gates(path, GateSettings(**settings), run_id, NOW)


def light(report: GateReport, gate_id: str, channel: str | None) -> GateResult:
    (result,) = [r for r in report.results if r.gate_id == gate_id and r.channel == channel]
    return result


def non_green(report: GateReport) -> list[tuple[str, str | None, str, int, dict[str, int]]]:
    return [(r.gate_id, r.channel, r.colour, r.failing_count, r.checks) for r in report.results if r.colour != "green"]


def test_clean_orders_are_green_in_every_channel(make_warehouse: WarehouseFactory) -> None:
    keys = ["douyin:1", "douyin:2", "jd:1"]
    path = make_warehouse(
        [order(keys[0]), order(keys[1]), order(keys[2], "jd")],
        [line for key in keys for line in lines_for(key)],
    )
    report = run(path)
    assert report.verdict == "green"
    assert [(r.gate_id, r.channel) for r in report.results] == [(g, c) for g in GATES for c in ("douyin", "jd")]
    assert all(r.colour == "green" and r.failing_count == 0 and r.examples == [] for r in report.results)
    assert all(e.success for e in report.expectations)
    assert {r.gate_id: r.severity for r in report.results} == {
        **{g: "critical" for g in GATES if g.startswith("R")},
        **{g: "warning" for g in GATES if g.startswith("Y")},
    }


def test_empty_audit_tables_are_green(make_warehouse: WarehouseFactory) -> None:
    report = run(make_warehouse([], []))
    assert report.verdict == "green"
    # No channel to split by: one green light per gate.
    assert [(r.gate_id, r.channel, r.colour, r.failing_count) for r in report.results] == [
        (g, None, "green", 0) for g in GATES
    ]


# R1 ----------------------------------------------------------------------------------------------


def test_r1_null_order_key(make_warehouse: WarehouseFactory) -> None:
    report = run(make_warehouse([order("douyin:1"), order("douyin:2", order_key=None), order("jd:1", "jd")]))
    assert report.verdict == "red"
    # The NULL key cannot be shown as an example.
    assert non_green(report) == [("R1", "douyin", "red", 1, {"order_key_present": 1})]
    assert light(report, "R1", "douyin").examples == []


def test_r1_duplicate_order_key(make_warehouse: WarehouseFactory) -> None:
    # Two copies of one order: both rows are unexpected for both uniqueness rules. The raw side has the
    # order once, so R4 sees one order identity (jd, shop1, 7) with 1 raw ≠ 2 fct rows.
    report = run(make_warehouse([order("jd:7", "jd"), order("jd:7", "jd"), order("douyin:1")]))
    assert non_green(report) == [
        ("R1", "jd", "red", 2, {"order_key_unique": 2, "channel_order_unique": 2}),
        ("R4", "jd", "red", 1, {"raw_equals_accounted": 1, "every_order_balances": 1}),
    ]
    assert light(report, "R1", "jd").examples == ["jd:7"]
    assert light(report, "R4", "jd").examples == ["raw:jd:7"]


def test_r1_duplicate_channel_order_with_distinct_keys(make_warehouse: WarehouseFactory) -> None:
    rows = [
        order("douyin:a", channel_order_id="77"),
        order("douyin:b", channel_order_id="77"),
        order("douyin:c", channel_order_id="77", shop_id="shop2"),  # another shop: not a duplicate
        order("jd:d", "jd", channel_order_id="77"),  # another channel: not a duplicate
        # A missing channel_order_id is not a key, so two of them are no duplicate (GX's rule).
        order("douyin:e", channel_order_id=None),
        order("douyin:f", channel_order_id=None),
    ]
    report = run(make_warehouse(rows))
    # R4: identity (douyin, shop1, 77) has 1 raw record but 2 fct rows; identity (douyin, shop1, NULL)
    # has 2 fct rows and no raw record at all (a real one would have been quarantined).
    assert non_green(report) == [
        ("R1", "douyin", "red", 2, {"channel_order_unique": 2}),
        ("R4", "douyin", "red", 2, {"raw_equals_accounted": 2, "every_order_balances": 2}),
    ]
    assert light(report, "R1", "douyin").examples == ["douyin:a", "douyin:b"]
    # the raw pointer of each unbalanced identity: the raw record, else the fct row's own pointer
    assert light(report, "R4", "douyin").examples == ["raw:douyin:a", "raw:douyin:f"]


# R2 ----------------------------------------------------------------------------------------------


def test_r2_negative_and_missing_amounts_of_paid_orders(make_warehouse: WarehouseFactory) -> None:
    rows = [
        # refund_amount NULL so that 0 > -0.01 does not also trip refund_within_paid.
        order("douyin:neg", paid_amount=Decimal("-0.01"), refund_amount=None),
        order("douyin:neg-goods", goods_amount=Decimal("-5.00")),
        order("jd:null", "jd", paid_amount=None),
        order("jd:null-goods", "jd", goods_amount=None),
        # Unpaid orders are not judged on amounts.
        order("jd:unpaid", "jd", is_paid=False, paid_amount=None, goods_amount=Decimal("-1.00")),
        order("jd:zero", "jd", paid_amount=Decimal("0.00")),
    ]
    report = run(make_warehouse(rows))
    assert non_green(report) == [
        ("R2", "douyin", "red", 2, {"paid_amount_non_negative": 1, "goods_amount_non_negative": 1}),
        ("R2", "jd", "red", 2, {"paid_amount_present": 1, "goods_amount_present": 1}),
    ]
    assert light(report, "R2", "douyin").examples == ["douyin:neg", "douyin:neg-goods"]
    assert light(report, "R2", "jd").examples == ["jd:null", "jd:null-goods"]


def test_r2_refund_above_paid(make_warehouse: WarehouseFactory) -> None:
    rows = [
        order("douyin:over", refund_amount=Decimal("90.01")),  # paid 90.00
        order("douyin:full", refund_amount=Decimal("90.00")),  # a full refund is fine
        order("jd:over", "jd", is_paid=False, paid_amount=Decimal("0.00"), refund_amount=Decimal("1.00")),
    ]
    report = run(make_warehouse(rows))
    assert non_green(report) == [
        ("R2", "douyin", "red", 1, {"refund_within_paid": 1}),
        ("R2", "jd", "red", 1, {"refund_within_paid": 1}),
    ]


def test_r2_lines_off_by_one_cent(make_warehouse: WarehouseFactory) -> None:
    orders = [order(k) for k in ("douyin:ok", "douyin:paid", "douyin:goods", "douyin:nolines", "douyin:nullline")]
    orders.append(order("jd:paid", "jd"))
    lines = (
        lines_for("douyin:ok")
        + lines_for("douyin:paid", (("60.00", "54.00"), ("40.00", "35.99")))  # Σ paid 89.99 ≠ 90.00
        + lines_for("douyin:goods", (("60.01", "54.00"), ("40.00", "36.00")))  # Σ goods 100.01 ≠ 100.00
        + lines_for("douyin:nullline", (("60.00", "54.00"), ("40.00", None)))  # cannot sum exactly
        + lines_for("jd:paid", (("100.00", "90.01"),))  # one line, paid 90.01 ≠ 90.00
    )
    report = run(make_warehouse(orders, lines))
    assert non_green(report) == [
        ("R2", "douyin", "red", 3, {"lines_sum_to_order": 3}),
        ("R2", "jd", "red", 1, {"lines_sum_to_order": 1}),
    ]
    assert light(report, "R2", "douyin").examples == ["douyin:goods", "douyin:nullline", "douyin:paid"]


# R3 ----------------------------------------------------------------------------------------------


def _at(ordered_at: datetime | None, key: str, channel: str = "douyin") -> dict[str, object]:
    # paid a minute after ordering, so only the ordered_at rules are in play
    return order(key, channel, ordered_at=ordered_at, paid_at=ordered_at and ordered_at + timedelta(minutes=1))


def test_r3_ordered_at_missing_future_or_before_2000(make_warehouse: WarehouseFactory) -> None:
    rows = [
        _at(None, "douyin:null"),
        _at(NOW + timedelta(minutes=11), "douyin:future"),  # skew is 10 min
        _at(NOW + timedelta(minutes=9), "douyin:soon"),
        _at(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), "jd:old", "jd"),
        _at(datetime(2000, 1, 1, tzinfo=UTC), "jd:y2k", "jd"),
    ]
    report = run(make_warehouse(rows))
    assert non_green(report) == [
        ("R3", "douyin", "red", 2, {"ordered_at_present": 1, "ordered_at_plausible": 1}),
        ("R3", "jd", "red", 1, {"ordered_at_plausible": 1}),
    ]
    assert light(report, "R3", "douyin").examples == ["douyin:future", "douyin:null"]


def test_r3_thresholds_come_from_settings(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse(
        [_at(NOW + timedelta(minutes=1), "douyin:1"), _at(datetime(2015, 6, 1, tzinfo=UTC), "jd:2", "jd")]
    )
    assert run(path).verdict == "green"
    strict = run(path, "run-2", future_skew_minutes=0, earliest_order_date="2020-01-01")
    assert non_green(strict) == [
        ("R3", "douyin", "red", 1, {"ordered_at_plausible": 1}),
        ("R3", "jd", "red", 1, {"ordered_at_plausible": 1}),
    ]


def test_r3_paid_before_ordered(make_warehouse: WarehouseFactory) -> None:
    t = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    rows = [
        order("douyin:early", ordered_at=t, paid_at=t - timedelta(seconds=61)),
        order("douyin:within", ordered_at=t, paid_at=t - timedelta(seconds=60)),  # tolerance is 60 s
        order("douyin:unpaid", ordered_at=t, paid_at=None, is_paid=False),
    ]
    path = make_warehouse(rows)
    assert non_green(run(path)) == [("R3", "douyin", "red", 1, {"paid_not_before_ordered": 1})]
    assert run(path, "run-2", paid_before_ordered_tolerance_seconds=61).verdict == "green"


# Trailing values (R5, Y3) -----------------------------------------------------------------------


def run_and_publish(path: Path, run_id: str, **settings: object) -> GateReport:
    report = run(path, run_id, **settings)
    publish(path, run_id, report, ["fct_orders", "fct_order_lines"])
    return report


def test_r5_trailing_is_the_median_of_earlier_green_published_runs(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse([order("douyin:1"), order("douyin:2")])  # paid 90.00 each
    assert light(run_and_publish(path, "run-a"), "R5", "douyin").note == "median 90.00; no history yet"
    conn = duckdb.connect(str(path))
    conn.execute("UPDATE audit.fct_orders SET paid_amount = 100")
    conn.close()
    assert light(run_and_publish(path, "run-b"), "R5", "douyin").note == (
        "median 100.00 vs trailing 90.00 over 1 runs (1.11x)"
    )
    # median of 90 and 100; with a window of one run, only the latest (run-b's 100)
    assert light(run_and_publish(path, "run-c"), "R5", "douyin").note == (
        "median 100.00 vs trailing 95.00 over 2 runs (1.05x)"
    )
    assert light(run(path, "run-d", trailing_runs=1), "R5", "douyin").note == (
        "median 100.00 vs trailing 100.00 over 1 runs (1.00x)"
    )
    # re-checking run-a compares it with the others, never with itself
    assert light(run(path, "run-a"), "R5", "douyin").note == "median 100.00 vs trailing 100.00 over 2 runs (1.00x)"


def test_trailing_values_come_from_published_runs_only(make_warehouse: WarehouseFactory) -> None:
    # run-a (90.00) is published; run-b (1000.00, R5 green only because its band is widened) is checked and
    # never published; run-c (red: 10 000.00 against the default band) cannot be published. Only run-a sets
    # the norm: run-d still compares with 90.00 over 1 run.
    path = make_warehouse([order("douyin:1"), order("douyin:2")])
    run_and_publish(path, "run-a")
    conn = duckdb.connect(str(path))
    conn.execute("UPDATE audit.fct_orders SET paid_amount = 1000, paid_amount_reporting = 1000")
    conn.close()
    check_only = run(path, "run-b", order_value_ratio_max=20)
    assert light(check_only, "R5", "douyin").colour == "green"
    conn = duckdb.connect(str(path))
    conn.execute("UPDATE audit.fct_orders SET paid_amount = 10000, paid_amount_reporting = 10000")
    conn.close()
    red = run(path, "run-c")
    assert light(red, "R5", "douyin").colour == "red"
    with pytest.raises(PublishRefused):
        publish(path, "run-c", red, ["fct_orders", "fct_order_lines"])
    assert light(run(path, "run-d"), "R5", "douyin").note == "median 10000.00 vs trailing 90.00 over 1 runs (111.11x)"


# Y2 and the verdict ------------------------------------------------------------------------------


def test_y2_unknown_status_is_yellow(make_warehouse: WarehouseFactory) -> None:
    rows = [order("douyin:1"), order("jd:1", "jd", status="unknown", status_native="99"), order("jd:2", "jd")]
    report = run(make_warehouse(rows))
    assert report.verdict == "yellow"
    assert non_green(report) == [("Y2", "jd", "yellow", 1, {"status_mapped": 1})]
    y2 = light(report, "Y2", "jd")
    assert (y2.severity, y2.examples) == ("warning", ["jd:1"])


def test_red_beats_yellow(make_warehouse: WarehouseFactory) -> None:
    rows = [order("douyin:1", status="unknown"), order("jd:1", "jd", ordered_at=None)]
    report = run(make_warehouse(rows))
    assert report.verdict == "red"
    assert [(r.gate_id, r.channel, r.colour) for r in report.results if r.colour != "green"] == [
        ("R3", "jd", "red"),
        ("Y2", "douyin", "yellow"),
    ]


def test_examples_are_capped_sorted_and_never_personal(make_warehouse: WarehouseFactory) -> None:
    rows = [order(f"douyin:{i}", status="unknown") for i in (5, 3, 9, 1, 7)]
    path = make_warehouse(rows)
    report = run(path, example_keys=3)
    y2 = light(report, "Y2", "douyin")
    assert (y2.failing_count, y2.examples) == (5, ["douyin:1", "douyin:3", "douyin:5"])
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    assert "138****1234" not in text and "张*" not in text
    assert light(run(path, "run-2", example_keys=0), "Y2", "douyin").examples == []


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([("critical", True), ("warning", True)], "green"),
        ([("critical", True), ("warning", False)], "yellow"),
        ([("critical", False), ("warning", True)], "red"),
        ([("critical", False), ("warning", False)], "red"),
        ([("info", False), ("critical", True)], "green"),  # info never blocks or warns
        ([], "green"),
    ],
)
def test_verdict_follows_severity_not_gx_success(outcomes: list[tuple[str, bool]], verdict: str) -> None:
    results = [
        ExpectationValidationResult(
            success=success,
            expectation_config=ExpectationConfiguration(
                type="expect_column_values_to_not_be_null", kwargs={"column": "x"}, severity=severity
            ),
        )
        for severity, success in outcomes
    ]
    assert verdict_of(results) == verdict


# Recording, errors, consistency ------------------------------------------------------------------


def test_results_are_recorded_in_ops(make_warehouse: WarehouseFactory) -> None:
    path = make_warehouse([order("douyin:1", status="unknown"), order("jd:1", "jd")])
    first = run(path, "run-1")
    run(path, "run-1")  # re-running a run id replaces its rows
    run(path, "run-2")
    conn = duckdb.connect(str(path))
    try:
        per_run = conn.execute("SELECT run_id, count(*) FROM ops.gate_results GROUP BY 1 ORDER BY 1").fetchall()
        y2 = conn.execute(
            "SELECT checked_at, verdict, model, colour, severity, failing_count, examples, checks "
            "FROM ops.gate_results WHERE run_id = 'run-1' AND gate_id = 'Y2' AND channel = 'douyin'"
        ).fetchone()
    finally:
        conn.close()
    assert per_run == [("run-1", len(first.results)), ("run-2", len(first.results))]
    checked_at, verdict, model, colour, severity, failing, examples, checks = y2
    assert checked_at == NOW
    assert (verdict, model, colour, severity, failing) == ("yellow", "fct_orders", "yellow", "warning", 1)
    assert (json.loads(examples), json.loads(checks)) == (["douyin:1"], {"status_mapped": 1})


def test_missing_audit_table_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA audit")
    conn.execute("CREATE TABLE audit.fct_orders (order_key VARCHAR)")
    conn.close()
    with pytest.raises(GateRunError, match=r"audit\.fct_order_lines, quarantine\.quarantine_orders not found"):
        run(path)
    with pytest.raises(FileNotFoundError):
        run(tmp_path / "nowhere.duckdb")


def test_gx_and_the_per_channel_sql_agree_on_every_check(make_warehouse: WarehouseFactory) -> None:
    """Every check fails here at least once; the runner itself refuses a GX/SQL disagreement, and
    this compares GX's unexpected count with the per-channel counts summed, check by check."""
    t = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [
        order("douyin:1", order_key=None),
        order("douyin:2"),
        order("douyin:2", channel_order_id="x"),
        order("jd:3", "jd", channel_order_id="y"),
        order("jd:4", "jd", channel_order_id="y", paid_amount=None, goods_amount=None),
        order("jd:5", "jd", paid_amount=Decimal("-1"), goods_amount=Decimal("-1"), refund_amount=Decimal("5")),
        order("tmall:6", "tmall", ordered_at=None, status="unknown"),
        order("tmall:7", "tmall", ordered_at=NOW + timedelta(days=1), paid_at=NOW + timedelta(days=1)),
        order("tmall:8", "tmall", ordered_at=t, paid_at=t - timedelta(hours=1)),
    ]
    report = run(make_warehouse(rows, lines_for("douyin:2", (("1.00", "1.00"),))))
    assert report.verdict == "red"
    row_checks = [e for e in report.expectations if e.gate_id in ROW_GATES]
    assert all(not e.success for e in row_checks), [e.check for e in row_checks if e.success]
    for e in row_checks:
        per_channel = sum(r.checks.get(e.check, 0) for r in report.results if r.gate_id == e.gate_id)
        assert per_channel == e.unexpected_count > 0, e


def test_naive_clock_is_refused(make_warehouse: WarehouseFactory) -> None:
    # A naive `now` would be read in the machine's zone and shift R3's future bound.
    with pytest.raises(ValueError, match="timezone-aware"):
        run_gates(make_warehouse([order("douyin:1")]), GateSettings(), "run-1", datetime(2026, 3, 1, 12, 0))


def test_starter_file_lists_every_threshold_with_the_catalogue_default() -> None:
    import yaml

    from orderlayer.core.config import STARTER

    gates = yaml.safe_load(STARTER)["gates"]
    assert set(gates) == set(GateSettings.model_fields)
    assert GateSettings(**gates) == GateSettings()
    with pytest.raises(ValueError, match="order_value_ratio_min must be below"):
        GateSettings(order_value_ratio_min=5, order_value_ratio_max=5)


def execute(path: Path, *statements: str) -> None:
    """Run statements on the test warehouse (tables the build would have made, changed as a test needs)."""
    conn = duckdb.connect(str(path))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def test_r4_balances_after_sale_records_per_channel(make_warehouse: WarehouseFactory) -> None:
    """raw after-sale records (distinct by the stream's key, over the source's after_sale_streams) =
    the records (after_sale_record_id) of fct_refunds + quarantine_refunds + refunds_left_out (exchanges), per
    channel (docs/refunds.md)."""
    path = make_warehouse([order("jd:1", "jd"), order("jd:2", "jd")], lines_for(["jd:1", "jd:2"]))
    execute(
        path,
        # jd: applications a1 (two versions) and a2, service s1 → 3 records; douyin sends none
        "CREATE TABLE raw.jd__refund_applies (_record_hash VARCHAR, _primary_key VARCHAR)",
        "INSERT INTO raw.jd__refund_applies VALUES ('h1', '[\"shop1\",\"a1\"]'), ('h2', '[\"shop1\",\"a1\"]'), "
        "('h3', '[\"shop1\",\"a2\"]')",
        "CREATE TABLE raw.jd__service_refunds (_record_hash VARCHAR, _primary_key VARCHAR)",
        "INSERT INTO raw.jd__service_refunds VALUES ('h4', '[\"shop1\",\"s1\"]')",
        # facts: a1 only; quarantined: s1 → 2 of 3: a2 is lost (each row names its record's latest raw row)
        "CREATE TABLE audit.fct_refunds AS SELECT 'jd' AS channel, 'a1' AS refund_id, 'h2' AS after_sale_record_id",
        "CREATE TABLE quarantine.quarantine_refunds AS SELECT 'jd' AS channel, 's1' AS record_id, 'h4' AS after_sale_record_id",
        "CREATE TABLE quarantine.refunds_left_out (channel VARCHAR, record_id VARCHAR, after_sale_record_id VARCHAR)",
    )
    context = GateContext(after_sale_streams={"jd": ("refund_applies", "service_refunds")})
    report = run_gates(path, GateSettings(), "run-1", NOW, context)
    # one record short: failing count 1 (no order is unbalanced)
    assert non_green(report) == [("R4", "jd", "red", 1, {"refunds_balance": 1})]
    assert light(report, "R4", "jd").note == (
        "raw 2 = fct_orders 2 + quarantined without a valid version 0; after-sale records: raw 3 ≠ fct_refunds 1 + quarantined 1")
    execute(path, "INSERT INTO audit.fct_refunds VALUES ('jd', 'a2', 'h3')")
    report = run_gates(path, GateSettings(), "run-2", NOW, context)
    assert non_green(report) == []
    assert light(report, "R4", "jd").note.endswith("after-sale records: raw 3 = fct_refunds 2 + quarantined 1")
    # a2 is an exchange after all: left out by rule, still accounted
    execute(
        path,
        "DELETE FROM audit.fct_refunds WHERE refund_id = 'a2'",
        "INSERT INTO quarantine.refunds_left_out VALUES ('jd', 'a2', 'h3')",
    )
    report = run_gates(path, GateSettings(), "run-3", NOW, context)
    assert non_green(report) == []
    assert light(report, "R4", "jd").note.endswith(
        "after-sale records: raw 3 = fct_refunds 1 + quarantined 1 + left out by rule 1")


def test_r4_balances_shopify_returns_by_the_return_each_row_stands_for(make_warehouse: WarehouseFactory) -> None:
    """Shopify's `returns` stream: a Return is accounted by the refunds that settle it (one record, however many
    refunds), or by its own row; a refund no Return names is not an after-sale record (its order accounts for it)."""
    path = make_warehouse([order("shopify:1", "shopify"), order("shopify:2", "shopify")], lines_for(["shopify:1", "shopify:2"]))
    execute(
        path,
        # Returns r1 (two versions), r2, r3, r4 → 4 records
        "CREATE TABLE raw.shopify__returns (_record_hash VARCHAR, _primary_key VARCHAR)",
        "INSERT INTO raw.shopify__returns VALUES ('r1a', '[\"s\",\"1\"]'), ('r1b', '[\"s\",\"1\"]'), "
        "('r2', '[\"s\",\"2\"]'), ('r3', '[\"s\",\"3\"]'), ('r4', '[\"s\",\"4\"]')",
        # r1 settled by refunds f1 and f2 (facts); f3 settles no Return; r2 open (its own row); r3's refunds not in
        # its order yet (quarantined); r4 closed without money (left out)
        "CREATE TABLE audit.fct_refunds (channel VARCHAR, refund_id VARCHAR, after_sale_record_id VARCHAR)",
        "INSERT INTO audit.fct_refunds VALUES ('shopify', 'f1', 'r1b'), ('shopify', 'f2', 'r1b'), "
        "('shopify', 'f3', NULL), ('shopify', '2', 'r2')",
        "CREATE TABLE quarantine.quarantine_refunds AS SELECT 'shopify' AS channel, '3' AS record_id, 'r3' AS after_sale_record_id",
        "CREATE TABLE quarantine.refunds_left_out AS SELECT 'shopify' AS channel, '4' AS record_id, 'r4' AS after_sale_record_id",
    )
    context = GateContext(after_sale_streams={"shopify": ("returns",)})
    report = run_gates(path, GateSettings(), "run-1", NOW, context)
    assert non_green(report) == []
    assert light(report, "R4", "shopify").note.endswith(
        "after-sale records: raw 4 = fct_refunds 2 + quarantined 1 + left out by rule 1")
    # the open Return r2 is silently dropped from the facts: one record short
    execute(path, "DELETE FROM audit.fct_refunds WHERE after_sale_record_id = 'r2'")
    report = run_gates(path, GateSettings(), "run-2", NOW, context)
    assert non_green(report) == [("R4", "shopify", "red", 1, {"refunds_balance": 1})]
    assert light(report, "R4", "shopify").note.endswith(
        "after-sale records: raw 4 ≠ fct_refunds 1 + quarantined 1 + left out by rule 1")


def test_r4_does_not_judge_refunds_of_a_warehouse_built_before_rows_named_their_record(make_warehouse: WarehouseFactory) -> None:
    # refund facts of an earlier build (no after_sale_record_id): judged again once built, never a failing query
    path = make_warehouse([order("jd:1", "jd")], lines_for(["jd:1"]))
    execute(
        path,
        "CREATE TABLE raw.jd__refund_applies (_record_hash VARCHAR, _primary_key VARCHAR)",
        "INSERT INTO raw.jd__refund_applies VALUES ('h1', '[\"shop1\",\"a1\"]')",
        "CREATE TABLE audit.fct_refunds AS SELECT 'jd' AS channel, 'a1' AS refund_id",
        "CREATE TABLE quarantine.quarantine_refunds (channel VARCHAR, record_id VARCHAR)",
        "CREATE TABLE quarantine.refunds_left_out (channel VARCHAR, record_id VARCHAR)",
    )
    report = run_gates(path, GateSettings(), "run-1", NOW, GateContext(after_sale_streams={"jd": ("refund_applies",)}))
    assert non_green(report) == []
    assert light(report, "R4", "jd").note == "raw 1 = fct_orders 1 + quarantined without a valid version 0"
