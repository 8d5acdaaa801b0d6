"""What `check` adds around the gate runner: the gate context from orderlayer.yml and dbt source freshness
for Y1. (Each check's overall verdict is recorded by `core/ops.py: record_check`.)"""

from __future__ import annotations

import json
from pathlib import Path

from orderlayer.core.config import Settings
from orderlayer.expectations.freshness import NEVER_SYNCED, SourceFreshness, parse_sources_json
from orderlayer.expectations.inputs import GateContext
from orderlayer.core.warehouse import RAW, connect
from orderlayer.core.dbt import dbt_artifacts, run_dbt
from orderlayer.core.registry import CARRIERS, ERPS, SOURCES


class FreshnessError(RuntimeError):
    """dbt source freshness could not run at all."""


def gate_context(settings: Settings) -> GateContext:
    return GateContext(
        # an ERP connection dates no shop: no zone of its own
        shop_zones={(c.channel, c.shop_id): c.local_timezone for c in settings.connections.values() if c.local_timezone},
        default_zone=settings.reporting_timezone,
        # Y5 compares channel orders with the ERPs: "not applicable" until an ERP connection exists.
        erp_configured=any(c.source in ERPS for c in settings.connections.values()),
        # R4 counts the after-sale records of every source that declares after-sale streams (docs/refunds.md)
        after_sale_streams={name: src.after_sale_streams for name, src in SOURCES.items() if src.after_sale_streams},
        # Y9 looks for carrier events: "not applicable" until a carrier connection exists.
        carriers_configured=any(c.source in CARRIERS for c in settings.connections.values()),
    )


def _raw_streams(db: Path) -> list[tuple[str, str]]:
    """(source, stream) of every raw table `raw.<source>__<stream>` in the warehouse."""
    if not db.is_file():
        return []
    con = connect(db, read_only=True)
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
        # a carrier lands only parcels that changed (none to ask about: nothing lands), so it is never "never synced"
        for source in sorted({c.channel for c in settings.connections.values() if c.source not in CARRIERS} - synced)
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
