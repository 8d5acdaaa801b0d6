"""Run the gate catalogue on `audit`, compute the verdict, report per channel, record in `ops`.

Work stays in the warehouse: the aggregate gates' inputs are computed first (a few GROUP BYs, see
`inputs.py`), then GX evaluates one suite per judged table (its metrics bundled into few aggregate
queries), then each gate GX failed gets one GROUP BY channel query over its failed checks'
predicates for counts and example keys. Y1 comes from dbt source freshness, run by the caller.

On Spark (a session passed in) the same gates run as Spark SQL (`sql_dialect.py`) and GX validates through its
Spark datasource (`gx_spark.py`); `ops` (results, trailing values, publish log) is not in Spark's catalog but in a
DuckDB file in the warehouse folder, `operations.duckdb` (core/engines.py SPARK_OPS_FILE): a few rows per run that need transactions Parquet
tables do not give.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb
from great_expectations.core import ExpectationSuite, ExpectationSuiteValidationResult, ExpectationValidationResult

from orderlayer.core.config import GateSettings
from orderlayer.core.engines import SPARK_OPS_FILE
from orderlayer.expectations.checks import Check
from orderlayer.expectations.freshness import SourceFreshness
from orderlayer.expectations.gates import Gate, catalogue
from orderlayer.expectations.gx_duckdb import evaluation_error, validate_models
from orderlayer.expectations.inputs import GateContext, GateInput, raw_order_tables, raw_refund_tables
from orderlayer.expectations.sql_dialect import DUCKDB, SPARK, GateDialect
from orderlayer.expectations.report import (
    Colour,
    ExpectationOutcome,
    GateReport,
    GateResult,
    colour_of,
    verdict_of,
    worst,
)
from orderlayer.core.warehouse import (
    AUDIT,
    GATE_TABLES,
    GATES,
    OPS,
    PUBLISHED,
    QUARANTINE,
    RAW,
    check_identifier,
    connect,
    ensure_ops,
    sql_literal,
)

if TYPE_CHECKING:
    from orderlayer.core.spark_client import SparkClient


class GateRunError(RuntimeError):
    """The gates could not be evaluated (missing table, failing query); nothing was judged."""


_SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}

def ops_database(db_path: Path, on_spark: bool) -> Path:
    """Where a warehouse keeps `ops`: the DuckDB warehouse itself, or the Spark warehouse folder's DuckDB file."""
    return db_path / SPARK_OPS_FILE if on_spark else db_path


class _Warehouse(Protocol):
    """What the runner asks of the warehouse that holds the judged tables."""

    dialect: GateDialect

    def rows(self, sql: str) -> list[tuple]: ...

    def tables(self, schema: str) -> set[str]: ...

    def columns(self, schema: str, table: str) -> set[str]: ...

    def replace_table(self, schema: str, name: str, sql: str) -> None: ...

    def validate(self, schema: str, suites: dict[str, ExpectationSuite]) -> dict[str, ExpectationSuiteValidationResult]: ...


class _DuckDBWarehouse:
    dialect = DUCKDB

    def __init__(self, conn: duckdb.DuckDBPyConnection, db_path: Path) -> None:
        self._conn, self._db_path = conn, db_path

    def rows(self, sql: str) -> list[tuple]:
        return self._conn.execute(sql).fetchall()

    def tables(self, schema: str) -> set[str]:
        found = self._conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema])
        return {name for (name,) in found.fetchall()}

    def columns(self, schema: str, table: str) -> set[str]:
        found = self._conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?", [schema, table]
        )
        return {name for (name,) in found.fetchall()}

    def replace_table(self, schema: str, name: str, sql: str) -> None:
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self._conn.execute(f"CREATE OR REPLACE TABLE {schema}.{check_identifier(name)} AS {sql}")

    def validate(self, schema: str, suites: dict[str, ExpectationSuite]) -> dict[str, ExpectationSuiteValidationResult]:
        return validate_models(self._conn, self._db_path, schema, suites)


class _SparkWarehouse:
    dialect = SPARK

    def __init__(self, client: SparkClient) -> None:
        self._client = client

    def rows(self, sql: str) -> list[tuple]:
        from orderlayer.core.spark_client import SparkQueryError

        try:
            return [tuple(row.values()) for row in self._client.arrow(sql).to_pylist()]
        except SparkQueryError as exc:
            raise GateRunError(f"a gate query failed on Spark: {exc}") from exc

    def tables(self, schema: str) -> set[str]:
        return {name for name, _ in self._client.relations(schema)}

    def columns(self, schema: str, table: str) -> set[str]:
        if table not in self.tables(schema):
            return set()
        return {c.name for c in self._client.session.catalog.listColumns(table, schema)}

    def replace_table(self, schema: str, name: str, sql: str) -> None:
        # a gate input is a few rows per channel: dropped and written again (Parquet tables take no REPLACE)
        table = f"{schema}.{check_identifier(name)}"
        for statement in (f"CREATE DATABASE IF NOT EXISTS {schema}", f"DROP TABLE IF EXISTS {table}",
                          f"CREATE TABLE {table} USING parquet AS {sql}"):
            self.rows(statement)

    def validate(self, schema: str, suites: dict[str, ExpectationSuite]) -> dict[str, ExpectationSuiteValidationResult]:
        from orderlayer.expectations.gx_spark import validate_spark_models

        return validate_spark_models(self._client.session, schema, suites)


def _history_values(ops: duckdb.DuckDBPyConnection) -> Callable[[str], str]:
    """On Spark, a trailing-values query (`inputs._trailing`) is answered by the `ops` store and handed to Spark as
    a VALUES list of (channel, trailing, runs)."""

    def values(sql: str) -> str:
        rows = ops.execute(sql).fetchall()
        if not rows:
            return "SELECT CAST(NULL AS STRING) AS channel, CAST(NULL AS DOUBLE) AS trailing, CAST(0 AS BIGINT) AS runs WHERE FALSE"
        listed = ", ".join(
            f"({sql_literal(channel) if channel is not None else 'CAST(NULL AS STRING)'}, "
            f"CAST({sql_literal(str(float(trailing)))} AS DOUBLE), CAST({int(runs)} AS BIGINT))"
            for channel, trailing, runs in rows
        )
        return f"SELECT * FROM VALUES {listed} AS history(channel, trailing, runs)"

    return values


def run_gates(
    db_path: Path,
    settings: GateSettings,
    run_id: str,
    now: datetime | None = None,
    context: GateContext | None = None,
    freshness: Sequence[SourceFreshness] | None = None,
    spark: SparkClient | None = None,
) -> GateReport:
    """Judge the candidate marts in `audit`, record the results in `ops`, return the report.

    `spark`: the warehouse at `db_path` is Spark's (a folder), judged through this client; `ops` is its
    `operations.duckdb` (`ops_database`). Without it `db_path` is the DuckDB warehouse.

    `now` (timezone-aware; default the current time) is the run's clock: R3's "future" bound, Y5's
    grace period and the recorded `checked_at`. `context` carries what orderlayer.yml says about shops
    and ERPs; `freshness` is dbt's source freshness for Y1 (None: Y1 not checked, no Y1 lights).
    Raises `GateRunError` when the gates cannot be evaluated at all.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    checked_at = (now or datetime.now(UTC)).astimezone(UTC)
    conn = connect(ops_database(db_path, spark is not None), create=spark is not None)
    try:
        ensure_ops(conn, *GATE_TABLES)  # R5/Y3 read their trailing values from ops.gate_metrics
        warehouse: _Warehouse = _SparkWarehouse(spark) if spark is not None else _DuckDBWarehouse(conn, db_path)
        raw = warehouse.tables(RAW)
        gates = catalogue(
            settings, checked_at, context, run_id, raw_order_tables(raw), "fct_orders" in warehouse.tables(PUBLISHED),
            # R4's after-sale records, once the build made the refund facts
            raw_refund_tables(raw, (context or GateContext()).after_sale_streams) if _refund_facts_built(warehouse) else None,
            dialect=warehouse.dialect,
            history=_history_values(conn) if spark is not None else None,
        )
        _require_tables(warehouse, gates)
        inputs = _build_inputs(warehouse, gates)
        validations = _validate(warehouse, gates)
        by_check = _index_results(gates, [r for _, v in validations.values() for r in v.results])
        outcomes = [_outcome(gate, check, by_check[gate.id, check.name]) for gate in gates for check in gate.checks]
        channels = _channels(warehouse, gates, freshness or [])
        results: list[GateResult] = []
        for gate in gates:
            if gate.kind == "freshness":
                results += _freshness_results(gate, freshness, channels) if freshness is not None else []
                continue
            failed = [c for c in gate.checks if not by_check[gate.id, c.name].success]
            notes = _notes(warehouse, gate) if gate.note else {}
            results += _gate_results(warehouse, gate, failed, channels, by_check, settings.example_keys, notes)
        report = GateReport(
            run_id=run_id,
            checked_at=checked_at,
            verdict=worst(verdict_of(by_check.values()), *(f.colour for f in freshness or [])),
            results=results,
            expectations=outcomes,
            freshness=list(freshness or []),
        )
        _record(conn, report, _metrics(warehouse, inputs, freshness or []), _validation_rows(gates, validations))
        return report
    except duckdb.Error as exc:
        raise GateRunError(f"a gate query failed: {exc}") from exc
    finally:
        conn.close()


def _refund_facts_built(warehouse: _Warehouse) -> bool:
    """Whether the build made the refund facts R4 counts, each row naming its after-sale record (D-066); a
    warehouse built before them is not judged on refunds until it is built again."""
    tables = ((AUDIT, "fct_refunds"), (QUARANTINE, "quarantine_refunds"), (QUARANTINE, "refunds_left_out"))
    return all("after_sale_record_id" in warehouse.columns(schema, table) for schema, table in tables)


def _require_tables(warehouse: _Warehouse, gates: list[Gate]) -> None:
    needed = {t for g in gates if g.kind == "gx" for t in g.reads}
    needed |= {g.table for g in gates if g.kind == "gx" and g.input is None}
    missing = sorted(t for t in needed if t.split(".")[1] not in warehouse.tables(t.split(".")[0]))
    if missing:
        raise GateRunError(f"{', '.join(missing)} not found; run `orderlayer build` so dbt builds the candidate marts")


def _build_inputs(warehouse: _Warehouse, gates: list[Gate]) -> list[GateInput]:
    """Compute each aggregate gate's table in schema `gates` (once, however many gates share it)."""
    inputs: dict[str, GateInput] = {}
    for gate in gates:
        if gate.input is not None:
            if inputs.setdefault(gate.input.name, gate.input) != gate.input:
                raise ValueError(f"two different inputs named {gate.input.name}")
    for name, gate_input in inputs.items():
        warehouse.replace_table(GATES, name, gate_input.sql)
    return list(inputs.values())


def _suites(gates: list[Gate]) -> dict[str, dict[str, ExpectationSuite]]:
    """schema → model → suite: every check of every gate on that table, tagged with gate and check."""
    by_table: dict[tuple[str, str], list] = defaultdict(list)
    for gate in gates:
        for check in gate.checks:
            # meta ties GX's results (which come back in GX's own order) to gate and check.
            meta = {"gate_id": gate.id, "check": check.name}
            by_table[gate.schema, gate.model].append(check.expectation.copy(update={"meta": meta}))
    suites: dict[str, dict[str, ExpectationSuite]] = defaultdict(dict)
    for (schema, model), expectations in by_table.items():
        suites[schema][model] = ExpectationSuite(name=f"orderlayer_{model}", expectations=expectations)
    return suites


def _validate(warehouse: _Warehouse, gates: list[Gate]) -> dict[str, tuple[ExpectationSuite, ExpectationSuiteValidationResult]]:
    out: dict[str, tuple[ExpectationSuite, ExpectationSuiteValidationResult]] = {}
    for schema, suites in _suites(gates).items():
        for model, result in warehouse.validate(schema, suites).items():
            out[f"{schema}.{model}"] = (suites[model], result)
    return out


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


def _channels(warehouse: _Warehouse, gates: list[Gate], freshness: Sequence[SourceFreshness]) -> list[str | None]:
    """Every channel any judged table (or dbt source) knows: each gate shows a light for each."""
    tables = sorted({(g.table, g.channel_column) for g in gates if g.kind == "gx"})
    union = " UNION ".join(f"SELECT {check_identifier(column)} AS channel FROM {table}" for table, column in tables)
    found = {row[0] for row in warehouse.rows(union)} | {f.channel for f in freshness}
    # An empty warehouse still gets one (green) light per gate.
    return sorted(found, key=lambda c: (c is None, c or "")) or [None]


def _notes(warehouse: _Warehouse, gate: Gate) -> dict[str | None, str]:
    channel = check_identifier(gate.channel_column)
    rows = warehouse.rows(f"SELECT {channel}, {gate.note} FROM {gate.table} GROUP BY {channel}")
    return {c: note for c, note in rows if note}


@dataclass
class _Failing:
    """One channel's failing rows of one gate, from the drill-down query."""

    count: int = 0
    #: failing count per failed check (weighted by the gate's count_column)
    per_check: dict[str, int] = field(default_factory=dict)
    #: failing rows of the judged table per failed check (what GX counts)
    rows: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def _gate_results(
    warehouse: _Warehouse,
    gate: Gate,
    failed: list[Check],
    channels: list[str | None],
    by_check: dict[tuple[str, str], ExpectationValidationResult],
    example_keys: int,
    notes: dict[str | None, str],
) -> list[GateResult]:
    drill = _drill_down(warehouse, gate, failed, example_keys) if failed else {}
    _assert_agrees_with_gx(gate, failed, drill, by_check)
    results = []
    for channel in channels + [c for c in drill if c not in channels]:
        failing = drill.get(channel, _Failing())
        worst_severity = max(
            (c.severity for c in failed if failing.rows.get(c.name)), key=_SEVERITY_RANK.get, default=None
        )
        results.append(
            GateResult(
                gate_id=gate.id,
                # audit marts by their plain name (as dbt calls them), computed inputs qualified
                model=gate.model if gate.schema == AUDIT else gate.table,
                description=gate.description,
                channel=channel,
                colour=colour_of(worst_severity) if worst_severity else "green",
                severity=worst_severity or gate.severity,
                failing_count=failing.count,
                examples=failing.examples,
                checks={name: n for name, n in failing.per_check.items() if failing.rows.get(name)},
                example_key=gate.example_key,
                note=notes.get(channel, ""),
            )
        )
    return results


def _drill_down(warehouse: _Warehouse, gate: Gate, failed: list[Check], example_keys: int) -> dict[str | None, _Failing]:
    """Per channel: failing count, per check, and the examples (smallest keys, or the input's list)."""
    table = gate.table
    predicates = [f"({c.predicate_on(table)})" for c in failed]
    weight = check_identifier(gate.count_column) if gate.count_column else "1"
    channel = check_identifier(gate.channel_column)
    d = warehouse.dialect
    rows = d.list_of([f"count(*) FILTER (WHERE {p})" for p in predicates])
    weights = d.list_of([f"sum({weight}) FILTER (WHERE {p})" for p in predicates])
    if example_keys <= 0:
        examples = d.empty_list()
    elif gate.examples_column:
        examples = d.first_of_lists(check_identifier(gate.examples_column), example_keys)
    else:
        examples = d.smallest(f"{check_identifier(gate.key_column)}::{d.text}", example_keys)
    sql = f"""
        SELECT {channel}, sum({weight}), {rows}, {weights}, {examples}
        FROM {table}
        WHERE {" OR ".join(predicates)}
        GROUP BY {channel}
    """
    out = {}
    for channel_value, total, row_counts, weight_sums, keys in warehouse.rows(sql):
        out[channel_value] = _Failing(
            count=int(total or 0),
            per_check={c.name: int(n or 0) for c, n in zip(failed, weight_sums)},
            rows={c.name: int(n) for c, n in zip(failed, row_counts)},
            examples=[str(k) for k in keys or []],
        )
    return out


def _assert_agrees_with_gx(
    gate: Gate,
    failed: list[Check],
    drill: dict[str | None, _Failing],
    by_check: dict[tuple[str, str], ExpectationValidationResult],
) -> None:
    # A check's predicate must pick exactly the rows GX counted; if not, the report would blame the
    # wrong rows or channels, so stop instead of publishing a misleading report.
    for check in failed:
        ours = sum(f.rows.get(check.name, 0) for f in drill.values())
        theirs = _unexpected_count(by_check[gate.id, check.name])
        if ours == 0 or (theirs is not None and theirs != ours):
            raise GateRunError(
                f"{gate.id}.{check.name}: GX counts {theirs} unexpected rows but the check's SQL finds {ours}; "
                "the check's predicate and expectation disagree (a bug in expectations/)"
            )


def _freshness_results(
    gate: Gate, freshness: Sequence[SourceFreshness], channels: list[str | None]
) -> list[GateResult]:
    by_channel: dict[str | None, list[SourceFreshness]] = defaultdict(list)
    for f in freshness:
        by_channel[f.channel].append(f)
    results = []
    for channel in channels:
        sources = by_channel.get(channel, [])
        stale = [f for f in sources if f.colour != "green"]
        colour: Colour = worst(*(f.colour for f in sources))
        results.append(
            GateResult(
                gate_id=gate.id,
                model="raw",
                description=gate.description,
                channel=channel,
                colour=colour,
                severity="critical" if colour == "red" else "warning",
                failing_count=len(stale),
                examples=[f.source for f in stale],
                checks={f"freshness_{f.status.replace(' ', '_')}": 1 for f in stale},
                example_key=gate.example_key,
                note="; ".join(f.describe() for f in sources) or "no dbt source for this channel",
            )
        )
    return results


def _metrics(
    warehouse: _Warehouse, inputs: list[GateInput], freshness: Sequence[SourceFreshness]
) -> list[tuple[str | None, str, float | None]]:
    """(channel, metric, value) of this run: the inputs' metric columns and each channel's source age."""
    out: list[tuple[str | None, str, float | None]] = []
    for gate_input in inputs:
        if not gate_input.metrics:
            continue
        columns = [check_identifier(m) for m in gate_input.metrics]
        rows = warehouse.rows(f"SELECT channel, {', '.join(columns)} FROM {GATES}.{gate_input.name}")
        for channel, *values in rows:
            out += [(channel, m, None if v is None else float(v)) for m, v in zip(columns, values)]
    ages: dict[str, float] = {}
    for f in freshness:
        if f.age_seconds is not None:
            ages[f.channel] = max(ages.get(f.channel, 0.0), f.age_seconds / 60)
    out += [(channel, "freshness_age_minutes", age) for channel, age in sorted(ages.items())]
    return out


def _validation_rows(
    gates: list[Gate], validations: dict[str, tuple[ExpectationSuite, ExpectationSuiteValidationResult]]
) -> list[tuple[str, str, str]]:
    return [
        (table, json.dumps(suite.to_json_dict(), default=str), json.dumps(result.to_json_dict(), default=str))
        for table, (suite, result) in sorted(validations.items())
    ]


def _record(
    conn: duckdb.DuckDBPyConnection,
    report: GateReport,
    metrics: list[tuple[str | None, str, float | None]],
    validations: list[tuple[str, str, str]],
) -> None:
    rid, at, verdict = report.run_id, report.checked_at, report.verdict
    results = [
        (
            rid, at, verdict, r.gate_id, r.model, r.colour, r.severity, r.channel, r.failing_count,
            json.dumps(r.examples), json.dumps(r.checks), r.example_key, r.note, r.description,
        )
        for r in report.results
    ]  # fmt: skip
    freshness = [
        (
            rid, at, f.source, f.channel, f.status, f.colour, f.max_loaded_at, f.snapshotted_at, f.age_seconds,
            f.warn_after_minutes, f.error_after_minutes, f.error,
        )
        for f in report.freshness
    ]  # fmt: skip
    conn.execute("BEGIN TRANSACTION")
    try:
        # Re-running a run id replaces its rows rather than doubling them.
        for table in ("gate_results", "gate_metrics", "source_freshness", "gate_validations"):
            conn.execute(f"DELETE FROM {OPS}.{table} WHERE run_id = ?", [rid])
        conn.executemany(
            f"""INSERT INTO {OPS}.gate_results (run_id, checked_at, verdict, gate_id, model, colour, severity, channel,
                failing_count, examples, checks, example_key, note, description)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            results,
        )
        if metrics:
            conn.executemany(
                f"INSERT INTO {OPS}.gate_metrics VALUES (?, ?, ?, ?, ?, ?)",
                [(rid, at, verdict, channel, metric, value) for channel, metric, value in metrics],
            )
        if freshness:
            conn.executemany(f"INSERT INTO {OPS}.source_freshness VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", freshness)
        if validations:
            conn.executemany(
                f"INSERT INTO {OPS}.gate_validations VALUES (?, ?, ?, ?, ?)",
                [(rid, at, table, suite, result) for table, suite, result in validations],
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
