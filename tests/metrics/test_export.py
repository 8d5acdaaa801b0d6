"""`orderlayer export --to DIR`: every published table and view to Parquet, read back exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orderlayer.core.export import ExportError, export_published

from .conftest import cli, query


def test_export_writes_every_published_relation_and_reads_back_exactly(demo_dir: Path, demo_db: Path, tmp_path: Path) -> None:
    out = cli("export", "--to", str(tmp_path / "parquet"), "--db", "demo.duckdb", cwd=demo_dir)
    assert out.returncode == 0, out.stdout + out.stderr
    directory = tmp_path / "parquet"
    relations = dict(query(demo_db, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'published'"))
    assert "fct_orders" in relations and "daily_channel_kpis" in relations
    assert {p.stem for p in directory.glob("*.parquet")} == set(relations)

    manifest = json.loads((directory / "_export.json").read_text(encoding="utf-8"))
    assert manifest["published_version"] == query(demo_db, "SELECT max(version) FROM ops.publish_log")[0][0]
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{demo_db}' AS wh (READ_ONLY)")
        for entry in manifest["relations"]:
            name = entry["name"]
            file = str(directory / entry["file"])
            rows = con.execute(f"SELECT count(*) FROM read_parquet('{file}')").fetchone()[0]
            assert rows == entry["rows"] == con.execute(f"SELECT count(*) FROM wh.published.{name}").fetchone()[0], name
        # money: per order, the exact DECIMAL(18,2) (no float on the way), and the same total
        orders = str(directory / "fct_orders.parquet")
        assert con.execute(f"SELECT typeof(paid_amount) FROM read_parquet('{orders}') LIMIT 1").fetchone()[0] == "DECIMAL(18,2)"
        differing = con.execute(
            f"""SELECT count(*) FROM wh.published.fct_orders AS o FULL JOIN read_parquet('{orders}') AS p USING (order_key)
                WHERE o.paid_amount IS DISTINCT FROM p.paid_amount OR o.paid_at IS DISTINCT FROM p.paid_at
                   OR o.channel_order_id IS DISTINCT FROM p.channel_order_id"""
        ).fetchone()[0]
        assert differing == 0
        exported_gmv = con.execute(
            f"SELECT sum(gmv) FROM read_parquet('{directory / 'daily_channel_kpis.parquet'}')"
        ).fetchone()[0]
        assert isinstance(exported_gmv, Decimal)
        assert exported_gmv == con.execute("SELECT sum(gmv) FROM wh.published.daily_channel_kpis").fetchone()[0]
    finally:
        con.close()
    # any Parquet reader sees the decimal type and the 19-digit ids as text
    schema = pq.read_schema(orders)
    assert str(schema.field("paid_amount").type) == "decimal128(18, 2)"
    assert str(schema.field("channel_order_id").type) == "string"


def test_export_refuses_a_missing_database_or_an_empty_published(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="not found"):
        export_published(tmp_path / "missing.duckdb", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with pytest.raises(ExportError, match="nothing is published"):
        export_published(tmp_path / "empty.duckdb", tmp_path / "out")
