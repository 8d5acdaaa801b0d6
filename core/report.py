"""`orderlayer report`: an HTML page (and a terminal summary, or JSON) of a gate run.

Per channel a red/yellow/green light per gate with failing counts and drill-down to example orders by the
platform's own ids; each gate's history over the recorded runs; freshness per source; quarantine reasons;
dbt tests; Plotly charts of key gate metrics over runs and of daily orders; filters by channel and light
colour (a few lines of JavaScript in the page); a link to GX Data Docs. The page needs no network: plotly.js
is written beside it (core/charts.py) and nothing else is loaded. It lays out channels as rows, so 30
channels grow the page downwards, never sideways. It shows keys, ids, counts and figures only — never a
personal column.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from orderlayer.core.charts import channel_colours as colours_of, line_chart, stacked_bars, write_plotly_js
from orderlayer.core.history import TREND_METRICS, Light, ReportData, load_report
from orderlayer.core.report_page import SCRIPT, STYLE, TEMPLATE
from orderlayer.core.warehouse import reader_path

LIGHT_COLOURS = {"green": "#2e9d4c", "yellow": "#e3a008", "red": "#d0312d"}
NO_CHANNEL = "(none)"

def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _minutes_of(minutes: float | None) -> str:
    return "—" if minutes is None else _minutes(minutes * 60)


def _run_label(checked_at: datetime) -> str:
    return checked_at.astimezone(timezone.utc).strftime("%m-%d %H:%M")


def trend_charts(data: ReportData) -> dict[str, dict[str, Any]]:
    """Plotly figures by element id: non-green lights per run, then each trend metric per channel."""
    labels = [_run_label(r.checked_at) for r in data.runs]
    charts = {
        "trend-lights": stacked_bars(
            "Non-green lights per run",
            labels,
            {"red": [r.red for r in data.runs], "yellow": [r.yellow for r in data.runs]},
            {"red": LIGHT_COLOURS["red"], "yellow": LIGHT_COLOURS["yellow"]},
        )
    }
    colours = channel_colours(data)
    for metric, title, percent in TREND_METRICS:
        series = data.metric_trend.get(metric)
        if series and any(v is not None for values in series.values() for v in values):
            ordered = {c: series[c] for c in sorted(series)}
            charts[f"trend-{metric}"] = line_chart(title, labels, ordered, colours, percent=percent)
    return charts


def channel_colours(data: ReportData) -> dict[str, str]:
    """One colour per channel for every chart and legend of the page."""
    return colours_of([c or NO_CHANNEL for c in data.channels] + list(data.daily_orders) + list(data.daily_refunds))


def _per_day_chart(title: str, per_channel: dict[str, list[tuple[Any, int]]], colours: dict[str, str]) -> dict[str, Any] | None:
    days = sorted({day for values in per_channel.values() for day, _ in values})
    if not days:
        return None
    position = {day: i for i, day in enumerate(days)}
    series: dict[str, list[float | None]] = {}
    for channel, values in sorted(per_channel.items()):
        points: list[float | None] = [0.0] * len(days)  # a day without any is a 0, not a gap (Y4)
        for day, n in values:
            points[position[day]] = float(n)
        series[channel] = points
    labels = [d.strftime("%m-%d") for d in days]
    return line_chart(title, labels, series, colours)


def daily_chart(data: ReportData) -> dict[str, Any] | None:
    return _per_day_chart("Orders per business day (audit)", data.daily_orders, channel_colours(data))


def refunds_chart(data: ReportData) -> dict[str, Any] | None:
    """Refunds per refund day and channel (the report's refunds section, core/report_refunds.py)."""
    return _per_day_chart("Refunds per refund day (audit)", data.daily_refunds, channel_colours(data))


def _anchor(light: Light) -> str:
    return f"x-{light.gate_id}-{light.channel or NO_CHANNEL}"


def render_html(data: ReportData, path: Path, plotly_js: str) -> str:
    """The page for `data`, with links relative to where it will be written (`path`); `plotly_js` is the
    script's address relative to the page."""
    docs_link = None
    if data.data_docs:
        docs_link = Path(os.path.relpath(data.data_docs, path.resolve().parent)).as_posix()
    dbt_failed = [t for t in data.dbt_tests if t.get("colour") != "green"]
    colours = channel_colours(data)
    figures = trend_charts(data)
    daily = daily_chart(data)
    if daily is not None:
        figures["daily-orders"] = daily
    refunds = refunds_chart(data)
    if refunds is not None:
        figures["daily-refunds"] = refunds
    row_colours = {
        c or NO_CHANNEL: " ".join(sorted({li.colour for li in data.lights if li.channel == c})) for c in data.channels
    }
    attention = [li for li in data.lights if li.colour != "green"]
    payload = {
        "run_labels": [_run_label(r.checked_at) for r in data.runs],
        "gate_history": data.gate_history,
        "figures": figures,
    }
    return (
        Environment(autoescape=select_autoescape(default=True))
        .from_string(TEMPLATE)
        .render(
            d=data,
            style=STYLE,
            script=SCRIPT,
            plotly_js=plotly_js,
            payload=payload,
            database_name=Path(data.database).name,
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            channel_names=sorted(colours),
            colours=colours,
            no_channel=NO_CHANNEL,
            row_colours=row_colours,
            light_counts=Counter(li.colour for li in data.lights),
            attention=attention,
            first_attention=attention[0].gate_id if attention else None,
            anchor=_anchor,
            dbt_passed=len(data.dbt_tests) - len(dbt_failed),
            dbt_failed=dbt_failed,
            trend_ids=[k for k in figures if k not in ("daily-orders", "daily-refunds")],
            has_daily=daily is not None,
            has_daily_refunds=refunds is not None,
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
    data = load_report(reader_path(db), run_id)  # the read snapshot: a report never waits for a run
    if data_docs:
        from orderlayer.expectations.data_docs import build_data_docs

        index = build_data_docs(db, [r.run_id for r in data.runs])
        data.data_docs = str(index) if index else None
    if metric_table is not None:
        columns, rows = metric_table
        data.metric_table = {"columns": list(columns), "rows": [list(r) for r in rows]}
    return data


def write_html(data: ReportData, path: Path) -> Path:
    """The page, and plotly.js beside it (once per folder)."""
    script = write_plotly_js(path.parent)
    path.write_text(render_html(data, path, script.name), encoding="utf-8")
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
