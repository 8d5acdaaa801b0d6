"""A channel sandbox pushing through a real `orderlayer serve` (uvicorn in a thread, tests/core/test_serve.py's
``Running``) the way its platform does: a WebhookPusher with retries, duplicates, reordering and forged copies while
the sandbox clock moves, then the spool landed. The channel push tests share it (tests/taps/<source>/test_push.py)."""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass

import yaml

from orderlayer.core.push_landing import land_pushes
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.kit.push import WebhookPusher
from tests.core.test_serve import Running, _free_port

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence
    from pathlib import Path

    import pytest

    from orderlayer.core.config import Settings
    from orderlayer.sandboxes.kit.channel import ChannelSandbox

__all__ = ["Pushed", "push_through_serve", "raw_records", "raw_texts", "serve_project"]


def serve_project(
    tmp_path: Path,
    connections: dict[str, dict],
    *,
    env: dict[str, str] | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
    url_option: str | None = None,
) -> tuple[Path, dict[str, str]]:
    """orderlayer.yml with these connections and serve on a free port, serve only receiving (no reconcile poll, no
    micro-batches: the test lands the spool itself); returns its path and each connection's push URL, which
    ``url_option`` names in its options (Meituan signs it). ``env``: the values the credentials name."""
    for key, value in (env or {}).items():
        assert monkeypatch is not None, "env needs monkeypatch"
        monkeypatch.setenv(key, value)
    port = _free_port()
    urls = {name: f"http://127.0.0.1:{port}/push/{conn['source']}/{name}" for name, conn in connections.items()}
    if url_option:
        connections = {name: {**conn, "options": {**conn.get("options", {}), url_option: urls[name]}} for name, conn in connections.items()}
    path = tmp_path / "orderlayer.yml"
    path.write_text(yaml.safe_dump({
        "database": str(tmp_path / "wh" / "w.duckdb"),
        "connections": connections,
        "serve": {"host": "127.0.0.1", "port": port, "land_every_seconds": 3600, "reconcile_at_start": False, "micro_batches": False},
    }), encoding="utf-8")
    return path, urls


@dataclass(frozen=True)
class Pushed:
    settings: Settings
    #: the pusher's stats (sandboxes/kit/push.py) and serve's counts for the connection pushed to (/health)
    stats: dict[str, int]
    counts: dict[str, t.Any]

    @property
    def db(self) -> Path:
        return self.settings.database


def push_through_serve(
    project: Path,
    push_url: str,
    sandbox: ChannelSandbox,
    steps: Sequence[dt.datetime | int],
    *,
    seed: int,
    shops: Sequence[str] | None = None,
    land_each_step: bool = True,
) -> Pushed:
    """Serve ``project`` while ``sandbox`` pushes the changes of ``shops`` (None: all) to ``push_url`` with every fault
    on, its clock moved to each of ``steps``; the spool is landed after each step (``land_each_step``) or once at the
    end, every landing succeeding. Checks what holds for any correct receiver: every delivery acknowledged (none given
    up), every forged copy refused and counted as rejected, duplicates and forgeries actually sent."""
    running = Running(project).start()
    pusher = WebhookPusher(push_url, sandbox.push_acknowledged, seed=seed, workers=2, backoff_seconds=0.05,
                           duplicate_rate=0.3, reorder=True, forge_rate=0.3)
    sandbox.subscribe(pusher, shops=shops)
    try:
        for step in steps:
            sandbox.advance(step)
            if land_each_step:
                assert pusher.drain(60), "the pusher did not finish"
                assert all(r.status == "ok" for r in land_pushes(running.settings))
        assert pusher.drain(60), "the pusher did not finish"
        stats = pusher.stats()
        counts = running.health()["pushes"][push_url.rsplit("/", 1)[-1]]
    finally:
        sandbox.subscribe(None)
        pusher.close()
        running.stop()
    assert stats["acknowledged"] == stats["queued"] and stats["given_up"] == 0, stats
    assert stats["duplicates"] > 0 and stats["forged_sent"] > 0 and stats["forged_accepted"] == 0, stats
    assert counts["rejected"] == stats["forged_sent"], (counts, stats)
    results = land_pushes(running.settings)
    assert all(r.status == "ok" for r in results), results
    return Pushed(running.settings, stats, counts)


def raw_texts(db: Path, table: str, connection: str | None = None) -> list[str]:
    """The records of ``raw.<table>`` (of one connection, or all) as stored text, in landing order (none when
    nothing landed there)."""
    con = connect(db, read_only=True)
    try:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?", [table]).fetchone()[0]:
            return []
        sql = f"select _record::varchar from raw.{table} where ? is null or _connection = ? order by _landed_seq"  # noqa: S608 - a test's table name
        return [text for (text,) in con.execute(sql, [connection, connection]).fetchall()]
    finally:
        con.close()


def raw_records(db: Path, table: str, connection: str | None = None) -> list[dict]:
    """:func:`raw_texts` parsed."""
    return [json.loads(text) for text in raw_texts(db, table, connection)]
