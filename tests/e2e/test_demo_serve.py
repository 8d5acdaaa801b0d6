"""`orderlayer demo --serve`: the pushing sandboxes replay their history into a real `orderlayer serve` process and
each change is followed to `published`; the command ends cleanly after --seconds with the lag it measured, and
`orderlayer status` on the config it wrote tells the push channel's state."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.demo_settings import ORDERLAYER

pytestmark = pytest.mark.e2e


def test_demo_serve_publishes_the_changes_it_pushes_and_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    env = {**os.environ, "ORDERLAYER_PII_SALT": "demo-serve-test-salt"}
    done = subprocess.run(
        [ORDERLAYER, "demo", "--serve", "--seconds", "20", "--orders", "300", "--shops", "1", "--changes-per-minute", "120", "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    final = re.search(r"(\d+) changes published; lag p50 ([\d.]+) s, p95 ([\d.]+) s", done.stdout)
    assert final is not None and int(final.group(1)) > 0, done.stdout[-2000:]
    assert "still on their way" not in done.stdout  # every pushed change reached published before it stopped

    config = tmp_path / "live.orderlayer.yml"
    status = subprocess.run([ORDERLAYER, "status", "--config", str(config), "--format", "json"], capture_output=True, text=True, env=env, timeout=120)
    assert status.returncode == 0, status.stderr
    (douyin,) = json.loads(status.stdout)
    assert douyin["source"] == "douyin" and douyin["push"] == "webhook" and douyin["backlog"] == 0
    assert douyin["last_push"] is not None and douyin["version"] >= 2 and douyin["lag_seconds"] == 0, douyin
