"""A channel sandbox pushing through a real `orderlayer serve` (uvicorn in a thread, tests/core/test_serve.py's
``Running``) like its platform: a WebhookPusher with duplicates, reordering and forged copies, the clock advanced in
steps, each step drained and landed. The channel push tests share it (tests/taps/<source>/test_push.py)."""

from __future__ import annotations

import typing as t

import yaml

from orderlayer.core.push_landing import land_pushes
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.kit.push import WebhookPusher
from tests.core.test_serve import Running, _free_port

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from orderlayer.sandboxes.kit.channel import ChannelSandbox

__all__ = ["push_through_serve", "raw_texts", "serve_project"]


def serve_project(tmp_path: Path, connections: dict[str, dict], *, url_option: str | None = None) -> tuple[Path, dict[str, str]]:
    """orderlayer.yml with these connections and serve on a free port, serve only landing (not at once, no
    reconcile poll, no micro-batches: the test lands after each step); returns its path and each connection's push
    URL, which ``url_option`` names in its options (Meituan signs it)."""
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


def push_through_serve(
    project: Path, push_url: str, sandbox: ChannelSandbox, acknowledged: Callable[[int, bytes], bool], steps: Sequence[dt.datetime], *, seed: int
) -> tuple[Path, dict[str, int]]:
    """Serve ``project`` while ``sandbox`` pushes to ``push_url`` as its clock moves through ``steps``; after each
    step every delivery is settled and the spool landed (each landing must succeed). Returns the warehouse path
    and the pusher's stats."""
    running = Running(project).start()
    pusher = WebhookPusher(push_url, acknowledged, seed=seed, workers=2, backoff_seconds=0.05,
                           duplicate_rate=0.3, reorder=True, forge_rate=0.3)
    sandbox.subscribe(pusher)
    try:
        for step in steps:
            sandbox.advance(step)
            assert pusher.drain(30)
            assert all(r.status == "ok" for r in land_pushes(running.settings))
        return running.settings.database, pusher.stats()
    finally:
        sandbox.subscribe(None)
        pusher.close()
        running.stop()


def raw_texts(db: Path, table: str, connection: str | None = None) -> list[str]:
    """The records of ``raw.<table>`` (of one connection) as stored text, in landing order."""
    con = connect(db, read_only=True)
    try:
        where, args = ("where _connection = ?", [connection]) if connection else ("", [])
        sql = f"select _record::varchar from raw.{table} {where} order by _landed_seq"  # noqa: S608 - a test's table name
        return [text for (text,) in con.execute(sql, args).fetchall()]
    finally:
        con.close()
