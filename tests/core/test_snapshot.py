"""The read snapshot takes deltas (core/snapshot.py): after any sequence of recorded writes, readers' generation
holds exactly what the warehouse holds, while only the changed orders were written into it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.snapshot import refresh, refresh_snapshot
from orderlayer.core.warehouse import OPS, connect, forget_entry, journal_orders, journal_whole, reader_path, snapshot_path

SCHEMAS = ("audit", "published", "quarantine", "ops")


def _warehouse(tmp_path: Path, orders: int = 50) -> Path:
    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)
    for schema in ("raw", *SCHEMAS):
        con.execute(f"create schema {schema}")
    con.execute("create table raw.big as select range as n from range(1000)")
    for schema in ("audit", "published"):
        con.execute(f"create table {schema}.fct_orders as select 'o' || range as order_key, range as amount from range(?)", [orders])
        con.execute(
            f"create table {schema}.fct_order_lines as select 'o' || (range // 2) as order_key, range as line from range(?)",
            [2 * orders],
        )
        con.execute(f"create table {schema}.order_fulfillment as select 'o' || range as order_key, 0 as due from range(?)", [orders])
        con.execute(f"create table {schema}.fct_reconciliation_daily as select 1 as day, 2 as n")
    con.execute("create view published.orders_per_amount as select amount, count(*) as n from published.fct_orders group by 1")
    con.execute("comment on view published.orders_per_amount is 'orders per amount'")
    con.execute("create table quarantine.quarantine_orders (raw_record_id varchar, reason varchar)")
    con.execute("create table ops.runs as select 'r1' as run_id")
    con.close()
    return db


def _rows(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple]]:
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? and schema_name in (select unnest(?)) "
        "and not (schema_name = 'ops' and (table_name like 'snapshot%' or table_name = 'unpublished_keys')) order by all",
        [catalog, list(SCHEMAS)],
    ).fetchall()
    return {f"{s}.{t}": sorted(con.execute(f'select * from "{catalog}".{s}.{t}').fetchall()) for s, t in tables}


def assert_snapshot_is_warehouse(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"attach '{snapshot_path(db)}' as snap (read_only)")
        assert _rows(con, "snap") == _rows(con, db.stem)
        views = "select schema_name, view_name, comment from duckdb_views() where database_name = ? and not internal order by all"
        assert con.execute(views, ["snap"]).fetchall() == con.execute(views, [db.stem]).fetchall()
        assert con.execute("select count(*) from duckdb_tables() where database_name = 'snap' and schema_name = 'raw'").fetchone() == (0,)
    finally:
        con.close()


def change_orders(db: Path, schema: str, keys: list[str], *, record: bool = True) -> None:
    """A writer: rewrites some orders (one gains a line, one loses its lines), recorded in the journal."""
    con = connect(db)
    con.execute("begin transaction")
    listed = ", ".join(f"'{k}'" for k in keys)
    con.execute(f"update {schema}.fct_orders set amount = amount + 1000 where order_key in ({listed})")
    con.execute(f"delete from {schema}.fct_order_lines where order_key = ?", [keys[0]])
    con.execute(f"insert into {schema}.fct_order_lines values (?, 9999)", [keys[-1]])
    con.execute(f"update {schema}.order_fulfillment set due = due + 1 where order_key in ({listed})")
    con.execute(f"update {schema}.fct_reconciliation_daily set n = n + 1")
    con.execute("insert into ops.runs values ('r' || (select count(*) + 1 from ops.runs))")
    if record:
        journal_orders(
            con, schema, f"select 'orders', order_key from {schema}.fct_orders where order_key in ({listed}) "
            f"union all select 'order_fulfillment', order_key from {schema}.fct_orders where order_key in ({listed})",
        )
    con.execute("commit")
    con.close()


def test_recorded_writes_reach_the_snapshot_as_deltas(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    hows = []
    for round_, keys in enumerate([["o1", "o2"], ["o3"], ["o1", "o40"], ["o7", "o8", "o9"], ["o2"]]):
        result = refresh(db)
        hows.append(result.how)
        assert result.path == snapshot_path(db) == reader_path(db) and snapshot_path(db).is_symlink()
        assert_snapshot_is_warehouse(db)
        change_orders(db, "audit" if round_ % 2 else "published", keys)
    last = refresh(db)
    assert last.how == "delta"
    assert_snapshot_is_warehouse(db)
    # only the small tables were copied whole; the order-keyed marts took the changed orders
    assert last.copied == ("audit.fct_reconciliation_daily", "ops.runs", "published.fct_reconciliation_daily", "quarantine.quarantine_orders")
    # the first is a copy; the second copies the generation readers point at; then the two files take turns
    assert hows == ["full", "copy+delta", "delta", "delta", "delta"]
    assert sorted(p.name for p in tmp_path.glob("w.snapshot-*.duckdb")) == ["w.snapshot-1.duckdb", "w.snapshot-2.duckdb"]
    # the journal keeps only what the generation readers do not open lacks
    con = connect(db)
    files = dict(con.execute(f"select file, through from {OPS}.snapshot_files").fetchall())
    oldest = min(files.values())
    assert con.execute(f"select count(*) from {OPS}.snapshot_journal where seq <= ?", [oldest]).fetchone() == (0,)
    con.close()


def test_a_whole_schema_entry_and_an_unrecorded_change_are_copied_whole(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    refresh(db)
    refresh(db)
    con = connect(db)
    con.execute("insert into audit.fct_orders values ('o999', 1)")  # a bare dbt run: nothing recorded
    con.execute("delete from published.fct_orders where order_key = 'o5'")
    journal_whole(con, "published")  # a full publish
    con.close()
    result = refresh(db)
    assert result.how == "delta"
    assert {"audit.fct_orders", "published.fct_orders", "published.fct_order_lines"} <= set(result.copied)
    assert "audit.fct_order_lines" not in result.copied
    assert_snapshot_is_warehouse(db)
    # a build that stopped half-way leaves its "copy audit whole" entry; one that finished replaces it
    con = connect(db)
    ahead = journal_whole(con, "audit")
    con.execute("update audit.fct_orders set amount = -1 where order_key = 'o4'")
    con.close()
    refresh(db)
    assert_snapshot_is_warehouse(db)
    con = connect(db)
    ahead = journal_whole(con, "audit")
    con.execute("update audit.fct_orders set amount = -2 where order_key = 'o6'")
    forget_entry(con, ahead)
    journal_orders(con, "audit", "select 'orders', 'o6'")
    con.close()
    refresh(db)
    assert_snapshot_is_warehouse(db)


def test_a_reader_holding_the_other_generation_keeps_it_and_the_writer_copies(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    refresh(db)
    held = duckdb.connect(str(snapshot_path(db)), read_only=True)  # a BI tool opened generation 1
    before = held.execute("select sum(amount) from published.fct_orders").fetchone()
    change_orders(db, "published", ["o1"])
    assert refresh(db).how == "copy+delta"  # generation 2, copied from 1 while it is read
    change_orders(db, "published", ["o2"])
    # generation 1 is the one to update, but the reader still holds it: a third file
    assert refresh(db).how == "copy+delta"
    assert held.execute("select sum(amount) from published.fct_orders").fetchone() == before
    assert_snapshot_is_warehouse(db)
    held.close()
    # another process holding the file the writer would update (DuckDB's file lock, not this process's handle)
    change_orders(db, "published", ["o3"])
    other = [p for p in tmp_path.glob("w.snapshot-*.duckdb") if p.resolve() != snapshot_path(db).resolve()]
    assert len(other) == 1
    reader = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(other[0])!r}, read_only=True); print('open', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "open"
        assert refresh(db).how == "copy+delta"
    finally:
        reader.communicate("")
    assert_snapshot_is_warehouse(db)
    assert refresh(db).how == "delta"
    assert len(list(tmp_path.glob("w.snapshot-*.duckdb"))) == 2


@pytest.mark.parametrize("damage", ["token", "file"])
def test_a_generation_the_warehouse_does_not_vouch_for_is_not_updated(tmp_path: Path, damage: str) -> None:
    """A crash between writing a generation and recording it, a file from a restored backup or another warehouse:
    the token does not match, so it is never updated in place — a fresh copy is made."""
    db = _warehouse(tmp_path)
    refresh(db)
    refresh(db)
    change_orders(db, "audit", ["o1"])
    con = connect(db)
    if damage == "token":
        con.execute(f"update {OPS}.snapshot_files set token = 'elsewhere'")
    con.close()
    if damage == "file":
        other = [p for p in tmp_path.glob("w.snapshot-*.duckdb") if p.resolve() != snapshot_path(db).resolve()][0]
        snap = duckdb.connect(str(other))
        snap.execute("update _snapshot.state set token = 'restored'")
        snap.close()
    assert refresh(db).how in ("copy+delta", "full")
    assert_snapshot_is_warehouse(db)


def test_an_earlier_release_file_is_replaced_and_a_removed_warehouse_takes_its_snapshot_along(tmp_path: Path) -> None:
    db = _warehouse(tmp_path)
    old = snapshot_path(db)
    old.write_bytes(b"an earlier release's copy")
    assert refresh_snapshot(db) == old and old.is_symlink()
    assert_snapshot_is_warehouse(db)
    db.unlink()
    assert refresh_snapshot(db) is None
    assert not old.exists() and not old.is_symlink() and not list(tmp_path.glob("w.snapshot*"))
