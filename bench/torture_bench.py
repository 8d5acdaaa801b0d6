"""Standing torture, long version (issue 14, item 5): the fast subset lives in tests/hostile.

    python bench/torture_bench.py [--kills 100] [--orders 2000] [--fuzz-rows 10000] [--families all]
                                  [--workdir bench/out] [--skip kills,faults,fuzz]

- kills: `--kills` runs of the real `orderlayer sync` against the Douyin sandbox, each SIGKILLed (process group,
  tap and target included) at a random moment, then one sync to the end; reports records lost and rows landed twice.
- faults: per source family, every transient fault of its sandbox at once, then each blocking fault alone
  (tests/hostile/torture.py `fault_run`); reports the rule breaks.
- fuzz: `--fuzz-rows` generated hostile rows (tests/hostile/hostile_rows.py) through the WeChat shop file source,
  `sync` + `build`; reports rows in = facts + quarantined + skipped blank and reasons without file and line.

Exit code 1 when any rule broke. Run from the repository root (tests/ must be importable).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.hostile_rows import write_export  # noqa: E402
from tests.hostile.torture import ORDERLAYER, SALT, account, families, fault_run, killed_syncs, started, sync  # noqa: E402


def bench_kills(work: Path, trials: int, orders: int, seed: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    started_at = time.perf_counter()
    with started("douyin", work, orders) as family:
        killed = killed_syncs(work, trials, random.Random(seed), longest=8.0)
        final = sync(work, timeout=1800)
    accounting = account(work / "wh.duckdb")
    return {"trials": trials, "killed_mid_way": killed, "final_exit": final.returncode, "orders": len(family.truth),
            "lost": len(accounting.lost(family.truth)), "duplicated": accounting.duplicated,
            "seconds": round(time.perf_counter() - started_at, 1)}


def bench_faults(work: Path, names: list[str], orders: int) -> dict:
    results = {}
    for source in names:
        folder = work / source
        folder.mkdir(parents=True, exist_ok=True)
        started_at = time.perf_counter()
        run = fault_run(source, folder, orders, blocking=True)
        results[source] = {"faults": run.faults, "rode_out": run.first_exit == 0,
                           "needed_next_sync": run.follow_up, "problems": run.problems,
                           "seconds": round(time.perf_counter() - started_at, 1)}
    return results


def bench_fuzz(work: Path, rows: int, seed: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "docs" / "examples" / "file-source" / "wechat_shop.yml", work / "wechat_shop.yml")
    (work / "exports").mkdir(exist_ok=True)
    expected = write_export(work / "exports" / "wechat_orders_bench.csv", rows, seed)
    (work / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  wechat:\n    source: files\n    shop_id: wx-shop-01\n"
        "    options:\n      mapping: wechat_shop.yml\n", encoding="utf-8")
    env = {**os.environ, "ORDERLAYER_PII_SALT": SALT}
    started_at = time.perf_counter()
    for step in ("sync", "build"):
        done = subprocess.run([ORDERLAYER, step], cwd=work, env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            return {"rows": rows, "failed": step, "output": (done.stdout + done.stderr)[-2000:]}
    con = duckdb.connect(str(work / "wh.duckdb"), read_only=True)
    try:
        facts = con.execute("select count(*) from audit.fct_orders").fetchone()[0]
        reasons = [r[0] for r in con.execute("select quarantine_reason from quarantine.quarantine_orders").fetchall()]
    finally:
        con.close()
    located = [r for r in reasons if r.startswith("wechat_orders_bench.csv line ")]
    return {"rows": expected.rows, "blank": expected.blank, "facts": facts, "quarantined": len(reasons),
            "balanced": expected.rows_in == facts + len(reasons) + expected.blank,
            "facts_as_expected": facts == len(expected.facts), "quarantined_as_expected": len(reasons) == len(expected.quarantined),
            "reasons_without_file_and_line": len(reasons) - len(located),
            "seconds": round(time.perf_counter() - started_at, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--orders", type=int, default=2000, help="orders of the kill trials' sandbox")
    parser.add_argument("--fault-orders", type=int, default=200)
    parser.add_argument("--fuzz-rows", type=int, default=10_000)
    parser.add_argument("--families", default="all", help="comma-separated source families, or all")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--skip", default="", help="comma-separated: kills, faults, fuzz")
    parser.add_argument("--workdir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = args.workdir.resolve() / "torture"
    if work.exists():
        shutil.rmtree(work)
    names = families() if args.families == "all" else args.families.split(",")

    report: dict = {}
    if "kills" not in skip:
        report["kills"] = bench_kills(work / "kills", args.kills, args.orders, args.seed)
    if "faults" not in skip:
        report["faults"] = bench_faults(work / "faults", names, args.fault_orders)
    if "fuzz" not in skip:
        report["fuzz"] = bench_fuzz(work / "fuzz", args.fuzz_rows, args.seed)
    print(json.dumps(report, indent=2, ensure_ascii=False))

    broke = False
    if "kills" in report:
        k = report["kills"]
        broke |= bool(k["lost"] or k["duplicated"] or k["final_exit"])
    if "faults" in report:
        broke |= any(r["problems"] for r in report["faults"].values())
    if "fuzz" in report:
        f = report["fuzz"]
        broke |= "failed" in f or not (f["balanced"] and f["facts_as_expected"] and f["quarantined_as_expected"]) \
            or bool(f["reasons_without_file_and_line"])
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())
