"""Write-audit-publish, last step: bring `published` to what `audit` holds, in one transaction.

Red never publishes. Otherwise every listed mart is brought to its `audit` state and the publish is logged with
an increasing version, all in one DuckDB transaction: consumers see the previous release or the new one, never a
mix.

After incremental builds (docs/incremental.md) a publish copies no history: the order-keyed marts replace only
the rows of the orders the builds since the last publish recomputed (`ops.unpublished_keys`, written by
`orderlayer.core.incremental`), so its cost follows what changed, not the size of the marts; the small marts
(reconciliation, time spine) are replaced whole. After a full or partial rebuild, in a warehouse whose builds are
not tracked, or when a mart is new to `published`, every mart is copied whole (as a full build, that costs the
size of the data). With no build since the last publish, nothing is published and the result says so.

Each publish keeps what it replaced in `published_history` (the rows of the replaced orders, or the whole previous
table), so `rollback` restores the previous version; `keep_versions` versions are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orderlayer.expectations.report import GateReport, Verdict
from orderlayer.core.warehouse import (
    AUDIT, GATE_TABLES, OPS, ORDER_SCOPES, PENDING_TABLES, PUBLISHED, check_identifier, connect, ensure_ops, journal_orders,
    journal_whole, table_exists,
)

HISTORY = "published_history"
_HISTORY_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {HISTORY}",
    # per version and mart: 'delta' (the replaced orders' rows are in published_history.<mart>) or 'full'
    # (the whole previous table is published_history.<mart>__v<version>; none when the mart was new)
    f"CREATE TABLE IF NOT EXISTS {HISTORY}.versions (version BIGINT NOT NULL, mart VARCHAR NOT NULL, kind VARCHAR NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {HISTORY}.version_keys (version BIGINT NOT NULL, scope VARCHAR NOT NULL, order_key VARCHAR NOT NULL)",
)


class PublishRefused(RuntimeError):
    """The run's gates are red: `published` was not touched."""


class PublishFailed(RuntimeError):
    """Publishing failed and was rolled back: `published` is exactly as it was."""


@dataclass(frozen=True)
class PublishResult:
    run_id: str
    version: int
    published_at: datetime
    verdict: Verdict
    row_counts: dict[str, int]
    #: "delta" (changed orders only), "full" (every mart copied) or "none" (nothing new: no version published)
    mode: str = "full"

    @property
    def new(self) -> bool:
        return self.mode != "none"


def _last_version(conn: duckdb.DuckDBPyConnection) -> int | None:
    if not table_exists(conn, OPS, "publish_log"):
        return None
    return conn.execute(f"SELECT max(version) FROM {OPS}.publish_log").fetchone()[0]


def _next_version(conn: duckdb.DuckDBPyConnection) -> int:
    """Version numbers are never reused, not even after a rollback."""
    last = _last_version(conn) or 0
    rolled = conn.execute(f"SELECT max(version) FROM {OPS}.publish_rollbacks").fetchone()[0] or 0
    return max(last, rolled) + 1


def _pending(conn: duckdb.DuckDBPyConnection) -> tuple[bool, set[str]]:
    """(is the warehouse built by tracked builds, the modes of the builds since the last publish)."""
    if not table_exists(conn, OPS, "build_state"):  # not built by `orderlayer build`: publish copies every mart
        return False, set()
    if not table_exists(conn, OPS, "unpublished_builds"):
        return True, {"full"}
    modes = {r[0] for r in conn.execute(f"SELECT DISTINCT mode FROM {OPS}.unpublished_builds").fetchall()}
    return True, modes


def publish(
    db_path: Path, run_id: str, report: GateReport, marts: list[str], keep_versions: int = 3
) -> PublishResult:
    """Bring `published.<mart>` to `audit.<mart>` for every mart, atomically, unless the report is red."""
    if report.run_id != run_id:
        raise ValueError(f"report is for run {report.run_id}, not {run_id}; run the gates for this run first")
    if report.verdict == "red":
        red = sorted({f"{r.gate_id} ({r.channel})" if r.channel else r.gate_id for r in report.failing("red")})
        raise PublishRefused(
            f"run {run_id} is red ({', '.join(red) or 'critical expectations failed'}); "
            f"{PUBLISHED} left unchanged. See the gate report, fix the data or mapping, and run again."
        )
    names = [check_identifier(m) for m in marts]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"marts must be a non-empty list without repeats, got {marts}")
    if keep_versions < 1:
        raise ValueError(f"keep_versions must be at least 1, got {keep_versions}")

    published_at = datetime.now(UTC)
    conn = connect(db_path)
    try:
        tracked, modes = _pending(conn)
        last = _last_version(conn)
        all_present = all(table_exists(conn, PUBLISHED, m) for m in names)
        if tracked and not modes and last is not None and all_present:
            # no build since the last publish: audit is what is published; no new version
            row = conn.execute(f"SELECT row_counts FROM {OPS}.publish_log WHERE version = ?", [last]).fetchone()
            return PublishResult(run_id, int(last), published_at, report.verdict, json.loads(row[0]), mode="none")
        delta = tracked and modes == {"incremental"} and last is not None and all_present
        conn.execute("BEGIN TRANSACTION")
        try:
            ensure_ops(conn, *GATE_TABLES)
            ensure_ops(conn, *PENDING_TABLES)
            for statement in _HISTORY_DDL:
                conn.execute(statement)
            version = _next_version(conn)
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED}")
            row_counts = {}
            for mart in names:
                scope = ORDER_SCOPES.get(mart) if delta else None
                if scope is not None:
                    _replace_orders(conn, mart, scope, version)
                else:
                    _replace_whole(conn, mart, version)
                row_counts[mart] = conn.execute(f"SELECT count(*) FROM {PUBLISHED}.{mart}").fetchone()[0]
            if delta:
                conn.execute(
                    f"INSERT INTO {HISTORY}.version_keys SELECT DISTINCT ?, scope, order_key FROM {OPS}.unpublished_keys",
                    [version],
                )
                journal_orders(conn, PUBLISHED, f"SELECT scope, order_key FROM {OPS}.unpublished_keys")
            else:
                journal_whole(conn, PUBLISHED)
            conn.execute(f"DELETE FROM {OPS}.unpublished_keys")
            conn.execute(f"DELETE FROM {OPS}.unpublished_builds")
            _prune(conn, version - keep_versions)
            conn.execute(
                f"INSERT INTO {OPS}.publish_log VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, published_at, version, report.verdict, json.dumps(names), json.dumps(row_counts)],
            )
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise PublishFailed(
                f"publishing run {run_id} failed and was rolled back; {PUBLISHED} is unchanged: {exc}"
            ) from exc
    finally:
        conn.close()
    return PublishResult(
        run_id=run_id,
        version=int(version),
        published_at=published_at,
        verdict=report.verdict,
        row_counts=row_counts,
        mode="delta" if delta else "full",
    )


def _replace_orders(conn: duckdb.DuckDBPyConnection, mart: str, scope: str, version: int) -> None:
    """Replace the rows of the recomputed orders; keep the replaced rows as this version's undo."""
    keys = f"(SELECT order_key FROM {OPS}.unpublished_keys WHERE scope = '{scope}')"
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {HISTORY}.{mart} AS "
        f"SELECT CAST(NULL AS BIGINT) AS _version, * FROM {PUBLISHED}.{mart} WHERE false"
    )
    conn.execute(f"INSERT INTO {HISTORY}.{mart} SELECT ?, * FROM {PUBLISHED}.{mart} WHERE order_key IN {keys}", [version])
    conn.execute(f"DELETE FROM {PUBLISHED}.{mart} WHERE order_key IN {keys}")
    conn.execute(f"INSERT INTO {PUBLISHED}.{mart} SELECT * FROM {AUDIT}.{mart} WHERE order_key IN {keys}")
    conn.execute(f"INSERT INTO {HISTORY}.versions VALUES (?, ?, 'delta')", [version, mart])


def _replace_whole(conn: duckdb.DuckDBPyConnection, mart: str, version: int) -> None:
    if table_exists(conn, PUBLISHED, mart):
        conn.execute(f"CREATE TABLE {HISTORY}.{mart}__v{version} AS SELECT * FROM {PUBLISHED}.{mart}")
    conn.execute(f"CREATE OR REPLACE TABLE {PUBLISHED}.{mart} AS SELECT * FROM {AUDIT}.{mart}")
    conn.execute(f"INSERT INTO {HISTORY}.versions VALUES (?, ?, 'full')", [version, mart])


def _prune(conn: duckdb.DuckDBPyConnection, through: int) -> None:
    """Forget the undo of versions up to `through` (they can no longer be rolled back)."""
    old = conn.execute(f"SELECT version, mart, kind FROM {HISTORY}.versions WHERE version <= ?", [through]).fetchall()
    for version, mart, kind in old:
        if kind == "full":
            conn.execute(f"DROP TABLE IF EXISTS {HISTORY}.{mart}__v{int(version)}")
        elif table_exists(conn, HISTORY, mart):
            conn.execute(f"DELETE FROM {HISTORY}.{mart} WHERE _version = ?", [version])
    conn.execute(f"DELETE FROM {HISTORY}.version_keys WHERE version <= ?", [through])
    conn.execute(f"DELETE FROM {HISTORY}.versions WHERE version <= ?", [through])


class RollbackRefused(RuntimeError):
    """Nothing to roll back to: `published` was not touched."""


@dataclass(frozen=True)
class RollbackResult:
    rolled_back: int
    version: int


def rollback(db_path: Path) -> RollbackResult:
    """Restore the version published before the latest one, in one transaction, from `published_history`.

    The rolled-back version leaves `ops.publish_log` (it is recorded in `ops.publish_rollbacks`), and the next
    publish brings `published` to `audit` again."""
    conn = connect(db_path)
    try:
        last = _last_version(conn)
        if last is None:
            raise RollbackRefused("nothing is published; nothing to roll back")
        previous = conn.execute(f"SELECT max(version) FROM {OPS}.publish_log WHERE version < ?", [last]).fetchone()[0]
        kinds = (
            conn.execute(f"SELECT mart, kind FROM {HISTORY}.versions WHERE version = ? ORDER BY mart", [last]).fetchall()
            if table_exists(conn, HISTORY, "versions")
            else []
        )
        if previous is None or not kinds:
            raise RollbackRefused(
                f"version {last} is the oldest one kept (publish.keep_versions in orderlayer.yml); nothing to roll back to"
            )
        conn.execute("BEGIN TRANSACTION")
        try:
            ensure_ops(conn, *PENDING_TABLES)
            for mart, kind in kinds:
                if kind == "delta":
                    keys = (
                        f"(SELECT order_key FROM {HISTORY}.version_keys "
                        f"WHERE version = {int(last)} AND scope = '{ORDER_SCOPES[mart]}')"
                    )
                    conn.execute(f"DELETE FROM {PUBLISHED}.{mart} WHERE order_key IN {keys}")
                    conn.execute(
                        f"INSERT INTO {PUBLISHED}.{mart} SELECT * EXCLUDE (_version) FROM {HISTORY}.{mart} WHERE _version = ?",
                        [last],
                    )
                    conn.execute(f"DELETE FROM {HISTORY}.{mart} WHERE _version = ?", [last])
                elif table_exists(conn, HISTORY, f"{mart}__v{int(last)}"):
                    conn.execute(f"CREATE OR REPLACE TABLE {PUBLISHED}.{mart} AS SELECT * FROM {HISTORY}.{mart}__v{int(last)}")
                    conn.execute(f"DROP TABLE {HISTORY}.{mart}__v{int(last)}")
                else:  # new in the rolled-back version
                    conn.execute(f"DROP TABLE IF EXISTS {PUBLISHED}.{mart}")
            delta = all(kind == "delta" for mart, kind in kinds if mart in ORDER_SCOPES)
            if delta:  # the next publish re-applies the rolled-back orders (audit still holds them)
                conn.execute(
                    f"INSERT INTO {OPS}.unpublished_keys SELECT scope, order_key FROM {HISTORY}.version_keys WHERE version = ?",
                    [last],
                )
                journal_orders(
                    conn, PUBLISHED, f"SELECT scope, order_key FROM {HISTORY}.version_keys WHERE version = {int(last)}"
                )
            else:
                journal_whole(conn, PUBLISHED)
            conn.execute(
                f"INSERT INTO {OPS}.unpublished_builds VALUES (?, ?)", [datetime.now(UTC), "incremental" if delta else "rollback"]
            )
            conn.execute(f"DELETE FROM {HISTORY}.version_keys WHERE version = ?", [last])
            conn.execute(f"DELETE FROM {HISTORY}.versions WHERE version = ?", [last])
            log = conn.execute(
                f"SELECT to_json(p) FROM {OPS}.publish_log AS p WHERE version = ?", [last]
            ).fetchone()[0]
            conn.execute(f"INSERT INTO {OPS}.publish_rollbacks VALUES (?, ?, ?)", [last, datetime.now(UTC), log])
            conn.execute(f"DELETE FROM {OPS}.publish_log WHERE version = ?", [last])
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise PublishFailed(f"rolling back version {last} failed and was undone; {PUBLISHED} is unchanged: {exc}") from exc
    finally:
        conn.close()
    return RollbackResult(rolled_back=int(last), version=int(previous))
