"""Defect injection: one defect per gate on a clean, published warehouse; each is caught by its gate with
the right colour, and a red run leaves `published` exactly as it was (a yellow one publishes).

The clean warehouse (built once, copied per test): channels douyin and jd, shop "shop1", 15 business
days 2026-02-14 … 2026-02-28 (Asia/Shanghai), 14 orders a day per channel = 210 orders per channel.
Order i of a channel is placed on day i // 14 at local hour HOURS[i % 14] (one order a day before
06:00, so the night share is 1/14), pays 50 + 10·(i % 5) (median 70.00, 42 orders at each of 50…90)
with goods 10 more, has one line with the same amounts, is promised to ship two days later, is linked
to an ERP order, and has one raw record. A first clean run ("run-0", green) is recorded and published,
so R5 and Y3 have a trailing value (70.00 and 1/14) and `published` holds version 1.
Every expected count below is worked out by hand from these rules.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.config import GateSettings, Settings
from orderlayer.expectations import GateContext, GateReport, PublishRefused, publish, run_gates
from orderlayer.core.quality import source_freshness

from .conftest import NOW
from .scenario import build_two_channels

MARTS = ["fct_orders", "fct_order_lines"]


def sql(path: Path, *statements: str) -> None:
    conn = duckdb.connect(str(path))
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def published(path: Path) -> dict[str, tuple[str, list[tuple]]]:
    """Every published table and the publish log: the SHA-256 of its rows exported as CSV (in a stable
    order), so "unchanged" means byte for byte, and the rows themselves for a readable diff."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        tables = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = 'published' OR (table_schema = 'ops' AND table_name = 'publish_log') ORDER BY 1"
        ).fetchall()
        out = {}
        for (table,) in tables:
            export = path.with_name(f"{table}.csv")
            conn.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{export}' (HEADER)")
            digest = hashlib.sha256(export.read_bytes()).hexdigest()
            export.unlink()
            out[table] = (digest, conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("defects") / "clean.duckdb"
    build_two_channels(path)
    first = run_gates(path, GateSettings(), "run-0", NOW)
    assert first.verdict == "green", [r for r in first.results if r.colour != "green"]
    assert publish(path, "run-0", first, MARTS).version == 1
    return path


@pytest.fixture
def warehouse(clean: Path, tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    shutil.copyfile(clean, path)
    return path


def non_green(report: GateReport) -> list[tuple[str, str | None, str, int, dict[str, int]]]:
    return [(r.gate_id, r.channel, r.colour, r.failing_count, r.checks) for r in report.results if r.colour != "green"]


def light(report: GateReport, gate_id: str, channel: str):
    (result,) = [r for r in report.results if r.gate_id == gate_id and r.channel == channel]
    return result


def check_and_publish(path: Path, settings: GateSettings | None = None, **kwargs: object) -> GateReport:
    """Run the gates as run-1; publish unless red. Red must leave published exactly as run-0 left it."""
    before = published(path)
    report = run_gates(path, settings or GateSettings(), "run-1", NOW, **kwargs)  # type: ignore[arg-type]
    if report.verdict == "red":
        with pytest.raises(PublishRefused):
            publish(path, "run-1", report, MARTS)
        assert published(path) == before
    else:
        assert publish(path, "run-1", report, MARTS).version == 2
        assert published(path) != before
    return report


def test_clean_warehouse_is_green_and_says_why(warehouse: Path) -> None:
    report = check_and_publish(warehouse)
    assert report.verdict == "green"
    douyin = {r.gate_id: r.note for r in report.results if r.channel == "douyin"}
    assert douyin["R4"] == "raw 210 = fct_orders 210 + quarantined without a valid version 0"
    assert douyin["R5"] == "median 70.00 vs trailing 70.00 over 1 runs (1.00x)"
    assert douyin["Y3"] == "night share 7.1% vs trailing 7.1% over 1 runs"  # 15 of 210
    assert douyin["Y4"] == "7 days within the band"  # 02-21 … 02-27; 02-28 is the latest day
    assert douyin["Y5"] == "not applicable: no ERP connection is configured in orderlayer.yml"
    assert douyin["Y7"] == "0 of 210 paid orders lack promised_ship_by (0.0%)"


def test_duplicate_order_is_red_r1_and_r4(warehouse: Path) -> None:
    # The same channel order under a second key (with its line, so the money still adds up).
    sql(
        warehouse,
        "INSERT INTO audit.fct_orders SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_orders "
        "WHERE order_key = 'douyin:005'",
        "INSERT INTO audit.fct_order_lines SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_order_lines "
        "WHERE order_key = 'douyin:005'",
    )
    report = check_and_publish(warehouse)
    assert report.verdict == "red"
    # R1: both rows share (douyin, shop1, 5); R4: that one order has 1 raw record but 2 fct rows
    # (raw 210 ≠ 211 + 0).
    assert non_green(report) == [
        ("R1", "douyin", "red", 2, {"channel_order_unique": 2}),
        ("R4", "douyin", "red", 1, {"raw_equals_accounted": 1, "every_order_balances": 1}),
    ]
    assert light(report, "R1", "douyin").examples == ["douyin:005", "douyin:005-copy"]
    assert light(report, "R4", "douyin").examples == ["raw:douyin:005"]
    assert light(report, "R4", "douyin").note == (
        "raw 210 ≠ fct_orders 211 + quarantined without a valid version 0; orders that do not balance: 1"
    )


def test_amounts_100x_fen_read_as_yuan_is_red_r5(warehouse: Path) -> None:
    # Every jd amount, order and line alike, 100x: the lines still sum (R2 green), the unit is wrong.
    sql(
        warehouse,
        "UPDATE audit.fct_orders SET paid_amount = paid_amount * 100, goods_amount = goods_amount * 100 WHERE channel = 'jd'",
        "UPDATE audit.fct_order_lines SET line_paid_amount = line_paid_amount * 100, "
        "line_goods_amount = line_goods_amount * 100 WHERE order_key LIKE 'jd:%'",
    )
    report = check_and_publish(warehouse)
    assert report.verdict == "red"
    # median 7000.00 / trailing 70.00 = 100 > 5; every valid jd order (210) is suspect
    assert non_green(report) == [("R5", "jd", "red", 210, {"order_value_within_band": 210})]
    r5 = light(report, "R5", "jd")
    assert r5.note == "median 7000.00 vs trailing 70.00 over 1 runs (100.00x)"
    # the highest values (9000.00: i % 5 = 4), ties by key, largest first
    assert r5.examples == ["jd:209", "jd:204", "jd:199", "jd:194", "jd:189"]
    # A value R5 flagged never becomes the norm: the next run still compares with run-0's 70.00.
    again = run_gates(warehouse, GateSettings(), "run-2", NOW)
    assert light(again, "R5", "jd").note == "median 7000.00 vs trailing 70.00 over 1 runs (100.00x)"


def test_eight_hour_shift_is_yellow_y3(warehouse: Path) -> None:
    # A zone bug: every douyin time 8 h late (business_date follows the shifted instant).
    sql(
        warehouse,
        "UPDATE audit.fct_orders SET ordered_at = ordered_at + INTERVAL 8 HOUR, paid_at = paid_at + INTERVAL 8 HOUR, "
        "promised_ship_by = promised_ship_by + INTERVAL 8 HOUR, "
        "business_date = timezone('Asia/Shanghai', ordered_at + INTERVAL 8 HOUR)::DATE WHERE channel = 'douyin'",
    )
    report = check_and_publish(warehouse)
    assert report.verdict == "yellow"
    # Local hours become 9, 17, 18, 19, 22, 23, 0, 1, 2, 3, 4, 5, 5, 6: 7 of 14 a day before 06:00, so
    # 105 of 210 = 50% vs the trailing 1/14 (7.1%): ratio 7 > 2. Y4 stays green: the 8 late orders of
    # each day move to the next, so every judged day still has 14.
    assert non_green(report) == [("Y3", "douyin", "yellow", 105, {"night_share_near_trailing": 105})]
    y3 = light(report, "Y3", "douyin")
    assert y3.note == "night share 50.0% vs trailing 7.1% over 1 runs"
    assert y3.examples == ["douyin:006", "douyin:007", "douyin:008", "douyin:009", "douyin:010"]


def test_missing_channel_day_is_yellow_y4(warehouse: Path) -> None:
    # jd's 2026-02-24 never arrived: not in raw, so nothing is lost (R4 green), the day is just empty.
    sql(
        warehouse,
        "DELETE FROM raw.jd__orders WHERE _record_hash IN "
        "(SELECT raw_record_id FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24')",
        "DELETE FROM audit.fct_order_lines WHERE order_key IN "
        "(SELECT order_key FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24')",
        "DELETE FROM audit.fct_orders WHERE channel = 'jd' AND business_date = DATE '2026-02-24'",
    )
    report = check_and_publish(warehouse)
    assert report.verdict == "yellow"
    # 0 orders vs the trailing median 14 of 02-14 … 02-23: ratio 0 < 0.3. The later days' trailing
    # windows include that 0 but their median is still 14.
    assert non_green(report) == [("Y4", "jd", "yellow", 1, {"daily_volume_within_band": 1})]
    y4 = light(report, "Y4", "jd")
    assert (y4.examples, y4.example_key) == (["2026-02-24"], "business_date")
    assert y4.note == "2026-02-24: 0 orders vs trailing median 14"


def test_y4_history_days_come_from_published(warehouse: Path) -> None:
    # A build that lost jd's history before the judged days (02-14 … 02-20) from audit: judged on audit
    # alone, 02-21 would have no history and Y4 would say "not judged". The history comes from `published`
    # (run-0: 14 a day), so the 7 judged days 02-21 … 02-27 (14 each, from audit) are judged and in the band.
    sql(
        warehouse,
        "DELETE FROM audit.fct_orders WHERE channel = 'jd' AND business_date < DATE '2026-02-21'",
    )
    report = run_gates(warehouse, GateSettings(), "run-1", NOW)
    assert light(report, "Y4", "jd").note == "7 days within the band"
    # Without a published fct_orders the same audit has too little history for jd.
    sql(warehouse, "DROP TABLE published.fct_orders")
    report = run_gates(warehouse, GateSettings(), "run-2", NOW)
    assert light(report, "Y4", "jd").note == "not judged: too little history or volume"


def test_stale_source_is_yellow_then_red_y1(warehouse: Path) -> None:
    """dbt source freshness on the raw tables: douyin's synced 2 h ago, jd's just now."""
    sql(warehouse, "UPDATE raw.douyin__orders SET _synced_at = now() - INTERVAL 2 HOUR")
    settings = Settings(database=warehouse)
    freshness = source_freshness(settings, warehouse)
    assert [(f.source, f.status, f.warn_after_minutes, f.error_after_minutes) for f in freshness] == [
        ("douyin.orders", "warn", 15.0, 1440.0),
        ("jd.orders", "pass", 15.0, 1440.0),
    ]
    report = check_and_publish(warehouse, freshness=freshness)
    assert report.verdict == "yellow"
    assert non_green(report) == [("Y1", "douyin", "yellow", 1, {"freshness_warn": 1})]
    y1 = light(report, "Y1", "douyin")
    assert (y1.examples, y1.example_key) == (["douyin.orders"], "source")
    assert y1.note.startswith("douyin.orders: newest record 2 h") and "(warn > 15 min, error > 24 h)" in y1.note
    assert light(report, "Y1", "jd").colour == "green" and light(report, "Y1", "jd").note.startswith("jd.orders: newest record")

    # The same two hours against a 1 h limit from orderlayer.yml: red, and nothing is published.
    strict = Settings(database=warehouse, gates=GateSettings(freshness_warn_minutes=30, freshness_error_hours=1))
    freshness = source_freshness(strict, warehouse)
    assert [(f.status, f.warn_after_minutes, f.error_after_minutes) for f in freshness] == [
        ("error", 30.0, 60.0),
        ("pass", 30.0, 60.0),
    ]
    before = published(warehouse)
    report = run_gates(warehouse, strict.gates, "run-2", NOW, freshness=freshness)
    assert non_green(report) == [("Y1", "douyin", "red", 1, {"freshness_error": 1})]
    with pytest.raises(PublishRefused, match=r"Y1 \(douyin\)"):
        publish(warehouse, "run-2", report, MARTS)
    assert published(warehouse) == before


def test_unmapped_statuses_are_yellow_y2(warehouse: Path) -> None:
    sql(
        warehouse,
        "UPDATE audit.fct_orders SET status = 'unknown', status_native = '99' "
        "WHERE order_key IN ('douyin:017', 'douyin:003', 'douyin:150')",
    )
    report = check_and_publish(warehouse)
    assert non_green(report) == [("Y2", "douyin", "yellow", 3, {"status_mapped": 3})]
    assert light(report, "Y2", "douyin").examples == ["douyin:003", "douyin:017", "douyin:150"]


def test_quarantined_rows_are_red_r6_above_the_limit_and_yellow_y6_below(warehouse: Path) -> None:
    sql(
        warehouse,
        # douyin: two orders whose only version could not be typed (received, quarantined, not in fct)
        "INSERT INTO raw.douyin__orders BY NAME SELECT 'raw:douyin:q' || i AS _record_hash, 'orders' AS _stream, "
        "'douyin_main' AS _connection, json_array('shop1', i::VARCHAR)::VARCHAR AS _primary_key, "
        "json_object('order_id', i::VARCHAR) AS _record, now() AS _synced_at, 'sync-1' AS _sync_id FROM range(900, 902) r(i)",
        "INSERT INTO quarantine.quarantine_orders SELECT 'raw:douyin:q' || i, 'douyin', 'shop1', i::VARCHAR, "
        "'non-numeric pay_amount', now(), FALSE FROM range(900, 902) r(i)",
        # jd: a later version of jd:007 was quarantined; the order itself is in fct_orders
        "INSERT INTO raw.jd__orders BY NAME SELECT 'raw:jd:007:v2' AS _record_hash, 'orders' AS _stream, "
        "'jd_main' AS _connection, '[\"shop1\",\"7\"]' AS _primary_key, '{}' AS _record, now() AS _synced_at, "
        "'sync-2' AS _sync_id",
        "INSERT INTO quarantine.quarantine_orders VALUES "
        "('raw:jd:007:v2', 'jd', 'shop1', '7', 'unparseable ship_time', now(), TRUE)",
    )
    report = check_and_publish(warehouse)
    assert report.verdict == "red"
    # douyin: 2 of 212 received orders (0.94%) > 0.5%: R6 red; R4 balances (212 = 210 + 2).
    # jd: 1 of 210 (0.48%) ≤ 0.5%: Y6 yellow; R4 balances (the order has a valid version).
    assert non_green(report) == [
        ("R6", "douyin", "red", 2, {"quarantine_share_within_limit": 2}),
        ("Y6", "jd", "yellow", 1, {"nothing_quarantined": 1}),
    ]
    r6, y6 = light(report, "R6", "douyin"), light(report, "Y6", "jd")
    assert (r6.examples, r6.example_key) == (["raw:douyin:q900", "raw:douyin:q901"], "raw_record_id")
    assert r6.note == "2 of 212 orders have a quarantined version (0.94%)"
    assert (y6.examples, y6.note) == (["raw:jd:007:v2"], "1 of 210 orders have a quarantined version (0.48%)")
    assert light(report, "R4", "douyin").note == "raw 212 = fct_orders 210 + quarantined without a valid version 2"


def test_refund_above_payment_is_red_r2(warehouse: Path) -> None:
    sql(warehouse, "UPDATE audit.fct_orders SET refund_amount = paid_amount + 0.01 WHERE order_key = 'douyin:003'")
    report = check_and_publish(warehouse)
    assert non_green(report) == [("R2", "douyin", "red", 1, {"refund_within_paid": 1})]
    assert light(report, "R2", "douyin").examples == ["douyin:003"]


def test_lines_that_do_not_sum_are_red_r2(warehouse: Path) -> None:
    sql(warehouse, "UPDATE audit.fct_order_lines SET line_paid_amount = line_paid_amount - 0.01 WHERE order_key = 'jd:011'")
    report = check_and_publish(warehouse)
    assert non_green(report) == [("R2", "jd", "red", 1, {"lines_sum_to_order": 1})]
    assert light(report, "R2", "jd").examples == ["jd:011"]


def test_order_from_the_future_is_red_r3(warehouse: Path) -> None:
    # douyin:200 (a 14:00 order) placed a day after the run's clock; business_date left as it was
    sql(
        warehouse,
        "UPDATE audit.fct_orders SET ordered_at = TIMESTAMPTZ '2026-03-02 12:00:00+00', "
        "paid_at = TIMESTAMPTZ '2026-03-02 12:01:00+00' WHERE order_key = 'douyin:200'",
    )
    report = check_and_publish(warehouse)
    assert non_green(report) == [("R3", "douyin", "red", 1, {"ordered_at_plausible": 1})]


def test_order_lost_between_raw_and_fct_is_red_r4(warehouse: Path) -> None:
    sql(
        warehouse,
        "DELETE FROM audit.fct_order_lines WHERE order_key = 'jd:100'",
        "DELETE FROM audit.fct_orders WHERE order_key = 'jd:100'",
    )
    report = check_and_publish(warehouse)
    assert non_green(report) == [("R4", "jd", "red", 1, {"raw_equals_accounted": 1, "every_order_balances": 1})]
    r4 = light(report, "R4", "jd")
    assert (r4.examples, r4.example_key) == (["raw:jd:100"], "raw_record_id")
    assert r4.note == "raw 210 ≠ fct_orders 209 + quarantined without a valid version 0; orders that do not balance: 1"


def test_orders_missing_in_the_erp_are_yellow_y5_when_an_erp_is_configured(warehouse: Path) -> None:
    sql(
        warehouse,
        "UPDATE audit.fct_orders SET erp_order_id = NULL WHERE order_key IN "
        "('douyin:001', 'douyin:002', 'douyin:030', 'douyin:031', 'douyin:032')",
    )
    # Without an ERP connection the gate does not apply, whatever erp_order_id holds.
    assert run_gates(warehouse, GateSettings(), "run-x", NOW).verdict == "green"
    report = check_and_publish(warehouse, context=GateContext(erp_configured=True))
    # Due in the ERP: orders paid at least 24 h before 03-01 12:00 UTC, i.e. all of 02-14 … 02-27
    # (196) and the 02-28 orders placed up to 19:00 local (10 of 14): 206 per channel.
    # douyin: 201 of 206 linked = 97.6% < 98%; jd: 206 of 206.
    assert non_green(report) == [("Y5", "douyin", "yellow", 5, {"erp_consistency_at_target": 5})]
    y5 = light(report, "Y5", "douyin")
    assert y5.examples == ["douyin:001", "douyin:002", "douyin:030", "douyin:031", "douyin:032"]
    assert y5.note == "201 of 206 orders due in the ERP are matched and agree (97.6%)"
    assert light(report, "Y5", "jd").note == "206 of 206 orders due in the ERP are matched and agree (100.0%)"


def test_missing_promised_dates_are_yellow_y7(warehouse: Path) -> None:
    # 11 of 210 paid jd orders (5.24%) > 5%; 10 (4.76%) would pass.
    sql(warehouse, "UPDATE audit.fct_orders SET promised_ship_by = NULL WHERE channel = 'jd' AND channel_order_id::INT < 11")
    report = check_and_publish(warehouse)
    assert non_green(report) == [("Y7", "jd", "yellow", 11, {"promise_mostly_present": 11})]
    y7 = light(report, "Y7", "jd")
    assert y7.note == "11 of 210 paid orders lack promised_ship_by (5.2%)"
    assert y7.examples == ["jd:000", "jd:001", "jd:002", "jd:003", "jd:004"]
    sql(warehouse, "UPDATE audit.fct_orders SET promised_ship_by = ordered_at WHERE order_key = 'jd:010'")
    assert run_gates(warehouse, GateSettings(), "run-2", NOW).verdict == "green"
