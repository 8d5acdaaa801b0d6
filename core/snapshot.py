"""The read snapshot: what readers (`sql`, `metrics`, `report`, `export`, BI tools) open instead of the warehouse.

DuckDB lets one process write a file or many read it, never both, so a reader of the warehouse itself would
block a run or be refused by one. Every writer therefore leaves, when it releases the lock, a copy of what
readers use — `published` (tables and views), `audit`, `quarantine` and `ops` — beside the database
(docs/operations.md, D-054, D-065). `raw` and staging (the bulk of the file) are not copied.

The copy costs what changed, not the size of the marts: `<name>.snapshot.duckdb` is a symbolic link to one of two
generation files, `<name>.snapshot-<n>.duckdb`. A writer brings the generation readers do *not* point at up to
date — in the order-keyed marts (`ORDER_SCOPES`) it replaces only the orders writers changed since that file was
written, as recorded in `ops.snapshot_journal` (builds, publishes and rollbacks write it in the transaction that
makes the change); every other table (small: ops records, quarantine, reconciliation, the time spine) and every
view is copied whole — and then swings the link to it with one rename. A reader opens the link, so it gets one
generation, whole, and a reader holding a generation open blocks nobody: if it still holds the file the writer
would update, the writer copies the current generation to a new file instead (a file copy, no parsing) and
updates that. A generation is trusted for a delta only when the warehouse recorded it (`ops.snapshot_files`) with
the token the file itself carries, so a file from another warehouse, a crash half-way or a restored backup falls
back to a fresh copy. After a full build or publish the changed schema is copied whole, as before.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orderlayer.core.warehouse import (
    AUDIT, LOCK_CONFLICT, OPS, ORDER_SCOPES, PUBLISHED, QUARANTINE, connect, ensure_ops, snapshot_path,
)

#: The schemas readers use; everything else stays in the warehouse only.
SNAPSHOT_SCHEMAS = (PUBLISHED, AUDIT, QUARANTINE, OPS)
#: Where a generation file records the token it was written with and the last journal entry it holds.
_STATE = "_snapshot"
#: `ops` tables only writers use: the snapshot's own bookkeeping, and the orders waiting for the next publish (as
#: large as the builds since it); no reader needs them.
_INTERNAL = ("snapshot_journal", "snapshot_files", "unpublished_keys")
_ALIAS = "snapshot"
_KEPT = 2  # generations kept: the one readers open and the one the next writer updates


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- the generations ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefreshResult:
    path: Path  # what readers open (the link)
    generation: Path  # the file it points at now
    how: str  # "delta" (changed orders applied), "copy+delta" (current generation copied, then applied) or "full"
    copied: tuple[str, ...] = ()  # the tables copied whole ("schema.table")


def _generations(link: Path) -> dict[int, Path]:
    pattern = re.compile(rf"^{re.escape(link.stem)}-(\d+){re.escape(link.suffix)}$")
    found = {}
    for path in link.parent.glob(f"{link.stem}-*{link.suffix}"):
        match = pattern.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def _current(link: Path) -> Path | None:
    if link.is_symlink():
        target = link.parent / os.readlink(link)
        return target if target.is_file() else None
    return None


def _remove_all(link: Path) -> None:
    for path in [link, *_generations(link).values()]:
        for side in (path, path.with_name(path.name + ".wal")):
            side.unlink(missing_ok=True)


def refresh_snapshot(db: Path) -> Path | None:
    """Bring the snapshot to the warehouse (the caller holds the writer lock) and return the path readers open;
    without a warehouse, remove it and return None."""
    result = refresh(db)
    return None if result is None else result.path


def refresh(db: Path) -> RefreshResult | None:
    link = snapshot_path(db)
    if not db.is_file():  # removed (a demo starting afresh): no copy of a warehouse that is gone
        _remove_all(link)
        return None
    con = connect(db)
    try:
        main = con.execute("SELECT current_database()").fetchone()[0]
        ensure_ops(con, "snapshot_journal", "snapshot_files")
        through = int(con.execute(f"SELECT nextval('{OPS}.snapshot_journal_seq')").fetchone()[0])
        recorded = {f: (tok, int(th)) for f, tok, th in con.execute(f"SELECT file, token, through FROM {OPS}.snapshot_files").fetchall()}
        generations = _generations(link)
        current = _current(link)
        target, how = None, "full"
        # 1. the generation readers do not point at, if no reader still holds it and the warehouse knows it
        for number in sorted(generations, reverse=True):
            path = generations[number]
            if path == current or path.name not in recorded:
                continue
            if _mostly_whole(con, recorded[path.name][1]):
                break
            if _attach(con, path) and _usable(con, recorded[path.name]):
                target, how = path, "delta"
            elif _attached(con):
                con.execute(f"DETACH {_ALIAS}")
            break
        new_number = max(generations, default=0) + 1
        # 2. a copy of the current generation (readers may hold it: a file copy never writes it)
        if target is None and current is not None and current.name in recorded and not _mostly_whole(con, recorded[current.name][1]):
            path = link.with_name(f"{link.stem}-{new_number}{link.suffix}")
            shutil.copyfile(current, path)
            if _attach(con, path) and _usable(con, recorded[current.name]):
                target, how = path, "copy+delta"
            else:
                if _attached(con):
                    con.execute(f"DETACH {_ALIAS}")
                path.unlink(missing_ok=True)
        # 3. a fresh file
        if target is None:
            target = link.with_name(f"{link.stem}-{new_number}{link.suffix}")
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
            con.execute(f"ATTACH {_quote(str(target))} AS {_ALIAS}")
            since = None
        else:
            since = int(con.execute(f"SELECT through FROM {_ALIAS}.{_STATE}.state").fetchone()[0])
        token = uuid.uuid4().hex
        try:
            copied = _write(con, main, since, through, token)
            con.execute(f'USE "{main}"')
            con.execute(f"DETACH {_ALIAS}")
        except BaseException:
            if _attached(con):
                con.execute(f'USE "{main}"')
                con.execute(f"DETACH {_ALIAS}")
            if how != "delta":
                target.unlink(missing_ok=True)
            raise
        _point(link, target)
        previous = current if current is not None and current != target and current.name in recorded else None
        _record(con, {target.name: (token, through), **({previous.name: recorded[previous.name]} if previous else {})})
    finally:
        con.close()
    for number, path in _generations(link).items():  # a reader still holding an older one keeps its open file
        if path not in (target, previous):
            path.unlink(missing_ok=True)
    return RefreshResult(link, target, how, tuple(copied))


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Attach a generation for writing; False when a reader holds it (it stays as that reader sees it)."""
    try:
        con.execute(f"ATTACH {_quote(str(path))} AS {_ALIAS}")
    except duckdb.ResourceInUseException:  # held by a connection of this very process
        return False
    except duckdb.IOException as exc:
        if LOCK_CONFLICT in str(exc):  # held by another process
            return False
        raise
    return True


def _attached(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [_ALIAS]).fetchone()[0])


def _usable(con: duckdb.DuckDBPyConnection, recorded: tuple[str, int]) -> bool:
    """The attached file is the generation the warehouse recorded (same token) and the journal still holds every
    entry after it (entries are pruned only up to what a recorded generation holds)."""
    try:
        token, through = con.execute(f"SELECT token, through FROM {_ALIAS}.{_STATE}.state").fetchone()
    except (duckdb.CatalogException, TypeError):
        return False
    return token == recorded[0] and int(through) >= recorded[1]


def _mostly_whole(con: duckdb.DuckDBPyConnection, since: int) -> bool:
    """Both big schemas are to be copied whole (a full build, then its publish): a fresh file costs the same and
    does not leave an updated one twice its size."""
    whole = {r[0] for r in con.execute(
        f"SELECT DISTINCT schema_name FROM {OPS}.snapshot_journal WHERE seq > ? AND scope IS NULL", [since]
    ).fetchall()}
    return {AUDIT, PUBLISHED} <= whole


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index",
        [database, schema, table],
    ).fetchall()


def _write(con: duckdb.DuckDBPyConnection, main: str, since: int | None, through: int, token: str) -> list[str]:
    """Bring the attached generation to the warehouse: with `since`, the order-keyed marts by the journal entries
    after it; everything else whole (returned). One transaction: a crash leaves the file as it was (and unrecorded)."""
    marks = ", ".join("?" * len(SNAPSHOT_SCHEMAS))
    tables = [
        (s, t) for s, t in con.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary "
            f"AND schema_name IN ({marks}) ORDER BY ALL",
            [main, *SNAPSHOT_SCHEMAS],
        ).fetchall()
        if not (s == OPS and t in _INTERNAL)
    ]
    views = con.execute(
        f"SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE database_name = ? AND NOT internal "
        f"AND schema_name IN ({marks}) ORDER BY ALL",
        [main, *SNAPSHOT_SCHEMAS],
    ).fetchall()
    whole: set[str] = set(SNAPSHOT_SCHEMAS)
    if since is not None:
        whole = {r[0] for r in con.execute(
            f"SELECT DISTINCT schema_name FROM {OPS}.snapshot_journal WHERE seq > ? AND scope IS NULL", [since]
        ).fetchall()}
    copied = []
    con.execute("BEGIN TRANSACTION")
    try:
        for schema, name in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal", [_ALIAS]
        ).fetchall():
            con.execute(f'DROP VIEW {_ALIAS}."{schema}"."{name}"')
        kept = set(tables)
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name <> ?",
            [_ALIAS, _STATE],
        ).fetchall():
            if (schema, name) not in kept:
                con.execute(f'DROP TABLE {_ALIAS}."{schema}"."{name}"')
        for schema in sorted({s for s, _ in tables} | {s for s, *_ in views} | {_STATE}):
            con.execute(f'CREATE SCHEMA IF NOT EXISTS {_ALIAS}."{schema}"')
        for schema, name in tables:
            source, copy = f'"{main}"."{schema}"."{name}"', f'{_ALIAS}."{schema}"."{name}"'
            scope = ORDER_SCOPES.get(name) if schema in (AUDIT, PUBLISHED) else None
            if (
                scope is not None
                and schema not in whole
                and _columns(con, _ALIAS, schema, name) == _columns(con, main, schema, name)
            ):
                keys = (
                    f"(SELECT order_key FROM {OPS}.snapshot_journal "
                    f"WHERE seq > {int(since)} AND schema_name = '{schema}' AND scope = '{scope}')"
                )
                con.execute(f"DELETE FROM {copy} WHERE order_key IN {keys}")
                con.execute(f"INSERT INTO {copy} SELECT * FROM {source} WHERE order_key IN {keys}")
                counts = con.execute(f"SELECT (SELECT count(*) FROM {copy}), (SELECT count(*) FROM {source})").fetchone()
                if counts[0] == counts[1]:
                    continue
                # changed outside a recorded write (a bare `dbt run`): this table is copied whole after all
            con.execute(f"CREATE OR REPLACE TABLE {copy} AS SELECT * FROM {source}")
            copied.append(f"{schema}.{name}")
        con.execute(f"USE {_ALIAS}")  # a view's SQL names `published.x`: resolve it inside the snapshot
        for schema, name, sql, comment in views:
            try:
                con.execute(sql)
            except duckdb.CatalogException:  # an audit view over staging: it could not be read there
                continue
            if comment:
                con.execute(f'COMMENT ON VIEW "{schema}"."{name}" IS {_quote(comment)}')
        con.execute(f"CREATE OR REPLACE TABLE {_STATE}.state (token VARCHAR NOT NULL, through BIGINT NOT NULL)")
        con.execute(f"INSERT INTO {_STATE}.state VALUES (?, ?)", [token, through])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return copied


def _point(link: Path, target: Path) -> None:
    """Swing the link readers open to `target` in one rename (a regular file from an earlier release is replaced)."""
    staged = link.with_name(f".{link.name}.link")
    staged.unlink(missing_ok=True)
    os.symlink(target.name, staged)
    os.replace(staged, link)


def _record(con: duckdb.DuckDBPyConnection, files: dict[str, tuple[str, int]]) -> None:
    """Remember the generations kept and forget the journal entries every one of them holds."""
    con.execute("BEGIN TRANSACTION")
    con.execute(f"DELETE FROM {OPS}.snapshot_files")
    for name, (token, through) in files.items():
        con.execute(f"INSERT INTO {OPS}.snapshot_files VALUES (?, ?, ?)", [name, token, through])
    con.execute(f"DELETE FROM {OPS}.snapshot_journal WHERE seq <= ?", [min(th for _, th in files.values())])
    con.execute("COMMIT")
