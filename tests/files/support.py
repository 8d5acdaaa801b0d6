"""Helpers of the file-source tests: reading a warehouse, and the marketplace example
(docs/examples/file-source/marketplace.yml) synced and built through the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "file-source"
ORDERLAYER = str(Path(sys.executable).with_name("orderlayer"))
SALT = "marketplace-test-salt"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # build generates the mapping's staging models into the dbt project: a copy here, never the checkout
    env = {**os.environ, "ORDERLAYER_PII_SALT": SALT, "ORDERLAYER_PROJECT_DIR": str(cwd / "project")}
    return subprocess.run([ORDERLAYER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def dbt_project_copy(work: Path) -> Path:
    """A copy of the dbt project at ``work / "project"``, for builds that generate file-source models into it."""
    project = work / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "semantic", "docs"):
        shutil.copytree(ROOT / folder, project / folder)
    return project


def synced_and_built(work: Path) -> Path:
    """The marketplace example synced and built in ``work`` (with its own copy of the dbt project); the database."""
    dbt_project_copy(work)
    shutil.copy(EXAMPLES / "marketplace.yml", work / "marketplace.yml")
    shutil.copytree(EXAMPLES / "marketplace", work / "marketplace")
    (work / "orderlayer.yml").write_text(
        "database: wh.duckdb\nconnections:\n  mp:\n    source: files\n    shop_id: mp-seller-01\n"
        "    timezone: America/Sao_Paulo\n    currency: BRL\n    options:\n      mapping: marketplace.yml\n",
        encoding="utf-8",
    )
    for step in (("sync",), ("build",)):
        result = cli(*step, cwd=work)
        assert result.returncode == 0, result.stdout + result.stderr
    return work / "wh.duckdb"
