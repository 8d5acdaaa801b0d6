"""The read snapshot: what readers (`sql`, `metrics`, `report`, `export`, BI tools) open instead of the warehouse.

DuckDB lets one process write a file or many read it, never both, so a reader of the warehouse itself would
block a run or be refused by one. Every writer therefore leaves, when it releases the lock, a copy of what
readers use — `published` (tables and views), `audit`, `quarantine` and `ops` — in a side file
`<name>.snapshot.duckdb` beside the database (docs/operations.md, D-054). It is written under a temporary name
and renamed into place, so a reader opens either the old or the new copy, whole, and a reader holding the old
one open blocks nobody. `raw` and staging (the bulk of the file) are not copied.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orderlayer.core.warehouse import AUDIT, OPS, PUBLISHED, QUARANTINE, connect, snapshot_path

#: The schemas readers use; everything else stays in the warehouse only.
SNAPSHOT_SCHEMAS = (PUBLISHED, AUDIT, QUARANTINE, OPS)
_ALIAS = "snapshot"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def refresh_snapshot(db: Path) -> Path | None:
    """Rewrite the snapshot from the warehouse (the caller holds the writer lock); without a warehouse, remove it
    and return None.

    Views are recreated from their own SQL; one whose tables are not in the snapshot (an audit view over
    staging) is left out, as it could not be read there."""
    target = snapshot_path(db)
    if not db.is_file():  # removed (a demo starting afresh): no copy of a warehouse that is gone
        target.unlink(missing_ok=True)
        return None
    partial = target.with_name(f".{target.name}.partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = connect(db)
    try:
        main = con.execute("select current_database()").fetchone()[0]
        con.execute(f"ATTACH {_quote(str(partial))} AS {_ALIAS}")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? and not temporary "
            f"and schema_name in ({', '.join('?' * len(SNAPSHOT_SCHEMAS))}) order by all",
            [main, *SNAPSHOT_SCHEMAS],
        ).fetchall()
        views = con.execute(
            "select schema_name, view_name, sql, comment from duckdb_views() where database_name = ? and not internal "
            f"and schema_name in ({', '.join('?' * len(SNAPSHOT_SCHEMAS))}) order by all",
            [main, *SNAPSHOT_SCHEMAS],
        ).fetchall()
        for schema in sorted({s for s, _ in tables} | {s for s, *_ in views}):
            con.execute(f'CREATE SCHEMA {_ALIAS}."{schema}"')
        for schema, name in tables:
            con.execute(f'CREATE TABLE {_ALIAS}."{schema}"."{name}" AS SELECT * FROM "{main}"."{schema}"."{name}"')
        con.execute(f"USE {_ALIAS}")  # a view's SQL names `published.x`: resolve it inside the snapshot
        for schema, name, sql, comment in views:
            try:
                con.execute(sql)
            except duckdb.CatalogException:
                continue
            if comment:
                con.execute(f'COMMENT ON VIEW "{schema}"."{name}" IS {_quote(comment)}')
        con.execute(f'USE "{main}"')
        con.execute(f"DETACH {_ALIAS}")
    except BaseException:
        con.close()
        partial.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(partial, target)
    return target
