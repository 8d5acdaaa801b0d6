"""Two writers and a polling reader at once, N times, through the real CLI.

    python bench/concurrency_bench.py --db warehouse/demo.duckdb --rounds 20 [--workdir bench/out/concurrency]

The database (e.g. `make demo`'s) is copied into the work directory. Each round starts two `orderlayer check`
commands (real dbt tests and GX gates: each records one `ops.check_runs` row) and, while they run, an
`orderlayer sql` reader polling `published.fct_orders` and `ops.check_runs` from the snapshot. Counted: tracebacks
anywhere, writers that did not exit 0 or 1 (1 is a red verdict), reader failures, and lost writes — at the end,
`ops.check_runs` must hold exactly 2 x rounds rows. The snapshot is written before the first round (as the first
writer of a warehouse does before its work). Prints one line per round and a summary; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orderlayer.core.snapshot import refresh_snapshot

ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))


def _poll(db: Path, cwd: Path, writers: list[subprocess.Popen]) -> tuple[int, list[str]]:
    reads, problems = 0, []
    while any(w.poll() is None for w in writers):
        out = subprocess.run(
            [ORDERLAYER, "sql", "select (select count(*) from published.fct_orders), (select count(*) from ops.check_runs)",
             "--format", "csv", "--db", str(db)],
            cwd=cwd, capture_output=True, text=True,
        )
        reads += 1
        if out.returncode != 0 or "Traceback" in out.stderr:
            problems.append(f"reader exit {out.returncode}: {out.stderr.strip()[-300:]}")
    return reads, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a published warehouse to copy (e.g. after `make demo`)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/concurrency"))
    args = parser.parse_args()

    work = args.workdir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "bench.duckdb"
    shutil.copy(args.db, db)
    if (args.db.parent / "dbt").is_dir():  # dbt's artifacts live beside the warehouse (D-036)
        shutil.copytree(args.db.parent / "dbt", work / "dbt")
    (work / "orderlayer.yml").write_text("database: bench.duckdb\nwarehouse:\n  lock_wait_seconds: 3600\n", encoding="utf-8")
    con = duckdb.connect(str(db))
    before = con.execute("select count(*) from ops.check_runs").fetchone()[0] if con.execute(
        "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'check_runs'"
    ).fetchone()[0] else 0
    con.close()

    problems: list[str] = []
    # the steady state: the first writer of a warehouse copies the snapshot before its work (docs/operations.md)
    refresh_snapshot(db)
    started = time.monotonic()
    for round_ in range(args.rounds):
        t0 = time.monotonic()
        logs = [work / f"round{round_}-writer{w}.log" for w in (1, 2)]
        writers = []
        for log in logs:  # output to files: a writer blocked on a full pipe would never finish
            with log.open("w") as handle:
                writers.append(subprocess.Popen([ORDERLAYER, "check"], cwd=work, stdout=handle, stderr=subprocess.STDOUT))
        reads, reader_problems = _poll(db, work, writers)
        problems += reader_problems
        for w, log in zip(writers, logs):
            text = log.read_text(encoding="utf-8", errors="replace")
            if w.wait() not in (0, 1) or "Traceback" in text:
                problems.append(f"round {round_}: writer exit {w.returncode}: {text.strip()[-300:]}")
        print(f"round {round_ + 1}/{args.rounds}: {time.monotonic() - t0:.1f} s, {reads} reads", flush=True)

    con = duckdb.connect(str(db), read_only=True)
    after = con.execute("select count(*) from ops.check_runs").fetchone()[0]
    con.close()
    if after - before != 2 * args.rounds:
        problems.append(f"lost writes: {after - before} check records for {2 * args.rounds} checks")
    print(f"{args.rounds} rounds in {time.monotonic() - started:.0f} s; {len(problems)} problems")
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
