"""What the commands print: compact in a pipe at any channel count, a table fitted to the terminal's width, progress
lines per stage from dbt's node events, and the demo's whole output in tens of lines."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console

from orderlayer.cli.output import LIGHT_LINES, Format, print_check, print_run_json
from orderlayer.cli.progress import ProgressView
from orderlayer.core.dbt import DbtNode, _node_event
from orderlayer.core.pipeline import CheckResult, RunResult
from orderlayer.core.sync import SyncResult
from orderlayer.expectations.publish import PublishResult
from orderlayer.expectations.report import GateReport, GateResult

GATES = ["R1", "R2", "R3", "R4", "R5", "R6", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7"]


def _check(channels: int, bad: dict[tuple[str, int], str]) -> CheckResult:
    results = [
        GateResult(
            gate_id=gate, model="fct_orders", description=f"what {gate} checks, in a sentence long enough to wrap",
            channel=f"channel_{c:02d}", colour=bad.get((gate, c), "green"), severity="critical",
            failing_count=3 if (gate, c) in bad else 0, examples=[f"key-{gate}-{c}"] if (gate, c) in bad else [],
        )  # fmt: skip
        for gate in GATES
        for c in range(channels)
    ]
    verdict = "red" if "red" in bad.values() else "yellow" if bad else "green"
    report = GateReport("run-1", datetime(2026, 3, 1, tzinfo=UTC), verdict, results, [])  # type: ignore[arg-type]
    tests = [{"test": "unique_fct_orders_order_key", "status": "pass", "failures": 0, "colour": "green"}]
    return CheckResult(verdict=verdict, gates=report, dbt_tests=tests)


def _console(terminal: bool, width: int = 100) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=width, color_system=None), buffer


def test_a_check_of_30_channels_is_a_few_lines_in_a_pipe() -> None:
    result = _check(30, {("R1", 4): "red", ("Y2", 4): "yellow", ("Y2", 17): "yellow"})
    console, buffer = _console(terminal=False)
    print_check(result, Format.table, console)
    assert buffer.getvalue().splitlines() == [
        "gates: 13 gates x 30 channel(s) · 387 green, 2 yellow, 1 red",
        "R1 channel_04: red, 3 failing · e.g. key-R1-4",
        "Y2 channel_04: yellow, 3 failing · e.g. key-Y2-4",
        "Y2 channel_17: yellow, 3 failing · e.g. key-Y2-17",
        "dbt tests: 1/1 passed",
        "verdict: RED",
    ]


def test_examples_read_as_the_platforms_order_ids_when_the_warehouse_has_them(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE audit.fct_orders (order_key VARCHAR, shop_id VARCHAR, channel_order_id VARCHAR, raw_record_id VARCHAR)")
    con.execute("INSERT INTO audit.fct_orders VALUES ('key-R1-4', '7784061', '6931234567', 'raw-1')")
    con.close()
    result = _check(30, {("R1", 4): "red", ("Y2", 5): "yellow"})
    console, buffer = _console(terminal=False)
    print_check(result, Format.table, console, db)
    lines = buffer.getvalue().splitlines()
    # found: shop/order id; not in the warehouse (any more): the key as recorded
    assert lines[1:3] == ["R1 channel_04: red, 3 failing · e.g. 7784061/6931234567", "Y2 channel_05: yellow, 3 failing · e.g. key-Y2-5"]


def test_many_non_green_lights_are_capped() -> None:
    bad = {(gate, c): "yellow" for gate in ("Y2", "Y3") for c in range(30)}
    console, buffer = _console(terminal=False)
    print_check(_check(30, bad), Format.table, console)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1 + LIGHT_LINES + 3
    assert lines[LIGHT_LINES + 1] == f"… {60 - LIGHT_LINES} more non-green light(s): see the report or --format json"


def test_on_a_terminal_the_gates_are_one_table_row_each_within_the_width() -> None:
    result = _check(30, {("R1", 4): "red"} | {("Y2", c): "yellow" for c in range(12)})
    for width in (80, 120):
        console, buffer = _console(terminal=True, width=width)
        print_check(result, Format.table, console)
        lines = buffer.getvalue().splitlines()
        assert max(len(line) for line in lines) <= width
        # one row per gate however many channels: 13 gate rows (some wrap onto a second line), not 13 x 30
        assert sum(1 for line in lines if line.startswith("│ R") or line.startswith("│ Y")) == 13
        assert len(lines) < 80


def test_run_as_json_is_one_document_with_everything() -> None:
    check = _check(2, {("Y2", 1): "yellow"})
    sync = SyncResult(connection="douyin_1", sync_id="s-1", status="ok", records_read=12, rows_added=12,
                      bookmark_after={"bookmarks": {"orders": {"replication_key_value": 1772366400}}})  # fmt: skip
    published = PublishResult("run-1", 3, datetime(2026, 3, 1, tzinfo=UTC), "yellow", {"fct_orders": 12}, mode="delta")
    console, buffer = _console(terminal=False)
    print_run_json(RunResult("run-1", [sync], check, published), console)
    document = json.loads(buffer.getvalue())
    assert (document["run_id"], document["verdict"], document["published"]["version"]) == ("run-1", "yellow", 3)
    assert document["syncs"][0]["records_read"] == 12 and len(document["check"]["gates"]["results"]) == 26
    assert [r["channel"] for r in document["check"]["gates"]["results"] if r["colour"] != "green"] == ["channel_01"]


def test_progress_lines_per_stage_with_dbt_nodes_off_a_terminal() -> None:
    out, _ = _console(terminal=False)
    err, buffer = _console(terminal=False)
    view = ProgressView(out, err)
    with view.stage("dbt build"):
        for index, status in ((1, None), (1, "success"), (2, None), (2, "error")):
            view.dbt_node(DbtNode(index, 2, f"model_{index}", status))
    text = buffer.getvalue()
    assert text.startswith("dbt build: done in 0 s, 2 dbt nodes") and len(text.splitlines()) == 1


def test_dbt_node_events_are_read_from_dbts_json_log() -> None:
    start = {"info": {"name": "LogStartLine"}, "data": {"index": 3, "total": 9, "node_info": {"node_name": "fct_orders"}}}
    done = {"info": {"name": "LogModelResult"}, "data": {"index": 3, "total": 9, "status": "success",
                                                          "node_info": {"node_name": "fct_orders"}}}  # fmt: skip
    test = {"info": {"name": "LogTestResult"}, "data": {"index": 7, "num_models": 118, "status": "fail",
                                                         "node_info": {"node_name": "unique_fct_orders_order_key"}}}  # fmt: skip
    other = {"info": {"name": "FoundStats"}, "data": {"stat_line": "9 models"}}
    assert _node_event(test) == DbtNode(7, 118, "unique_fct_orders_order_key", "fail")
    assert _node_event(start) == DbtNode(3, 9, "fct_orders", None)
    assert _node_event(done) == DbtNode(3, 9, "fct_orders", "success")
    assert _node_event(other) is None


def test_the_demo_prints_tens_of_lines(shared_demo: Path) -> None:
    """The shared demo's own output (tests/conftest.py keeps it): 13 channels, every stage, in a pipe."""
    stdout = (shared_demo / "demo.stdout").read_text(encoding="utf-8")
    stderr = (shared_demo / "demo.stderr").read_text(encoding="utf-8")
    lines = (stdout + stderr).splitlines()
    assert len(lines) < 120, len(lines)
    assert any(line.startswith("gates: 15 gates x ") for line in stdout.splitlines())
    assert any(line.startswith("dbt build: done in ") and "dbt nodes" in line for line in stderr.splitlines())
    assert any(line.startswith("checking gates: done in ") and "dbt nodes" in line for line in stderr.splitlines())
    assert any(line.startswith("report: ") for line in stdout.splitlines())
