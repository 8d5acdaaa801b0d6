"""`orderlayer status`: per connection, how fresh its data is (docs/continuous.md).

It reads what is on disk, from any process, while `serve` runs or not: the spool's log and backlog
(core/push_spool.py) for pushes, and the read snapshot's ops records for polls and publishes (it never waits for a
writer). A connection is *behind* when something of it was received or landed after the last publish (or is still
spooled): its lag is then the time since that publish; otherwise it is up to date (lag 0).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from orderlayer.core.push_spool import PushSpool, spool_path
from orderlayer.core.registry import source
from orderlayer.core.warehouse import OPS, connect, reader_path, table_exists

if TYPE_CHECKING:
    from orderlayer.core.config import Settings

COLUMNS = ["connection", "source", "push", "last_push", "rejected", "last_landing", "last_poll", "backlog", "last_publish", "version", "lag_seconds"]


@dataclass(frozen=True)
class ConnectionStatus:
    connection: str
    source: str
    #: "webhook", "consumer" or "poll only"
    push: str
    last_push: str | None
    rejected: int
    last_landing: str | None
    last_poll: str | None
    backlog: int
    last_publish: str | None
    version: int | None
    lag_seconds: int | None

    def row(self) -> list[object]:
        return [getattr(self, c) for c in COLUMNS]

    def to_dict(self) -> dict:
        return asdict(self)


def _iso(value: object) -> str | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _ops(db_path: object) -> tuple[dict[str, str], tuple[str, int] | None]:
    """connection -> its last successful poll (a sync that moved a bookmark); and the last publish (at, version)."""
    polls: dict[str, str] = {}
    publish = None
    try:
        con = connect(reader_path(db_path), read_only=True)  # type: ignore[arg-type]
    except duckdb.Error:
        return polls, publish
    try:
        if table_exists(con, OPS, "sync_runs"):
            for name, at in con.execute(
                f"select connection, max(finished_at) from {OPS}.sync_runs where status = 'ok' and bookmark_after is not null group by connection"
            ).fetchall():
                polls[name] = _iso(at)  # type: ignore[assignment]
        if table_exists(con, OPS, "publish_log"):
            row = con.execute(f"select published_at, version from {OPS}.publish_log order by version desc limit 1").fetchone()
            publish = None if row is None else (_iso(row[0]), int(row[1]))
    finally:
        con.close()
    return polls, publish  # type: ignore[return-value]


def connection_status(settings: Settings, now: datetime | None = None) -> list[ConnectionStatus]:
    now = now or datetime.now(UTC)
    db = settings.database
    if not db.exists():
        from orderlayer.core.config import ConfigError

        raise ConfigError(f"database {db} not found; run `orderlayer demo`, `orderlayer run` or `orderlayer serve` first")
    polls, publish = _ops(db)
    log: dict[str, dict[str, tuple[int, str]]] = {}
    backlog: dict[str, int] = {}
    if spool_path(db).exists():
        try:
            with PushSpool(spool_path(db)) as spool:
                log, backlog = spool.log(), spool.counts()
        except sqlite3.Error:
            pass  # an unreadable spool shows as no pushes; serve's own log says why
    published_at = None if publish is None else datetime.fromisoformat(publish[0])
    found = []
    for name, conn in settings.connections.items():
        spec = source(conn.source)
        outcomes = log.get(name, {})
        pushed = [at for outcome, (_, at) in outcomes.items() if outcome in ("accepted", "duplicate")]
        last_push = _iso(max(pushed)) if pushed else None
        last_landing = _iso(outcomes["landed"][1]) if "landed" in outcomes else None
        newest = [datetime.fromisoformat(t) for t in (last_push, last_landing, polls.get(name)) if t is not None]
        behind = backlog.get(name, 0) > 0 or (bool(newest) and (published_at is None or max(newest) > published_at))
        lag = None if published_at is None else int((now - published_at).total_seconds()) if behind else 0
        found.append(
            ConnectionStatus(
                connection=name,
                source=conn.source,
                push="webhook" if spec.receiver else "consumer" if spec.consumer else "poll only",
                last_push=last_push,
                rejected=outcomes.get("rejected", (0, ""))[0],
                last_landing=last_landing,
                last_poll=polls.get(name),
                backlog=backlog.get(name, 0),
                last_publish=None if publish is None else publish[0],
                version=None if publish is None else publish[1],
                lag_seconds=lag,
            )
        )
    return found
