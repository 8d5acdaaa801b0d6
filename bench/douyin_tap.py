"""Shared by the benches: tap-douyin against the Douyin sandbox (in this process, rate limit off)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import yaml

from orderlayer.core.config import load_settings
from orderlayer.core.sync import _executable, tap_config, tap_env
from orderlayer.sandboxes.douyin.server import DouyinSandbox

APP_KEY, APP_SECRET = "7301234567890123456", "bench-app-secret"
SHOP = "7784061"


@contextmanager
def douyin_tap(orders: int, work: Path, seed: int, database: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """A sandbox shop with `orders` orders while the block runs: (tap-douyin command, its environment); the
    tap's config, and an orderlayer.yml naming `database` with one connection `main`, are written to `work`."""
    as_of = datetime.now(timezone.utc).replace(microsecond=0)
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, seed, as_of, orders, [SHOP], qps=None)
    base_url = sandbox.start()
    try:
        connection = {
            "source": "douyin",
            "shop_id": SHOP,
            "base_url": base_url,
            "start_date": datetime.fromtimestamp(sandbox.generator.start_ts, timezone.utc).isoformat(),
            "credentials": {
                "app_key": "BENCH_APP_KEY",
                "app_secret": "BENCH_APP_SECRET",
                "access_token": "BENCH_TOKEN",
                "refresh_token": "BENCH_REFRESH",
            },
            "options": {"window_seconds": 86400, "max_requests_per_second": 100000, "end_date": as_of.isoformat()},
        }
        config = work / "orderlayer.yml"
        config.write_text(yaml.safe_dump({"database": str(database), "connections": {"main": connection}}), encoding="utf-8")
        os.environ.update(BENCH_APP_KEY=APP_KEY, BENCH_APP_SECRET=APP_SECRET, ORDERLAYER_PII_SALT="bench-salt",
                          BENCH_TOKEN=sandbox.access_token(SHOP), BENCH_REFRESH=sandbox.refresh_token(SHOP))
        settings = load_settings(config)
        conn = settings.connections["main"]
        env = tap_env("main", conn, settings)
        tap_cfg = work / "tap.json"
        tap_cfg.write_text(json.dumps(tap_config(conn, None, work / "tokens.json")), encoding="utf-8")
        yield [_executable("tap-douyin"), "--config", str(tap_cfg), "--config", "ENV"], env
    finally:
        sandbox.stop()
