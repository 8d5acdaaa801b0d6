"""The Spark raw store (loader/parquet_store.py): the DuckDB store's rows, deduplicated, files that appear only when
their transaction commits, the state after them, and a kill at any step resumed without loss or duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.warehouse import connect
from orderlayer.loader import parquet_store as ps
from orderlayer.loader.raw_store import RawStore, raw_row
from tests.loader.test_target import record

KEYS = ["shop_id", "order_id"]


def landed(warehouse: Path, table: str = "douyin__orders") -> list[tuple]:
    """The rows Spark would read: every landed file of the table (not the hidden ones)."""
    files = ps.landed_files(ps.open_warehouse(str(warehouse)), str(warehouse / "raw.db" / table))
    if not files:
        return []
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute("select * from read_parquet(?) order by _landed_seq", [files]).fetchall()


def store(warehouse: Path, sync_id: str = "sync-1") -> ps.ParquetRawStore:
    return ps.ParquetRawStore(str(warehouse), "raw", "douyin", "main", sync_id)


def test_rows_are_the_duckdb_raw_rows(tmp_path: Path) -> None:
    """Same columns in the same order, and the same values, as the DuckDB raw table for the same records."""
    extracted = datetime(2026, 10, 8, 4, 0, 1, 250000, tzinfo=timezone.utc)
    batch = [record(0) | {"__extracted_at": extracted}, record(1)]
    con = connect(tmp_path / "w.duckdb", create=True)
    RawStore(con, "raw", "douyin", "main", "sync-1").append("orders", [dict(r) for r in batch], KEYS, "update_time")
    duck = con.execute("select * from raw.douyin__orders order by _landed_seq")
    duck_columns, duck_rows = [d[0] for d in duck.description], duck.fetchall()
    con.close()
    assert store(tmp_path / "wh").append("orders", [dict(r) for r in batch], KEYS, "update_time") == 2
    with duckdb.connect() as reader:
        reader.execute("set TimeZone = 'UTC'")
        spark = reader.execute("select * from read_parquet(?) order by _landed_seq",
                               [ps.landed_files(ps.open_warehouse(str(tmp_path / "wh")), str(tmp_path / "wh/raw.db/douyin__orders"))])
        spark_columns, spark_rows = [d[0] for d in spark.description], spark.fetchall()
    assert spark_columns == duck_columns
    synced = duck_columns.index("_synced_at")
    for duck_row, spark_row in zip(duck_rows, spark_rows, strict=True):
        # everything but the landing time and number, which belong to each landing
        assert spark_row[:synced] == duck_row[:synced] and spark_row[synced + 1] == duck_row[synced + 1]
    first = spark_rows[0]
    assert first[0] == raw_row("orders", record(0), KEYS, None, None).digest
    assert first[3:7] == ('[7784061,"6936476692437472563"]', "1700000000", first[5], extracted)
    assert json.loads(first[5]) == record(0) and '"price":"0.10"' in first[5] and '"weight":0.1' in first[5]
    assert [r[-1] for r in spark_rows] == [1, 2] and first[-2] == "sync-1"


def test_a_version_already_landed_is_not_landed_again(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    raw = store(wh)
    assert raw.append("orders", [record(1), record(2), record(2)], KEYS, "update_time") == 2  # twice in one batch
    assert raw.append("orders", [record(2), record(3)], KEYS, "update_time") == 1  # 2 is re-sent
    assert raw.append("refunds", [record(2)], KEYS, None) == 1  # another stream: another table and hash
    # a new run (a new process) finds the hashes in the files
    again = store(wh, "sync-2")
    assert again.append("orders", [record(1), record(3)], KEYS, "update_time") == 0
    assert again.append("orders", [record(1) | {"order_status": 3}], KEYS, "update_time") == 1  # a changed version
    rows = landed(wh)
    assert [r[4] for r in rows] == ["1700000001", "1700000002", "1700000003", "1700000001"]
    assert len({r[0] for r in rows}) == 4
    # landing numbers: one sequence over the schema's tables, in landing order, none for a re-sent row
    refunds = landed(wh, "douyin__refunds")
    assert [r[-1] for r in rows] == [1, 2, 3, 5] and [r[-1] for r in refunds] == [4]
    assert [r[-2] for r in rows] == ["sync-1", "sync-1", "sync-1", "sync-2"]


def test_files_appear_only_when_the_transaction_commits(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    folder = wh / "raw.db" / "douyin__orders"
    raw = store(wh)
    with raw.transaction():
        raw.append("orders", [record(1)], KEYS, "update_time")
        raw.append("orders", [record(2)], KEYS, "update_time")
        assert raw.write_state("main", {"bookmarks": {"orders": {"replication_key_value": 1700000002}}}) == []
        hidden = sorted(p.name for p in folder.iterdir())
        assert len(hidden) == 2 and all(name.startswith("_tmp-") for name in hidden)  # Spark skips `_` files
        assert landed(wh) == [] and ps.read_state(raw.wh, "main") is None
    assert sorted(p.name.startswith("part-") and p.name.endswith(".parquet") for p in folder.iterdir()) == [True, True]
    assert len(landed(wh)) == 2
    assert ps.read_state(raw.wh, "main") == {"bookmarks": {"orders": {"replication_key_value": 1700000002}}}

    with pytest.raises(RuntimeError), raw.transaction():
        assert raw.append("orders", [record(3)], KEYS, "update_time") == 1
        raw.write_state("main", {"bookmarks": {"orders": {"replication_key_value": 1700000003}}})
        raise RuntimeError("the batch failed")
    assert len(list(folder.iterdir())) == 2 and len(landed(wh)) == 2  # nothing appeared, nothing left behind
    assert ps.read_state(raw.wh, "main")["bookmarks"]["orders"]["replication_key_value"] == 1700000002
    assert raw.append("orders", [record(3)], KEYS, "update_time") == 1  # the abandoned row was never landed


def test_a_move_that_fails_lands_neither_the_rest_nor_the_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = store(tmp_path / "wh")
    moves = []
    real = ps.reveal

    def second_move_fails(wh: ps.Warehouse, hidden: str, final: str) -> None:
        moves.append(final)
        if len(moves) == 2:
            raise OSError("disk full")
        real(wh, hidden, final)

    monkeypatch.setattr(ps, "reveal", second_move_fails)
    with pytest.raises(OSError), raw.transaction():
        raw.append("orders", [record(1)], KEYS, "update_time")
        raw.append("refunds", [record(1)], KEYS, None)
        raw.write_state("main", {"bookmarks": {"orders": {"replication_key_value": 1700000001}}})
    monkeypatch.setattr(ps, "reveal", real)
    assert len(landed(tmp_path / "wh")) == 1 and landed(tmp_path / "wh", "douyin__refunds") == []
    assert ps.read_state(raw.wh, "main") is None and not list((tmp_path / "wh").rglob("_tmp-*"))
    assert raw.append("refunds", [record(1)], KEYS, None) == 1  # the row whose file never appeared lands now
    assert raw.append("orders", [record(1)], KEYS, "update_time") == 0  # the one that did is not landed twice


def test_empty_or_regressing_state_is_refused(tmp_path: Path) -> None:
    raw = store(tmp_path / "wh")
    good = {"bookmarks": {"orders": {"replication_key_value": 200}}}
    assert raw.write_state("shop/1", good) == []
    assert raw.write_state("shop/1", {}) == ["empty state would replace existing bookmarks"]
    assert raw.write_state("shop/1", {"bookmarks": {"orders": {"replication_key_value": 100}}})
    assert ps.read_state(raw.wh, "shop/1") == good
    assert ps.clear_state(raw.wh, "shop/1") and ps.read_state(raw.wh, "shop/1") is None


def test_an_object_store_url_opens_through_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """`s3a://` (Spark's spelling) is opened with pyarrow's S3 filesystem, without a network call; the table
    location keeps Spark's spelling."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    wh = ps.open_warehouse("s3a://lake/orderlayer/warehouse/")
    assert (wh.fs.type_name, wh.fs.region, wh.root) == ("s3", "eu-west-1", "lake/orderlayer/warehouse")
    assert wh.location("raw.db", "douyin__orders").startswith("s3a://lake/orderlayer/warehouse")


#: Lands 2 STATE checkpoints of 2 streams (orders 0-3 then 4-7, refunds alongside) and dies (os._exit) at the
#: `kill_at`-th move into place: the checkpoints' files and state files are moves 1-3 and 4-6.
_LAND = """
import json, os, sys
from orderlayer.loader import parquet_store as ps
from tests.loader.test_target import record
warehouse, kill_at, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
moves = 0
reveal = ps.reveal
def dying_reveal(wh, hidden, final):
    global moves
    moves += 1
    if moves == kill_at:
        os._exit(9)
    reveal(wh, hidden, final)
ps.reveal = dying_reveal
raw = ps.ParquetRawStore(warehouse, "raw", "douyin", "main", f"sync-{kill_at}-{start}")
for checkpoint in range(start // 4, 2):
    i = range(max(start, checkpoint * 4), checkpoint * 4 + 4)
    with raw.transaction():
        raw.append("orders", [record(n) for n in i], ["shop_id", "order_id"], "update_time")
        raw.append("refunds", [{"refund_id": n} for n in i], ["refund_id"], None)
        raw.write_state("main", {"bookmarks": {"orders": {"replication_key_value": 1700000000 + i[-1]}}})
"""


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 5, 6, 7])
def test_a_kill_at_any_step_resumes_without_loss_or_duplicates(tmp_path: Path, kill_at: int) -> None:
    wh = tmp_path / "wh"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    died = subprocess.run([sys.executable, "-c", _LAND, str(wh), str(kill_at), "0"], env=env, cwd=root)
    assert died.returncode == (9 if kill_at <= 6 else 0)
    state = ps.read_state(ps.open_warehouse(str(wh)), "main")
    bookmark = None if state is None else state["bookmarks"]["orders"]["replication_key_value"] - 1700000000
    assert bookmark == {1: None, 2: None, 3: None, 4: 3, 5: 3, 6: 3, 7: 7}[kill_at]
    orders = {int(r[4]) - 1700000000 for r in landed(wh)}
    assert set(range((bookmark or -1) + 1)) <= orders  # the bookmark covers only landed rows
    # resume as a tap does: from the bookmark, inclusive; a dead loader's hidden files are cleared on the way
    resumed = subprocess.run([sys.executable, "-c", _LAND, str(wh), "0", str(bookmark or 0)], env=env, cwd=root)
    assert resumed.returncode == 0
    assert sorted(int(r[4]) - 1700000000 for r in landed(wh)) == list(range(8))  # none lost, none twice
    assert sorted(json.loads(r[5])["refund_id"] for r in landed(wh, "douyin__refunds")) == list(range(8))
    assert not [p for p in wh.rglob("_tmp-*")]
    seqs = [r[-1] for r in landed(wh) + landed(wh, "douyin__refunds")]
    assert len(set(seqs)) == 16


def test_on_a_cluster_registering_needs_its_metastore(tmp_path: Path) -> None:
    """method thrift: a session of the loader's own would register the table in a catalog the server never reads."""
    from orderlayer.core.config import Settings
    from orderlayer.loader.spark_catalog import RegistrationFailed, register_raw_tables, unregistered

    warehouse = tmp_path / "lake"
    store(warehouse).append("orders", [record(1)], KEYS, "update_time")
    settings = Settings.model_validate({"engine": "spark", "spark": {"method": "thrift", "host": "sts.internal",
                                                                      "warehouse_dir": str(warehouse)}})
    with pytest.raises(RegistrationFailed, match="set spark.hadoop.hive.metastore.uris to its URI"):
        register_raw_tables(settings, tmp_path / "db")
    assert unregistered(ps.open_warehouse(str(warehouse))) == ["douyin__orders"]  # retried by the next sync
