"""The stages `run` chains: build (dbt into audit), check (dbt tests + GX gates → one verdict), publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderlayer.core.config import Settings
from orderlayer.core.dbt import DbtResult, run_dbt

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


def build(settings: Settings, db: Path) -> DbtResult:
    """Seeds and models into staging/audit/quarantine; tests run in `check`.

    File sources' staging models are (re)generated from their mappings first, so an edited mapping takes
    effect on the next build."""
    from orderlayer.core.filesource import generate
    from orderlayer.core.dbt import project_dir
    from orderlayer.taps.files.mapping import MappingError

    for name, conn in settings.connections.items():
        if conn.mapping_path is not None:
            try:
                generate(conn.mapping_path, project_dir())
            except MappingError as exc:
                raise StageError(f"connections.{name}.options.mapping: {exc}") from exc
    result = run_dbt(["build", "--resource-type", "seed", "--resource-type", "model"], settings, db)
    if not result.ok:
        failed = "; ".join(f"{r['unique_id']}: {r['message']}" for r in result.failures()) or result.log_tail
        raise StageError(f"dbt build failed: {failed}")
    return result


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
    from orderlayer.core.quality import FreshnessError, gate_context, record_check, source_freshness

    try:
        # Y1 (freshness) is dbt's judgement of the sources; the runner folds it into the gate verdict.
        freshness = source_freshness(settings, db)
        gates = run_gates(db, settings.gates, run_id, now=now, context=gate_context(settings), freshness=freshness)
    except (FreshnessError, GateRunError) as exc:
        raise StageError(str(exc)) from exc
    verdict = _worst(dbt_verdict, gates.verdict)
    record_check(db, run_id, gates.checked_at, verdict, gates.verdict, dbt_items)
    return CheckResult(verdict=verdict, gates=gates, dbt_tests=dbt_items)


def publish_checked(db: Path, run_id: str, result: CheckResult) -> PublishResult:
    if result.verdict == "red":
        raise StageError("red verdict: published is left unchanged")
    from orderlayer.expectations.publish import publish
    from orderlayer.core.views import create_views

    published = publish(db, run_id, result.gates, MARTS)
    create_views(db)  # saved-query views change only here, right after a publish (core/views.py)
    return published
