"""SQL access: the saved queries are views in `published`, created at publish, readable by any DuckDB
client, and `orderlayer metrics` answers exactly their numbers."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orderlayer.core.metrics import query_metrics
from orderlayer.core.views import VIEWS

from .conftest import Enriched, cli, query, view_rows

VIEW_NAMES = [v.name for v in VIEWS]


def saved_queries(manifest: Path) -> dict[str, dict]:
    return {q["name"]: q for q in json.loads(manifest.read_text(encoding="utf-8"))["saved_queries"]}


def saved_query_request(saved: dict) -> tuple[list[str], list[str], str | None]:
    """(metrics, dimensions, grain) of a saved query's `TimeDimension(…)` / `Dimension(…)` group-bys."""
    by, grain = [], None
    for item in saved["query_params"]["group_by"]:
        if m := re.fullmatch(r"TimeDimension\('metric_time', '(\w+)'\)", item):
            grain = m.group(1)
        elif m := re.fullmatch(r"Dimension\('order__(\w+)'\)", item):
            by.append(m.group(1))
        else:
            raise AssertionError(f"unexpected group_by {item}")
    return list(saved["query_params"]["metrics"]), by, grain


def assert_rows_equal(view: list[dict[str, Any]], answered: list[dict[str, Any]], keys: list[str]) -> None:
    def index(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        return {tuple(r[k] for k in keys): r for r in rows}

    by_view, by_metrics = index(view), index(answered)
    assert len(by_view) == len(view) and set(by_view) == set(by_metrics)
    for key, row in by_view.items():
        for column, value in row.items():
            other = by_metrics[key][column]
            if isinstance(value, float):
                assert other == pytest.approx(value, rel=1e-12), (key, column)
            else:
                assert other == value and type(other) is type(value), (key, column, other, value)


def test_publish_creates_one_view_per_saved_query(demo_db: Path, manifest: Path) -> None:
    views = {
        name
        for (name,) in query(demo_db, "SELECT view_name FROM duckdb_views() WHERE schema_name = 'published' AND NOT internal")
    }
    assert views == set(VIEW_NAMES) == set(saved_queries(manifest))
    for (comment,) in query(demo_db, "SELECT comment FROM duckdb_views() WHERE schema_name = 'published' AND NOT internal"):
        assert comment


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_metricflow_answers_the_views_numbers(enriched: Enriched, manifest: Path, view: str) -> None:
    metrics, by, grain = saved_query_request(saved_queries(manifest)[view])
    result = query_metrics(enriched.db, manifest, metrics, by, grain)
    con = duckdb.connect(str(enriched.db), read_only=True)
    try:
        cursor = con.execute(f"SELECT * FROM published.{view}")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        con.close()
    assert rows, f"{view} is empty on the enriched data"
    answered = [
        {("business_date" if k == "metric_time__day" else k): v for k, v in r.items()} for r in result.records()
    ]
    assert set(answered[0]) == set(names)
    assert_rows_equal(rows, answered, [n for n in names if n not in metrics])


def test_views_change_only_at_publish(enriched: Enriched) -> None:
    # audit changed and the fulfilment model was rebuilt: published views still show the old release …
    assert enriched.kpis_after_build == enriched.kpis_before
    # … until publish replaces the marts
    assert enriched.kpis_after_publish != enriched.kpis_before
    assert view_rows(enriched.db, "daily_channel_kpis") == enriched.kpis_after_publish


def test_cli_metrics_answers_the_daily_channel_kpis_view(demo_dir: Path, demo_db: Path) -> None:
    names = ["orders_placed", "valid_orders", "gmv", "net_sales", "refund_rate"]
    out = cli("metrics", *names, "--by", "channel", "--grain", "day", "--format", "json", "--db", "demo.duckdb",
              cwd=demo_dir)
    assert out.returncode == 0, out.stderr
    answered = [
        {"business_date": date.fromisoformat(r["metric_time__day"]), "channel": r["channel"], "currency": r["currency"],
         **{n: Decimal(r[n]) if n in ("gmv", "net_sales") else r[n] for n in names}}
        for r in json.loads(out.stdout)
    ]
    view = [
        dict(zip(["business_date", "channel", "currency", *names], row))
        for row in query(
            demo_db, f"SELECT business_date, channel, currency, {', '.join(names)} FROM published.daily_channel_kpis"
        )
    ]
    assert len(view) > 20
    assert_rows_equal(view, answered, ["business_date", "channel", "currency"])


def test_a_bi_client_reads_the_views_from_the_file_read_only(demo_db: Path) -> None:
    """A BI tool or notebook attaches the file under its own name, read-only, and reads every view."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{demo_db}' AS warehouse (READ_ONLY)")
        for view in VIEW_NAMES:
            con.execute(f"SELECT count(*) FROM warehouse.published.{view}").fetchone()
        total = con.execute("SELECT sum(orders_placed) FROM warehouse.published.daily_channel_kpis").fetchone()[0]
        assert total == con.execute("SELECT count(*) FROM warehouse.published.fct_orders").fetchone()[0]
        with pytest.raises(duckdb.Error):
            con.execute("DROP VIEW warehouse.published.daily_channel_kpis")
    finally:
        con.close()
