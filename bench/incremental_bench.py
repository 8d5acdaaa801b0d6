"""Benchmark incremental builds: a full build, an incremental build after 1% of orders changed, and a run with
nothing new, on N Douyin orders.

    python bench/incremental_bench.py --orders 1000000 [--base-orders 5000] [--skip-nothing-new] [--workdir bench/out]

A Douyin sandbox with --base-orders orders is synced through the real CLI; raw is then amplified in SQL to
--orders orders (each copy appends its copy number to every order id, so ids stay numeric and unique, and gets
its own record hash and landing number, as the loader would give it). Then, each as the real CLI in a subprocess
(seconds and peak RSS of the process tree, bench/procmem.py):

- `orderlayer build` — the first build: full;
- one DuckDB pass that parses the raw JSON the way the Douyin staging models do (orders projection + lines
  unnest, their compiled SQL, in this process) — the floor a full build is compared with;
- 1% of the orders get a new version (later update_time, next status) landed in SQL; `orderlayer build` —
  incremental;
- `orderlayer publish` (the first: every mart copied);
- another 1% (other orders) landed, `orderlayer build` and `orderlayer publish` — the read snapshot's generations
  now take deltas (core/snapshot.py), but this build's update of the other generation still catches up the first
  publish, which that generation has not seen and which is copied whole;
- a third 1%, `orderlayer build` and `orderlayer publish` — the steady state: both generations hold deltas only;
- `orderlayer run` with nothing new (sync finds nothing, build does nothing, check re-used, publish nothing).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import yaml

from orderlayer.sandboxes.douyin.server import DouyinSandbox
from procmem import load_average, run_stage  # bench/ is on sys.path when this file runs as a script

APP_KEY, APP_SECRET = "7301234567890123456", "bench-app-secret"
TABLE = "raw.douyin__orders"


def raw_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Orders and versions in the raw table."""
    return con.execute(f"select count(distinct _primary_key), count(*) from {TABLE}").fetchone()


def amplify(db: Path, orders: int) -> tuple[int, int]:
    """Copy the synced orders until raw holds `orders` distinct orders; returns (orders, raw rows)."""
    con = duckdb.connect(str(db))
    try:
        base = con.execute(f"select count(distinct _primary_key) from {TABLE}").fetchone()[0]
        copies = max(0, -(-orders // base) - 1)
        if copies:
            # every "order_id":"<digits>" (parent and sku orders) gets the copy number appended: still digits
            con.execute(
                f"""insert into {TABLE} (_record_hash, _stream, _connection, _primary_key, _replication_value, _record,
                        _extracted_at, _synced_at, _sync_id)
                select sha256(_stream || chr(10) || rec), _stream, _connection,
                       regexp_replace(_primary_key, '"([0-9]+)"\\]$', '"\\1' || lpad(k::varchar, 4, '0') || '"]'),
                       _replication_value, rec::JSON, _extracted_at, _synced_at, 'amplify'
                from (
                    select r.*, k,
                           regexp_replace(r._record::varchar, '"order_id":"([0-9]+)"',
                                          '"order_id":"\\1' || lpad(k::varchar, 4, '0') || '"', 'g') as rec
                    from {TABLE} as r, range(1, {copies + 1}) as t(k)
                    where r._sync_id <> 'amplify'
                )"""
            )
        con.execute("checkpoint")
        for snapshot in db.parent.glob(f"{db.stem}.snapshot*"):  # the readers' copies of what was dropped
            snapshot.unlink()
        return raw_counts(con)
    finally:
        con.close()


def reset_to_raw(db: Path) -> tuple[int, int]:
    """--reuse: keep an earlier run's amplified raw, drop everything built from it (and the 1% change)."""
    con = duckdb.connect(str(db))
    try:
        con.execute(f"delete from {TABLE} where _sync_id like 'one-percent%'")
        for schema in ("staging", "audit", "quarantine", "published", "published_history", "gates"):
            con.execute(f"drop schema if exists {schema} cascade")
        for table in con.execute(
            "select table_name from information_schema.tables where table_schema = 'ops' and table_name <> 'singer_state'"
        ).fetchall():
            con.execute(f"drop table ops.{table[0]}")
        con.execute("checkpoint")
        for snapshot in db.parent.glob(f"{db.stem}.snapshot*"):  # the readers' copies of what was dropped
            snapshot.unlink()
        return raw_counts(con)
    finally:
        con.close()


def change_one_percent(db: Path, round_: int = 0) -> int:
    """Land a new version of 1% of the orders (a different 1% each round): their latest version, an hour later, one
    status further."""
    con = duckdb.connect(str(db))
    try:
        before = con.execute(f"select count(*) from {TABLE}").fetchone()[0]
        con.execute(
            f"""insert into {TABLE} (_record_hash, _stream, _connection, _primary_key, _replication_value, _record,
                    _extracted_at, _synced_at, _sync_id)
            select sha256(_stream || chr(10) || rec), _stream, _connection, _primary_key, _replication_value,
                   rec::JSON, _extracted_at, now(), 'one-percent-{round_}'
            from (
                select *, json_merge_patch(_record, json_object(
                    'update_time', (_record->>'update_time')::bigint + 3600,
                    'order_status', case when _record->>'order_status' in ('2', '3') then 3 else 2 end
                ))::varchar as rec
                from {TABLE}
                where hash(_primary_key) % 100 = {round_}
                qualify row_number() over (partition by _primary_key order by (_record->>'update_time')::bigint desc) = 1
            )"""
        )
        con.execute("checkpoint")
        return con.execute(f"select count(*) from {TABLE}").fetchone()[0] - before
    finally:
        con.close()


def parse_pass(db: Path, compiled: Path) -> float:
    """One DuckDB pass over raw with the Douyin staging models' own compiled SQL (orders + lines unnest)."""
    orders = (compiled / "stg_douyin__orders.sql").read_text(encoding="utf-8")
    lines = (compiled / "stg_douyin__order_lines.sql").read_text(encoding="utf-8")
    con = duckdb.connect(str(db))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists bench_parse")
        started = time.perf_counter()
        con.execute(f"create or replace table bench_parse.orders as {orders}")
        con.execute(f"create or replace table bench_parse.lines as {lines}")
        seconds = time.perf_counter() - started
        con.execute("drop schema bench_parse cascade")
        return seconds
    finally:
        con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--base-orders", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-nothing-new", action="store_true", help="stop after the incremental build")
    parser.add_argument("--reuse", action="store_true", help="reuse the amplified raw of an earlier run in --workdir")
    parser.add_argument("--workdir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    work = args.workdir.resolve() / f"incremental-{args.orders}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    reuse = args.reuse and db.exists()
    if not reuse:
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
    # the sandbox's clock: kept with the warehouse, so a reused one sees the same orders (and nothing new)
    clock = work / "as_of.txt"
    earlier = work / "orderlayer.yml"
    if reuse and clock.exists():
        as_of = datetime.fromisoformat(clock.read_text(encoding="utf-8").strip())
    elif reuse and earlier.exists():  # a run from before as_of.txt: its connection's end_date is the clock
        options = next(iter(yaml.safe_load(earlier.read_text(encoding="utf-8"))["connections"].values()))["options"]
        as_of = datetime.fromisoformat(options["end_date"])
        clock.write_text(as_of.isoformat(), encoding="utf-8")
    else:
        as_of = datetime.now(timezone.utc).replace(microsecond=0)
        clock.write_text(as_of.isoformat(), encoding="utf-8")
    shop = "7784061"
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, args.seed, as_of, args.base_orders, [shop], qps=None)
    base_url = sandbox.start()
    env = dict(os.environ, BENCH_APP_KEY=APP_KEY, BENCH_APP_SECRET=APP_SECRET, ORDERLAYER_PII_SALT="bench-salt")
    env["BENCH_TOKEN"], env["BENCH_REFRESH"] = sandbox.access_token(shop), sandbox.refresh_token(shop)
    connection = {
        "source": "douyin",
        "shop_id": shop,
        "base_url": base_url,
        "start_date": datetime.fromtimestamp(sandbox.generator.start_ts, timezone.utc).isoformat(),
        "credentials": {"app_key": "BENCH_APP_KEY", "app_secret": "BENCH_APP_SECRET", "access_token": "BENCH_TOKEN",
                        "refresh_token": "BENCH_REFRESH"},
        "options": {"window_seconds": 86400, "max_requests_per_second": 100000, "end_date": as_of.isoformat()},
    }
    # freshness thresholds wide enough that the synthetic data is not stale (Y1 would otherwise be red)
    config = work / "orderlayer.yml"
    config.write_text(
        yaml.safe_dump({"database": str(db), "connections": {f"douyin_{shop}": connection},
                        "gates": {"freshness_error_hours": 24 * 3650, "freshness_warn_minutes": 60 * 24 * 3000}}),
        encoding="utf-8",
    )
    cli = str(Path(sys.executable).with_name("orderlayer"))
    rows: list[tuple[str, float, int, int]] = []

    def stage(label: str, *command: str) -> bool:
        # what the CLI printed (its own per-step lines) is kept beside the warehouse, one file per stage
        out = work / f"stage-{len(rows) + 1}-{command[0]}.out"
        print(f"[{time.strftime('%H:%M:%S')}] {label} (load {load_average()}) → {out.name}", flush=True)
        with out.open("wb") as sink:
            seconds, peak, rc = run_stage(label, [cli, *command, "--config", str(config)], work, env, stdout=sink)
        rows.append((label, seconds, peak, rc))
        return rc == 0

    notes = []
    try:
        if reuse:
            ok = True
            total_orders, raw_rows = reset_to_raw(db)
            notes.append(f"raw: {total_orders:,} orders, {raw_rows:,} versions (reused from an earlier run)")
        else:
            ok = stage("sync (base)", "sync")
            if ok:
                started = time.perf_counter()
                total_orders, raw_rows = amplify(db, args.orders)
                notes.append(
                    f"raw: {total_orders:,} orders, {raw_rows:,} versions (base {args.base_orders:,} synced, amplified "
                    f"in SQL in {time.perf_counter() - started:.0f} s)"
                )
        if ok:
            ok = stage("build (full, first)", "build")
        if ok:
            compiled = work / "dbt" / db.stem / "target" / "compiled" / "orderlayer" / "models" / "staging" / "douyin"
            seconds = parse_pass(db, compiled)
            rows.append(("one DuckDB JSON parse pass", seconds, 0, 0))
            changed = change_one_percent(db)
            notes.append(f"1% change: {changed:,} new versions landed")
            ok = stage("build (incremental, 1%)", "build")
        if ok and not args.skip_nothing_new:
            ok = stage("publish (first: full copy)", "publish")
            # the steady state: another 1% after a publish (the read snapshot's two files now take deltas)
            changed = change_one_percent(db, 1)
            notes.append(f"another 1%: {changed:,} new versions landed")
            ok = ok and stage("build (incremental, another 1%)", "build")
            ok = ok and stage("publish (changed orders)", "publish")
            # the steady state: neither snapshot generation has a whole copy left to catch up
            changed = change_one_percent(db, 2)
            notes.append(f"a third 1%: {changed:,} new versions landed")
            ok = ok and stage("build (incremental, steady: a third 1%)", "build")
            ok = ok and stage("publish (changed orders, steady)", "publish")
            ok = ok and stage("run, nothing new (sync, build, check, publish)", "run")
    finally:
        sandbox.stop()

    print(f"\norderlayer incremental bench — {args.orders:,} orders, {os.cpu_count()} cores, load {load_average()}, "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    for note in notes:
        print(note)
    print(f"{'stage':<48} {'seconds':>9} {'peak RSS (MiB)':>15}  status")
    for label, seconds, peak, rc in rows:
        print(f"{label:<48} {seconds:>9.1f} {peak / 2**20:>15.0f}  {'ok' if rc == 0 else f'exit {rc}'}")
    by = {label: seconds for label, seconds, _, _ in rows}
    full, inc = by.get("build (full, first)"), by.get("build (incremental, 1%)")
    parse = by.get("one DuckDB JSON parse pass")
    steady = by.get("build (incremental, another 1%)")
    if full and inc:
        print(f"incremental / full: {inc / full:.1%} (target <= 10%)")
    if full and steady:
        print(f"incremental (another 1%, after a publish) / full: {steady / full:.1%}")
    third = by.get("build (incremental, steady: a third 1%)")
    if full and third:
        print(f"incremental (steady: a third 1%) / full: {third / full:.1%} (target <= 10%)")
    if full and parse:
        print(f"full build / one parse pass: {full / parse:.1f}x (target <= 3x at 10M)")
    size = db.stat().st_size if db.exists() else 0
    print(f"database: {size / 2**20:.0f} MiB at {db}")
    return 0 if all(r[3] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
