"""Time metric queries on a synthetic published warehouse of N orders (default 1M).

    .venv/bin/python bench/metrics_bench.py [--orders 1000000] [--repeat 5] [--dir bench/out]

The marts come from bench/gates_bench.py's generator (DuckDB SQL), with one order in ten cancelled; the
order_fulfillment model is built by dbt itself; then the marts are copied to `published` and the saved-query
views created, as publish does. Timed, each on a fresh read-only connection as `orderlayer metrics` does:

- `query_metrics(valid_orders gmv --by channel --grain day)`: MetricFlow planning (manifest load included)
  and the DuckDB query, reported separately;
- the same numbers from the `published.daily_channel_kpis` view;
- a fulfilment metric that joins the order_fulfillment facts (ship_within_24h_rate by shop and day).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gates_bench  # noqa: E402  (the shared synthetic-marts generator)

from orderlayer.core.config import Settings  # noqa: E402
from orderlayer.core.metrics import query_metrics  # noqa: E402
from orderlayer.core.pipeline import MARTS  # noqa: E402
from orderlayer.core.dbt import run_dbt, semantic_manifest  # noqa: E402
from orderlayer.cli.teardown import quiet_native_teardown  # noqa: E402
from orderlayer.core.views import create_views  # noqa: E402

quiet_native_teardown()

# What the gates generator leaves out of the contract, plus some variety for the filters to bite on.
_COMPLETE = (
    "ALTER TABLE audit.fct_orders ADD COLUMN IF NOT EXISTS deposit_paid_at TIMESTAMPTZ",
    "ALTER TABLE audit.fct_orders ADD COLUMN IF NOT EXISTS quality_flags VARCHAR[] DEFAULT []",
    """UPDATE audit.fct_orders SET is_cancelled = TRUE, is_valid = FALSE, status = 'cancelled'
       WHERE hash(order_key) % 10 = 0""",
    """CREATE OR REPLACE TABLE audit.map_order_ids AS
       SELECT order_key, channel, shop_id, channel_order_id, NULL::VARCHAR AS erp_system, NULL::VARCHAR AS erp_order_id,
              []::VARCHAR[] AS tracking_numbers, 'none' AS match_method, 'unmatched' AS match_status
       FROM audit.fct_orders""",
)
VIEW_SQL = "SELECT business_date, channel, currency, valid_orders, gmv FROM published.daily_channel_kpis ORDER BY ALL"


def prepare(path: Path, n: int) -> None:
    gates_bench.build(path, n)
    con = duckdb.connect(str(path))
    try:
        for statement in _COMPLETE:
            con.execute(statement)
    finally:
        con.close()
    started = time.perf_counter()
    result = run_dbt(["run", "--select", "order_fulfillment", "metricflow_time_spine"], Settings(), path)
    if not result.ok:
        raise SystemExit(f"dbt run failed:\n{result.log_tail}")
    print(f"dbt built order_fulfillment and the time spine in {time.perf_counter() - started:.1f} s")
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS published")
        con.execute("BEGIN TRANSACTION")
        for mart in MARTS:
            if mart != "fct_order_events":  # not generated; no metric reads it
                con.execute(f"CREATE OR REPLACE TABLE published.{mart} AS SELECT * FROM audit.{mart}")
        con.execute("COMMIT")
    finally:
        con.close()
    create_views(path)


def timed_view(path: Path) -> tuple[float, list[tuple]]:
    started = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(VIEW_SQL).fetchall()
    finally:
        con.close()
    return time.perf_counter() - started, rows


def summary(label: str, seconds: list[float]) -> None:
    print(f"  {label:<46} median {statistics.median(seconds):.3f} s   min {min(seconds):.3f} s   max {max(seconds):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the warehouse (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "metrics_bench.duckdb"
        path.unlink(missing_ok=True)
        prepare(path, args.orders)
        manifest = semantic_manifest(path)

        plan, run, total, view, ship_plan, ship_run = [], [], [], [], [], []
        answer, view_rows = None, None
        for _ in range(args.repeat):
            started = time.perf_counter()
            answer = query_metrics(path, manifest, ["valid_orders", "gmv"], ["channel"], "day")
            total.append(time.perf_counter() - started)
            plan.append(answer.plan_seconds)
            run.append(answer.query_seconds)
            seconds, view_rows = timed_view(path)
            view.append(seconds)
            ship = query_metrics(path, manifest, ["ship_within_24h_rate"], ["shop_id"], "day")
            ship_plan.append(ship.plan_seconds)
            ship_run.append(ship.query_seconds)
        assert answer is not None and view_rows is not None
        if sorted(answer.rows) != view_rows:
            raise SystemExit("MetricFlow and the daily_channel_kpis view disagree")
        print(f"{args.orders:,} orders; valid_orders gmv by channel × day: {len(view_rows):,} rows (same from both paths)")
        summary("MetricFlow planning (manifest load included)", plan)
        summary("MetricFlow SQL on DuckDB", run)
        summary("query_metrics end to end (connect, plan, run)", total)
        summary("view daily_channel_kpis (connect + query)", view)
        summary("ship_within_24h_rate by shop × day: planning", ship_plan)
        summary("ship_within_24h_rate by shop × day: SQL", ship_run)


if __name__ == "__main__":
    main()
