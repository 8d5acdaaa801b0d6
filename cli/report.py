"""A self-contained HTML page for one run: verdict, a light per gate and channel, quarantine, syncs, metrics.

It reads only ops/quarantine/published summaries and gate results — never personal columns.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import duckdb
from jinja2 import Environment, select_autoescape

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderlayer — run {{ run_id }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d232a}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #dde2e7;padding:.3rem .7rem;text-align:left}
th{background:#f4f6f8}.num{text-align:right;font-variant-numeric:tabular-nums}
.light{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;vertical-align:middle;margin-right:.3rem}
.green{background:#2e9d4c}.yellow{background:#e3a008}.red{background:#d0312d}.verdict{font-weight:700;text-transform:uppercase}
code{font-size:.85em;color:#51606f}
</style></head><body>
<h1>orderlayer run <code>{{ run_id }}</code></h1>
<p>Verdict: <span class="light {{ verdict }}"></span><span class="verdict">{{ verdict }}</span>
 · database <code>{{ database }}</code> · generated {{ generated }}</p>
<h2>Gates</h2>
<table><tr><th>gate</th><th>light</th><th>channel</th><th class="num">failing</th><th>example order_keys</th><th>what it checks</th></tr>
{% for g in gates %}<tr><td>{{ g.gate_id }}</td><td><span class="light {{ g.colour }}"></span>{{ g.colour }}</td>
<td>{{ g.channel or "(all)" }}</td><td class="num">{{ g.failing_count }}</td><td><code>{{ g.examples|join(", ") }}</code></td>
<td>{{ g.description }}</td></tr>{% endfor %}
</table>
<p>dbt tests: {{ dbt_passed }} of {{ dbt_total }} passed{% if dbt_failed %}; not passing: {% for t in dbt_failed %}<code>{{ t.test }}</code> ({{ t.colour }}){{ ", " if not loop.last }}{% endfor %}{% endif %}.</p>
<h2>Syncs</h2>
<table><tr><th>connection</th><th>status</th><th class="num">records read</th><th class="num">new raw rows</th><th>finished</th></tr>
{% for s in syncs %}<tr><td>{{ s[0] }}</td><td>{{ s[1] }}</td><td class="num">{{ "{:,}".format(s[2] or 0) }}</td>
<td class="num">{{ "{:,}".format(s[3] or 0) }}</td><td>{{ s[4] }}</td></tr>{% endfor %}
</table>
<h2>Quarantine</h2>
{% if quarantine %}<table><tr><th>channel</th><th>reason</th><th class="num">records</th></tr>
{% for q in quarantine %}<tr><td>{{ q[0] }}</td><td>{{ q[1] }}</td><td class="num">{{ q[2] }}</td></tr>{% endfor %}</table>
{% else %}<p>No quarantined records.</p>{% endif %}
<h2>Metrics (published)</h2>
<table><tr>{% for c in metric_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in metric_rows %}<tr>{% for v in row %}<td class="num">{{ v if v is not none else "" }}</td>{% endfor %}</tr>{% endfor %}
</table>
</body></html>
"""


def write_report(
    db: Path,
    run_id: str,
    check: dict[str, Any],
    metric_columns: Sequence[str],
    metric_rows: Sequence[Sequence[Any]],
    out_dir: Path,
) -> Path:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        syncs = con.execute(
            "select connection, status, records_read, rows_added, finished_at from ops.sync_runs "
            "where run_id = ? order by connection",
            [run_id],
        ).fetchall()
        quarantine: list[tuple] = []
        if con.execute(
            "select count(*) from information_schema.tables where table_schema = 'quarantine' and table_name = 'quarantine_orders'"
        ).fetchone()[0]:
            quarantine = con.execute(
                "select channel, quarantine_reason, count(*) from quarantine.quarantine_orders group by all order by all"
            ).fetchall()
    finally:
        con.close()
    dbt_tests = check.get("dbt_tests", [])
    html = (
        Environment(autoescape=select_autoescape(default=True))
        .from_string(TEMPLATE)
        .render(
            run_id=run_id,
            verdict=check["verdict"],
            database=db,
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            gates=check["gates"]["results"],
            dbt_total=len(dbt_tests),
            dbt_passed=sum(1 for t in dbt_tests if t["colour"] == "green"),
            dbt_failed=[t for t in dbt_tests if t["colour"] != "green"],
            syncs=syncs,
            quarantine=quarantine,
            metric_columns=metric_columns,
            metric_rows=metric_rows,
        )
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"report-{run_id}.html"
    path.write_text(html, encoding="utf-8")
    (out_dir / "latest.html").write_text(html, encoding="utf-8")
    return path
