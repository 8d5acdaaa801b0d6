"""`orderlayer init DIR`: a user project, the way dbt and Meltano start one.

The folder holds `orderlayer.yml` and the user's own dbt project, which installs orderlayer's models, macros,
seeds and semantic models as the dbt package `orderlayer` (packages.yml, a `local:` entry pointing at the
installed package: core/dbt.py `project_dir()`). The user adds models, tests and overrides in their project, the
way a Fivetran dbt package is used; file-source mappings go in `file_sources/`, and the staging models generated
from them into `models/staging/<mapping name>/` of this project, never into orderlayer's. orderlayer writes the
vars its models read into the project's dbt_project.yml (core/dbt.py `write_vars`), so `dbt build` run by hand in
the folder builds what `orderlayer build` builds.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orderlayer.core.config import CONFIG_FILE, STARTER, ConfigError, load_settings
from orderlayer.core.dbt import PACKAGE_NAME, install_package, project_dir, write_vars

#: what `init` writes besides orderlayer.yml, relative to the project folder
FILES = ("dbt_project.yml", "packages.yml", "profiles.yml", ".gitignore", "models/README.md", "file_sources/README.md")
FOLDERS = ("models", "macros", "seeds", "tests", "file_sources")

_DBT_PROJECT = """\
# Your dbt project on orderlayer's order facts (docs/install.md). orderlayer's models, macros, seeds and semantic
# models are the dbt package `orderlayer` (packages.yml); add your own models, tests and overrides here.
name: {name}
version: "1.0.0"
config-version: 2
profile: orderlayer

model-paths: ["models"]
# orderlayer's macros are this project's too, so your models and the generated file-source models call them by
# name (to_utc, raw_records, ...), as orderlayer's own models do
macro-paths: ["macros", "dbt_packages/orderlayer/macros"]
seed-paths: ["seeds"]
test-paths: ["tests"]
target-path: target
clean-targets: ["target", "dbt_packages"]

flags:
  send_anonymous_usage_stats: false

models:
  {name}:
    # file-source staging models (`orderlayer files generate` writes models/staging/<mapping name>/) are built
    # like orderlayer's own staging models
    staging:
{staging}
"""

def _profiles(database: Path) -> str:
    """The user project's profile: orderlayer's own (every engine's output), its DuckDB default path the user's."""
    own = (project_dir() / "profiles.yml").read_text(encoding="utf-8")
    body = own[own.index("orderlayer:"):].replace("'warehouse/orderlayer.duckdb'", repr(str(database)))
    return (
        "# The warehouse dbt builds: orderlayer picks the output from orderlayer.yml's `engine` and sets the variables\n"
        "# it reads; a bare `dbt build` here uses the DuckDB `database` of orderlayer.yml.\n" + body
    )

_GITIGNORE = "target/\ndbt_packages/\npackage-lock.yml\nlogs/\nwarehouse/\n"

_MODELS_README = """\
Your models. orderlayer's are in the `orderlayer` package: `{{ ref('fct_orders') }}` reads its order facts.
`orderlayer files generate` writes the staging models of your file sources into `staging/<mapping name>/`.
"""

_FILE_SOURCES_README = """\
File-source mappings (docs/file-sources.md): one YAML file per export format. Name it in orderlayer.yml, e.g.
`connections: {wechat_export: {source: files, shop_id: wx-shop-01, options: {mapping: file_sources/wechat_shop.yml}}}`;
`orderlayer build` generates its staging models into ../models/staging/<mapping name>/.
"""


def _dbt_name(folder: Path) -> str:
    """A dbt project name from the folder name (letters, digits and underscores, not starting with a digit)."""
    name = re.sub(r"[^a-z0-9_]+", "_", folder.resolve().name.lower()).strip("_") or "orders"
    name = name if not name[0].isdigit() else f"project_{name}"
    return "orders_project" if name == PACKAGE_NAME else name


def _staging_config() -> str:
    """The staging layout of orderlayer's own project, for the user's generated staging models (read, not copied)."""
    package = yaml.safe_load((project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    staging = {k: v for k, v in package["models"]["orderlayer"]["staging"].items() if k.startswith("+")}
    return "".join(f"      {k}: {yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}\n" for k, v in staging.items())


def init_project(folder: Path, database: Path | None = None, force: bool = False) -> list[Path]:
    """Write the user project into `folder` and install the orderlayer package into it; returns what was written."""
    folder = folder.resolve()
    if folder == project_dir().resolve():
        raise ConfigError(f"{folder} is orderlayer's own project; run `orderlayer init DIR` with a folder of your own")
    targets = [folder / CONFIG_FILE, *(folder / f for f in FILES)]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise ConfigError(f"{', '.join(map(str, existing))} exist; pass --force to overwrite them, or choose an empty folder")
    for sub in FOLDERS:
        (folder / sub).mkdir(parents=True, exist_ok=True)
    starter = STARTER if database is None else STARTER.replace("database: warehouse/orderlayer.duckdb", f"database: {database}")
    (folder / CONFIG_FILE).write_text(starter, encoding="utf-8")
    settings = load_settings(folder / CONFIG_FILE)  # the starter must itself be valid
    contents = {
        "dbt_project.yml": _DBT_PROJECT.format(name=_dbt_name(folder), staging=_staging_config()),
        "packages.yml": yaml.safe_dump({"packages": [{"local": str(project_dir().resolve())}]}, sort_keys=False),
        "profiles.yml": _profiles(settings.database),
        ".gitignore": _GITIGNORE,
        "models/README.md": _MODELS_README,
        "file_sources/README.md": _FILE_SOURCES_README,
    }
    for relative, text in contents.items():
        (folder / relative).write_text(text, encoding="utf-8")
    write_vars(folder, settings)
    install_package(folder)
    return targets
