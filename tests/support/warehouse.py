"""Reading a test's warehouse file."""

from __future__ import annotations

from pathlib import Path

import duckdb


def query(db: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on ``db``, read-only, with the session in UTC (as orderlayer opens it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()
