"""Write-audit-publish, last step: copy the audited marts to `published` in one transaction.

Red never publishes. Otherwise every listed mart replaces its `published` copy and the publish is
logged with an increasing version, all in one DuckDB transaction: consumers see the previous
release or the new one, never a mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orderlayer.expectations.report import GateReport, Verdict
from orderlayer.core.warehouse import AUDIT, OPS, PUBLISHED, GATE_TABLES, check_identifier, connect, ensure_ops


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


def publish(db_path: Path, run_id: str, report: GateReport, marts: list[str]) -> PublishResult:
    """Replace `published.<mart>` with `audit.<mart>` for every mart, atomically, unless the report is red."""
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

    published_at = datetime.now(UTC)
    conn = connect(db_path)
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            row_counts = {}
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED}")
            for mart in names:
                conn.execute(f"CREATE OR REPLACE TABLE {PUBLISHED}.{mart} AS SELECT * FROM {AUDIT}.{mart}")
                row_counts[mart] = conn.execute(f"SELECT count(*) FROM {PUBLISHED}.{mart}").fetchone()[0]
            ensure_ops(conn, *GATE_TABLES)
            version = conn.execute(f"SELECT coalesce(max(version), 0) + 1 FROM {OPS}.publish_log").fetchone()[0]
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
        run_id=run_id, version=int(version), published_at=published_at, verdict=report.verdict, row_counts=row_counts
    )
