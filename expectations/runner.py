"""Run the gate catalogue on `audit`, compute the verdict, report per channel, record in `ops`.

Work stays in DuckDB: GX evaluates one suite per model (its metrics bundled into few aggregate
queries), then each gate GX failed gets one GROUP BY channel query over its failed checks'
predicates for counts and example keys. A clean run costs only GX's queries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from great_expectations.core import ExpectationSuite, ExpectationValidationResult

from orderlayer.config import GateSettings
from orderlayer.expectations.checks import Check
from orderlayer.expectations.gates import Gate, catalogue
from orderlayer.expectations.gx_duckdb import evaluation_error, validate_models
from orderlayer.expectations.report import (
    ExpectationOutcome,
    GateReport,
    GateResult,
    colour_of,
    verdict_of,
)
from orderlayer.expectations.warehouse import (
    AUDIT,
    OPS,
    check_identifier,
    connect,
    ensure_ops_tables,
    table_exists,
)


class GateRunError(RuntimeError):
    """The gates could not be evaluated (missing table, failing query); nothing was judged."""


_SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def run_gates(db_path: Path, settings: GateSettings, run_id: str, now: datetime | None = None) -> GateReport:
    """Judge the candidate marts in `audit`, record the results in `ops.gate_results`, return the report.

    `now` (timezone-aware; default the current time) is the run's clock: R3's "future" bound and the
    recorded `checked_at`. Raises `GateRunError` when the gates cannot be evaluated at all.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    checked_at = (now or datetime.now(UTC)).astimezone(UTC)
    gates = catalogue(settings, checked_at)
    conn = connect(db_path)
    try:
        _require_tables(conn, gates)
        gx_results = validate_models(conn, db_path, AUDIT, _suites(gates))
        by_check = _index_results(gates, [r for suite in gx_results.values() for r in suite.results])
        outcomes = [_outcome(gate, check, by_check[gate.id, check.name]) for gate in gates for check in gate.checks]
        results: list[GateResult] = []
        channels_of: dict[tuple[str, str], list[str | None]] = {}
        for gate in gates:
            failed = [c for c in gate.checks if not by_check[gate.id, c.name].success]
            grouping = (gate.model, gate.channel_column)
            if grouping not in channels_of:
                channels_of[grouping] = _channels(conn, gate)
            results += _gate_results(conn, gate, failed, channels_of[grouping], by_check, settings.example_keys)
        report = GateReport(
            run_id=run_id,
            checked_at=checked_at,
            verdict=verdict_of(by_check.values()),
            results=results,
            expectations=outcomes,
        )
        _record(conn, report)
        return report
    finally:
        conn.close()


def _require_tables(conn: duckdb.DuckDBPyConnection, gates: list[Gate]) -> None:
    needed = sorted({t for g in gates for t in (g.model, *g.reads)})
    missing = [t for t in needed if not table_exists(conn, AUDIT, t)]
    if missing:
        names = ", ".join(f"{AUDIT}.{t}" for t in missing)
        raise GateRunError(f"{names} not found; run `orderlayer build` so dbt builds the candidate marts")


def _suites(gates: list[Gate]) -> dict[str, ExpectationSuite]:
    by_model: dict[str, list] = defaultdict(list)
    for gate in gates:
        for check in gate.checks:
            # meta ties GX's results (which come back in GX's own order) to gate and check.
            meta = {"gate_id": gate.id, "check": check.name}
            by_model[gate.model].append(check.expectation.copy(update={"meta": meta}))
    return {
        model: ExpectationSuite(name=f"orderlayer_{model}", expectations=expectations)
        for model, expectations in by_model.items()
    }


def _index_results(
    gates: list[Gate], results: list[ExpectationValidationResult]
) -> dict[tuple[str, str], ExpectationValidationResult]:
    by_check: dict[tuple[str, str], ExpectationValidationResult] = {}
    errors = []
    for result in results:
        meta = result.expectation_config.meta or {}
        key = (meta["gate_id"], meta["check"])
        by_check[key] = result
        error = evaluation_error(result)
        if error:
            errors.append(f"{key[0]}.{key[1]}: {error}")
    if errors:
        raise GateRunError("GX could not evaluate:\n  " + "\n  ".join(errors))
    expected = {(g.id, c.name) for g in gates for c in g.checks}
    if expected != set(by_check):
        raise GateRunError(f"GX returned no result for {sorted(expected - set(by_check))}")
    return by_check


def _unexpected_count(result: ExpectationValidationResult) -> int | None:
    payload = result.result or {}
    # Map expectations report unexpected_count; UnexpectedRowsExpectation reports its row count
    # as observed_value.
    for key in ("unexpected_count", "observed_value"):
        if isinstance(payload.get(key), int):
            return payload[key]
    return None


def _outcome(gate: Gate, check: Check, result: ExpectationValidationResult) -> ExpectationOutcome:
    return ExpectationOutcome(
        gate_id=gate.id,
        check=check.name,
        expectation_type=result.expectation_config.type,
        severity=check.severity,
        success=bool(result.success),
        unexpected_count=_unexpected_count(result),
    )


def _channels(conn: duckdb.DuckDBPyConnection, gate: Gate) -> list[str | None]:
    channel = check_identifier(gate.channel_column)
    rows = conn.execute(
        f"SELECT DISTINCT {channel} FROM {AUDIT}.{check_identifier(gate.model)} ORDER BY 1 NULLS LAST"
    ).fetchall()
    # An empty model still gets one (green) light per gate.
    return [r[0] for r in rows] or [None]


def _gate_results(
    conn: duckdb.DuckDBPyConnection,
    gate: Gate,
    failed: list[Check],
    channels: list[str | None],
    by_check: dict[tuple[str, str], ExpectationValidationResult],
    example_keys: int,
) -> list[GateResult]:
    drill = _drill_down(conn, gate, failed, example_keys) if failed else {}
    _assert_agrees_with_gx(gate, failed, drill, by_check)
    results = []
    for channel in channels + [c for c in drill if c not in channels]:
        failing_count, per_check, examples = drill.get(channel, (0, {}, []))
        worst = max((c.severity for c in failed if per_check.get(c.name)), key=_SEVERITY_RANK.get, default=None)
        results.append(
            GateResult(
                gate_id=gate.id,
                model=gate.model,
                description=gate.description,
                channel=channel,
                colour=colour_of(worst) if worst else "green",
                severity=worst or gate.severity,
                failing_count=failing_count,
                examples=examples,
                checks={name: n for name, n in per_check.items() if n},
            )
        )
    return results


def _drill_down(
    conn: duckdb.DuckDBPyConnection, gate: Gate, failed: list[Check], example_keys: int
) -> dict[str | None, tuple[int, dict[str, int], list[str]]]:
    """Per channel: rows failing any of `failed`, rows per check, and the smallest example keys."""
    table = f"{AUDIT}.{check_identifier(gate.model)}"
    predicates = [f"({c.predicate_on(table)})" for c in failed]
    key = check_identifier(gate.key_column)
    channel = check_identifier(gate.channel_column)
    per_check = ", ".join(f"count(*) FILTER (WHERE {p})" for p in predicates)
    # min(x, n) keeps the n smallest values with a bounded heap: no list of every failing key.
    examples = f"min(DISTINCT {key}, {int(example_keys)})" if example_keys > 0 else "[]::VARCHAR[]"
    sql = f"""
        SELECT {channel}, count(*), [{per_check}], {examples}
        FROM {table}
        WHERE {" OR ".join(predicates)}
        GROUP BY {channel}
    """
    out = {}
    for channel_value, failing, counts, keys in conn.execute(sql).fetchall():
        out[channel_value] = (int(failing), {c.name: int(n) for c, n in zip(failed, counts)}, list(keys or []))
    return out


def _assert_agrees_with_gx(
    gate: Gate,
    failed: list[Check],
    drill: dict[str | None, tuple[int, dict[str, int], list[str]]],
    by_check: dict[tuple[str, str], ExpectationValidationResult],
) -> None:
    # A check's predicate must pick exactly the rows GX counted; if not, the report would blame the
    # wrong rows or channels, so stop instead of publishing a misleading report.
    for check in failed:
        ours = sum(per_check.get(check.name, 0) for _, per_check, _ in drill.values())
        theirs = _unexpected_count(by_check[gate.id, check.name])
        if ours == 0 or (theirs is not None and theirs != ours):
            raise GateRunError(
                f"{gate.id}.{check.name}: GX counts {theirs} unexpected rows but the check's SQL finds {ours}; "
                "the check's predicate and expectation disagree (a bug in expectations/)"
            )


def _record(conn: duckdb.DuckDBPyConnection, report: GateReport) -> None:
    rows = [
        (
            report.run_id,
            report.checked_at,
            report.verdict,
            r.gate_id,
            r.model,
            r.colour,
            r.severity,
            r.channel,
            r.failing_count,
            json.dumps(r.examples),
            json.dumps(r.checks),
        )
        for r in report.results
    ]
    conn.execute("BEGIN TRANSACTION")
    try:
        ensure_ops_tables(conn)
        # Re-running a run id replaces its results rather than doubling them.
        conn.execute(f"DELETE FROM {OPS}.gate_results WHERE run_id = ?", [report.run_id])
        conn.executemany(f"INSERT INTO {OPS}.gate_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
