"""`orderlayer report`: a self-contained HTML page (and a terminal summary, or JSON) of a gate run.

Per channel a red/yellow/green light per gate with failing counts, example keys and the figures behind
the light; freshness per source; quarantine reasons; dbt tests; charts (inline SVG) of the lights and
key gate metrics over the recorded runs and of daily orders; a link to GX Data Docs. The page needs no
network: no scripts, fonts or stylesheets are fetched. It shows keys, counts and figures only — never a
personal column (examples are order_keys, raw record hashes, dates or source names).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from orderlayer.core.charts import PALETTE, line_chart, stacked_bars
from orderlayer.core.history import TREND_METRICS, ReportData, load_report

LIGHT_COLOURS = {"green": "#2e9d4c", "yellow": "#e3a008", "red": "#d0312d"}

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderlayer data quality — {{ d.run_id }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem 2rem;color:#1d232a;max-width:1200px}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #dde2e7;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #dde2e7;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f6f8;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
.light{display:inline-block;width:.95rem;height:.95rem;border-radius:50%;vertical-align:-.15rem;margin-right:.35rem;border:1px solid rgba(0,0,0,.15)}
.green{background:#2e9d4c}.yellow{background:#e3a008}.red{background:#d0312d}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:700;text-transform:uppercase}
.badge.yellow{color:#1d232a}.muted{color:#51606f}.small{font-size:.85em}code{font-size:.85em;color:#3b4754}
.cell-count{font-weight:600}.note{display:block;color:#51606f;font-size:.8em;max-width:22rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.nowrap{white-space:nowrap}.charts svg{border:1px solid #e3e7eb;border-radius:4px;background:#fff}
</style></head><body>
<h1>orderlayer data quality</h1>
<p>Run <code>{{ d.run_id }}</code> checked {{ d.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC") }} ·
verdict <span class="badge {{ d.verdict }}" id="verdict">{{ d.verdict }}</span>
{% if d.gates_verdict != d.verdict %}<span class="muted small">(gates {{ d.gates_verdict }}, dbt tests decide the rest)</span>{% endif %}</p>
<p class="muted">{% if d.run_published_version %}This run published version {{ d.run_published_version }}.
{% elif d.verdict == "red" %}Red: this run was not published; <code>published</code> is unchanged.{% else %}This run was a check only (nothing published by it).{% endif %}
{% if d.published %}Consumers read version {{ d.published.version }} (run <code>{{ d.published.run_id }}</code>, {{ d.published.verdict }},
{% for mart, n in d.published.row_counts.items() %}{{ mart }} {{ "{:,}".format(n) }}{{ ", " if not loop.last }}{% endfor %}).{% else %}Nothing has been published yet.{% endif %}
Database <code>{{ database_name }}</code> · generated {{ generated }}.</p>

<h2>Gates per channel</h2>
<p class="muted small">Red blocks publishing, yellow warns. Counts are failing orders (days for Y4, stale sources for Y1);
examples are keys, never personal data.</p>
<table id="lights"><tr><th>gate</th>{% for c in d.channels %}<th>{{ c or "(no channel)" }}</th>{% endfor %}</tr>
{% for g in d.gates %}<tr><td><strong>{{ g.id }}</strong> <span class="small muted">{{ g.description }}</span></td>
{% for c in d.channels %}{% set l = d.light(g.id, c) %}<td>{% if l %}<span class="light {{ l.colour }}" title="{{ l.colour }}" data-gate="{{ g.id }}" data-colour="{{ l.colour }}"></span><span class="cell-count">{{ "{:,}".format(l.failing_count) }}</span>
{% if l.examples %}<span class="note">e.g. {% for e in l.examples[:3] %}<code>{{ e }}</code>{{ ", " if not loop.last }}{% endfor %}</span>{% endif %}
{% if l.note %}<span class="note">{{ l.note }}</span>{% endif %}{% endif %}</td>{% endfor %}</tr>{% endfor %}
</table>

{% if attention %}<h2>Needs attention</h2>
<table><tr><th>gate</th><th>channel</th><th>light</th><th class="num">failing</th><th>checks</th><th>examples</th><th>why</th></tr>
{% for l in attention %}<tr><td>{{ l.gate_id }}</td><td>{{ l.channel or "" }}</td><td class="nowrap"><span class="light {{ l.colour }}"></span>{{ l.colour }}</td>
<td class="num">{{ "{:,}".format(l.failing_count) }}</td><td class="small">{% for k, n in l.checks.items() %}{{ k }}: {{ n }}<br>{% endfor %}</td>
<td class="small">{{ l.example_key }}: {% for e in l.examples %}<code>{{ e }}</code>{{ ", " if not loop.last }}{% endfor %}</td><td class="small">{{ l.note }}</td></tr>{% endfor %}
</table>{% endif %}

<h2>Freshness per source</h2>
{% if d.freshness %}<table><tr><th>source</th><th>channel</th><th>light</th><th>newest record (UTC)</th><th class="num">age</th><th>warn / error after</th></tr>
{% for f in d.freshness %}<tr><td><code>{{ f.source }}</code></td><td>{{ f.channel }}</td><td class="nowrap"><span class="light {{ f.colour }}"></span>{{ f.status }}</td>
<td>{{ f.max_loaded_at or "—" }}</td><td class="num">{{ minutes(f.age_seconds) }}</td>
<td>{{ minutes_of(f.warn_after_minutes) }} / {{ minutes_of(f.error_after_minutes) }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">Freshness was not checked in this run (it runs with <code>orderlayer check</code>).</p>{% endif %}

<h2>Quarantine</h2>
{% if d.quarantine %}<table><tr><th>channel</th><th>reason</th><th class="num">records</th><th class="num">orders</th><th class="num">records of orders with no valid version</th></tr>
{% for q in d.quarantine %}<tr><td>{{ q.channel }}</td><td>{{ q.reason }}</td><td class="num">{{ q.records }}</td><td class="num">{{ q.orders }}</td><td class="num">{{ q.without_valid_version }}</td></tr>{% endfor %}
</table>{% else %}<p>No quarantined records.</p>{% endif %}

<h2>Channel vs ERP</h2>
{% if d.reconciliation %}<p class="small muted">Valid channel orders against the ERP orders that book them (and ERP-only orders of the shop), summed over the days
in <code>fct_reconciliation_daily</code>; a day is out of tolerance beyond orderlayer.yml <code>reconciliation:</code>.</p>
<table id="reconciliation"><tr><th>channel</th><th>shop</th><th>currency</th><th class="num">channel orders</th><th class="num">ERP orders</th>
<th class="num">channel paid</th><th class="num">ERP amount</th><th class="num">difference</th><th class="num">refunds channel / ERP</th>
<th class="num">not in ERP</th><th class="num">ERP-only</th><th class="num">days out of tolerance</th></tr>
{% for r in d.reconciliation %}<tr><td>{{ r.channel or "(unmapped customer)" }}</td><td>{{ r.shop_id or "" }}</td><td>{{ r.currency }}</td>
<td class="num">{{ r.channel_orders }}</td><td class="num">{{ r.erp_orders }}</td><td class="num">{{ r.channel_paid_amount }}</td>
<td class="num">{{ r.erp_amount }}</td><td class="num">{{ r.amount_difference }}</td><td class="num">{{ r.channel_refund_amount }} / {{ r.erp_refund_amount }}</td>
<td class="num">{{ r.channel_orders_without_erp }}</td><td class="num">{{ r.erp_only_orders }}</td>
<td class="num"><span class="light {{ 'green' if r.days_out_of_tolerance == 0 else 'yellow' }}"></span>{{ r.days_out_of_tolerance }} of {{ r.days }}</td></tr>{% endfor %}
</table>
{% if d.reconciliation_exceptions %}<h3>Orders behind the differences</h3>
<table id="reconciliation-exceptions"><tr><th>type</th><th>channel</th><th>reason</th><th class="num">orders</th><th>examples</th></tr>
{% for e in d.reconciliation_exceptions %}<tr><td>{{ e.exception_type }}</td><td>{{ e.channel }}</td><td>{{ e.reason }}</td><td class="num">{{ e.orders }}</td>
<td class="small">{% for k in e.examples %}<code>{{ k }}</code>{{ ", " if not loop.last }}{% endfor %}</td></tr>{% endfor %}
</table>{% endif %}
{% else %}<p class="muted">No ERP orders in the warehouse: nothing to reconcile (configure an ERP connection).</p>{% endif %}

<h2>dbt tests</h2>
{% if d.dbt_tests %}<p>{{ dbt_passed }} of {{ d.dbt_tests|length }} passed{% if dbt_failed %}; not passing:
{% for t in dbt_failed %}<span class="light {{ t.colour }}"></span><code>{{ t.test }}</code> ({{ t.status }}, {{ t.failures or 0 }}){{ ", " if not loop.last }}{% endfor %}{% endif %}.</p>
{% else %}<p class="muted">No dbt test results recorded for this run.</p>{% endif %}

<h2>Trends over runs</h2>
<p class="muted small">The last {{ d.runs|length }} recorded run(s), oldest first{% if d.runs|length == 1 %} — run more checks to see a trend{% endif %}.</p>
<div class="charts" id="trends">{% for svg in trend_charts %}{{ svg|safe }}{% endfor %}</div>

<h2>Daily orders</h2>
<div class="charts" id="daily">{% if daily_chart %}{{ daily_chart|safe }}{% else %}<p class="muted">No orders in audit.</p>{% endif %}</div>

{% if d.metric_table %}<h2>Metrics (published)</h2>
<table><tr>{% for c in d.metric_table.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in d.metric_table.rows %}<tr>{% for v in row %}<td class="num">{{ v if v is not none else "" }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}

<h2>Expectation-level detail</h2>
{% if data_docs %}<p><a href="{{ data_docs }}" id="data-docs">Great Expectations Data Docs</a>: every expectation of every gate with GX's own results
(GX's pages load their styles from the internet).</p>
{% else %}<p class="muted">GX Data Docs were not built; run <code>orderlayer report</code> without <code>--no-data-docs</code>.</p>{% endif %}
</body></html>
"""


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _minutes_of(minutes: float | None) -> str:
    return "—" if minutes is None else _minutes(minutes * 60)


def _run_label(checked_at: datetime) -> str:
    return checked_at.astimezone(timezone.utc).strftime("%m-%d %H:%M")


def trend_charts(data: ReportData) -> list[str]:
    labels = [_run_label(r.checked_at) for r in data.runs]
    charts = [
        stacked_bars(
            "Non-green lights per run",
            labels,
            {"red": [r.red for r in data.runs], "yellow": [r.yellow for r in data.runs]},
            {"red": LIGHT_COLOURS["red"], "yellow": LIGHT_COLOURS["yellow"]},
        )
    ]
    colours = channel_colours(data)
    for metric, title, percent in TREND_METRICS:
        series = data.metric_trend.get(metric)
        if series and any(v is not None for values in series.values() for v in values):
            ordered = {c: series[c] for c in sorted(series)}
            charts.append(line_chart(title, labels, ordered, percent=percent, colours_by_name=colours))
    return charts


def channel_colours(data: ReportData) -> dict[str, str]:
    """One colour per channel for every chart of the page."""
    names = sorted({c for c in data.channels if c} | set(data.daily_orders))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def daily_chart(data: ReportData) -> str | None:
    days = sorted({day for values in data.daily_orders.values() for day, _ in values})
    if not days:
        return None
    position = {day: i for i, day in enumerate(days)}
    series: dict[str, list[float | None]] = {}
    for channel, values in sorted(data.daily_orders.items()):
        points: list[float | None] = [0.0] * len(days)  # a day without orders is a 0, not a gap (Y4)
        for day, n in values:
            points[position[day]] = float(n)
        series[channel] = points
    labels = [d.strftime("%m-%d") for d in days]
    return line_chart("Orders per business day (audit)", labels, series, colours_by_name=channel_colours(data))


def render_html(data: ReportData, path: Path) -> str:
    """The page for `data`, with links relative to where it will be written (`path`)."""
    docs_link = None
    if data.data_docs:
        docs_link = Path(os.path.relpath(data.data_docs, path.resolve().parent)).as_posix()
    dbt_failed = [t for t in data.dbt_tests if t.get("colour") != "green"]
    return (
        Environment(autoescape=select_autoescape(default=True))
        .from_string(TEMPLATE)
        .render(
            d=data,
            database_name=Path(data.database).name,
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            attention=[li for li in data.lights if li.colour != "green"],
            dbt_passed=len(data.dbt_tests) - len(dbt_failed),
            dbt_failed=dbt_failed,
            trend_charts=trend_charts(data),
            daily_chart=daily_chart(data),
            data_docs=docs_link,
            minutes=_minutes,
            minutes_of=_minutes_of,
        )
    )


def build_report(
    db: Path,
    run_id: str | None = None,
    data_docs: bool = True,
    metric_table: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
) -> ReportData:
    """Read the run (default: the latest) and its history; render GX Data Docs for the runs shown."""
    data = load_report(db, run_id)
    if data_docs:
        from orderlayer.expectations.data_docs import build_data_docs

        index = build_data_docs(db, [r.run_id for r in data.runs])
        data.data_docs = str(index) if index else None
    if metric_table is not None:
        columns, rows = metric_table
        data.metric_table = {"columns": list(columns), "rows": [list(r) for r in rows]}
    return data


def write_html(data: ReportData, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data, path), encoding="utf-8")
    return path


def default_output(db: Path, run_id: str) -> Path:
    return db.resolve().parent / "reports" / f"report-{run_id}.html"


def write_report(
    db: Path,
    out_dir: Path,
    run_id: str | None = None,
    *,
    data_docs: bool = True,
    metric_table: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
) -> Path:
    """The demo's report: `report-<run>.html` in out_dir, and the same page as `latest.html`."""
    data = build_report(db, run_id, data_docs=data_docs, metric_table=metric_table)
    path = write_html(data, out_dir / f"report-{data.run_id}.html")
    write_html(data, out_dir / "latest.html")
    return path


def print_summary(data: ReportData, console: Console, path: Path | None = None) -> None:
    """The terminal version: a light per gate and channel, what needs attention, where the page is."""
    console.print(f"run {data.run_id} · checked {data.checked_at.strftime('%Y-%m-%d %H:%M:%S UTC')}")
    table = Table(title="Gates", caption="● light · failing count", show_lines=False)
    table.add_column("gate")
    for channel in data.channels:
        table.add_column(channel or "(no channel)", justify="right")
    for gate in data.gates:
        cells = []
        for channel in data.channels:
            light = data.light(gate["id"], channel)
            # the colour's name too where it matters: logs and pipes carry no colour
            label = "" if light is None or light.colour == "green" else f" {light.colour}"
            cells.append("" if light is None else f"[{_rich(light.colour)}]●{label}[/] {light.failing_count:,}")
        table.add_row(gate["id"], *cells)
    console.print(table)
    for light in data.lights:
        if light.colour != "green":
            examples = ", ".join(light.examples[:3])
            console.print(
                f"[{_rich(light.colour)}]{light.gate_id} {light.channel or ''}[/]: {light.failing_count:,} failing"
                + (f" · {light.example_key} e.g. {examples}" if examples else "")
                + (f" · {light.note}" if light.note else "")
            )
    for f in data.freshness:
        console.print(f"freshness {f['source']}: [{_rich(f['colour'])}]{f['status']}[/] ({_minutes(f['age_seconds'])} old)")
    quarantined = sum(q["records"] for q in data.quarantine)
    console.print(f"quarantine: {quarantined:,} record(s)" + (f", top reason: {data.quarantine[0]['reason']}" if data.quarantine else ""))
    published = f"published version {data.published['version']}" if data.published else "nothing published yet"
    console.print(f"verdict: [bold {_rich(data.verdict)}]{data.verdict.upper()}[/] · {published}")
    # paths on one line, however narrow the terminal: a wrapped path cannot be copied or clicked
    if path is not None:
        console.print(f"report: {path}", soft_wrap=True)
    if data.data_docs:
        console.print(f"GX Data Docs: {data.data_docs}", soft_wrap=True)


def _rich(colour: str) -> str:
    return {"green": "green", "yellow": "yellow", "red": "red"}.get(colour, "white")
