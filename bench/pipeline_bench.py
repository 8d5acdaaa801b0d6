"""Benchmark the main job on N sandbox orders: seconds and peak memory per stage.

    python bench/pipeline_bench.py --orders 1000000 [--shops 3] [--workdir bench/out]

Each stage runs as the real CLI (`orderlayer sync|build|check|publish`) in a subprocess. Peak memory is
the largest summed RSS of the stage's whole process tree (CLI + tap + target, or CLI + dbt), sampled
every 100 ms from /proc (Linux). The sandbox runs in this process with its rate limit off and the tap's
request budget raised, so the figures measure orderlayer, not the platform's QPS limit.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from orderlayer.sandboxes.douyin.server import DouyinSandbox
from procmem import run_stage  # bench/ is on sys.path when this file runs as a script

APP_KEY, APP_SECRET = "7301234567890123456", "bench-app-secret"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    work = args.workdir.resolve() / f"pipeline-{args.orders}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    as_of = datetime.now(timezone.utc).replace(microsecond=0)
    shops = [str(7784061 + i) for i in range(args.shops)]

    t0 = time.perf_counter()
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, args.seed, as_of, args.orders, shops, qps=None)
    base_url = sandbox.start()
    setup = time.perf_counter() - t0

    env = dict(os.environ, BENCH_APP_KEY=APP_KEY, BENCH_APP_SECRET=APP_SECRET, ORDERLAYER_PII_SALT="bench-salt")
    connections = {}
    for shop in shops:
        env[f"BENCH_TOKEN_{shop}"] = sandbox.access_token(shop)
        env[f"BENCH_REFRESH_{shop}"] = sandbox.refresh_token(shop)
        connections[f"douyin_{shop}"] = {
            "source": "douyin",
            "shop_id": shop,
            "base_url": base_url,
            "start_date": datetime.fromtimestamp(sandbox.generator.start_ts, timezone.utc).isoformat(),
            "credentials": {
                "app_key": "BENCH_APP_KEY",
                "app_secret": "BENCH_APP_SECRET",
                "access_token": f"BENCH_TOKEN_{shop}",
                "refresh_token": f"BENCH_REFRESH_{shop}",
            },
            "options": {"window_seconds": 86400, "max_requests_per_second": 100000, "end_date": as_of.isoformat()},
        }
    config = work / "orderlayer.yml"
    config.write_text(yaml.safe_dump({"database": str(db), "connections": connections}), encoding="utf-8")

    cli = str(Path(sys.executable).with_name("orderlayer"))
    rows = []
    try:
        for stage in ("sync", "build", "check", "publish"):
            seconds, peak, rc = run_stage(stage, [cli, stage, "--config", str(config)], work, env)
            rows.append((stage, seconds, peak, rc))
            if rc != 0:
                break
    finally:
        sandbox.stop()

    print(f"\norderlayer pipeline bench — {args.orders:,} orders, {args.shops} shop(s), {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"sandbox set-up (index {args.orders:,} orders): {setup:.1f} s")
    print(f"{'stage':<8} {'seconds':>9} {'peak RSS (MiB)':>15}  status")
    for stage, seconds, peak, rc in rows:
        print(f"{stage:<8} {seconds:>9.1f} {peak / 2**20:>15.0f}  {'ok' if rc == 0 else f'exit {rc}'}")
    print(f"{'total':<8} {sum(r[1] for r in rows):>9.1f}")
    size = db.stat().st_size if db.exists() else 0
    print(f"database: {size / 2**20:.0f} MiB at {db}")
    return 0 if all(r[3] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
