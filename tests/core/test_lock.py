"""One writer at a time: the warehouse lock, abandoned records, the read snapshot, private files, sync temp."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.lock import Holder, lock_path, writer_lock
from orderlayer.core.ops import record_sync, start_run
from orderlayer.core.private import tighten
from orderlayer.core.snapshot import refresh_snapshot
from orderlayer.core.sync import remove_dead_temp
from orderlayer.core.warehouse import WarehouseBusy, connect, read_query, reader_path, snapshot_path
from tests.support import lock_workers


def _warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)
    con.execute("create schema published; create table published.t (round int, writer int)")
    con.execute("create view published.v as select count(*) as n from published.t")
    con.execute("comment on view published.v is 'rows so far'")
    con.execute("create schema raw; create table raw.x__orders (_sync_id varchar, v int)")
    con.execute("insert into raw.x__orders values ('s1', 1), ('s1', 2), ('s2', 3)")
    con.close()
    return db


def test_a_second_writer_is_told_who_holds_the_lock_then_gives_up(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    told: list[str] = []
    with writer_lock(db, "run", wait_seconds=0):
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as busy:
            with writer_lock(db, "sync", wait_seconds=0.6, tell=told.append):
                pytest.fail("two writers held the lock at once")
        waited = time.monotonic() - started
    line = str(busy.value)
    assert f"`orderlayer run` (pid {os.getpid()} on " in line and "gave up after 0.6 s" in line
    assert len(told) == 1 and "waiting up to 0.6 s" in told[0] and "`orderlayer run`" in told[0]
    assert 0.6 <= waited < 3
    assert lock_path(db).read_text() == ""  # released cleanly: no holder record
    with writer_lock(db, "sync", wait_seconds=0):  # and free again
        assert json.loads(lock_path(db).read_text())["command"] == "sync"


def test_a_program_holding_the_file_is_waited_for_and_named(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('ok', flush=True); time.sleep(30)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        told: list[str] = []
        with pytest.raises(WarehouseBusy) as busy:
            with writer_lock(db, "build", wait_seconds=0.4, tell=told.append):
                pytest.fail("wrote beside a program holding the file")
        assert f"(pid {holder.pid})" in str(busy.value) and "close that connection" in str(busy.value)
        assert len(told) == 1
    finally:
        holder.kill()
        holder.wait()
    with writer_lock(db, "build", wait_seconds=5):  # the program is gone: the writer goes ahead
        pass


def test_records_a_dead_writer_left_running_are_closed_as_abandoned(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    start_run(db, "r1", "run")
    for sync_id in ("s1", "s2"):
        record_sync(db, {"sync_id": sync_id, "run_id": "r1", "connection": "x", "started_at": "2026-12-01 00:00:00+00",
                         "finished_at": None, "status": "running", "records_read": None, "rows_added": None,
                         "bookmark_before": None, "bookmark_after": None, "error": None})
    # what a killed writer leaves: its holder record, with the kernel's lock gone with it
    lock_path(db).write_text(json.dumps({"pid": 999999, "host": "h", "command": "run", "started_at": "2026-12-01T00:00:00+00:00"}))
    with writer_lock(db, "run", wait_seconds=0) as held:
        assert held.died == Holder(999999, "h", "run", "2026-12-01T00:00:00+00:00")
        assert sorted(held.abandoned) == ["r1", "s1", "s2"]
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("select status, finished_at is not null, detail->>'error' from ops.runs").fetchall()
    syncs = dict(con.execute("select sync_id, (status, rows_added) from ops.sync_runs").fetchall())
    orphans = con.execute("select count(*) from raw.x__orders where _sync_id not in (select sync_id from ops.sync_runs)").fetchone()
    con.close()
    assert runs == [("abandoned", True, "abandoned: `orderlayer run` (pid 999999 on h, since 2026-12-01T00:00:00+00:00) died without finishing")]
    assert syncs == {"s1": ("abandoned", 2), "s2": ("abandoned", 1)}
    assert orphans == (0,)


def test_the_snapshot_holds_published_tables_and_views_and_not_raw(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    assert reader_path(db) == db  # none yet: readers read the warehouse
    con = connect(db)
    con.execute("insert into published.t values (1, 1), (1, 2)")
    con.close()
    assert refresh_snapshot(db) == snapshot_path(db) == reader_path(db)
    assert read_query(reader_path(db), "select n from published.v") == (["n"], [(2,)])
    snap = duckdb.connect(str(snapshot_path(db)), read_only=True)
    assert snap.execute("select comment from duckdb_views() where view_name = 'v'").fetchone() == ("rows so far",)
    assert snap.execute("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchone() == (0,)
    # a reader holding the old snapshot open does not stop the next refresh, and keeps its own copy
    con = connect(db)
    con.execute("insert into published.t values (2, 1)")
    con.close()
    refresh_snapshot(db)
    assert snap.execute("select n from published.v").fetchone() == (2,)
    snap.close()
    assert read_query(reader_path(db), "select n from published.v")[1] == [(3,)]


def test_two_writers_and_a_polling_reader_20_times(tmp_path: Path) -> None:
    """Two writers start each round together; a reader polls the snapshot throughout: no error, no lost write,
    never a count going back."""
    db = _warehouse(tmp_path)
    refresh_snapshot(db)
    rounds = 20
    ctx = multiprocessing.get_context("forkserver")  # one light import of the workers, not one per process
    ctx.set_forkserver_preload(["tests.support.lock_workers"])
    barrier, errors, seen = ctx.Barrier(3), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=lock_workers.writer, args=(str(db), w, rounds, barrier, errors)) for w in (1, 2)]
    procs.append(ctx.Process(target=lock_workers.reader, args=(str(db), rounds, barrier, errors, seen)))
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert [seen.get() for _ in range(rounds)] == [2 * (r + 1) for r in range(rounds)]  # every write seen once both ended
    con = duckdb.connect(str(db), read_only=True)
    written = con.execute("select round, list(writer order by writer) from published.t group by round order by round").fetchall()
    con.close()
    assert written == [(r, [1, 2]) for r in range(rounds)]
    assert read_query(reader_path(db), "select n from published.v")[1] == [(2 * rounds,)]


def test_files_are_created_private_and_old_ones_tightened(tmp_path: Path) -> None:
    db = tmp_path / "w" / "w.duckdb"
    code = (
        "import sys; from pathlib import Path; from orderlayer.core.private import use_private_umask; "
        "from orderlayer.core.warehouse import connect; use_private_umask(); "
        "db = Path(sys.argv[1]); connect(db, create=True).close(); (db.parent / 'logs').mkdir(); (db.parent / 'logs' / 'a.log').write_text('x')"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert (mode(db), mode(db.parent / "logs"), mode(db.parent / "logs" / "a.log")) == (0o600, 0o700, 0o600)
    old = tmp_path / "old"
    (old / "reports").mkdir(parents=True)
    (old / "reports" / "r.html").write_text("x")
    (old / "o.duckdb").write_text("x")
    for p, m in ((old / "reports", 0o755), (old / "reports" / "r.html", 0o644), (old / "o.duckdb", 0o644)):
        os.chmod(p, m)
    assert sorted(tighten(old / "o.duckdb")) == sorted([old / "o.duckdb", old / "reports", old / "reports" / "r.html"])
    assert (mode(old / "o.duckdb"), mode(old / "reports"), mode(old / "reports" / "r.html")) == (0o600, 0o700, 0o600)
    assert tighten(old / "o.duckdb") == []


def test_a_killed_syncs_temp_folder_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    root = tmp_path / ".sync-tmp"
    (root / f"sync-{dead.pid}-abc").mkdir(parents=True)
    (root / f"sync-{dead.pid}-abc" / "tap.json").write_text("{}")
    (root / f"sync-{os.getpid()}-def").mkdir()
    assert remove_dead_temp(root) == [root / f"sync-{dead.pid}-abc"]
    assert [p.name for p in root.iterdir()] == [f"sync-{os.getpid()}-def"]
