"""`orderlayer report` on a warehouse with three recorded runs (green, yellow, red), as JSON, as a terminal
summary with an HTML page, and rendered by headless Chromium.

History (the two-channel warehouse of scenario.py, 210 orders per channel):
  run-0  clean                                              green  → published version 1
  run-1  3 douyin orders with an unmapped status            yellow → published version 2
  run-2  + douyin:005 twice (R1, R4), a quarantined later
         version of jd:007 (Y6), douyin's source 2 h stale   red    → not published
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orderlayer.core.charts import PALETTE, line_chart, plotly_js_name
from orderlayer.core.config import GateSettings
from orderlayer.expectations import SourceFreshness, publish, run_gates
from orderlayer.cli.main import app
from orderlayer.core.ops import record_check
from orderlayer.core.report import LIGHT_COLOURS

from .conftest import NOW
from .pngread import count_colour, read_png
from .scenario import build_two_channels
from tests.support.chromium import chromium, dom, screenshot

MARTS = ["fct_orders", "fct_order_lines"]
PERSONAL = "138****0000"  # the masked phone every scenario order carries: never in a report


def _sql(path: Path, *statements: str) -> None:
    conn = duckdb.connect(str(path))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "shop.duckdb"
    build_two_channels(path)
    settings = GateSettings()
    green = run_gates(path, settings, "run-0", NOW)
    publish(path, "run-0", green, MARTS)
    _sql(path, "UPDATE audit.fct_orders SET status = 'unknown' WHERE order_key IN ('douyin:003', 'douyin:017', 'douyin:150')")
    yellow = run_gates(path, settings, "run-1", NOW + timedelta(hours=1))
    publish(path, "run-1", yellow, MARTS)
    _sql(
        path,
        "INSERT INTO audit.fct_orders SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_orders "
        "WHERE order_key = 'douyin:005'",
        "INSERT INTO audit.fct_order_lines SELECT * REPLACE ('douyin:005-copy' AS order_key) FROM audit.fct_order_lines "
        "WHERE order_key = 'douyin:005'",
        "INSERT INTO raw.jd__orders (_record_hash, _stream, _connection, _primary_key, _record, _synced_at, _sync_id) "
        "VALUES ('raw:jd:007:v2', 'orders', 'jd_main', '[\"shop1\",\"7\"]', '{}', now(), 'sync-2')",
        "INSERT INTO quarantine.quarantine_orders VALUES "
        "('raw:jd:007:v2', 'jd', 'shop1', '7', 'unparseable ship_time', now(), TRUE)",
        # a refund record left out of its order (quarantine_refunds; an empty model unless JD sends one)
        "CREATE TABLE IF NOT EXISTS quarantine.quarantine_refunds (raw_record_id VARCHAR, channel VARCHAR, shop_id VARCHAR, "
        "channel_order_id VARCHAR, record_type VARCHAR, record_id VARCHAR, quarantine_reason VARCHAR, source_synced_at TIMESTAMPTZ)",
        "INSERT INTO quarantine.quarantine_refunds VALUES "
        "('raw:jd:r42', 'jd', 'shop1', '8', 'after_sale_refund', '42', 'non-numeric refoundAmount', now())",
    )
    stale = SourceFreshness(
        source="douyin.orders",
        channel="douyin",
        status="warn",
        max_loaded_at=NOW - timedelta(hours=2),
        snapshotted_at=NOW,
        age_seconds=7200.0,
        warn_after_minutes=15.0,
        error_after_minutes=1440.0,
    )
    red = run_gates(path, settings, "run-2", NOW + timedelta(hours=2), freshness=[stale])
    assert red.verdict == "red"
    dbt_tests = [
        {"test": "unique_fct_orders_order_key", "status": "pass", "failures": 0, "colour": "green"},
        {"test": "accepted_values_fct_orders_status", "status": "warn", "failures": 3, "colour": "yellow"},
    ]
    record_check(path, "run-2", red.checked_at, "red", red.verdict, dbt_tests)
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_report_json_has_todays_lights_and_the_trend(history: Path) -> None:
    code, out = _invoke("report", "--format", "json", "--db", str(history))
    assert code == 0, out
    data = json.loads(out)
    assert (data["run_id"], data["verdict"], data["run_published_version"]) == ("run-2", "red", None)
    assert data["published"]["version"] == 2 and data["published"]["run_id"] == "run-1"
    assert data["channels"] == ["douyin", "jd"]
    non_green = [(li["gate_id"], li["channel"], li["colour"], li["failing_count"]) for li in data["lights"] if li["colour"] != "green"]
    assert non_green == [
        ("R1", "douyin", "red", 2),
        ("R4", "douyin", "red", 1),
        ("Y1", "douyin", "yellow", 1),
        ("Y2", "douyin", "yellow", 3),
        ("Y6", "jd", "yellow", 1),
    ]
    # 15 gates (Y1 included: this run checked freshness; Y9 not applicable, green) x 2 channels
    assert len(data["lights"]) == 30 and [g["id"] for g in data["gates"]][:3] == ["R1", "R2", "R3"]
    assert [(r["run_id"], r["verdict"], r["red"], r["yellow"], r["published_version"]) for r in data["runs"]] == [
        ("run-0", "green", 0, 0, 1),
        ("run-1", "yellow", 0, 1, 2),
        ("run-2", "red", 2, 3, None),
    ]
    assert data["metric_trend"]["fct_orders"] == {"douyin": [210, 210, 211], "jd": [210, 210, 210]}
    assert data["metric_trend"]["quarantine_share"]["jd"] == [0, 0, pytest.approx(1 / 210)]
    assert data["metric_trend"]["freshness_age_minutes"] == {"douyin": [None, None, 120.0]}
    assert data["quarantine"] == [
        {"channel": "jd", "reason": "after_sale_refund: non-numeric refoundAmount", "records": 1, "orders": 1,
         "without_valid_version": 1},
        {"channel": "jd", "reason": "unparseable ship_time", "records": 1, "orders": 1, "without_valid_version": 0},
    ]
    assert [(f["source"], f["status"], f["colour"]) for f in data["freshness"]] == [("douyin.orders", "warn", "yellow")]
    assert [t["status"] for t in data["dbt_tests"]] == ["pass", "warn"]
    assert [d for d in data["daily_orders"]["douyin"]][:2] == [["2026-02-14", 15], ["2026-02-15", 14]]
    # examples as the platform names them: douyin:005 and its copy are both shop1's order 5 (what R1 found);
    # the raw pointer of Y6 is JD's order 7 in quarantine; Y1's example is a source, not an order
    lights = {(li["gate_id"], li["channel"]): li for li in data["lights"]}
    assert lights[("R1", "douyin")]["order_ids"] == [
        {"key": "douyin:005", "shop_id": "shop1", "order_id": "5"},
        {"key": "douyin:005-copy", "shop_id": "shop1", "order_id": "5"},
    ]
    assert lights[("Y6", "jd")]["order_ids"] == [{"key": "raw:jd:007:v2", "shop_id": "shop1", "order_id": "7"}]
    assert lights[("Y1", "douyin")]["order_ids"] == []
    # each gate's history over the runs, per channel
    assert data["gate_history"]["R1"] == {"douyin": [["green", 0], ["green", 0], ["red", 2]], "jd": [["green", 0]] * 3}
    assert data["gate_history"]["Y2"]["douyin"] == [["green", 0], ["yellow", 3], ["yellow", 3]]
    assert data["gate_history"]["Y1"] == {"douyin": [None, None, ["yellow", 1]], "jd": [None, None, ["green", 0]]}
    assert PERSONAL not in out


def test_report_page_and_terminal_summary(history: Path, tmp_path: Path) -> None:
    page = tmp_path / "out" / "quality.html"
    code, out = _invoke("report", "--db", str(history), "--output", str(page))
    assert code == 0, out
    assert "verdict: RED" in out and "published version 2" in out and str(page) in out
    # grouped (a line of counts), then one line per non-green light with the platform's order ids
    assert "gates: 15 gates x 2 channel(s) · 25 green, 3 yellow, 2 red" in out
    assert "R1 douyin: red, 2 failing · e.g. shop1/5, shop1/5" in out and "Y6 jd: yellow, 1 failing · e.g. shop1/7" in out
    assert len(out.splitlines()) < 20
    html = page.read_text(encoding="utf-8")
    assert html.count('data-figure="') >= 6  # lights per run, 4+ metrics over runs, daily orders
    assert html.count('data-gate="') == 30
    assert PERSONAL not in html
    # offline: the only script loaded is plotly.js, written beside the page; nothing is fetched
    assert not re.search(r"""(src|href)=["']?https?://""", html)
    assert re.findall(r'<script src="([^"]+)"', html) == [plotly_js_name()] and (page.parent / plotly_js_name()).is_file()
    # the Data Docs link is relative to the page and points at GX's rendered site
    link = re.search(r'<a href="([^"]+)" id="data-docs">', html)
    assert link and not link.group(1).startswith("/")
    index = (page.parent / link.group(1)).resolve()
    assert index.name == "index.html" and index.is_file()
    assert "orderlayer_order_accounting" in "".join(p.name for p in (index.parent / "validations").iterdir())
    # GX's pages load nothing from the network: their styles and scripts are the vendored copies beside them
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) > 5
    for gx_page in pages:
        text = gx_page.read_text(encoding="utf-8")
        assert not re.search(r"""<(link|script|img)\b[^>]*\b(src|href)=["']https?://""", text), gx_page
    assert (index.parent / "static" / "vendor" / "bootstrap-table.min.js").is_file()


def test_report_of_an_earlier_run_and_without_data_docs(history: Path, tmp_path: Path) -> None:
    code, out = _invoke("report", "--db", str(history), "--run", "run-1", "--no-data-docs", "--output", str(tmp_path / "r.html"))
    assert code == 0, out
    assert "verdict: YELLOW" in out
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="data-docs"' not in html and "This run published version 2" in html


def test_report_needs_a_recorded_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    code, out = _invoke("report", "--db", str(empty))
    assert code == 2 and "no gate runs yet" in out
    code, out = _invoke("report", "--db", str(tmp_path / "missing.duckdb"))
    assert code == 2 and "not found" in out


def test_line_chart_breaks_at_missing_values() -> None:
    figure = line_chart("t", ["a", "b", "c", "d"], {"x": [1.0, None, 3.0, 4.0], "y": [2, 2, 2, 2]}, {"x": "#123456"})
    x, y = figure["data"]
    # a run without the value is a gap in the line, not a zero or a bridge
    assert list(x["y"]) == [1.0, None, 3.0, 4.0] and x["connectgaps"] is False
    # each trace is its channel (meta, for the page's filter) in the channel's colour (unknown: grey)
    assert (x["meta"], x["line"]["color"], y["meta"], y["line"]["color"]) == ("x", "#123456", "y", "#51606f")
    assert figure["layout"]["title"]["text"] == "t" and figure["layout"]["showlegend"] is False
    assert line_chart("s", ["a"], {"s": [0.5]}, {}, percent=True)["layout"]["yaxis"]["tickformat"] == ".1%"


def test_report_renders_in_headless_chromium(history: Path, tmp_path: Path) -> None:
    chromium()
    page = tmp_path / "report.html"
    code, out = _invoke("report", "--db", str(history), "--output", str(page))
    assert code == 0, out
    shot = screenshot(page, tmp_path / "report.png")
    rendered = dom(page, tmp_path / "profile")
    # Chromium parsed the page into the lights table, and Plotly drew every chart (one SVG root each at least)
    assert rendered.count('data-gate="') == 30 and rendered.count('class="main-svg"') >= 8
    image = read_png(shot)
    assert image.shape[1] == 1280
    # The lights show in their colours (a light is ~15 px across: ~150 px each; the gate history adds more),
    # and douyin's lines, dots and swatch in its colour.
    for colour in ("green", "yellow", "red"):
        assert count_colour(image, LIGHT_COLOURS[colour]) > 500, colour
    assert count_colour(image, PALETTE[0]) > 300
    # GX Data Docs offline: the index's table is filled by bootstrap-table from the vendored copy
    index = re.search(r'<a href="([^"]+)" id="data-docs">', page.read_text(encoding="utf-8"))
    assert index
    docs = dom((page.parent / index.group(1)).resolve(), tmp_path / "profile-docs")
    assert docs.count("run-2") >= 4 and "fa-check-circle" in docs and "fa-times" in docs
    # keep the picture for a human to look at (pytest's tmp dirs are kept for the last runs)
    print(f"screenshot: {shot}")
