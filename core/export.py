"""`orderlayer export`: every table and view of `published` to Parquet, one file each, for tools that read files.

DuckDB writes the files itself (COPY … (FORMAT parquet)), so DECIMAL amounts stay DECIMAL, instants stay
UTC timestamps and id columns stay text. All files come from the read snapshot (core/snapshot.py), read in one
transaction, so they belong to the same published version and a run neither waits for the export nor stops
it; `_export.json` names the version.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orderlayer.core.config import Settings
from orderlayer.core.warehouse import PUBLISHED, connect, reader_path

MANIFEST = "_export.json"


class ExportError(Exception):
    """The export could not run; the message says why and what to do."""


@dataclass(frozen=True)
class ExportedRelation:
    name: str
    kind: str  # "table" or "view"
    rows: int
    file: str


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    published_version: int | None
    relations: list[ExportedRelation]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_published(db_path: Path, directory: Path) -> ExportResult:
    """Write `<directory>/<relation>.parquet` for every relation in `published`, plus `_export.json`."""
    if not db_path.is_file():
        raise ExportError(f"database {db_path} not found; run `orderlayer run` or `orderlayer demo` first")
    con = connect(reader_path(db_path), read_only=True)
    try:
        con.execute("BEGIN TRANSACTION")  # one snapshot for every file
        relations = con.execute(
            """SELECT table_name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END
               FROM information_schema.tables
               WHERE table_schema = ? AND table_catalog = current_database()
               ORDER BY table_type, table_name""",
            [PUBLISHED],
        ).fetchall()
        if not relations:
            raise ExportError("nothing is published yet; run `orderlayer run` (publish happens when no red gate fails)")
        has_log = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ops' AND table_name = 'publish_log'"
        ).fetchone()[0]
        version = con.execute("SELECT max(version) FROM ops.publish_log").fetchone()[0] if has_log else None
        directory.mkdir(parents=True, exist_ok=True)
        exported = []
        for name, kind in relations:
            target = directory / f"{name}.parquet"
            partial = directory / f".{name}.parquet.partial"
            # write aside, then rename: a reader never sees a half-written file under the final name
            (rows,) = con.execute(
                f'COPY (SELECT * FROM {PUBLISHED}."{name}") TO {_sql_string(str(partial))} '
                "(FORMAT parquet, COMPRESSION zstd)"
            ).fetchone()  # COPY answers the number of rows it wrote
            os.replace(partial, target)
            exported.append(ExportedRelation(name=name, kind=kind, rows=int(rows), file=target.name))
        con.execute("COMMIT")
    except duckdb.Error as exc:
        raise ExportError(f"export failed: {exc}") from exc
    finally:
        con.close()
    return _manifest(db_path, directory, version, exported)


def export_published_spark(settings: Settings, directory: Path) -> ExportResult:
    """`export_published` on an `engine: spark` warehouse: each relation of `published` read through Spark as Arrow
    (exact decimals, UTC instants) and written with pyarrow, aside then renamed, zstd-compressed like DuckDB's files.
    The relations are read one after the other: Spark's catalog has no snapshot across tables (docs/engines.md)."""
    import pyarrow.parquet as pq

    from orderlayer.core.spark_client import SparkQueryError, spark_client

    try:
        with spark_client(settings, settings.database) as client:
            relations = client.relations(PUBLISHED)
            if not relations:
                raise ExportError("nothing is published yet; run `orderlayer run` (publish happens when no red gate fails)")
            directory.mkdir(parents=True, exist_ok=True)
            exported = []
            for name, kind in relations:
                table = client.arrow(f"select * from {PUBLISHED}.`{name}`")
                target, partial = directory / f"{name}.parquet", directory / f".{name}.parquet.partial"
                pq.write_table(table, partial, compression="zstd")
                os.replace(partial, target)
                exported.append(ExportedRelation(name=name, kind=kind, rows=table.num_rows, file=target.name))
    except SparkQueryError as exc:
        raise ExportError(f"export failed: {exc}") from exc
    return _manifest(settings.database, directory, None, exported)


def _manifest(db_path: Path, directory: Path, version: int | None, exported: list[ExportedRelation]) -> ExportResult:
    """Write `_export.json` beside the files: what was exported, from which database and published version."""
    result = ExportResult(directory=directory, published_version=version, relations=exported)
    (directory / MANIFEST).write_text(
        json.dumps(
            {
                "database": str(db_path),
                "published_version": version,
                "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "relations": [asdict(r) for r in exported],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return result
