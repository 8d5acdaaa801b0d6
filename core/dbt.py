"""Where the dbt project lives and how orderlayer invokes dbt on a given database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.registry import CHANNELS, source


def project_dir() -> Path:
    """The orderlayer checkout that holds dbt_project.yml (the package is installed editable from it)."""
    override = os.environ.get("ORDERLAYER_PROJECT_DIR")
    root = Path(override) if override else Path(__file__).resolve().parent.parent
    if not (root / "dbt_project.yml").exists():
        raise ConfigError(
            f"ORDERLAYER_PROJECT_DIR: no dbt_project.yml in {root}; install orderlayer editable from its checkout "
            "(`make demo` does) or point ORDERLAYER_PROJECT_DIR at the checkout"
        )
    return root


def dbt_artifacts(db_path: Path) -> tuple[Path, Path]:
    """dbt's target and log folders for the warehouse at ``db_path``: beside it, one pair per database file.

    Not the project's ``target/``: two warehouses built from one checkout (the demo and a real one, or two
    runs at once) would otherwise read each other's run results, freshness verdicts and semantic manifest.
    """
    base = db_path.resolve().parent / "dbt" / db_path.stem
    return base / "target", base / "logs"


def semantic_manifest(db_path: Path) -> Path:
    """The semantic manifest of the last dbt command on ``db_path`` (MetricFlow reads the marts' relations in it)."""
    return dbt_artifacts(db_path)[0] / "semantic_manifest.json"


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The one dbt var set orderlayer passes: zones, currency and each connection's shop settings."""
    file_channels = sorted({c.channel for c in settings.connections.values() if source(c.source).kind == "file"})
    return {
        "orderlayer_reporting_timezone": settings.reporting_timezone,
        "orderlayer_reporting_currency": settings.reporting_currency,
        # rule A5: per-currency ceilings of one order's paid amount (macros/amounts.sql merges them over its defaults)
        "orderlayer_amount_ceilings": settings.amount_ceilings,
        "orderlayer_shops": [
            {"channel": c.channel, "shop_id": c.shop_id, "timezone": c.timezone, "currency": c.currency}
            for c in settings.connections.values()
        ],
        # gate Y1: the sources' freshness thresholds (dbt source freshness)
        "orderlayer_freshness_warn_minutes": settings.gates.freshness_warn_minutes,
        "orderlayer_freshness_error_minutes": settings.gates.freshness_error_hours * 60,
        # the channels whose staging models feed the marts: every shipped channel plus the configured file sources
        "orderlayer_channels": list(CHANNELS) + file_channels,
        "orderlayer_file_channels": file_channels,
        # one order across systems: which ERPs are modelled, their matching rules, tolerances, grace
        "orderlayer_erps": sorted({c.source for c in settings.connections.values() if source(c.source).kind == "erp"}),
        "orderlayer_erp_matching": {
            erp: rule.model_dump(include={"reference_field", "strip_prefixes", "strip_suffixes"})
            for erp, rule in settings.erp_matching.items()
        },
        "orderlayer_erp_customers": [
            {"erp_system": erp, "erp_customer": code, "channel": shop.partition(":")[0], "shop_id": shop.partition(":")[2]}
            for erp, rule in settings.erp_matching.items()
            for code, shop in rule.customers.items()
        ],
        "orderlayer_erp_grace_hours": settings.gates.erp_grace_hours,
        "orderlayer_reconciliation_amount_tolerance": settings.reconciliation.amount_tolerance,
        "orderlayer_reconciliation_amount_tolerance_share": settings.reconciliation.amount_tolerance_share,
        "orderlayer_reconciliation_count_tolerance": settings.reconciliation.count_tolerance,
    }


@dataclass
class DbtResult:
    command: str
    returncode: int
    results: list[dict] = field(default_factory=list)
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failures(self) -> list[dict]:
        return [r for r in self.results if r.get("status") in ("error", "fail", "runtime error")]

    def warnings(self) -> list[dict]:
        return [r for r in self.results if r.get("status") == "warn"]


def run_dbt(args: list[str], settings: Settings, db_path: Path) -> DbtResult:
    """Run one dbt command on `db_path` in a subprocess (so DuckDB's file lock is released after it)."""
    root = project_dir()
    env = dict(os.environ)
    env["ORDERLAYER_DB"] = str(db_path.resolve())
    env["DBT_PROFILES_DIR"] = str(root)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    target, logs = dbt_artifacts(db_path)
    env["DBT_TARGET_PATH"] = str(target)
    env["DBT_LOG_PATH"] = str(logs)
    dbt = Path(sys.executable).with_name("dbt")
    if not dbt.exists():
        raise ConfigError(f"dbt is not installed beside {sys.executable}; run `pip install -e .` in the checkout")
    cmd = [str(dbt), *args, "--vars", json.dumps(dbt_vars(settings))]
    db_path.parent.mkdir(parents=True, exist_ok=True)
    run_results = target / "run_results.json"
    run_results.unlink(missing_ok=True)  # never read a previous command's results
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    results: list[dict] = []
    if run_results.exists() and args and args[0] in ("build", "run", "test", "seed"):
        data = json.loads(run_results.read_text(encoding="utf-8"))
        results = [
            {
                "unique_id": r["unique_id"],
                "status": r["status"],
                "failures": r.get("failures"),
                "message": r.get("message"),
            }
            for r in data.get("results", [])
        ]
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
    return DbtResult(command=" ".join(args), returncode=proc.returncode, results=results, log_tail=tail)
