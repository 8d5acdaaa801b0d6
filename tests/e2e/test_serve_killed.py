"""Nothing acknowledged is lost (issue 15): `orderlayer serve` is killed (SIGKILL, with its children: a dbt build in
progress dies with it) at random moments, 20 times, while the Douyin sandbox keeps changing orders and pushing them
like the platform (redelivery until acknowledged, duplicates, reordering, forged copies). After a restart whose
reconcile poll runs, raw holds every version of every order the sandbox holds exactly once, no forged push reached
raw, and the published facts equal those of a fresh full sync of the same sandbox."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

from orderlayer.core.config import load_settings
from orderlayer.core.continuous import LogProgress
from orderlayer.core.pipeline import run
from orderlayer.core.warehouse import connect, reader_path
from orderlayer.sandboxes.douyin.server import DouyinSandbox
from orderlayer.sandboxes.kit.push import WebhookPusher
from tests.support.serving import wait_until_serving

ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
APP_KEY, APP_SECRET = "1234567890123456789", "killed-serve-app-secret"
SHOP = "7784061"
AS_OF = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
REPLAY = dt.timedelta(days=4)
TRIALS = 20
#: the marts compared with a fresh full sync's, and the columns that tell when a row was synced (not what it says)
MARTS = ("fct_orders", "fct_order_lines", "fct_refunds")
WHEN_SYNCED = ("source_synced_at",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _project(tmp_path: Path, sandbox: DouyinSandbox, name: str, port: int) -> Path:
    secrets = sandbox.connection(SHOP)
    env = {f"DY_{key.upper()}": secrets[key] for key in ("app_key", "app_secret", "access_token", "refresh_token")}
    os.environ.update(env)
    os.environ.setdefault("ORDERLAYER_PII_SALT", "killed-serve-salt")
    config = {
        "database": str(tmp_path / name / "w.duckdb"),
        "reporting_timezone": "Asia/Shanghai",
        "connections": {"dy": {
            "source": "douyin", "shop_id": SHOP, "base_url": sandbox.base_url,
            "start_date": (AS_OF - dt.timedelta(days=31)).isoformat(), "timezone": "Asia/Shanghai", "currency": "CNY",
            "credentials": {key: f"DY_{key.upper()}" for key in ("app_key", "app_secret", "access_token", "refresh_token")},
            "options": {"push": True, "max_requests_per_second": 10_000, "retry_base_seconds": 0.001, "window_seconds": 4 * 86_400},
        }},
        "serve": {"host": "127.0.0.1", "port": port, "land_every_seconds": 0.2, "publish_every_seconds": 0, "reconcile_at_start": False},
    }
    path = tmp_path / name / "orderlayer.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _start(project: Path, log: Path) -> subprocess.Popen:
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen([ORDERLAYER, "serve", "--config", str(project)], stdout=out, stderr=subprocess.STDOUT,
                                env=dict(os.environ), start_new_session=True)
    wait_until_serving(proc, load_settings(project).serve.port, describe=log.read_text(encoding="utf-8")[-3000:])
    return proc


def _wait_for_a_batch(port: int) -> int:
    deadline = time.monotonic() + 300
    while (health := requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json())["batches"] < 1:
        assert time.monotonic() < deadline and health["failures"] == 0, health
        time.sleep(0.3)
    return 1


def _marts(db: Path) -> dict[str, list[tuple]]:
    con = connect(reader_path(db), read_only=True)
    try:
        found = {}
        for mart in MARTS:
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'published' and table_name = ? order by ordinal_position", [mart]
            ).fetchall() if c not in WHEN_SYNCED]
            found[mart] = sorted(con.execute(f"select {', '.join(columns)} from published.{mart}").fetchall(), key=repr)  # noqa: S608 - our marts
        return found
    finally:
        con.close()


def test_serve_killed_at_random_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(15)
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, 11, AS_OF, 240, [SHOP], clock=AS_OF - REPLAY, push_batch=5)
    sandbox.start()
    port = _free_port()
    project = _project(tmp_path, sandbox, "killed", port)
    settings = load_settings(project)
    first = run(settings, LogProgress("first run"), end_date=AS_OF - REPLAY + dt.timedelta(seconds=1))
    assert first.published_version == 1

    log = tmp_path / "serve.log"
    pusher = WebhookPusher(f"http://127.0.0.1:{port}/push/douyin/dy", sandbox.push_acknowledged, seed=15, backoff_seconds=0.25,
                           max_attempts=12, duplicate_rate=0.2, reorder=True, forge_rate=0.1)
    sandbox.subscribe(pusher)
    step = REPLAY / (TRIALS * 4)  # 3 steps a trial, 4 in every tenth: the replay ends before AS_OF
    try:
        published = 0
        for trial in range(TRIALS):
            serve = _start(project, log)
            for _ in range(3):  # changes keep coming while serve lands, fetches, builds and publishes
                sandbox.advance(sandbox.now + step)
                time.sleep(rng.uniform(0.1, 1.2))
            if trial % 10 == 9:  # now and then serve finishes a micro-batch first: killed as it lands the next pushes
                published += _wait_for_a_batch(port)
                sandbox.advance(sandbox.now + step)
                time.sleep(rng.uniform(0.0, 0.5))
            os.killpg(serve.pid, signal.SIGKILL)  # serve and whatever it runs (a dbt build)
            serve.wait()
        assert published == TRIALS // 10
        sandbox.advance(AS_OF)

        # the restart's reconcile poll lands what no push told of (the platform gave up, or it was never pushed)
        config = yaml.safe_load(project.read_text(encoding="utf-8"))
        config["serve"]["reconcile_at_start"] = True
        project.write_text(yaml.safe_dump(config), encoding="utf-8")
        serve = _start(project, log)
        try:
            assert pusher.drain(120), pusher.stats()
            deadline = time.monotonic() + 600
            while True:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
                if health["polls"] >= 1 and not any(health["spooled"].values()) and health["unbuilt_rows"] == 0:
                    break
                assert time.monotonic() < deadline, health
                time.sleep(0.5)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
    finally:
        sandbox.subscribe(None)
        pusher.close()
    stats = pusher.stats()
    assert stats["given_up"] == 0 and stats["forged_accepted"] == 0 and stats["forged_sent"] > 0, stats
    assert stats["retried"] > 0  # some deliveries met a dead serve and were sent again
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text, text[-3000:]

    con = connect(settings.database, read_only=True)
    try:
        versions = con.execute(
            "select _record->>'order_id', (_record->>'update_time')::bigint, count(*) from raw.douyin__orders group by 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert max(n for _, _, n in versions) == 1  # each version once, however often it was pushed, fetched or polled
    landed = {(order_id, updated) for order_id, updated, _ in versions}
    gen = sandbox.generator
    current = {(gen.order_id_of(i), sandbox.update_time_of(i)) for i in gen.indexes_for_shop(SHOP) if gen.create_time_of(i) <= sandbox.now_ts}
    assert current <= landed  # every order the sandbox holds, as it is now

    fresh = load_settings(_project(tmp_path, sandbox, "fresh", _free_port()))
    assert run(fresh, LogProgress("fresh"), end_date=sandbox.now + dt.timedelta(seconds=1)).published_version == 1
    killed, synced = _marts(settings.database), _marts(fresh.database)
    for mart in MARTS:
        assert killed[mart] == synced[mart], mart
    sandbox.stop()
