"""Sync throughput split into its two processes: tap alone, loader alone, and both piped.

    python bench/sync_bench.py --orders 20000 100000 [--repeat 2] [--workdir bench/out]

For each order count, one Douyin shop is served by the sandbox (in this process, rate limit off) and
- `tap`: tap-douyin writes its Singer stream to a file (this also captures the stream for the loader);
- `loader`: target-orderlayer replays that file into a fresh DuckDB file;
- `piped`: tap-douyin | target-orderlayer through an OS pipe into a fresh DuckDB file (what `orderlayer
  sync` does, minus the CLI relaying lines).
Each run is repeated `--repeat` times and the best (fastest) is printed with its peak RSS per process
(sampled from /proc every 100 ms, bench/procmem.py) and the load average before it. The machine is shared,
so compare figures taken under a similar load.

Figures (2 cores shared with other sessions, CPython 3.11.7, x86_64, 1 shop, best of 2; "load" = 1-min load
average before the best run; records/s over the whole run, including start-up):

    orders   run      before (3a3d3aa)                  after (this branch)
                      load  s      rec/s  target MiB    load  s      rec/s  target MiB
    20,000   tap      2.1   10.2   1,970  (tap 69)      3.6    9.3   2,146  (tap 67)
    20,000   loader   2.1   12.3   1,624    656         3.9   10.2   1,969    475
    20,000   piped    2.3   22.2     902    561         4.2   20.0     998    473
    100,000  tap      4.6   50.1   1,998  (tap 70)      4.4   41.3   2,422  (tap 67)
    100,000  loader   3.5   76.6   1,305  1,140         4.9   56.8   1,759    533
    100,000  piped    3.5  165.4     605  1,121         4.0   87.7   1,140    538

The machine was busier for the "after" runs. At a quieter moment (load ~1-2), replaying the captured
100,000-order stream in-process took 71 s / 790 MiB with the first fixes but DuckDB's default 16MB
checkpoint_threshold, and 25-29 s with the threshold at 1GB. With the committed defaults (memory_limit 256MB,
checkpoint_threshold 1GB) target-orderlayer replayed 300,000 records (the 100k capture three times under
other shop ids) in 125 s at load 1.0, its RSS flat at 470-520 MiB from the first minute to the last: the
loader's memory no longer grows with the sync.
What remains per record is CPU in Python: the SDK's json.loads (parse_float=Decimal) and the canonical
re-serialisation (simplejson, sorted keys) take most of it; the tap is now the slower side of the pipe.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from douyin_tap import douyin_tap  # bench/ is on sys.path when run as a script
from orderlayer.core.sync import _executable
from procmem import PeakSampler, load_average, run_stage


def _fresh(db: Path) -> None:
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)


def _records(stream: Path) -> int:
    with open(stream, "rb") as fh:
        return sum(1 for line in fh if b'"RECORD"' in line[:32])


def _piped(tap_cmd: list[str], target_cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int, int]:
    """tap | target: (seconds, tap peak RSS, target peak RSS, exit code of the first that failed or 0)."""
    started = time.perf_counter()
    tap = subprocess.Popen(tap_cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    target = subprocess.Popen(target_cmd, cwd=cwd, env=env, stdin=tap.stdout, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    assert tap.stdout is not None
    tap.stdout.close()  # the target owns the read end now
    with PeakSampler([tap.pid, target.pid]) as sampler:
        _, stderr = target.communicate()
        tap.wait()
    seconds = time.perf_counter() - started
    if target.returncode:
        print(f"target exited {target.returncode}:\n{stderr.decode(errors='replace')[-3000:]}", file=sys.stderr)
    return seconds, sampler.peaks[tap.pid], sampler.peaks[target.pid], tap.returncode or target.returncode


def bench(orders: int, repeat: int, work: Path, seed: int) -> list[tuple]:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    with douyin_tap(orders, work, seed, db) as (tap_cmd, env):
        target_cfg = work / "target.json"
        target_cfg.write_text(json.dumps({"database": str(db), "table_prefix": "douyin", "connection": "main",
                                          "state_key": "main"}), encoding="utf-8")
        target_cmd = [_executable("target-orderlayer"), "--config", str(target_cfg)]
        stream = work / "stream.singer.jsonl"

        best: dict[str, tuple] = {}

        def keep(run: str, row: tuple) -> None:
            if row[-1] != 0:
                raise SystemExit(f"{run} failed at {orders} orders")
            if run not in best or row[1] < best[run][1]:
                best[run] = row

        for _ in range(repeat):
            load = load_average()
            with open(stream, "wb") as out:
                seconds, peak, rc = run_stage("tap", tap_cmd, work, env, stdout=out)
            keep("tap", (load, seconds, peak, 0, rc))
        records = _records(stream)
        for _ in range(repeat):
            _fresh(db)
            load = load_average()
            with open(stream, "rb") as src:
                seconds, peak, rc = run_stage("loader", target_cmd, work, env, stdin=src)
            keep("loader", (load, seconds, 0, peak, rc))
        for _ in range(repeat):
            _fresh(db)
            load = load_average()
            seconds, tap_peak, target_peak, rc = _piped(tap_cmd, target_cmd, work, env)
            keep("piped", (load, seconds, tap_peak, target_peak, rc))
        return [(orders, records, run, *row) for run, row in best.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    rows = []
    for orders in args.orders:
        rows += bench(orders, args.repeat, args.workdir.resolve() / f"sync-{orders}", args.seed)

    print(f"\norderlayer sync bench — 1 shop, best of {args.repeat}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"{'orders':>8} {'records':>8} {'run':<7} {'load avg (1/5/15)':<18} {'seconds':>8} {'records/s':>10} "
          f"{'tap MiB':>8} {'target MiB':>10}")
    for orders, records, run, load, seconds, tap_peak, target_peak, _ in rows:
        print(f"{orders:>8} {records:>8} {run:<7} {load:<18} {seconds:>8.1f} {records / seconds:>10.0f} "
              f"{tap_peak / 2**20 if tap_peak else float('nan'):>8.0f} "
              f"{target_peak / 2**20 if target_peak else float('nan'):>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
