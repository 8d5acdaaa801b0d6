"""target-orderlayer: lossless, idempotent, and a bookmark never covers an uncommitted record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.warehouse import connect, ensure_ops
from orderlayer.loader import parquet_store
from orderlayer.loader import raw_store as store

TARGET = str(Path(sys.executable).with_name("target-orderlayer"))
SCHEMA = {
    "type": "SCHEMA",
    "stream": "orders",
    "schema": {"type": "object", "properties": {"order_id": {"type": "string"}, "update_time": {"type": "integer"}}},
    "key_properties": ["shop_id", "order_id"],
    "bookmark_properties": ["update_time"],
}


def record(i: int) -> dict:
    # ids above 2^53, a yuan string, a float amount, a nested list: all must land digit for digit
    return {
        "order_id": str(6936476692437472563 + i),
        "shop_id": 7784061,
        "update_time": 1700000000 + i,
        "product_id": 3660207428038974464 + i,
        "price": "0.10",
        "weight": 0.1,
        "sku_order_list": [{"sku_id": 3410716076201730, "item_num": 1}],
    }


def messages(start: int, stop: int, state_every: int = 50) -> list[str]:
    lines = [json.dumps(SCHEMA)]
    for i in range(start, stop):
        lines.append(json.dumps({"type": "RECORD", "stream": "orders", "record": record(i)}))
        if (i + 1) % state_every == 0:
            state = {"bookmarks": {"orders": {"replication_key": "update_time", "replication_key_value": 1700000000 + i}}}
            lines.append(json.dumps({"type": "STATE", "value": state}))
    return lines


def target_config(tmp_path: Path, db: Path, engine: str = "duckdb") -> Path:
    """The target's config landing in `db`: a DuckDB file, or with engine spark a Spark warehouse folder."""
    cfg = tmp_path / "target.json"
    where = {"database": str(db)} if engine == "duckdb" else {"engine": "spark", "warehouse": str(db)}
    cfg.write_text(json.dumps({**where, "table_prefix": "douyin", "connection": "main", "state_key": "main"}))
    return cfg


def run_target(cfg: Path, lines: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([TARGET, "--config", str(cfg)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def raw_rows(db: Path, engine: str = "duckdb") -> list[tuple]:
    columns = "_record_hash, _record, _primary_key, _replication_value"
    if engine == "duckdb":
        return query(db, f"select {columns} from raw.douyin__orders")
    files = parquet_store.landed_files(parquet_store.open_warehouse(str(db)), str(db / "raw.db" / "douyin__orders"))
    with duckdb.connect() as con:  # the files Spark reads (hidden ones are not landed)
        return con.execute(f"select {columns} from read_parquet(?)", [files]).fetchall() if files else []


def persisted_state(db: Path, engine: str) -> dict | None:
    """The state the target persisted under `main`, or None (also while a DuckDB writer holds the file)."""
    if engine == "spark":
        return parquet_store.read_state(parquet_store.open_warehouse(str(db)), "main")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("select state from ops.singer_state where state_key = 'main'").fetchone()
    except duckdb.Error:  # held by the target, or no state table yet
        return None
    return json.loads(row[0]) if row else None


ENGINES = pytest.mark.parametrize("engine", ["duckdb", "spark"])


@ENGINES
def test_records_land_losslessly(tmp_path: Path, engine: str) -> None:
    db = tmp_path / "w.duckdb"
    run_target(target_config(tmp_path, db, engine), messages(0, 3))
    rows = sorted(raw_rows(db, engine), key=lambda r: r[3])
    assert len(rows) == 3
    landed = json.loads(rows[0][1])
    assert landed == record(0)
    # the stored text keeps big ints and decimals exactly (no float round trip)
    assert '"product_id":3660207428038974464' in rows[0][1]
    assert '"weight":0.1' in rows[0][1]
    assert rows[0][2] == '[7784061,"6936476692437472563"]'
    assert rows[0][3] == "1700000000"


@ENGINES
def test_resending_the_same_records_adds_nothing(tmp_path: Path, engine: str) -> None:
    db = tmp_path / "w.duckdb"
    cfg = target_config(tmp_path, db, engine)
    run_target(cfg, messages(0, 120))
    first = raw_rows(db, engine)
    run_target(cfg, messages(0, 120))
    run_target(cfg, messages(100, 120))  # the boundary overlap a >= bookmark re-sends
    assert sorted(raw_rows(db, engine)) == sorted(first)
    assert len(first) == 120


def test_a_changed_version_is_a_new_row(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    cfg = target_config(tmp_path, db)
    run_target(cfg, messages(0, 1))
    changed = record(0) | {"update_time": 1800000000, "order_status": 3}
    run_target(cfg, [json.dumps(SCHEMA), json.dumps({"type": "RECORD", "stream": "orders", "record": changed})])
    assert len(raw_rows(db)) == 2


@ENGINES
def test_state_is_emitted_and_persisted_only_after_commit(tmp_path: Path, engine: str) -> None:
    db = tmp_path / "w.duckdb"
    out = run_target(target_config(tmp_path, db, engine), messages(0, 100))
    emitted = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert emitted[-1]["bookmarks"]["orders"]["replication_key_value"] == 1700000099
    assert persisted_state(db, engine) == emitted[-1]


def test_empty_or_regressing_state_is_refused(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb", create=True)
    ensure_ops(con, "singer_state")
    good = {"bookmarks": {"orders": {"replication_key_value": 200}}}
    assert store.write_state(con, "k", good, "s1") == []
    assert store.write_state(con, "k", {}, "s2") == ["empty state would replace existing bookmarks"]
    assert store.write_state(con, "k", {"bookmarks": {"orders": {"replication_key_value": 100}}}, "s3")
    assert store.read_state(con, "k") == good
    con.close()


@ENGINES
def test_kill_mid_stream_then_resume_loses_and_duplicates_nothing(tmp_path: Path, engine: str) -> None:
    """SIGKILL the target while it loads, resume from the persisted bookmark (>=), compare with the source."""
    db = tmp_path / ("w.duckdb" if engine == "duckdb" else "warehouse")
    cfg = target_config(tmp_path, db, engine)
    total = 3000
    proc = subprocess.Popen([TARGET, "--config", str(cfg)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None
    lines = messages(0, total)
    for n, line in enumerate(lines):
        proc.stdin.write(line + "\n")
        if n == len(lines) // 2:
            proc.stdin.flush()
            # wait until at least one checkpoint is committed, then kill without any chance to drain
            for _ in range(200):
                time.sleep(0.05)
                if persisted_state(db, engine) is not None:
                    break
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()

    state = persisted_state(db, engine)
    assert state is not None, "a checkpoint should have been committed before the kill"
    bookmark = state["bookmarks"]["orders"]["replication_key_value"]
    landed = {int(r[3]) for r in raw_rows(db, engine)}
    # everything the bookmark covers is committed
    assert set(range(1700000000, bookmark + 1)) <= landed
    assert bookmark < 1700000000 + total - 1, "the kill should have happened before the end"

    # resume as a tap would: from the bookmark, inclusive
    run_target(cfg, messages(bookmark - 1700000000, total))
    rows = raw_rows(db, engine)
    values = [int(r[3]) for r in rows]
    assert sorted(values) == list(range(1700000000, 1700000000 + total))  # none lost, none twice


def test_records_and_state_commit_in_one_transaction(tmp_path: Path) -> None:
    """If persisting the state fails, the rows of that checkpoint are rolled back with it and nothing is emitted."""
    db = tmp_path / "w.duckdb"
    cfg = target_config(tmp_path, db)
    run_target(cfg, messages(0, 50))  # one checkpoint: 50 rows, bookmark 1700000049
    con = connect(db, create=True)
    # make the next state write fail inside the loader's transaction
    con.execute("drop table ops.singer_state")
    con.execute("create table ops.singer_state (state_key VARCHAR PRIMARY KEY, state JSON NOT NULL, "
                "sync_id VARCHAR, updated_at TIMESTAMPTZ NOT NULL, CHECK (state_key <> 'main'))")
    con.close()
    proc = subprocess.run([TARGET, "--config", str(cfg)], input="\n".join(messages(50, 100)) + "\n",
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stdout.strip() == ""  # no state emitted for rows that were not committed
    assert len(raw_rows(db)) == 50


def test_a_bad_memory_setting_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "target.json"
    cfg.write_text(json.dumps({"database": str(tmp_path / "w.duckdb"), "table_prefix": "douyin", "memory_limit": "lots"}))
    proc = subprocess.run([TARGET, "--config", str(cfg)], input="", capture_output=True, text=True)
    assert proc.returncode != 0
    assert "memory_limit: 'lots' must be a size such as 256MB or 2GB" in proc.stderr


def test_duckdb_settings_are_applied(tmp_path: Path) -> None:
    from orderlayer.loader.singer_target import TargetOrderlayer

    target = TargetOrderlayer(config={"database": str(tmp_path / "w.duckdb"), "table_prefix": "douyin",
                                      "memory_limit": "300MB", "checkpoint_threshold": "64MB"})
    limit, threshold = target._con.execute(
        "select current_setting('memory_limit'), current_setting('checkpoint_threshold')").fetchone()
    target._con.close()
    assert (limit, threshold) == ("286.1 MiB", "61.0 MiB")  # DuckDB shows 300 * 10^6 and 64 * 10^6 bytes in MiB


def test_every_landed_row_gets_the_next_landing_number(tmp_path: Path) -> None:
    """The incremental build's watermark: one sequence across raw tables, in landing order, none for a re-sent row."""
    con = connect(tmp_path / "w.duckdb", create=True)
    raw = store.RawStore(con, "raw", "douyin", "main", "sync-1")
    assert raw.append("orders", [record(1), record(2)], ["shop_id", "order_id"], "update_time") == 2
    assert raw.append("refunds", [{"id": "r1"}], ["id"], None) == 1
    assert raw.append("orders", [record(2), record(3)], ["shop_id", "order_id"], "update_time") == 1  # 2 is re-sent
    orders = con.execute("select _replication_value, _landed_seq from raw.douyin__orders order by _landed_seq").fetchall()
    refunds = con.execute("select _landed_seq from raw.douyin__refunds").fetchall()
    assert [v for v, _ in orders] == ["1700000001", "1700000002", "1700000003"]
    seqs = sorted([s for _, s in orders] + [s for (s,) in refunds])
    assert seqs == list(range(seqs[0], seqs[0] + 4))  # no gaps, no repeats across tables
    assert refunds[0][0] == orders[1][1] + 1 and orders[2][1] == refunds[0][0] + 1  # landing order across tables


def test_a_raw_table_from_before_landing_numbers_is_migrated_on_first_open(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = connect(db, create=True)
    con.execute("create schema raw")
    old_columns = store.RAW_COLUMNS.rsplit(",", 1)[0]  # the layout before _landed_seq
    con.execute(f"create table raw.douyin__orders ({old_columns})")
    con.execute(
        "insert into raw.douyin__orders values ('h1', 'orders', 'main', null, null, '{}', null, now(), 's0'), "
        "('h2', 'orders', 'main', null, null, '{\"a\":1}', null, now(), 's0')"
    )
    raw = store.RawStore(con, "raw", "douyin", "main", "sync-1")
    raw.append("orders", [record(7)], ["shop_id", "order_id"], "update_time")
    rows = con.execute("select _record_hash, _landed_seq from raw.douyin__orders order by _landed_seq").fetchall()
    assert [h for h, _ in rows][:2] in (["h1", "h2"], ["h2", "h1"]) and len(rows) == 3
    assert all(s is not None for _, s in rows) and len({s for _, s in rows}) == 3
    assert rows[2][1] > max(rows[0][1], rows[1][1])  # the new row lands after every backfilled one
    assert store.migrate_raw(con) == []  # idempotent


def test_the_target_lands_the_hand_written_canonical_text_and_hash(tmp_path: Path) -> None:
    """Through stdin, as a sync feeds it: an id above 2^64, 0.10 and 1e-7, escaped unicode, nested arrays."""
    from tests.loader.test_canonical import CANONICAL, HASH, LINE

    db = tmp_path / "w.duckdb"
    cfg = target_config(tmp_path, db)
    line = '{"type":"RECORD","stream":"orders","record":' + LINE + "}"
    run_target(cfg, [json.dumps(SCHEMA), line])
    run_target(cfg, [json.dumps(SCHEMA), line])  # re-sent: the same hash, nothing added
    assert raw_rows(db) == [(HASH, CANONICAL, '[7784061,"6936476692437472563"]', "1700000000")]
    compression = query(db, "select distinct compression from pragma_storage_info('raw.douyin__orders') "
                            "where column_name = '_record' and segment_type <> 'VALIDITY'")
    assert compression == [("ZSTD",)]
