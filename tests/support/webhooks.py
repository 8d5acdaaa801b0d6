"""A channel sandbox pushing its webhooks into a real `orderlayer serve` the way a platform does (duplicates,
reordering, forged copies, retries), then landing the spool: the end-to-end half every webhook channel's tests share."""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

import yaml
from tests.core.test_serve import Running, _free_port

from orderlayer.core.push_landing import land_pushes
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.kit.push import WebhookPusher

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from orderlayer.core.config import Settings
    from orderlayer.sandboxes.kit.channel import ChannelSandbox


@dataclass(frozen=True)
class Pushed:
    settings: Settings
    #: the pusher's stats (sandboxes/kit/push.py) and serve's counts for the connection (/health)
    stats: dict[str, int]
    counts: dict[str, t.Any]


def push_through_serve(
    project: Path,
    sandbox: ChannelSandbox,
    path: str,
    shops: t.Sequence[str] | None,
    *,
    seed: int,
    steps: int = 12,
    step_seconds: int = 6 * 3600,
) -> Pushed:
    """Serve ``project`` in this process, subscribe ``path`` to the webhooks of ``shops`` (None: all) with every fault on, move the
    sandbox clock ``steps`` times by ``step_seconds``, wait until every delivery is acknowledged or given up, stop
    serve and land the spool (each landing must succeed). Checks that no forged copy was acknowledged."""
    served = Running(project).start()
    start = sandbox.now_ts
    try:
        pusher = WebhookPusher(served.url + path, sandbox.push_acknowledged, seed=seed, duplicate_rate=0.3, reorder=True, forge_rate=0.2, backoff_seconds=0.05)
        sandbox.subscribe(pusher, shops=shops)
        try:
            for step in range(1, steps + 1):
                sandbox.advance(start + step * step_seconds)
            assert pusher.drain(60), "the pusher did not finish"
            stats = pusher.stats()
        finally:
            pusher.close()
        counts = served.health()["pushes"][path.rsplit("/", 1)[-1]]
    finally:
        served.stop()
    assert stats["acknowledged"] == stats["queued"] > 30 and stats["given_up"] == 0
    assert stats["duplicates"] > 0 and stats["forged_sent"] > 0 and stats["forged_accepted"] == 0
    assert counts["rejected"] == stats["forged_sent"]
    results = land_pushes(served.settings)
    assert results and all(r.status == "ok" for r in results), results
    return Pushed(served.settings, stats, counts)


def write_project(tmp_path: Path, connections: dict[str, dict], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """orderlayer.yml with these connections and serve on a free port (landing left to the test); ``env`` holds the
    values their credentials name."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = {
        "database": str(tmp_path / "wh" / "w.duckdb"),
        "connections": connections,
        # serve only receives: the test lands the spool itself and compares raw with a sync of its own
        "serve": {"host": "127.0.0.1", "port": _free_port(), "land_every_seconds": 3600, "reconcile_at_start": False, "micro_batches": False},
    }
    path = tmp_path / "orderlayer.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def raw_records(db: Path, table: str, connection: str | None = None) -> list[dict]:
    """The records of ``raw.<table>`` (of one connection, or all) in landing order (none when nothing landed there)."""
    con = connect(db, read_only=True)
    try:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [table]).fetchone()[0]:
            return []
        sql = f"select _record::varchar from raw.{table} where ? is null or _connection = ? order by _landed_seq"
        return [json.loads(r[0]) for r in con.execute(sql, [connection, connection]).fetchall()]
    finally:
        con.close()
