"""What `check` adds around the gate runner: the gate context from orderlayer.yml, dbt source freshness
for Y1, and the record of each check's overall verdict (dbt tests + gates) in `ops.check_runs`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from orderlayer.core.config import Settings
from orderlayer.expectations.freshness import NEVER_SYNCED, SourceFreshness, parse_sources_json
from orderlayer.expectations.inputs import GateContext
from orderlayer.core.warehouse import OPS, RAW, connect
from orderlayer.core.dbt import dbt_artifacts, run_dbt
from orderlayer.core.registry import ERPS

#: Source systems that are ERPs (Y5 compares channel orders with them): "not applicable" until an ERP
#: connection exists.
ERP_SOURCES: frozenset[str] = frozenset(ERPS)


class FreshnessError(RuntimeError):
    """dbt source freshness could not run at all."""


def gate_context(settings: Settings) -> GateContext:
    return GateContext(
        shop_zones={(c.channel, c.shop_id): c.timezone for c in settings.connections.values()},
        default_zone=settings.reporting_timezone,
        erp_configured=any(c.source in ERP_SOURCES for c in settings.connections.values()),
    )


def _raw_streams(db: Path) -> list[tuple[str, str]]:
    """(source, stream) of every raw table `raw.<source>__<stream>` in the warehouse."""
    if not db.is_file():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [RAW]
        ).fetchall()
    finally:
        con.close()
    return [tuple(name.split("__", 1)) for (name,) in rows if "__" in name]  # type: ignore[misc]


def source_freshness(settings: Settings, db: Path) -> list[SourceFreshness]:
    """Y1's input: `dbt source freshness` on every synced source, thresholds from orderlayer.yml.

    A configured channel with no raw table at all is reported as never synced (red).
    """
    streams = _raw_streams(db)
    synced = {source for source, _ in streams}
    never = [
        SourceFreshness(source=f"{source}.orders", channel=source, status=NEVER_SYNCED)
        for source in sorted({c.channel for c in settings.connections.values()} - synced)
    ]
    if not streams:
        return never
    sources_json = dbt_artifacts(db)[0] / "sources.json"
    sources_json.unlink(missing_ok=True)  # never read an earlier run's verdict
    # The thresholds travel with orderlayer's dbt vars (project.dbt_vars), as every other setting does.
    selection = [f"source:{source}.{stream}" for source, stream in streams]
    # Exit code 1 only means some source is stale; sources.json holds the verdict either way.
    result = run_dbt(["source", "freshness", "--select", *selection], settings, db)
    if not sources_json.exists():
        raise FreshnessError(f"dbt source freshness did not run: {result.log_tail}")
    return sorted(parse_sources_json(json.loads(sources_json.read_text(encoding="utf-8"))) + never, key=lambda f: f.source)


_CHECK_RUNS_DDL = f"""CREATE TABLE IF NOT EXISTS {OPS}.check_runs (
    run_id VARCHAR NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL,
    verdict VARCHAR NOT NULL,
    gates_verdict VARCHAR NOT NULL,
    dbt_tests JSON NOT NULL
)"""


def record_check(
    db: Path, run_id: str, checked_at: datetime, verdict: str, gates_verdict: str, dbt_tests: list[dict[str, Any]]
) -> None:
    """One row per `check`: the overall verdict the report shows (gate rows are in ops.gate_results)."""
    con = connect(db)
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {OPS}")
        con.execute(_CHECK_RUNS_DDL)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {OPS}.check_runs WHERE run_id = ?", [run_id])
            con.execute(
                f"INSERT INTO {OPS}.check_runs VALUES (?, ?, ?, ?, ?)",
                [run_id, checked_at, verdict, gates_verdict, json.dumps(dbt_tests, default=str)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
