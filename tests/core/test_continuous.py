"""Serve's writer (core/continuous.py; docs/continuous.md): at start the reconcile poll syncs, builds, checks and
publishes; a push that lands is followed by a micro-batch (an incremental build, the check, a publish) without any
other command; /metrics, /health and `orderlayer status` tell it; logs are JSON lines without personal data; a
reader is never blocked meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import requests
import yaml

from orderlayer.core.config import load_settings
from orderlayer.core.warehouse import connect
from orderlayer.sandboxes.kuaidi100.server import Kuaidi100Sandbox
from tests.support.serving import wait_until_serving
from tests.core.test_serve import ENV, NUMBERS, _orderlayer, project, sandbox  # noqa: F401 - the fixtures

__all__ = ["project", "sandbox"]


def _wait(url: str, done: object, what: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = requests.get(url, timeout=5).json()
        except requests.ReadTimeout:
            raise AssertionError(f"/health took more than 5 s while waiting for: {what}") from None
        if done(health):  # type: ignore[operator]
            return health
        assert time.monotonic() < deadline, f"{what}: {health}"
        time.sleep(0.3)


def test_serve_polls_at_start_then_publishes_what_pushes_land_in_micro_batches(project: Path, sandbox: Kuaidi100Sandbox) -> None:  # noqa: F811
    config = yaml.safe_load(project.read_text(encoding="utf-8"))
    config["serve"].update(land_every_seconds=0.2, micro_batches=True, publish_every_seconds=0, reconcile_at_start=True, reconcile_every_minutes=60)
    project.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = config["serve"]["port"]
    env = {**os.environ, **ENV}
    log_path = project.parent / "serve.log"  # a file, not a pipe nobody reads until the end: a full pipe blocks a logger
    with log_path.open("w", encoding="utf-8") as out:
        serve = subprocess.Popen(_orderlayer("serve", "--config", str(project), "--log-format", "json"), stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    health_url = f"http://127.0.0.1:{port}/health"
    try:
        wait_until_serving(serve, port, timeout=30, describe=log_path.read_text(encoding="utf-8")[-3000:])
        polled = _wait(health_url, lambda h: h["polls"] == 1, "the reconcile poll at start did not finish")
        first = polled["last_poll"]["published_version"]
        assert first == 1 and polled["last_poll"]["verdict"] in ("green", "yellow"), polled

        assert sandbox.push(NUMBERS[0])["result"] is True  # Kuaidi100 pushes to serve's URL; serve lands it and builds
        batched = _wait(health_url, lambda h: h["batches"] >= 1 and h["unbuilt_rows"] == 0 and not h["spooled"].get("kd"), "no micro-batch followed the push")
        assert batched["pushes"]["kd"]["accepted"] == 1 and batched["landings"] >= 1 and batched["failures"] == 0, batched
        assert batched["last_batch"]["verdict"] in ("green", "yellow"), batched

        # a reader meanwhile: never a lock error
        read = subprocess.run(_orderlayer("sql", "select count(*) as n from published.fct_orders", "--config", str(project), "--format", "json"), capture_output=True, text=True, env=env, timeout=120)
        assert read.returncode == 0, read.stderr

        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'orderlayer_pushes_total{connection="kd",outcome="accepted"} 1.0' in metrics.text
        assert "orderlayer_reconcile_polls_total 1.0" in metrics.text
        assert f"orderlayer_micro_batches_total {float(batched['batches'])}" in metrics.text
        assert 'orderlayer_spooled_items' in metrics.text and "orderlayer_writer_failures_total 0.0" in metrics.text

        status = subprocess.run(_orderlayer("status", "--config", str(project), "--format", "json"), capture_output=True, text=True, env=env, timeout=120)
        assert status.returncode == 0, status.stderr
        (kd,) = json.loads(status.stdout)
        assert kd["connection"] == "kd" and kd["push"] == "webhook" and kd["backlog"] == 0 and kd["rejected"] == 0
        assert kd["last_push"] is not None and kd["last_poll"] is not None and kd["last_landing"] is not None
        assert kd["version"] >= first and kd["lag_seconds"] == 0, kd
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        log = log_path.read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    assert {"ts", "level", "logger", "message"} <= set(entries[0]), entries[0]
    messages = [e["message"] for e in entries]
    assert any("reconcile poll:" in m for m in messages) and any("micro-batch:" in m for m in messages), messages
    assert not any(n in log for n in NUMBERS), "a waybill number reached the log"
    assert "Traceback" not in log

    con = connect(Path(load_settings(project).database), read_only=True)
    try:
        runs = dict(con.execute("select command, count(*) from ops.runs group by command").fetchall())
        failed = con.execute("select count(*) from ops.runs where status = 'failed'").fetchone()[0]
    finally:
        con.close()
    assert runs.get("serve reconcile poll") == 1 and runs.get("serve micro-batch", 0) >= 1 and failed == 0, runs
