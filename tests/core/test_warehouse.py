"""The one way to open the warehouse, and the one definition of the `ops` tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orderlayer.core.warehouse import OPS_TABLES, QueryError, connect, ensure_ops, read_query


def test_only_a_creating_connection_makes_the_file(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "w.duckdb"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        connect(db)
    connect(db, create=True).close()
    assert db.is_file()


def test_sessions_are_utc_and_read_only_ones_cannot_write(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db, create=True).close()
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE t (x INT)")
    finally:
        con.close()


def test_ensure_ops_creates_just_the_named_tables_with_every_later_column(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb", create=True)
    try:
        ensure_ops(con, "gate_results", "singer_state")
        ensure_ops(con, "gate_results")  # again: nothing changes
        tables = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'ops' ORDER BY 1")
        assert tables.fetchall() == [("gate_results",), ("singer_state",)]
        columns = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'gate_results'").fetchall()}
        assert {"example_key", "note", "description"} <= columns
        with pytest.raises(ValueError, match="ops tables \\['runz'\\]"):
            ensure_ops(con, "runz")
        ensure_ops(con, *OPS_TABLES)
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'ops'").fetchall()}
        assert len(tables) == 16 and tables == set(OPS_TABLES) - {"raw_landed_seq"}  # the landing sequence is no table
        # the landing sequence and the read snapshot's journal numbers
        assert con.execute("SELECT count(*) FROM duckdb_sequences() WHERE schema_name = 'ops'").fetchone() == (2,)
    finally:
        con.close()


def test_read_query_answers_queries_and_refuses_writes_and_file_access(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db, create=True).close()
    assert read_query(db, "SELECT 1 AS x") == (["x"], [(1,)])
    with pytest.raises(QueryError, match="read-only"):
        read_query(db, "CREATE TABLE t (x INT)")
    with pytest.raises(QueryError, match="file system operations are disabled"):
        read_query(db, f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'")
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(QueryError, match="not found"):
        read_query(tmp_path / "missing.duckdb", "SELECT 1")
