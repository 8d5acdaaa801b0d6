"""The report page's markup, style and script (rendered by core/report.py with Jinja).

Kept in Python, not loose files, so the page ships with the package whatever its data files list. The
script only filters what the page already holds and draws the Plotly figures embedded in it: no requests.
"""

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1rem 1.5rem 3rem;color:#1d232a;max-width:1400px;overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #dde2e7;padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #dde2e7;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f8;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;max-width:100%}
.light{display:inline-block;width:.9rem;height:.9rem;border-radius:50%;vertical-align:-.12rem;margin-right:.3rem;border:1px solid rgba(0,0,0,.15);flex:none}
.green{background:#2e9d4c}.yellow{background:#e3a008}.red{background:#d0312d}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:700;text-transform:uppercase}
.badge.yellow{color:#1d232a}.muted{color:#51606f}.small{font-size:.85em}code{font-size:.85em;color:#3b4754}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-.1rem;margin-right:.3rem;flex:none}
#filters{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid #dde2e7;padding:.4rem 0;display:flex;flex-direction:column;gap:.25rem}
#filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;align-items:center;gap:.15rem .7rem}
#filters legend{float:left;font-weight:600;margin-right:.5rem}
#filters button{font:inherit;font-size:.8em;padding:0 .45rem;border:1px solid #c5ced6;border-radius:3px;background:#f4f6f8;cursor:pointer}
.chip{display:inline-flex;align-items:center;white-space:nowrap;font-size:.85em;cursor:pointer}
.chip input{margin:0 .25rem 0 0}
table.matrix{width:100%;table-layout:fixed}
.matrix th,.matrix td{padding:.25rem .3rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.matrix th.ch{width:11rem}.matrix thead th{text-align:center}.matrix td{text-align:center}
.matrix td a{color:inherit;text-decoration:none}.matrix td.dim{opacity:.15}
.cell-count{font-weight:600;font-variant-numeric:tabular-nums}
.gate-legend{display:flex;flex-wrap:wrap;gap:.1rem 1.2rem;margin:.3rem 0;padding:0;font-size:.85em;color:#51606f}
.gate-legend dt{font-weight:600;color:#1d232a;white-space:nowrap}.gate-legend div{display:flex;gap:.35rem;max-width:26rem}.gate-legend dd{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:1rem}
.chart{min-width:0;border:1px solid #e3e7eb;border-radius:4px;background:#fff}
.wide{grid-column:1/-1}
details summary{cursor:pointer}
table.ids td{padding:.1rem .5rem;border:0}
.nowrap{white-space:nowrap}
[hidden]{display:none!important}
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderlayer data quality — {{ d.run_id }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ style }}</style>
<script src="{{ plotly_js }}"></script>
</head><body>
<h1>orderlayer data quality</h1>
<p>Run <code>{{ d.run_id }}</code> checked {{ d.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC") }} ·
verdict <span class="badge {{ d.verdict }}" id="verdict">{{ d.verdict }}</span>
{% if d.gates_verdict != d.verdict %}<span class="muted small">(gates {{ d.gates_verdict }}, dbt tests decide the rest)</span>{% endif %}</p>
<p class="muted">{% if d.run_published_version %}This run published version {{ d.run_published_version }}.
{% elif d.verdict == "red" %}Red: this run was not published; <code>published</code> is unchanged.{% else %}This run was a check only (nothing published by it).{% endif %}
{% if d.published %}Consumers read version {{ d.published.version }} (run <code>{{ d.published.run_id }}</code>, {{ d.published.verdict }},
{% for mart, n in d.published.row_counts.items() %}{{ mart }} {{ "{:,}".format(n) }}{{ ", " if not loop.last }}{% endfor %}).{% else %}Nothing has been published yet.{% endif %}
Database <code>{{ database_name }}</code> · generated {{ generated }}.</p>

<div id="filters">
<fieldset id="channel-filter"><legend>Channels</legend>
<button type="button" data-select="all">all</button><button type="button" data-select="none">none</button>
{% for c in channel_names %}<label class="chip"><input type="checkbox" name="channel" value="{{ c }}" checked><span class="swatch" style="background:{{ colours[c] }}"></span>{{ c }}</label>
{% endfor %}</fieldset>
<fieldset id="colour-filter"><legend>Lights</legend>
{% for colour in ("red", "yellow", "green") %}<label class="chip"><input type="checkbox" name="colour" value="{{ colour }}" checked><span class="light {{ colour }}"></span>{{ colour }}&nbsp;<span class="muted">({{ light_counts[colour] }})</span></label>
{% endfor %}<span class="muted small">Channel boxes are the charts' legend too; a colour filter keeps the channels with such a light.</span></fieldset>
</div>

<h2>Gates per channel</h2>
<p class="muted small">Red blocks publishing, yellow warns. Counts are failing orders (days for Y4, stale sources for Y1);
a coloured light links to its examples below.</p>
<div class="scroll"><table id="lights" class="matrix"><thead><tr><th class="ch">channel</th>{% for g in d.gates %}<th title="{{ g.description }}">{{ g.id }}</th>{% endfor %}</tr></thead>
<tbody>{% for c in d.channels %}{% set name = c or no_channel %}<tr data-channel="{{ name }}" data-colours="{{ row_colours[name] }}">
<th class="ch" title="{{ name }}"><span class="swatch" style="background:{{ colours[name] }}"></span>{{ name }}</th>
{% for g in d.gates %}{% set l = d.light(g.id, c) %}<td{% if l %} data-colour="{{ l.colour }}"{% endif %}>{% if l %}{% if l.colour != "green" %}<a href="#{{ anchor(l) }}">{% endif %}<span class="light {{ l.colour }}" title="{{ g.id }} {{ name }}: {{ l.colour }}" data-gate="{{ g.id }}" data-colour="{{ l.colour }}"></span><span class="cell-count">{{ "{:,}".format(l.failing_count) }}</span>{% if l.colour != "green" %}</a>{% endif %}{% endif %}</td>
{% endfor %}</tr>
{% endfor %}</tbody></table></div>
<dl class="gate-legend">{% for g in d.gates %}<div><dt>{{ g.id }}</dt><dd>{{ g.description }}</dd></div>{% endfor %}</dl>

<h2>Needs attention</h2>
{% if attention %}<p class="muted small">Examples are the platform's own shop and order ids (the warehouse's key where the order is no longer in it).</p>
<div class="scroll"><table id="attention"><tr><th>gate</th><th>channel</th><th>light</th><th class="num">failing</th><th>checks</th><th>examples</th><th>why</th></tr>
{% for l in attention %}<tr id="{{ anchor(l) }}" data-channel="{{ l.channel or no_channel }}" data-colour="{{ l.colour }}"><td>{{ l.gate_id }}</td><td class="nowrap">{{ l.channel or no_channel }}</td>
<td class="nowrap"><span class="light {{ l.colour }}"></span>{{ l.colour }}</td><td class="num">{{ "{:,}".format(l.failing_count) }}</td>
<td class="small">{% for k, n in l.checks.items() %}{{ k }}: {{ n }}<br>{% endfor %}</td>
<td class="small">{% if l.order_ids %}<details class="drill"{% if loop.index <= 5 %} open{% endif %}><summary>{{ l.order_ids|length }} example order(s)</summary>
<table class="ids"><tr><th>shop</th><th>order id</th></tr>{% for o in l.order_ids %}<tr><td>{{ o.shop_id or "—" }}</td><td>{% if o.order_id %}<code class="order-id" title="{{ l.example_key }} {{ o.key }}">{{ o.order_id }}</code>{% else %}<code title="not in the warehouse any more">{{ o.key }}</code>{% endif %}</td></tr>{% endfor %}</table></details>
{% elif l.examples %}{{ l.example_key }}: {% for e in l.examples %}<code>{{ e }}</code>{{ ", " if not loop.last }}{% endfor %}{% endif %}</td>
<td class="small">{{ l.note }}</td></tr>
{% endfor %}</table></div>
{% else %}<p>Every light is green.</p>{% endif %}

<h2>Gate history</h2>
<p class="muted small">The worst light of each gate over the channels selected above, per run (the last {{ d.runs|length }}, oldest first);
pick a gate to see it per channel.</p>
<div class="charts"><div class="chart wide" id="gate-history"></div>
<div class="wide"><label>Gate <select id="gate-pick">{% for g in d.gates %}<option value="{{ g.id }}"{% if g.id == first_attention %} selected{% endif %}>{{ g.id }} — {{ g.description }}</option>{% endfor %}</select></label></div>
<div class="chart wide" id="gate-channels"></div></div>

<h2>Freshness per source</h2>
{% if d.freshness %}<div class="scroll"><table><tr><th>source</th><th>channel</th><th>light</th><th>newest record (UTC)</th><th class="num">age</th><th>warn / error after</th></tr>
{% for f in d.freshness %}<tr data-channel="{{ f.channel or no_channel }}" data-colour="{{ f.colour }}"><td><code>{{ f.source }}</code></td><td>{{ f.channel }}</td><td class="nowrap"><span class="light {{ f.colour }}"></span>{{ f.status }}</td>
<td>{{ f.max_loaded_at or "—" }}</td><td class="num">{{ minutes(f.age_seconds) }}</td>
<td>{{ minutes_of(f.warn_after_minutes) }} / {{ minutes_of(f.error_after_minutes) }}</td></tr>{% endfor %}</table></div>
{% else %}<p class="muted">Freshness was not checked in this run (it runs with <code>orderlayer check</code>).</p>{% endif %}

<h2>Quarantine</h2>
{% if d.quarantine %}<div class="scroll"><table><tr><th>channel</th><th>reason</th><th class="num">records</th><th class="num">orders</th><th class="num">records of orders with no valid version</th></tr>
{% for q in d.quarantine %}<tr data-channel="{{ q.channel or no_channel }}"><td>{{ q.channel }}</td><td>{{ q.reason }}</td><td class="num">{{ q.records }}</td><td class="num">{{ q.orders }}</td><td class="num">{{ q.without_valid_version }}</td></tr>{% endfor %}
</table></div>{% else %}<p>No quarantined records.</p>{% endif %}

<h2>Channel vs ERP</h2>
{% if d.reconciliation %}<p class="small muted">Valid channel orders against the ERP orders that book them (and ERP-only orders of the shop), summed over the days
in <code>fct_reconciliation_daily</code>; a day is out of tolerance beyond orderlayer.yml <code>reconciliation:</code>.</p>
<div class="scroll"><table id="reconciliation"><tr><th>channel</th><th>shop</th><th>currency</th><th class="num">channel orders</th><th class="num">ERP orders</th>
<th class="num">channel paid</th><th class="num">ERP amount</th><th class="num">difference</th><th class="num">refunds channel / ERP</th>
<th class="num">not in ERP</th><th class="num">ERP-only</th><th class="num">days out of tolerance</th></tr>
{% for r in d.reconciliation %}<tr data-channel="{{ r.channel or no_channel }}"><td>{{ r.channel or "(unmapped customer)" }}</td><td>{{ r.shop_id or "" }}</td><td>{{ r.currency }}</td>
<td class="num">{{ r.channel_orders }}</td><td class="num">{{ r.erp_orders }}</td><td class="num">{{ r.channel_paid_amount }}</td>
<td class="num">{{ r.erp_amount }}</td><td class="num">{{ r.amount_difference }}</td><td class="num">{{ r.channel_refund_amount }} / {{ r.erp_refund_amount }}</td>
<td class="num">{{ r.channel_orders_without_erp }}</td><td class="num">{{ r.erp_only_orders }}</td>
<td class="num"><span class="light {{ 'green' if r.days_out_of_tolerance == 0 else 'yellow' }}"></span>{{ r.days_out_of_tolerance }} of {{ r.days }}</td></tr>{% endfor %}
</table></div>
{% if d.reconciliation_exceptions %}<h3>Orders behind the differences</h3>
<div class="scroll"><table id="reconciliation-exceptions"><tr><th>type</th><th>channel</th><th>reason</th><th class="num">orders</th><th>examples</th></tr>
{% for e in d.reconciliation_exceptions %}<tr data-channel="{{ e.channel }}"><td>{{ e.exception_type }}</td><td>{{ e.channel }}</td><td>{{ e.reason }}</td><td class="num">{{ e.orders }}</td>
<td class="small">{% for k in e.examples %}<code>{{ k }}</code>{{ ", " if not loop.last }}{% endfor %}</td></tr>{% endfor %}
</table></div>{% endif %}
{% else %}<p class="muted">No ERP orders in the warehouse: nothing to reconcile (configure an ERP connection).</p>{% endif %}

<h2>Refunds</h2>
{% if d.refunds %}<p class="small muted">After-sale records in <code>fct_refunds</code> (docs/refunds.md): refunds whose money went back in the last
refund days shown, by refund date, per channel and currency; open and rejected records and returns whatever their date.</p>
<div class="scroll"><table id="refunds"><tr><th>channel</th><th>currency</th><th>refund days</th><th class="num">refunds</th><th class="num">refunded</th>
<th class="num">open</th><th class="num">rejected</th><th class="num">returns</th><th>top reasons</th></tr>
{% for r in d.refunds %}<tr data-channel="{{ r.channel or no_channel }}"><td>{{ r.channel }}</td><td>{{ r.currency }}</td>
<td class="nowrap">{{ r.first_day or "—" }} … {{ r.last_day or "—" }}</td><td class="num">{{ r.refunds }}</td><td class="num">{{ r.refunded_amount }}</td>
<td class="num">{{ r.open }}</td><td class="num">{{ r.rejected }}</td><td class="num">{{ r.returns }}</td><td>{{ r.top_reasons | join(", ") }}</td></tr>{% endfor %}
</table></div>
{% if has_daily_refunds %}<div class="charts" id="refund-days"><div class="chart wide" id="daily-refunds" data-figure="daily-refunds"></div></div>{% endif %}
{% else %}<p class="muted">No after-sale records (no channel with an after-sale stream synced).</p>{% endif %}
<h2>Parcels</h2>
{% if d.parcels %}<p class="small muted">Orders naming a parcel by where their parcels are, from the carriers' events (<code>order_parcels</code>, docs/logistics.md).</p>
<div class="scroll"><table id="parcels"><tr><th>channel</th><th>parcel state</th><th class="num">orders</th><th class="num">mean transit hours</th></tr>
{% for p in d.parcels %}<tr data-channel="{{ p.channel }}"><td>{{ p.channel }}</td><td>{{ p.parcel_state }}</td><td class="num">{{ p.orders }}</td><td class="num">{{ p.transit_hours if p.transit_hours is not none else "—" }}</td></tr>{% endfor %}
</table></div>{% else %}<p class="muted">No parcels tracked (configure a carrier connection: docs/logistics.md).</p>{% endif %}

<h2>dbt tests</h2>
{% if d.dbt_tests %}<p>{{ dbt_passed }} of {{ d.dbt_tests|length }} passed{% if dbt_failed %}; not passing:
{% for t in dbt_failed %}<span class="light {{ t.colour }}"></span><code>{{ t.test }}</code> ({{ t.status }}, {{ t.failures or 0 }}){{ ", " if not loop.last }}{% endfor %}{% endif %}.</p>
{% else %}<p class="muted">No dbt test results recorded for this run.</p>{% endif %}

<h2>Trends over runs</h2>
<p class="muted small">The last {{ d.runs|length }} recorded run(s), oldest first{% if d.runs|length == 1 %} — run more checks to see a trend{% endif %}.
Lines are coloured by channel as in the filter above; hover a point for its channel and value.</p>
<div class="charts" id="trends">{% for id in trend_ids %}<div class="chart" id="{{ id }}" data-figure="{{ id }}"></div>{% endfor %}</div>

<h2>Daily orders</h2>
<div class="charts" id="daily">{% if has_daily %}<div class="chart wide" id="daily-orders" data-figure="daily-orders"></div>{% else %}<p class="muted">No orders in audit.</p>{% endif %}</div>

{% if d.metric_table %}<h2>Metrics (published)</h2>
<div class="scroll"><table><tr>{% for c in d.metric_table.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in d.metric_table.rows %}<tr>{% for v in row %}<td class="num">{{ v if v is not none else "" }}</td>{% endfor %}</tr>{% endfor %}
</table></div>{% endif %}

<h2>Expectation-level detail</h2>
{% if data_docs %}<p><a href="{{ data_docs }}" id="data-docs">Great Expectations Data Docs</a>: every expectation of every gate with GX's own results
(styled from files beside them: they open offline too).</p>
{% else %}<p class="muted">GX Data Docs were not built; run <code>orderlayer report</code> without <code>--no-data-docs</code>.</p>{% endif %}
<script type="application/json" id="report-data">{{ payload|tojson }}</script>
<script>{{ script|safe }}</script>
</body></html>
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var config = {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var RANK = {green: 0, yellow: 1, red: 2};
  var SCALE = [[0, "#2e9d4c"], [0.333, "#2e9d4c"], [0.333, "#e3a008"], [0.667, "#e3a008"], [0.667, "#d0312d"], [1, "#d0312d"]];
  var hasPlotly = typeof Plotly !== "undefined";

  function checked(name) {
    var out = {};
    document.querySelectorAll('#filters input[name="' + name + '"]').forEach(function (box) {
      if (box.checked) { out[box.value] = true; }
    });
    return out;
  }

  function heatmap(div, rows, labels, cells, title) {
    // cells[row][run] = [colour, failing, detail] or null
    var z = cells.map(function (r) { return r.map(function (c) { return c ? RANK[c[0]] : null; }); });
    var text = cells.map(function (r, i) {
      return r.map(function (c, j) { return c ? rows[i] + " · " + labels[j] + ": " + c[0] + " (" + c[1] + " failing)" + (c[2] || "") : ""; });
    });
    var layout = {
      title: {text: title, x: 0, xanchor: "left", font: {size: 13}}, height: 70 + 20 * Math.max(rows.length, 3),
      margin: {l: 110, r: 16, t: 36, b: 40}, font: {family: "system-ui, sans-serif", size: 11},
      xaxis: {type: "category", automargin: true}, yaxis: {type: "category", autorange: "reversed", automargin: true}
    };
    var trace = {type: "heatmap", x: labels, y: rows, z: z, text: text, hoverinfo: "text", zmin: 0, zmax: 2,
                 colorscale: SCALE, showscale: false, xgap: 2, ygap: 2};
    Plotly.react(div, [trace], layout, config);
  }

  function drawHistory() {
    if (!hasPlotly) { return; }
    var channels = checked("channel"), labels = data.run_labels, gates = Object.keys(data.gate_history);
    var cells = gates.map(function (gate) {
      return labels.map(function (_, run) {
        var worst = null, failing = 0, bad = [];
        Object.keys(data.gate_history[gate]).forEach(function (channel) {
          var c = data.gate_history[gate][channel][run];
          if (!c || !channels[channel]) { return; }
          failing += c[1];
          if (c[0] !== "green") { bad.push(channel); }
          if (worst === null || RANK[c[0]] > RANK[worst]) { worst = c[0]; }
        });
        return worst === null ? null : [worst, failing, bad.length ? "<br>" + bad.slice(0, 8).join(", ") + (bad.length > 8 ? " …" : "") : ""];
      });
    });
    heatmap("gate-history", gates, labels, cells, "Worst light per gate and run");
    var gate = document.getElementById("gate-pick").value, per = data.gate_history[gate] || {};
    var shown = Object.keys(per).filter(function (c) { return channels[c]; });
    heatmap("gate-channels", shown, labels, shown.map(function (c) { return per[c]; }), gate + " per channel and run");
  }

  function drawCharts() {
    if (!hasPlotly) { return; }
    Object.keys(data.figures).forEach(function (id) {
      var figure = data.figures[id];
      Plotly.newPlot(id, figure.data, figure.layout, config);
    });
  }

  function applyFilters() {
    var channels = checked("channel"), colours = checked("colour");
    var allColours = colours.red && colours.yellow && colours.green;
    document.querySelectorAll("#lights tbody tr").forEach(function (row) {
      var has = row.dataset.colours.split(" ").some(function (c) { return colours[c]; });
      row.hidden = !channels[row.dataset.channel] || (!allColours && !has);
      row.querySelectorAll("td[data-colour]").forEach(function (cell) {
        cell.classList.toggle("dim", !colours[cell.dataset.colour]);
      });
    });
    document.querySelectorAll("[data-channel]:not(#lights tr)").forEach(function (el) {
      var colour = el.dataset.colour;
      el.hidden = !channels[el.dataset.channel] || (colour !== undefined && !colours[colour]);
    });
    if (hasPlotly) {
      Object.keys(data.figures).forEach(function (id) {
        var div = document.getElementById(id);
        if (!div || !div.data) { return; }
        var visible = div.data.map(function (t) { return t.meta === undefined || !!channels[t.meta]; });
        Plotly.restyle(div, {visible: visible});
      });
      drawHistory();
    }
  }

  document.querySelectorAll("#filters input").forEach(function (box) { box.addEventListener("change", applyFilters); });
  document.querySelectorAll("#filters button[data-select]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll('#filters input[name="channel"]').forEach(function (box) { box.checked = button.dataset.select === "all"; });
      applyFilters();
    });
  });
  document.getElementById("gate-pick").addEventListener("change", drawHistory);
  drawCharts();
  drawHistory();
  window.orderlayerReport = {applyFilters: applyFilters};
})();
"""
