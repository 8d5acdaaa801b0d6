"""The stages `run` chains — sync, build (dbt into audit), check (dbt tests + GX gates → one verdict),
publish — and `run` itself."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orderlayer.core import ops
from orderlayer.core.alerts.dispatch import notify
from orderlayer.core.check_reuse import reusable_check
from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.dbt import DbtNode, run_dbt
from orderlayer.core.registry import source
from orderlayer.core.settings_store import settings_for
from orderlayer.core.sync import SyncProgress, SyncResult, sync_all

if TYPE_CHECKING:  # Great Expectations is imported only when gates run (it takes seconds to import)
    from orderlayer.core.incremental import BuildOutcome
    from orderlayer.expectations import GateReport
    from orderlayer.expectations.publish import PublishResult

#: What publish copies from audit to published, in one transaction.
MARTS = [
    "fct_orders",
    "fct_order_lines",
    "fct_order_events",
    "fct_refunds",
    "fct_returns",
    "map_order_ids",
    "fct_reconciliation_daily",
    "fct_reconciliation_exceptions",
    "metricflow_time_spine",
    "order_fulfillment",
    "fct_shipment_events",
    "order_parcels",
    "shop_as_of",
]
VERDICTS = ("green", "yellow", "red")


class StageError(Exception):
    """A stage that could not run (as opposed to data that failed a gate)."""


def build(
    settings: Settings, db: Path, full_refresh: bool = False, on_node: Callable[[DbtNode], None] | None = None
) -> BuildOutcome:
    """Seeds and models into staging/audit/quarantine, incrementally where it can (core/incremental.py); tests
    run in `check`. The outcome's `reason` is the one line saying what was rebuilt and why.

    File sources' staging models are (re)generated from their mappings first, so an edited mapping takes
    effect on the next build."""
    from orderlayer.core.filesource import generate
    from orderlayer.core.dbt import models_root
    from orderlayer.taps.files.mapping import MappingError

    for name, conn in settings.connections.items():
        if conn.mapping_path is not None:
            try:
                generate(conn.mapping_path, models_root())
            except MappingError as exc:
                raise StageError(f"connections.{name}.options.mapping: {exc}") from exc
    from orderlayer.core.incremental import BuildFailed
    from orderlayer.core.incremental import build as incremental_build

    try:
        return incremental_build(settings, db, full_refresh=full_refresh, on_node=on_node)
    except BuildFailed as exc:
        raise StageError(str(exc)) from exc


@dataclass
class CheckResult:
    verdict: str
    gates: GateReport
    dbt_tests: list[dict[str, Any]] = field(default_factory=list)
    #: the run whose check this verdict re-uses (nothing built since and it still holds: core/check_reuse.py)
    reused_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "gates": self.gates.to_dict(),
            "dbt_tests": self.dbt_tests,
            "reused_from": self.reused_from,
        }


def _worst(*verdicts: str) -> str:
    return max(verdicts, key=VERDICTS.index)


def check(
    settings: Settings,
    db: Path,
    run_id: str,
    now: datetime | None = None,
    on_node: Callable[[DbtNode], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> CheckResult:
    """Judge audit as it stands: dbt's data tests (error = red, warn = yellow), dbt source freshness (Y1)
    and the GX gates; one verdict, recorded in ops.check_runs."""
    # with the settings the build used; a disagreeing config is refused (core/settings_store.py)
    settings = settings_for(settings, db)
    from orderlayer.core.check_reuse import check_basis

    basis = check_basis(settings, db)
    # unit tests prove the model logic on fixed inputs (the test suite runs them); check judges the data
    step = on_step or (lambda _: None)  # what the progress shows: dbt tests, freshness, GX gates
    step("dbt tests")
    tests = run_dbt(["test", "--exclude-resource-type", "unit_test"], settings, db, on_node=on_node)
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
    from orderlayer.core.quality import FreshnessError, gate_context, source_freshness

    try:
        # Y1 (freshness) is dbt's judgement of the sources; the runner folds it into the gate verdict.
        step("dbt source freshness")
        freshness = source_freshness(settings, db)
        step("GX gates")
        gates = run_gates(db, settings.gates, run_id, now=now, context=gate_context(settings), freshness=freshness)
    except (FreshnessError, GateRunError) as exc:
        raise StageError(str(exc)) from exc
    verdict = _worst(dbt_verdict, gates.verdict)
    ops.record_check(db, run_id, gates.checked_at, verdict, gates.verdict, dbt_items, basis)
    return CheckResult(verdict=verdict, gates=gates, dbt_tests=dbt_items)


def publish_checked(db: Path, run_id: str, result: CheckResult, keep_versions: int = 3) -> PublishResult:
    """Publish a checked build: only what changed since the last publish (expectations/publish.py); with no build
    since, nothing (`result.new` is false)."""
    if result.verdict == "red":
        raise StageError("red verdict: published is left unchanged")
    from orderlayer.expectations.publish import publish
    from orderlayer.core.views import create_views

    published = publish(db, run_id, result.gates, MARTS, keep_versions=keep_versions)
    if published.new:
        create_views(db)  # saved-query views change only here, right after a publish (core/views.py)
    return published


def rollback_published(db: Path) -> str:
    """`publish --rollback`: restore the previously published version; returns the line to print."""
    from orderlayer.expectations.publish import RollbackRefused, rollback
    from orderlayer.core.views import create_views

    try:
        result = rollback(db)
    except RollbackRefused as exc:
        raise StageError(str(exc)) from exc
    create_views(db)
    return f"rolled back version {result.rolled_back}: published is version {result.version} again"


class RunProgress(SyncProgress, Protocol):
    """What `run` tells as it goes, beyond the syncs: which stage is busy, and the check's result as soon
    as it is known (before publish, so it is shown even when publish fails)."""

    def stage(self, name: str) -> AbstractContextManager[object]: ...

    def checked(self, result: CheckResult) -> None: ...

    def built(self, outcome: BuildOutcome) -> None: ...

    def dbt_node(self, node: DbtNode) -> None: ...

    def step(self, text: str) -> None: ...


@dataclass
class RunResult:
    run_id: str
    syncs: list[SyncResult]
    check: CheckResult
    #: what publish did (None when a red verdict blocked it): `new` is false when nothing changed since the last one
    published: PublishResult | None

    @property
    def verdict(self) -> str:
        return self.check.verdict

    @property
    def published_version(self) -> int | None:
        return None if self.published is None else self.published.version

    @property
    def changed_nothing(self) -> bool:
        """Nothing built (the verdict of the build's last check was re-used) and no new version published: what
        readers read is as it was (the run's own records are in ops)."""
        return self.check.reused_from is not None and self.published is not None and not self.published.new


def run(
    settings: Settings,
    progress: RunProgress,
    end_date: datetime | None = None,
    now: datetime | None = None,
    connections: list[str] | None = None,
    kind: str = "run",
) -> RunResult:
    """sync → build → check → publish, recorded in ops.runs (as ``kind``). A red verdict is a result (published
    unchanged); a stage that could not run raises StageError (ConfigError for configuration), recorded as failed.
    ``connections``: which to sync (None: all; []: none, e.g. serve's micro-batch builds what pushes landed)."""
    db = settings.database
    run_id = ops.new_run_id()
    ops.start_run(db, run_id, kind)
    detail: dict[str, Any] = {}
    try:
        # carriers track the parcels of the orders built from this run's syncs, so they sync after that build
        # and a second build takes their events in (docs/logistics.md)
        chosen = list(settings.connections) if connections is None else connections
        carriers = [name for name in chosen if source(settings.connections[name].source).kind == "carrier"]
        sellers = [name for name in chosen if name not in carriers]
        syncs: list[SyncResult] = []
        built_any = False  # the verdict of an earlier check may be re-used only when no build of this run built anything
        for group in [g for g in (sellers, carriers) if g] or [[]]:  # no connection at all: one pass, building only
            synced = sync_all(settings, group, run_id, progress, end_date=end_date) if group or connections is None else []
            syncs += synced
            detail["syncs"] = [{"connection": s.connection, "status": s.status, "records": s.records_read} for s in syncs]
            if any(s.status != "ok" for s in synced):
                done = "nothing was built or published" if group is not carriers else "the orders were built, nothing was published"
                raise StageError(f"a sync failed; {done} (raw keeps what was committed)")
            with progress.stage("dbt build"):
                built = build(settings, db, on_node=progress.dbt_node)
            progress.built(built)
            built_any = built_any or built.plan.mode != "none"
            detail["build"] = "; ".join(filter(None, (detail.get("build"), built.reason)))
        # nothing built: the last check of this build may still hold (core/check_reuse.py)
        result = None if built_any else reusable_check(settings, db, datetime.now(UTC))
        if result is None:
            with progress.stage("checking gates"):
                result = check(settings, db, run_id, now=now, on_node=progress.dbt_node, on_step=progress.step)
        progress.checked(result)
        detail["alerts"] = [d.to_dict() for d in notify(settings.alerts, db, result.gates)]
        detail["check"] = result.to_dict()
        if result.verdict == "red":
            ops.finish_run(db, run_id, "blocked", result.verdict, detail)
            return RunResult(run_id, syncs, result, None)
        # a re-used verdict publishes under the run that judged the build (trailing gate values follow it)
        published = publish_checked(db, result.gates.run_id, result, settings.publish.keep_versions)
        detail["published_version"] = published.version
        ops.finish_run(db, run_id, "published" if published.new else "unchanged", result.verdict, detail)
        return RunResult(run_id, syncs, result, published)
    except (StageError, ConfigError) as exc:
        ops.finish_run(db, run_id, "failed", None, {**detail, "error": str(exc)})
        raise
