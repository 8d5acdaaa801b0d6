"""Where the dbt project lives and how orderlayer invokes dbt on a given database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from orderlayer.core.config import ConfigError, Settings
from orderlayer.core.engines import build_args, dbt_env
from orderlayer.core.registry import CHANNELS, source


#: the dbt project name of orderlayer's own project (dbt_project.yml), the package name in a user project
PACKAGE_NAME = "orderlayer"
#: where a wheel keeps the dbt project (packaging/layout.py DBT_PACKAGE): site-packages/orderlayer/dbt_package/
_INSTALLED = Path(__file__).resolve().parent.parent / "dbt_package"


def project_dir() -> Path:
    """orderlayer's own dbt project: the checkout it is installed editable from, else the copy inside the
    installed wheel (`orderlayer/dbt_package/`). A user project uses it as a dbt package (`orderlayer init`)."""
    override = os.environ.get("ORDERLAYER_PROJECT_DIR")
    checkout = Path(__file__).resolve().parent.parent
    candidates = [Path(override)] if override else [checkout, _INSTALLED]
    for root in candidates:
        if (root / "dbt_project.yml").exists():
            return root
    raise ConfigError(
        f"no dbt_project.yml in {' or '.join(map(str, candidates))}: the orderlayer installation is incomplete; "
        "reinstall it (`pip install orderlayer`, or `make demo` in a checkout), or point ORDERLAYER_PROJECT_DIR at a checkout"
    )


def user_project(folder: Path | None = None) -> Path | None:
    """The user's dbt project orderlayer runs in (`orderlayer init` writes one): the current folder when it holds a
    dbt project other than orderlayer's own (a checkout or a copy of it, whose project is named `orderlayer`).
    None elsewhere: orderlayer then runs its own project directly."""
    folder = (folder or Path.cwd()).resolve()
    path = folder / "dbt_project.yml"
    if not path.exists():
        return None
    try:
        name = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("name")
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    return None if name == PACKAGE_NAME else folder


def models_root() -> Path:
    """Where generated models (file-source staging models) go: the user project, when orderlayer is installed.
    Run from a checkout (development), they go into the checkout, beside the demo's generated models a user
    project would otherwise define twice (the wheel ships none: packaging/layout.py)."""
    user, package = user_project(), project_dir()
    return user if user is not None and package == _INSTALLED else package


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
            {"channel": c.channel, "shop_id": c.shop_id, "timezone": c.local_timezone, "currency": c.currency}
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


#: the lines around the vars block orderlayer writes into a user project's dbt_project.yml
VARS_BEGIN = "# >>> orderlayer vars: written from orderlayer.yml by every orderlayer build; edit orderlayer.yml, not these lines"
VARS_END = "# <<< orderlayer vars"


def without_vars_block(text: str) -> str:
    """A user project's dbt_project.yml without the generated vars block (what the user wrote)."""
    if VARS_BEGIN not in text:
        return text
    head, _, rest = text.partition(VARS_BEGIN)
    _, _, tail = rest.partition(VARS_END)
    return head.rstrip("\n") + "\n" + tail.lstrip("\n")


def write_vars(project: Path, settings: Settings) -> None:
    """Write `dbt_vars(settings)` into the user project's dbt_project.yml, the one file both `orderlayer build` and
    a bare `dbt build` read them from. Keys of the block not named `orderlayer_*` are the user's and are kept."""
    path = project / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    own = without_vars_block(text)
    try:
        parsed = yaml.safe_load(own) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if "vars" in parsed:
        raise ConfigError(
            f"{path}: a `vars:` key outside the block between '{VARS_BEGIN[:20]}…' and '{VARS_END}'; move your vars "
            "into that block (orderlayer keeps every key there not named orderlayer_*)"
        )
    previous = {}
    if VARS_BEGIN in text:
        block = text.partition(VARS_BEGIN)[2].partition(VARS_END)[0]
        previous = (yaml.safe_load(block) or {}).get("vars") or {}
    kept = {k: v for k, v in previous.items() if not str(k).startswith("orderlayer_")}
    block = yaml.safe_dump({"vars": {**kept, **dbt_vars(settings)}}, sort_keys=False, allow_unicode=True, width=1000)
    updated = f"{own.rstrip()}\n\n{VARS_BEGIN}\n{block}{VARS_END}\n"
    if updated != text:
        path.write_text(updated, encoding="utf-8")


def _dbt_executable() -> Path:
    dbt = Path(sys.executable).with_name("dbt")
    if not dbt.exists():
        raise ConfigError(f"dbt is not installed beside {sys.executable}; reinstall orderlayer (`pip install orderlayer`)")
    return dbt


def install_package(project: Path, env: dict[str, str] | None = None) -> None:
    """`dbt deps` in a user project whose dbt_packages/ lacks orderlayer (after `orderlayer init`, or a clean)."""
    if (project / "dbt_packages" / PACKAGE_NAME / "dbt_project.yml").exists():
        return
    proc = subprocess.run(
        [str(_dbt_executable()), "deps"], cwd=project, env=env or dict(os.environ), capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
        raise ConfigError(f"{project / 'packages.yml'}: `dbt deps` failed; check the orderlayer entry's path:\n{tail}")


@dataclass(frozen=True)
class DbtNode:
    """One node of a running dbt command, as dbt's own events tell it: started, or finished with a status."""

    index: int
    total: int
    name: str
    #: None when the node started; dbt's status ("success", "pass", "warn", "error", …) when it finished
    status: str | None = None


OnNode = Callable[[DbtNode], None]


def _node_event(event: dict) -> DbtNode | None:
    """dbt's start line and result events (LogStartLine, LogModelResult, LogTestResult, …) of one node."""
    data, name = event.get("data") or {}, (event.get("info") or {}).get("name", "")
    total = data.get("total", data.get("num_models"))  # LogTestResult calls the total num_models
    if "index" not in data or total is None or not (name == "LogStartLine" or name.endswith("Result")):
        return None
    node = data.get("node_info") or {}
    status = None if name == "LogStartLine" else str(data.get("status") or node.get("node_status") or "done")
    return DbtNode(int(data["index"]), int(total), node.get("node_name") or data.get("description", ""), status)


def run_dbt(args: list[str], settings: Settings, db_path: Path, on_node: OnNode | None = None) -> DbtResult:
    """Run one dbt command on `db_path` in a subprocess (so DuckDB's file lock is released after it).

    In a user project the vars are written into its dbt_project.yml first and dbt reads them there, as a bare
    `dbt build` in that folder does; in orderlayer's own checkout they are passed with --vars. With `on_node`,
    dbt writes its structured events (`--log-format json`, the same events dbt's Python API hands its callbacks)
    and each node's start and finish is passed on as it happens."""
    user = user_project()
    root = user or project_dir()
    env = dict(os.environ)
    env |= dbt_env(settings, db_path)
    env["DBT_PROFILES_DIR"] = str(root)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    target, logs = dbt_artifacts(db_path)
    env["DBT_TARGET_PATH"] = str(target)
    env["DBT_LOG_PATH"] = str(logs)
    cmd = [str(_dbt_executable()), *build_args(settings, args)]
    if user is None:
        cmd += ["--vars", json.dumps(dbt_vars(settings))]
    else:
        write_vars(user, settings)
        install_package(user, env)
    if on_node is not None:
        cmd[1:1] = ["--log-format", "json", "--no-use-colors"]
    db_path.parent.mkdir(parents=True, exist_ok=True)
    run_results = target / "run_results.json"
    run_results.unlink(missing_ok=True)  # never read a previous command's results
    if on_node is None:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        returncode, output = proc.returncode, proc.stdout + proc.stderr
    else:
        returncode, output = _streamed(cmd, root, env, on_node)
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
    tail = "\n".join(output.strip().splitlines()[-25:])
    return DbtResult(command=" ".join(args), returncode=returncode, results=results, log_tail=tail)


def _streamed(cmd: list[str], cwd: Path, env: dict[str, str], on_node: OnNode) -> tuple[int, str]:
    """Run dbt, passing node events to `on_node` as they come; the output is the events' messages (as dbt
    prints them in text), with any other line (stderr included: one pipe, so neither can fill up) as is."""
    lines: list[str] = []
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:  # not an event (a crash before dbt's logging starts): keep it as text
                lines.append(line.rstrip("\n"))
                continue
            lines.append((event.get("info") or {}).get("msg", ""))
            node = _node_event(event)
            if node is not None:
                on_node(node)
    return proc.returncode, "\n".join(lines)
