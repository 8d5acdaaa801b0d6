"""What the incremental equality tests share (tests/dbt_rules/test_incremental*.py): compare every table of a
warehouse with a ``--full-refresh`` build of the same raw data, read one value, land hand-made raw rows, move the
sandboxes' clock and sync."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from orderlayer.core.config import Settings
from orderlayer.core.incremental import CHANGE_SETS
from orderlayer.core.pipeline import build
from orderlayer.core.sync import sync_connection
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> list[str]:
    # what a build recomputes (empty after a full rebuild, by design) — incremental.CHANGE_SETS — is not compared
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = ? and table_type = 'BASE TABLE' and table_schema in (select unnest(?)) "
        "and table_name not like '%__dbt_tmp%' and table_name not in (select unnest(?)) order by 1",
        [catalog, list(schemas), list(CHANGE_SETS)],
    ).fetchall()
    return [r[0] for r in rows]


def assert_same_tables(db: Path, other: Path, schemas: tuple[str, ...], label: str) -> int:
    """Every table of `schemas` holds the same multiset of rows in both files; returns the rows compared."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{other}' as full_refresh (read_only)")
        mine = _tables(con, db.stem, schemas)
        theirs = _tables(con, "full_refresh", schemas)
        assert mine == theirs, f"{label}: tables differ: {sorted(set(mine) ^ set(theirs))}"
        assert any(t.startswith("audit.fct_orders") for t in mine) or "audit" not in schemas
        total = 0
        for table in mine:
            a = f"{db.stem}.{table}"
            b = f"full_refresh.{table}"
            only_incremental = con.execute(f"select * from {a} except all select * from {b}").fetchall()
            only_full = con.execute(f"select * from {b} except all select * from {a}").fetchall()
            assert not only_incremental and not only_full, (
                f"{label}: {table} differs from a full rebuild: only incremental {only_incremental[:3]}, "
                f"only full {only_full[:3]}"
            )
            total += con.execute(f"select count(*) from {a}").fetchone()[0]
        return total
    finally:
        con.close()


def full_refresh_copy(settings: Settings, db: Path, full: Path) -> Path:
    """A copy of the warehouse file `db` at `full`, rebuilt from raw with ``--full-refresh``."""
    full.parent.mkdir(exist_ok=True)
    shutil.copyfile(db, full)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, full.with_name(full.name + ".wal"))
    assert build(settings, full, full_refresh=True).plan.mode == "full"
    return full


def drop_copy(full: Path) -> None:
    full.unlink()
    full.with_name(full.name + ".wal").unlink(missing_ok=True)


def one(db: Path, sql: str, params: list | None = None) -> tuple | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchone()
    finally:
        con.close()


def raw_records(db: Path, table: str) -> list[dict]:
    """The records of raw table `table` (e.g. ``douyin__orders``), in landing order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [json.loads(r[0]) for r in con.execute(f"select _record from raw.{table} order by _landed_seq").fetchall()]
    finally:
        con.close()


def land(db: Path, source: str, connection: str, stream: str, records: list[dict], keys: list[str],
         replication_key: str | None, sync_id: str) -> int:
    """Land `records` in the raw table of `source`'s `stream` as the loader does; returns how many rows were new."""
    con = connect(db, create=True)
    try:
        raw = store.RawStore(con, "raw", source, connection, sync_id)
        return raw.append(stream, [copy.deepcopy(r) for r in records], keys, replication_key)
    finally:
        con.close()


class SandboxTime:
    """The sandboxes' shared clock and the syncs of a test's connections up to it."""

    def __init__(self, settings: Settings, db: Path, sandboxes: list, start: datetime) -> None:
        self.settings = settings
        self.db = db
        self.sandboxes = sandboxes
        self.clock = start

    def sync(self, names: list[str] | None = None) -> None:
        """Sync `names` (default: every connection of the settings) up to the clock; each must succeed."""
        for name in names if names is not None else list(self.settings.connections):
            result = sync_connection(name, self.settings, self.db, end_date=self.clock + timedelta(seconds=1))
            assert result.status == "ok", (name, result.error)

    def advance(self, hours: int) -> None:
        """Move every sandbox's clock `hours` on (their orders change, new ones come)."""
        self.clock = self.clock + timedelta(hours=hours)
        for sandbox in self.sandboxes:
            try:
                sandbox.advance(self.clock)
            except ValueError:  # a sandbox without a clock
                pass
