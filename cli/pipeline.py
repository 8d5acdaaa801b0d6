"""The stages `run` chains: build (dbt into audit), check (dbt tests + GX gates → one verdict), publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderlayer.config import Settings
from orderlayer.project import DbtResult, run_dbt

if TYPE_CHECKING:
    from orderlayer.incremental import BuildOutcome

if TYPE_CHECKING:  # Great Expectations is imported only when gates run (it takes seconds to import)
    from orderlayer.expectations import GateReport
    from orderlayer.expectations.publish import PublishResult

#: What publish copies from audit to published, in one transaction.
MARTS = [
    "fct_orders",
    "fct_order_lines",
    "fct_order_events",
    "map_order_ids",
    "fct_reconciliation_daily",
    "fct_reconciliation_exceptions",
    "metricflow_time_spine",
    "order_fulfillment",
]
VERDICTS = ("green", "yellow", "red")


class StageError(Exception):
    """A stage that could not run (as opposed to data that failed a gate)."""


def build(settings: Settings, db: Path, full_refresh: bool = False) -> BuildOutcome:
    """Seeds and models into staging/audit/quarantine, incrementally where it can (cli/incremental.py); tests
    run in `check`. The outcome's `reason` is the one line saying what was rebuilt and why.

    File sources' staging models are (re)generated from their mappings first, so an edited mapping takes
    effect on the next build."""
    from orderlayer.filesource import generate
    from orderlayer.project import project_dir
    from orderlayer.taps.files.mapping import MappingError

    for name, conn in settings.connections.items():
        if conn.mapping_path is not None:
            try:
                generate(conn.mapping_path, project_dir())
            except MappingError as exc:
                raise StageError(f"connections.{name}.options.mapping: {exc}") from exc
    from orderlayer.incremental import BuildFailed
    from orderlayer.incremental import build as incremental_build

    try:
        return incremental_build(settings, db, full_refresh=full_refresh)
    except BuildFailed as exc:
        raise StageError(str(exc)) from exc


@dataclass
class CheckResult:
    verdict: str
    gates: GateReport
    dbt_tests: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "gates": self.gates.to_dict(),
            "dbt_tests": self.dbt_tests,
        }


def _worst(*verdicts: str) -> str:
    return max(verdicts, key=VERDICTS.index)


def check(settings: Settings, db: Path, run_id: str, now: datetime | None = None) -> CheckResult:
    """Judge audit as it stands: dbt's data tests (error = red, warn = yellow), dbt source freshness (Y1)
    and the GX gates; one verdict, recorded in ops.check_runs."""
    # unit tests prove the model logic on fixed inputs (the test suite runs them); check judges the data
    tests = run_dbt(["test", "--exclude-resource-type", "unit_test"], settings, db)
    if not tests.results and not tests.ok:
        raise StageError(f"dbt test could not run: {tests.log_tail}")
    dbt_items = [
        {
            "test": r["unique_id"].split(".")[-2] if r["unique_id"].count(".") >= 2 else r["unique_id"],
            "status": r["status"],
            "failures": r["failures"],
            "colour": "red" if r["status"] in ("fail", "error") else "yellow" if r["status"] == "warn" else "green",
        }
        for r in tests.results
    ]
    dbt_verdict = _worst("green", *(i["colour"] for i in dbt_items))
    from orderlayer.expectations import GateRunError, run_gates
    from orderlayer.quality import FreshnessError, gate_context, record_check, source_freshness

    try:
        # Y1 (freshness) is dbt's judgement of the sources; the runner folds it into the gate verdict.
        freshness = source_freshness(settings, db)
        gates = run_gates(db, settings.gates, run_id, now=now, context=gate_context(settings), freshness=freshness)
    except (FreshnessError, GateRunError) as exc:
        raise StageError(str(exc)) from exc
    verdict = _worst(dbt_verdict, gates.verdict)
    record_check(db, run_id, gates.checked_at, verdict, gates.verdict, dbt_items)
    return CheckResult(verdict=verdict, gates=gates, dbt_tests=dbt_items)


def publish_checked(db: Path, run_id: str, result: CheckResult, keep_versions: int = 3) -> PublishResult:
    """Publish a checked build: only what changed since the last publish (expectations/publish.py); with no build
    since, nothing (`result.new` is false)."""
    if result.verdict == "red":
        raise StageError("red verdict: published is left unchanged")
    from orderlayer.expectations.publish import publish
    from orderlayer.views import create_views

    published = publish(db, run_id, result.gates, MARTS, keep_versions=keep_versions)
    if published.new:
        create_views(db)  # saved-query views change only here, right after a publish (cli/views.py)
    return published


def published_line(published: PublishResult) -> str:
    if not published.new:
        return f"nothing new since published version {published.version}: no new version"
    how = "changed orders only" if published.mode == "delta" else "every mart copied"
    return f"[green]published[/] version {published.version} ({how})"


def rollback_published(db: Path) -> str:
    """`publish --rollback`: restore the previously published version; returns the line to print."""
    from orderlayer.expectations.publish import RollbackRefused, rollback
    from orderlayer.views import create_views

    try:
        result = rollback(db)
    except RollbackRefused as exc:
        raise StageError(str(exc)) from exc
    create_views(db)
    return f"rolled back version {result.rolled_back}: published is version {result.version} again"

