"""The report page at 13 and at 30 channels, in headless Chromium: it never runs off the page, every channel
has its own colour and a legend entry that shows, the channel and colour filters work, each gate's history is
drawn, and examples read as the platform's own order ids.

The warehouse is synthetic: ops.gate_results / gate_metrics for 8 runs of 13 gates over N channels, written
directly (no dbt, no GX), and a small audit.fct_orders holding the examples' orders. A light is red where
(gate + 3 * channel + 5 * run) % 17 == 0, yellow where that sum % 7 == 0, else green (gate 1…13 in catalogue
order, channel and run from 0): the expectations below are computed from that rule, not from the page.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from orderlayer.core.charts import PALETTE, channel_colours, colour_for
from orderlayer.core.history import load_report
from orderlayer.core.report import LIGHT_COLOURS, write_html
from orderlayer.core.warehouse import ensure_ops
from tests.expectations.pngread import count_colour, read_png
from tests.support.chromium import chromium, dom, screenshot

GATES = ["R1", "R2", "R3", "R4", "R5", "R6", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7"]
RUNS = 8
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def colour(gate: int, channel: int, run: int) -> str:
    value = gate + 1 + 3 * channel + 5 * run
    return "red" if value % 17 == 0 else "yellow" if value % 7 == 0 else "green"


def channel_name(i: int) -> str:
    return f"channel_{i:02d}"


def build_history(path: Path, channels: int) -> None:
    con = duckdb.connect(str(path))
    try:
        ensure_ops(con, "gate_results", "gate_metrics")
        con.execute("CREATE SCHEMA audit")
        con.execute(
            "CREATE TABLE audit.fct_orders (order_key VARCHAR, channel VARCHAR, shop_id VARCHAR, "
            "channel_order_id VARCHAR, raw_record_id VARCHAR, business_date DATE)"
        )
        results, metrics, orders = [], [], []
        for run in range(RUNS):
            at = START + timedelta(hours=run)
            verdict = max(
                (colour(g, c, run) for g in range(len(GATES)) for c in range(channels)), key=["green", "yellow", "red"].index
            )
            for c in range(channels):
                name = channel_name(c)
                for g, gate in enumerate(GATES):
                    light = colour(g, c, run)
                    failing = 0 if light == "green" else 2
                    keys = [f"md5-{gate}-{c}-{n}" for n in range(failing)]
                    results.append((f"run-{run}", at, verdict, gate, "fct_orders", light, "critical", name, failing,
                                    json.dumps(keys), json.dumps({"check": failing} if failing else {}), "order_key", "",
                                    f"{gate}: what the gate checks"))  # fmt: skip
                    if run == RUNS - 1:
                        orders += [(k, name, f"shop-{c}", f"{9_000_000 + c * 100 + n}", f"raw-{k}", date(2026, 3, 1))
                                   for n, k in enumerate(keys)]  # fmt: skip
                metrics.append((f"run-{run}", at, verdict, name, "fct_orders", 100.0 + 10 * c + run))
        # one insert per table from Arrow (row-by-row executemany takes seconds)
        columns = {
            "ops.gate_results": ("run_id", "checked_at", "verdict", "gate_id", "model", "colour", "severity", "channel",
                                 "failing_count", "examples", "checks", "example_key", "note", "description"),
            "ops.gate_metrics": ("run_id", "checked_at", "verdict", "channel", "metric", "value"),
            "audit.fct_orders": ("order_key", "channel", "shop_id", "channel_order_id", "raw_record_id", "business_date"),
        }  # fmt: skip
        for table, rows in (("ops.gate_results", results), ("ops.gate_metrics", metrics), ("audit.fct_orders", orders)):
            arrow = pa.Table.from_pylist([dict(zip(columns[table], row)) for row in rows])
            con.register("incoming", arrow)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
    finally:
        con.close()


HARNESS = """<!doctype html><html><body style="margin:0">
<iframe id="wide" src="report.html" style="width:1280px;height:1400px;border:0"></iframe>
<iframe id="narrow" src="report.html" style="width:760px;height:1400px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
function inspect(frame, out) {
  var w = frame.contentWindow, d = w.document, width = d.documentElement.clientWidth;
  function shown(el) { return el.getClientRects().length > 0; }
  function rows() { return Array.from(d.querySelectorAll("#lights tbody tr")).filter(shown).map(function (r) { return r.dataset.channel; }); }
  function traces(id) { var div = d.getElementById(id); return div.data.filter(function (t) { return t.visible !== false; }).map(function (t) { return t.meta; }); }
  function click(selector) { d.querySelector(selector).click(); }
  function set(name, value, on) { var box = d.querySelector('input[name="' + name + '"][value="' + value + '"]'); box.checked = on; box.dispatchEvent(new Event("change")); }
  out.scrollWidth = d.documentElement.scrollWidth; out.clientWidth = width;
  out.overflowing = Array.from(d.querySelectorAll("body *")).filter(function (el) {
    return shown(el) && el.getBoundingClientRect().right > width + 1 && !el.closest(".scroll");
  }).map(function (el) { return el.tagName + "#" + el.id + "." + el.className; }).slice(0, 10);
  out.legend = Array.from(d.querySelectorAll("#channel-filter label")).map(function (l) {
    var r = l.getBoundingClientRect(), s = l.querySelector(".swatch");
    return [l.textContent.trim(), r.width > 0 && r.left >= 0 && r.right <= width, getComputedStyle(s).backgroundColor];
  });
  out.plots = d.querySelectorAll(".main-svg").length;
  out.history = d.getElementById("gate-history").data[0].y;
  out.rowsAll = rows();
  out.tracesAll = traces("trend-fct_orders");
  click('button[data-select="none"]');
  out.rowsNone = rows();
  set("channel", "channel_03", true);
  out.rowsOne = rows(); out.tracesOne = traces("trend-fct_orders");
  out.attentionOne = Array.from(d.querySelectorAll("#attention tr[data-channel]")).filter(shown).map(function (r) { return r.id; });
  click('button[data-select="all"]');
  set("colour", "green", false); set("colour", "yellow", false);
  out.rowsRed = rows();
  out.dimmedGreen = Array.from(d.querySelectorAll('#lights tbody tr td[data-colour="green"]')).filter(shown).every(function (td) { return td.classList.contains("dim"); });
  out.orderIds = Array.from(d.querySelectorAll("#attention code.order-id")).slice(0, 4).map(function (c) { return c.textContent; });
}
var done = 0, result = {};
["wide", "narrow"].forEach(function (id) {
  document.getElementById(id).addEventListener("load", function () {
    setTimeout(function () {
      result[id] = {};
      try { inspect(document.getElementById(id), result[id]); } catch (e) { result[id].error = String(e); }
      if (++done === 2) { document.getElementById("result").textContent = JSON.stringify(result); }
    }, 1000);
  });
});
</script></body></html>
"""


def _result(html: str) -> dict:
    start = html.index('<pre id="result">') + len('<pre id="result">')
    text = html[start : html.index("</pre>", start)]
    assert text != "pending", "the harness did not finish"
    return json.loads(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"'))


@pytest.mark.parametrize("channels", [13, 30])
def test_report_layout_and_filters_in_chromium(tmp_path: Path, channels: int) -> None:
    chromium()
    db = tmp_path / "many.duckdb"
    build_history(db, channels)
    data = load_report(db)
    page = write_html(data, tmp_path / "report.html")
    names = [channel_name(c) for c in range(channels)]
    last = RUNS - 1
    red_channels = [channel_name(c) for c in range(channels) if any(colour(g, c, last) == "red" for g in range(len(GATES)))]
    assert red_channels and len(red_channels) < channels  # the rule gives both kinds of rows
    (tmp_path / "harness.html").write_text(HARNESS, encoding="utf-8")
    found = _result(dom(tmp_path / "harness.html", tmp_path / "profile-dom", width=2100, height=1500))
    for view in ("wide", "narrow"):
        got = found[view]
        assert "error" not in got, got
        # nothing runs off the page: the document is no wider than the window, and no element sticks out
        # (wide tables may scroll inside their own box, .scroll)
        assert got["scrollWidth"] <= got["clientWidth"], (view, got["scrollWidth"], got["clientWidth"])
        assert got["overflowing"] == [], (view, got["overflowing"])
        # one legend entry per channel, each inside the page, each in its own colour
        assert [entry[0] for entry in got["legend"]] == names
        assert all(entry[1] for entry in got["legend"]), [e[0] for e in got["legend"] if not e[1]]
        assert len({entry[2] for entry in got["legend"]}) == channels
        assert got["plots"] >= 4 and got["history"] == GATES  # lights per run, fct_orders trend, two gate histories
        # filters: by channel (the matrix, the attention list and the chart traces follow), by colour
        assert got["rowsAll"] == names and got["tracesAll"] == names
        assert got["rowsNone"] == []
        assert got["rowsOne"] == ["channel_03"] and got["tracesOne"] == ["channel_03"]
        expected_attention = [f"x-{GATES[g]}-channel_03" for g in range(len(GATES)) if colour(g, 3, last) != "green"]
        assert got["attentionOne"] == expected_attention
        assert got["rowsRed"] == red_channels and got["dimmedGreen"]
        # drill-down: the platform's order ids, not the warehouse's hash keys
        assert got["orderIds"] and all(i.startswith("9") and i.isdigit() for i in got["orderIds"])
    shot = screenshot(page, tmp_path / f"report-{channels}.png", width=1280, height=2600)
    image = read_png(shot)
    assert image.shape[1] == 1280
    for light in ("green", "red"):
        assert count_colour(image, LIGHT_COLOURS[light], tolerance=4) > 300, light
    # every channel's colour is on the picture (its legend swatch at least: ~12x12 px)
    colours = channel_colours(names)
    missing = [n for n in names if count_colour(image, colours[n], tolerance=3) < 60]
    assert missing == []
    print(f"screenshot: {shot}")


def _lab(hex_colour: str) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92

    r, g, b = (linear(int(hex_colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (
        0.0193 * r + 0.1192 * g + 0.9505 * b
    ) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_channel_colours_stay_apart_and_away_from_the_lights() -> None:
    assert len(PALETTE) >= 30 and len(set(PALETTE)) == len(PALETTE)
    labs = [_lab(c) for c in PALETTE]
    closest = min(math.dist(a, b) for i, a in enumerate(labs) for b in labs[i + 1 :])
    assert closest > 15  # CIE76: clearly different side by side
    assert min(math.dist(a, _lab(light)) for a in labs for light in LIGHT_COLOURS.values()) > 30
    assert all(_lab(c)[0] < 82 for c in PALETTE)  # none too pale on white
    # past the palette, still one colour each
    extra = [colour_for(i) for i in range(len(PALETTE), len(PALETTE) + 20)]
    assert len(set(extra) | set(PALETTE)) == len(PALETTE) + 20
    assert channel_colours(["b", "a", "b"]) == {"a": PALETTE[0], "b": PALETTE[1]}
