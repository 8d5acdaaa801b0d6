"""A `run` with nothing new re-uses the verdict of the last check of the same build, when it provably still holds.

A check judges `audit` with the gate settings of orderlayer.yml at a moment in time. When neither the build nor
those settings changed since an earlier check, every dbt test and every gate gives the same answer again, except
where the clock enters: R3's "not in the future" bound (a red R3 may turn green later) and Y1's source freshness
(a source ages without new data). So the verdict is re-used only when the earlier check's R3 was green
everywhere and every Y1 status recomputed from the stored newest-record time at the new moment is the same;
otherwise `run` checks again. What the check judged is recorded as its *basis* in `ops.check_runs`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderlayer.core.config import Settings
from orderlayer.core.warehouse import OPS, connect, table_exists

if TYPE_CHECKING:
    from orderlayer.core.pipeline import CheckResult
    from orderlayer.expectations.freshness import SourceFreshness


def check_basis(settings: Settings, db: Path) -> str:
    """What a check's verdict depends on besides the clock: the latest build and the gates' settings."""
    from orderlayer.core.quality import gate_context

    build = None
    con = connect(db, read_only=True)
    try:
        if table_exists(con, OPS, "build_state"):
            row = con.execute(
                f"SELECT built_at, landed_through FROM {OPS}.build_state ORDER BY built_at DESC LIMIT 1"
            ).fetchone()
            build = None if row is None else [row[0].isoformat(), row[1]]
    finally:
        con.close()
    context = gate_context(settings)
    gates = json.dumps(
        {
            "gates": settings.gates.model_dump(mode="json"),
            "zones": sorted([channel, shop, zone] for (channel, shop), zone in context.shop_zones.items()),
            "default_zone": context.default_zone,
            "erp": context.erp_configured,
        },
        sort_keys=True,
    )
    return json.dumps({"build": build, "settings": hashlib.sha256(gates.encode()).hexdigest()}, sort_keys=True)


def reusable_check(settings: Settings, db: Path, at: datetime) -> CheckResult | None:
    """The latest check of the current build and settings, if its verdict still holds at `at`; else None.

    `at` is the wall clock: dbt judges source freshness against it, whatever clock the run's gates use."""
    from orderlayer.core.pipeline import CheckResult
    from orderlayer.expectations import GateReport, GateResult

    basis = check_basis(settings, db)
    con = connect(db, read_only=True)
    try:
        if not table_exists(con, OPS, "check_runs") or not table_exists(con, OPS, "gate_results"):
            return None
        columns = {r[0] for r in con.execute(f"DESCRIBE {OPS}.check_runs").fetchall()}
        if "basis" not in columns:
            return None
        last = con.execute(
            f"""SELECT run_id, checked_at, verdict, gates_verdict, dbt_tests FROM {OPS}.check_runs
                WHERE basis = ? ORDER BY checked_at DESC LIMIT 1""",
            [basis],
        ).fetchone()
        if last is None:
            return None
        run_id, checked_at, verdict, gates_verdict, dbt_tests = last
        rows = con.execute(
            f"""SELECT gate_id, model, description, channel, colour, severity, failing_count, examples, checks,
                       example_key, note
                FROM {OPS}.gate_results WHERE run_id = ?""",
            [run_id],
        ).fetchall()
        freshness = _freshness(con, run_id)
    finally:
        con.close()
    results = [
        GateResult(
            gate_id=g, model=m, description=d or "", channel=c, colour=colour, severity=sev, failing_count=n,
            examples=json.loads(ex), checks=json.loads(chk), example_key=key or "order_key", note=note or "",
        )
        for g, m, d, c, colour, sev, n, ex, chk, key, note in rows
    ]  # fmt: skip
    if not results or any(r.gate_id == "R3" and r.colour != "green" for r in results):
        return None
    if freshness is None or any(_status_at(f, at) != f.status for f in freshness):
        return None
    from orderlayer.core.history import gate_order

    results.sort(key=lambda r: (gate_order(r.gate_id), r.channel or ""))
    report = GateReport(
        run_id=run_id, checked_at=checked_at, verdict=gates_verdict, results=results, expectations=[],
        freshness=freshness,
    )  # fmt: skip
    return CheckResult(verdict=verdict, gates=report, dbt_tests=json.loads(dbt_tests), reused_from=run_id)


def _freshness(con: Any, run_id: str) -> list[SourceFreshness] | None:
    from orderlayer.expectations.freshness import SourceFreshness

    if not table_exists(con, OPS, "source_freshness"):
        return []
    rows = con.execute(
        f"""SELECT source, channel, status, max_loaded_at, snapshotted_at, age_seconds, warn_after_minutes,
                   error_after_minutes, error
            FROM {OPS}.source_freshness WHERE run_id = ? ORDER BY source""",
        [run_id],
    ).fetchall()
    return [SourceFreshness(*row) for row in rows]


def _status_at(f: SourceFreshness, at: datetime) -> str | None:
    """dbt's freshness status for `f` at `at` (same rule: older than error_after → error, than warn_after →
    warn); None when it cannot be recomputed (dbt could not query the source)."""
    from orderlayer.expectations.freshness import NEVER_SYNCED

    if f.status == NEVER_SYNCED:
        return f.status
    if f.status not in ("pass", "warn", "error") or f.max_loaded_at is None:
        return None
    age_minutes = (at - f.max_loaded_at).total_seconds() / 60
    if f.error_after_minutes is not None and age_minutes > f.error_after_minutes:
        return "error"
    if f.warn_after_minutes is not None and age_minutes > f.warn_after_minutes:
        return "warn"
    return "pass"
