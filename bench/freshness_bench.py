"""Freshness of continuous mode (issue 15): how long from a change on a platform to that version in `published`
and in `orderlayer metrics`, while `orderlayer serve` runs and the sandboxes push.

The pushing channel sandboxes replay their history (core/live.py): steady, then one minute of burst (at least
--burst-events changes), then steady again, for --seconds in all; then the bench waits for what was pushed to be
published (at most --settle seconds) and counts as lost what never was. serve is its own process, started from the
orderlayer.yml written beside the warehouse; its log is serve.log there. The sandboxes push with platform faults:
redeliveries until acknowledged, duplicates, reordering, forged copies.

    python bench/freshness_bench.py --seconds 300 --json

prints one JSON object: events, p50_seconds, p95_seconds, max_seconds and lost (changes never seen in published), the
same per phase (steady, burst), the lag to `orderlayer metrics` answering from each version, serve's push counts and
the machine's load. The lag is measured by reading the read snapshot every half second (its resolution).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _metrics_lag(db: Path, live: object, versions_done: set[int], lags: list[float]) -> None:
    """When a new version is published, ask `orderlayer metrics` once: every change first seen in that version is
    in metrics when the answer comes back."""
    from orderlayer.core.dbt import semantic_manifest
    from orderlayer.core.metrics import query_metrics
    from orderlayer.core.warehouse import reader_path

    fresh = live.freshness  # type: ignore[attr-defined]
    new = [v for v in fresh.versions if v not in versions_done]
    if not new:
        return
    version = max(new)
    versions_done.update(new)
    seen_at = fresh.versions[version]
    query_metrics(reader_path(db), semantic_manifest(db), ["orders_placed"], ["channel"], None)
    answered = time.time()
    # the changes first seen published with this version: made before it was seen, not yet counted
    for wall, lag in fresh.seen:
        if abs(wall + lag - seen_at) < 0.75:
            lags.append(answered - wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=300, help="how long the sandboxes push (steady, a burst minute, steady)")
    parser.add_argument("--orders", type=int, default=6000, help="the demo's scale: orders the Douyin sandbox generates")
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--steady-per-minute", type=int, default=600, help="changes per minute outside the burst")
    parser.add_argument("--burst-events", type=int, default=5000, help="changes in the burst minute")
    parser.add_argument("--settle", type=int, default=240, help="seconds to wait for the last changes to be published")
    parser.add_argument("--fetch-rate", type=float, default=None,
                        help="requests per second each connection may make to fetch what events name (default: the demo's, 40); "
                             "the sandbox then allows the app 1.25x the shops' total")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "freshness")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if args.seconds < 90:
        parser.error("--seconds must be at least 90 (a burst minute and steady time either side)")

    from orderlayer.core.continuous import LogProgress
    from orderlayer.core.live import REPLAY, Live, changes_per_second, free_port, live_settings, start_live, write_config
    from orderlayer.core.lock import writer_lock
    from orderlayer.core.pipeline import run
    from orderlayer.core.snapshot import refresh_snapshot

    say = (lambda *_: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / "freshness.duckdb"
    as_of = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    app_qps = None if args.fetch_rate is None else args.fetch_rate * args.shops * 1.25
    with start_live(args.seed, as_of, args.orders, args.shops, REPLAY, app_qps=app_qps) as world:
        rate = changes_per_second(world)
        steady_speed = args.steady_per_minute / 60 / rate  # sandbox seconds per wall second
        burst_speed = args.burst_events * 1.05 / 60 / rate
        settings = live_settings(world, db, free_port(), fetch_rate=args.fetch_rate)
        config = write_config(settings, args.workdir / "orderlayer.yml")
        say(f"{rate * 86400:.0f} changes per sandbox day; steady x{steady_speed:.0f}, burst x{burst_speed:.0f}")
        started = time.monotonic()
        with writer_lock(db, "freshness bench (first run)", 0):
            refresh_snapshot(db)
            first = run(settings, LogProgress("first run"), end_date=world.as_of + timedelta(seconds=1))
            if first.published_version is None:
                print(json.dumps({"error": f"the first run published nothing ({first.verdict})"}))
                return 1
            refresh_snapshot(db)
        first_run = time.monotonic() - started
        say(f"first run (sync, full build, check, publish): {first_run:.0f} s")

        burst_from = (args.seconds - 60) // 2
        phases: dict[str, tuple[float, float]] = {}
        metrics_lags: list[float] = []
        versions_done: set[int] = set()
        with Live(world, settings, config, args.seed, args.workdir / "serve.log") as live:
            t0 = time.time()
            phases["burst"] = (t0 + burst_from, t0 + burst_from + 60)
            next_tick = time.monotonic()
            for second in range(args.seconds):
                speed = burst_speed if burst_from <= second < burst_from + 60 else steady_speed
                if not live.step(speed):
                    say("the replay reached the end of the generated history")
                    break
                next_tick += 1
                while (left := next_tick - time.monotonic()) > 0:
                    live.freshness.observe()
                    _metrics_lag(db, live, versions_done, metrics_lags)
                    time.sleep(min(0.5, max(0.0, left)))
                if second % 30 == 0:
                    summary = live.freshness.summary()
                    say(f"{second:4d} s: {live.freshness.events} changes pushed, published lag p50 {summary['p50_seconds']} s, p95 {summary['p95_seconds']} s")
            pushing_ended = time.time()
            settled = live.settle(args.settle)
            _metrics_lag(db, live, versions_done, metrics_lags)
            health = live.health()
            pushed = live.pushed()
    fresh = live.freshness
    lost = sum(len(v) for v in fresh.pending.values())
    metrics_lags.sort()
    result = {
        **fresh.summary(),
        "lost": lost,
        "read_failures": fresh.read_failures,
        "events": fresh.events,
        "settled": settled,
        "steady": {**fresh.summary(until=phases["burst"][0]), **_merge(fresh.summary(since=phases["burst"][1]))},
        "burst": fresh.summary(*phases["burst"]),
        "metrics": {
            "events": len(metrics_lags),
            "p50_seconds": round(metrics_lags[len(metrics_lags) // 2], 1) if metrics_lags else None,
            "p95_seconds": round(metrics_lags[max(0, int(len(metrics_lags) * 0.95) - 1)], 1) if metrics_lags else None,
        },
        "seconds": args.seconds,
        "orders": args.orders,
        "fetch_rate": args.fetch_rate or 40,
        "first_run_seconds": round(first_run, 1),
        "published_versions": len(fresh.versions),
        "micro_batches": health.get("batches"),
        "last_batch_seconds": (health.get("last_batch") or {}).get("seconds"),
        "pushes": pushed,
        "serve": health.get("pushes"),
        "pushing_seconds": round(pushing_ended - t0, 1),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=None if args.json else 2, default=str))
    return 0 if lost == 0 and settled else 1


def _merge(after: dict) -> dict:
    return {f"after_burst_{k}": v for k, v in after.items()}


if __name__ == "__main__":
    sys.exit(main())
