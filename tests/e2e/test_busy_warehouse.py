"""A busy warehouse through the real CLI: a writer waits, says who holds the lock, gives up with that one
line (exit 1); a reader is not stopped; a notebook holding the file is named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.snapshot import refresh_snapshot
from tests.demo_settings import ORDERLAYER

HOLD_LOCK = """
import sys, time
from pathlib import Path
from orderlayer.core.lock import writer_lock
with writer_lock(Path(sys.argv[1]), "run", wait_seconds=0):
    print("held", flush=True)
    time.sleep(60)
"""
HOLD_FILE = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema published; create table published.fct_orders as select 'o1' as order_key")
    con.close()
    refresh_snapshot(db)
    (tmp_path / "orderlayer.yml").write_text("database: w.duckdb\nwarehouse:\n  lock_wait_seconds: 0.5\n", encoding="utf-8")
    return db


def _hold(script: str, db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_second_writer_names_the_holder_and_exits_1_while_readers_read(warehouse: Path) -> None:
    holder = _hold(HOLD_LOCK, warehouse)
    try:
        out = _cli("check", cwd=warehouse.parent)
        read = _cli("sql", "select order_key from published.fct_orders", "--format", "csv", cwd=warehouse.parent)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, out.stderr  # "waiting up to …", then the line it gives up with
    assert f"is busy: `orderlayer run` (pid {holder.pid} on " in lines[0] and "waiting up to 0.5 s" in lines[0]
    assert lines[1].startswith("error: warehouse ") and "gave up after 0.5 s" in lines[1]
    assert (read.returncode, read.stdout) == (0, "order_key\no1\n"), read.stderr


def test_a_notebook_holding_the_file_is_named_and_the_writer_exits_1(warehouse: Path) -> None:
    holder = _hold(HOLD_FILE, warehouse)
    try:
        out = _cli("publish", "--rollback", cwd=warehouse.parent)
        read = _cli("sql", "select count(*) as n from published.fct_orders", "--format", "csv", cwd=warehouse.parent)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"(pid {holder.pid})" in out.stderr and "close that connection" in out.stderr
    assert (read.returncode, read.stdout) == (0, "n\n1\n")


def test_a_bad_lock_wait_names_the_key_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "orderlayer.yml").write_text("warehouse:\n  lock_wait_seconds: -1\n", encoding="utf-8")
    out = _cli("check", cwd=tmp_path)
    assert out.returncode == 2
    assert "warehouse.lock_wait_seconds" in out.stderr and "Traceback" not in out.stderr


def test_a_writer_leaves_a_snapshot_before_its_work_when_there_is_none(tmp_path: Path) -> None:
    """Upgrading: the first writer of this release copies the snapshot first, so readers never have to open the
    warehouse it is writing."""
    from orderlayer.cli.main import _writing
    from orderlayer.core.config import Settings
    from orderlayer.core.warehouse import read_query, reader_path, snapshot_path

    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema published; create table published.fct_orders as select 'o1' as order_key")
    con.close()
    with _writing(Settings(database=db), "test"):
        assert reader_path(db) == snapshot_path(db)
        assert read_query(reader_path(db), "select order_key from published.fct_orders")[1] == [("o1",)]


def test_a_reader_before_the_first_snapshot_is_told_a_writer_is_making_it(warehouse: Path) -> None:
    from orderlayer.core.warehouse import snapshot_path

    snapshot_path(warehouse).unlink()  # a warehouse from an earlier release, its first writer copying it now
    holder = _hold(HOLD_LOCK.replace('print("held"', 'con = __import__("duckdb").connect(sys.argv[1]); print("held"'), warehouse)
    try:
        out = _cli("sql", "select 1", cwd=warehouse.parent)
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"`orderlayer run` (pid {holder.pid} on " in out.stderr and "no read snapshot yet" in out.stderr
