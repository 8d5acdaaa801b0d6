"""Incremental builds: what a build must rebuild, and the build state in the warehouse that decides it.

A build processes the raw rows landed since the last successful build (the landing window, by `_landed_seq`:
docs/incremental.md) with dbt's incremental models. What a build *used* — a sha256 of every model, macro, seed
and project file, and the vars models read — is stored in `ops.build_state` with the window's end. The next
build compares:

- nothing stored, or ``--full-refresh``: every model is rebuilt from raw;
- a macro, the project file or a model properties file changed, or a var models read: everything is rebuilt
  (they can change any model);
- a seed or a model changed (or is new): ``dbt build --full-refresh --select <it>+`` rebuilds it and what
  depends on it, after an incremental build of everything else;
- otherwise: one incremental build, or none at all when nothing landed either.

One line says which, and why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orderlayer.core.config import Settings
from orderlayer.core.dbt import DbtResult, OnNode, dbt_vars, project_dir, run_dbt, user_project, without_vars_block
from orderlayer.core.engines import is_spark
from orderlayer.core.settings_store import snapshot
from orderlayer.core.warehouse import AUDIT, PENDING_TABLES, connect, ensure_ops, forget_entry, journal_orders, journal_whole

#: what each build recomputes (docs/incremental.md): always rebuilt, so none keeps an earlier build's changes
CHANGE_SETS = (
    "int_orders__changed", "int_erp_orders__changed", "int_orders__affected", "order_fulfillment__scope",
    "int_erp_orders__affected", "int_reconciliation_days__affected",
)
#: vars that no model reads (dbt source freshness, gate Y1): changing them rebuilds nothing
NOT_MODEL_VARS = frozenset({"orderlayer_freshness_warn_minutes", "orderlayer_freshness_error_minutes"})
BUILD_ARGS = ["build", "--resource-type", "seed", "--resource-type", "model"]


def record_build(conn, mode: str, built_at: datetime) -> None:  # noqa: ANN001
    """Note a successful build for the next publish; an incremental one with the orders it recomputed."""
    ensure_ops(conn, *PENDING_TABLES)
    conn.execute("INSERT INTO ops.unpublished_builds VALUES (?, ?)", [built_at, mode])
    if mode == "incremental":
        keys = (
            "SELECT 'orders', order_key FROM staging.int_orders__affected "
            "UNION ALL SELECT 'order_fulfillment', order_key FROM staging.order_fulfillment__scope"
        )
        conn.execute(f"INSERT INTO ops.unpublished_keys {keys}")
        journal_orders(conn, AUDIT, keys)  # the read snapshot takes the same orders (core/snapshot.py)
    else:
        journal_whole(conn, AUDIT)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(settings: Settings, root: Path | None = None) -> dict:
    """What a build uses: file hashes per seed and model, one hash over macros and properties, the model vars.
    In a user project (`orderlayer init`) its own files count too; its dbt_project.yml without the vars block,
    whose model vars are compared on their own."""
    roots = [root or project_dir(), *filter(None, [user_project()])]
    seeds = {p.stem: _sha(p) for r in roots for p in sorted((r / "seeds").glob("*.csv"))}
    models = {p.stem: _sha(p) for r in roots for folder in ("models", "semantic") for p in sorted((r / folder).rglob("*.sql"))}
    shared = hashlib.sha256()
    for r in roots:
        shared_files = [r / "dbt_project.yml", *sorted((r / "macros").rglob("*.sql"))]
        shared_files += [p for folder in ("models", "semantic", "seeds") for p in sorted((r / folder).rglob("*.yml"))]
        for p in shared_files:
            text = without_vars_block(p.read_text(encoding="utf-8")).encode() if p.name == "dbt_project.yml" else p.read_bytes()
            shared.update(str(p.relative_to(r)).encode() + b"\0" + text + b"\0")
    variables = {k: v for k, v in dbt_vars(settings).items() if k not in NOT_MODEL_VARS}
    # the settings themselves, which check, publish, report and metrics use (core/settings_store.py)
    return {"seeds": seeds, "models": models, "shared": shared.hexdigest(), "vars": variables, "settings": snapshot(settings)}


@dataclass
class Plan:
    mode: str  # "full", "partial", "incremental", "none"
    reason: str
    landed_after: int | None
    landed_through: int
    refresh: list[str] = field(default_factory=list)  # seeds/models rebuilt in full with their dependents
    #: incremental: the dbt sources with rows in the window; only they and what depends on them are built (every
    #: other model's inputs are unchanged), plus the change sets. Empty: everything.
    sources: list[str] = field(default_factory=list)

    def steps(self) -> list[list[str]]:
        if self.mode == "none":
            return []
        if self.mode == "full":
            return [[*BUILD_ARGS, "--full-refresh"]]
        if self.mode == "incremental":
            if not self.sources:
                return [BUILD_ARGS]
            return [[*BUILD_ARGS, "--select", *(f"source:{name}+" for name in self.sources), *CHANGE_SETS]]
        selection = [f"{name}+" for name in self.refresh]
        return [[*BUILD_ARGS, "--exclude", *selection], [*BUILD_ARGS, "--full-refresh", "--select", *selection]]


def _changed(old: dict, new: dict) -> list[str]:
    return sorted(k for k in new if old.get(k) != new[k])


def decide(previous: dict | None, current: dict, landed_through: int, full_refresh: bool) -> Plan:
    """The build a warehouse needs, from the stored state of its last successful build (or None)."""
    if full_refresh:
        return Plan("full", "full rebuild from raw: --full-refresh", None, landed_through)
    if previous is None:
        return Plan("full", "full build: no previous build recorded in ops.build_state", None, landed_through)
    before, after = previous["fingerprint"], current
    if before.get("shared") != after["shared"]:
        return Plan("full", "full rebuild: a macro, dbt_project.yml or a properties file changed", None, landed_through)
    changed_vars = _changed(before.get("vars", {}), after["vars"])
    changed_vars += sorted(k for k in before.get("vars", {}) if k not in after["vars"])
    if changed_vars:
        return Plan("full", f"full rebuild: var {', '.join(changed_vars)} changed", None, landed_through)
    seeds = _changed(before.get("seeds", {}), after["seeds"])
    models = _changed(before.get("models", {}), after["models"])
    since = int(previous["landed_through"])
    new_rows = landed_through - since
    if seeds or models:
        what = [f"seed {s}" for s in seeds] + [f"model {m}" for m in models]
        return Plan(
            "partial",
            f"rebuilding {', '.join(what)} and what depends on it from raw (changed since the last build); "
            f"the rest incrementally ({new_rows} raw rows landed)",
            since,
            landed_through,
            refresh=seeds + models,
        )
    if new_rows <= 0:
        return Plan("none", f"nothing new: no raw row landed since the last build (#{since}); audit unchanged", since, since)
    return Plan("incremental", f"incremental build: {new_rows} raw rows landed since the last build (#{since})", since, landed_through)


def _connect(db: Path):  # noqa: ANN202
    from orderlayer.loader.raw_store import migrate_raw

    con = connect(db, create=True)
    migrate_raw(con)  # raw tables from before landing numbers get theirs
    ensure_ops(con, "build_state")
    return con


def max_landed(con) -> int:  # noqa: ANN001
    """The highest landing number of any raw row (-1 when raw is empty)."""
    tables = con.execute(
        "select table_name from information_schema.columns where table_schema = 'raw' and column_name = '_landed_seq'"
    ).fetchall()
    if not tables:
        return -1
    union = " union all ".join(f"select max(_landed_seq) as m from raw.{t}" for (t,) in tables)
    return int(con.execute(f"select coalesce(max(m), -1) from ({union})").fetchone()[0])


def landed_sources(con, after: int, through: int) -> list[str]:  # noqa: ANN001
    """The sources (`raw.<source>__<stream>`) with a row landed in the window (after, through]."""
    tables = con.execute(
        "select table_name from information_schema.columns where table_schema = 'raw' and column_name = '_landed_seq'"
        " order by 1"
    ).fetchall()
    landed = set()
    for (table,) in tables:
        source = table.split("__", 1)[0]
        if source not in landed and con.execute(
            f"select 1 from raw.{table} where _landed_seq > ? and _landed_seq <= ? limit 1", [after, through]
        ).fetchone():
            landed.add(source)
    return sorted(landed)


def last_build(con) -> dict | None:  # noqa: ANN001
    row = con.execute(
        "select landed_through, fingerprint from ops.build_state order by built_at desc limit 1"
    ).fetchone()
    return None if row is None else {"landed_through": row[0], "fingerprint": json.loads(row[1])}


@dataclass
class BuildOutcome:
    plan: Plan
    results: list[DbtResult]

    @property
    def reason(self) -> str:
        return self.plan.reason


class BuildFailed(RuntimeError):
    pass


def build(settings: Settings, db: Path, full_refresh: bool = False, on_node: OnNode | None = None) -> BuildOutcome:
    """Plan the build, run dbt for it, and record what it used once every step succeeded (`on_node`: dbt's
    node events, for progress)."""
    if is_spark(settings):
        # plain Parquet tables take no DELETE: every Spark build rebuilds from raw (D-077, docs/engines.md)
        plan = Plan("full", "full rebuild from raw: every Spark build is one (docs/engines.md)", None, -1)
        return BuildOutcome(plan, _run_steps(plan, settings, db, on_node))
    current = fingerprint(settings)
    con = _connect(db)
    try:
        through = max_landed(con)
        previous = last_build(con)
        plan = decide(previous, current, through, full_refresh)
        if plan.mode == "incremental":
            plan.sources = landed_sources(con, plan.landed_after, plan.landed_through)
        # settings no model reads (gate thresholds) changed: nothing to rebuild, but the new ones are recorded
        new_settings = previous is not None and previous["fingerprint"].get("settings") != current["settings"]
        if plan.mode == "none" and new_settings:
            plan.reason += "; recorded the changed settings check and publish use"
        # the window the models read (macros/incremental.sql); a full rebuild reads everything, and an empty
        # window keeps the change tables it rebuilds empty
        after = plan.landed_through if plan.mode == "full" else plan.landed_after
        con.execute("create or replace table ops.build_window (landed_after BIGINT, landed_through BIGINT)")
        con.execute("insert into ops.build_window values (?, ?)", [after if after is not None else -1, plan.landed_through])
        # dbt commits model by model: until the build is recorded, the snapshot must take `audit` whole (a build
        # that stops half-way leaves some models changed and no list of what changed)
        ahead = journal_whole(con, AUDIT) if plan.mode != "none" else None
    finally:
        con.close()
    try:
        results = _run_steps(plan, settings, db, on_node)
    finally:
        # the window is this build's only: a bare `dbt build` later must not reuse it (it takes every row instead)
        con = _connect(db)
        try:
            con.execute("drop table if exists ops.build_window")
        finally:
            con.close()
    if plan.mode != "none" or new_settings:
        con = _connect(db)
        try:
            con.execute("begin transaction")
            con.execute(
                "insert into ops.build_state values (?, ?, ?, ?, ?, ?)",
                [datetime.now(UTC), plan.mode, plan.reason, plan.landed_after, plan.landed_through, json.dumps(current)],
            )
            if plan.mode != "none":
                record_build(con, plan.mode, datetime.now(UTC))
                forget_entry(con, ahead)
            con.execute("commit")
        finally:
            con.close()
    return BuildOutcome(plan, results)


def _run_steps(plan: Plan, settings: Settings, db: Path, on_node: OnNode | None) -> list[DbtResult]:
    """Run the plan's dbt commands in order; the first that fails stops the build."""
    results: list[DbtResult] = []
    for args in plan.steps():
        result = run_dbt(args, settings, db, on_node=on_node)
        results.append(result)
        if not result.ok:
            failed = "; ".join(f"{r['unique_id']}: {r['message']}" for r in result.failures()) or result.log_tail
            raise BuildFailed(f"dbt build failed ({plan.reason}): {failed}")
    return results

