"""`orderlayer run` twice against a Douyin sandbox: the second run finds nothing new, builds nothing, re-uses the
first run's verdict (core/check_reuse.py), publishes no new version and leaves the readers' snapshot untouched
(no copy of what readers read: docs/operations.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from orderlayer.sandboxes.douyin.server import DouyinSandbox

APP_KEY, APP_SECRET, SHOP = "7301234567890123456", "e2e-app-secret", "7784061"
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))


def test_a_run_with_nothing_new_reuses_the_verdict_and_publishes_nothing(tmp_path: Path) -> None:
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, 3, as_of, 40, [SHOP], qps=None)
    base_url = sandbox.start()
    try:
        env = dict(os.environ, E2E_APP_KEY=APP_KEY, E2E_APP_SECRET=APP_SECRET, ORDERLAYER_PII_SALT="e2e-salt",
                   E2E_TOKEN=sandbox.access_token(SHOP), E2E_REFRESH=sandbox.refresh_token(SHOP))  # fmt: skip
        db = tmp_path / "w.duckdb"
        connection = {
            "source": "douyin",
            "shop_id": SHOP,
            "base_url": base_url,
            "start_date": datetime.fromtimestamp(sandbox.generator.start_ts, UTC).isoformat(),
            "credentials": {"app_key": "E2E_APP_KEY", "app_secret": "E2E_APP_SECRET", "access_token": "E2E_TOKEN",
                            "refresh_token": "E2E_REFRESH"},  # fmt: skip
            "options": {"window_seconds": 86400, "end_date": as_of.isoformat()},
        }
        (tmp_path / "orderlayer.yml").write_text(
            yaml.safe_dump({"database": str(db), "connections": {"douyin": connection},
                            # the sandbox's orders are weeks old by the wall clock dbt's freshness uses
                            "gates": {"freshness_error_hours": 24 * 3650, "freshness_warn_minutes": 60 * 24 * 3000}}),
            encoding="utf-8",
        )  # fmt: skip

        def orderlayer(*args: str) -> subprocess.CompletedProcess:
            done = subprocess.run([ORDERLAYER, *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            return done

        first = orderlayer("run")
        assert "published" in first.stdout and "nothing built since" not in first.stdout
        snapshot = tmp_path / "w.snapshot.duckdb"
        written = snapshot.stat()
        second = orderlayer("run")
        out = " ".join(second.stdout.split())  # rich wraps long lines
        assert "nothing new" in out
        con = duckdb.connect(str(db), read_only=True)
        try:
            (first_run,) = con.execute("select run_id from ops.check_runs").fetchone()
            runs = con.execute("select status from ops.runs order by started_at").fetchall()
            versions = con.execute("select count(*) from ops.publish_log").fetchone()[0]
            published_orders = con.execute("select count(*) from published.fct_orders").fetchone()[0]
        finally:
            con.close()
        assert f"nothing built since run {first_run}: its verdict still holds" in out
        assert runs == [("published",), ("unchanged",)]
        assert versions == 1  # the second run published no new version
        # the second run changed nothing readers read: the snapshot file is the first run's, not a new copy
        assert (snapshot.stat().st_ino, snapshot.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
        # readers still read it, and see the first run's published orders
        shown = orderlayer("sql", "select count(*) as n from published.fct_orders", "--format", "json", "--db", str(db))
        assert json.loads(shown.stdout) == [{"n": published_orders}] and published_orders > 0

    finally:
        sandbox.stop()
