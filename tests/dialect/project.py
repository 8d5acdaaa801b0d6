"""A throwaway dbt project holding the conformance cases (tests/dialect/cases.py) as models over orderlayer's own
macros, built with `run_dbt` on either engine, and what its tables hold afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

from orderlayer.core.config import Settings
from orderlayer.core.dbt import project_dir, run_dbt
from tests.dialect.cases import GROUPS, INPUTS, ROWS, ROWS_INPUT
from tests.support.engines import duckdb_rows, spark_rows

#: dbt's default schema in orderlayer's profile outputs (profiles.yml): where the case tables land
SCHEMA = "main"

_PROJECT = """\
name: orderlayer
version: "0.1.0"
config-version: 2
profile: orderlayer
model-paths: ["models"]
macro-paths: ["macros"]
flags:
  send_anonymous_usage_stats: false
models:
  orderlayer:
    +materialized: table
"""


def write_project(root: Path) -> Path:
    """A dbt project named orderlayer (so `adapter.dispatch(…, 'orderlayer')` finds the macros) with a copy of this
    checkout's macros and profile, and one model per case group plus one per row-making macro."""
    source = project_dir()
    shutil.copytree(source / "macros", root / "macros")
    shutil.copy(source / "profiles.yml", root / "profiles.yml")
    (root / "dbt_project.yml").write_text(_PROJECT, encoding="utf-8")
    models = root / "models"
    models.mkdir()
    inputs = ",\n    ".join(f"{sql} as {name}" for name, sql in INPUTS.items())
    for group, cases in GROUPS.items():
        columns = ",\n    ".join(f"{case.sql} as {case.column}" for case in cases)
        (models / f"cases_{group}.sql").write_text(
            f"with inputs as (\n  select\n    {inputs}\n)\nselect\n    {columns}\nfrom inputs\n", encoding="utf-8"
        )
    for case in ROWS:
        (models / f"rows_{case.macro}.sql").write_text(f"with rows_input as ({ROWS_INPUT})\n{case.sql}\n", encoding="utf-8")
    return root


def build(settings: Settings, db_path: Path) -> None:
    result = run_dbt(["build"], settings, db_path)
    assert result.ok, f"dbt build of the dialect cases failed on {settings.engine}:\n{result.log_tail}"


def case_values(engine: str, settings: Settings, db_path: Path) -> dict[str, object]:
    """Every case column's value (the case tables have one row each)."""
    values: dict[str, object] = {}
    for group in GROUPS:
        columns, rows = _rows(engine, settings, db_path, f"cases_{group}")
        assert len(rows) == 1, f"cases_{group}: {len(rows)} rows on {engine}"
        values |= dict(zip(columns, rows[0]))
    return values


def made_rows(engine: str, settings: Settings, db_path: Path) -> dict[str, tuple[list[str], list[dict]]]:
    """Per row-making macro: the columns of its table, in order, and its rows (sorted by every column)."""
    out = {}
    for case in ROWS:
        columns, rows = _rows(engine, settings, db_path, f"rows_{case.macro}")
        out[case.macro] = (columns, [dict(zip(columns, row)) for row in rows])
    return out


def _rows(engine: str, settings: Settings, db_path: Path, table: str) -> tuple[list[str], list[tuple]]:
    if engine == "spark":
        return spark_rows(settings, db_path, f"{SCHEMA}.{table}")
    return duckdb_rows(db_path, f"{SCHEMA}.{table}")
