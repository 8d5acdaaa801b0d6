"""The `orderlayer` distribution: packages and console scripts come from the folders (pyproject.toml holds
everything else), so a new module ships without editing a list. The taps are the `orderlayer-taps` distribution
(packaging/taps/), which this one depends on; packaging/layout.py says which folder goes where.

The dbt project (dbt_project.yml, models, macros, seeds, semantic models, data tests) is copied into the wheel as
`orderlayer/dbt_package/`, the dbt package a user project (`orderlayer init`) installs. An editable install
reads it from the checkout instead."""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "packaging"))

from layout import CORE_ROOTS, DBT_PACKAGE, dbt_project_files, package_dirs, packages  # noqa: E402

#: the commands that are not a tap
COMMANDS = (
    "orderlayer = orderlayer.cli.main:app",
    "target-orderlayer = orderlayer.loader.singer_target:TargetOrderlayer.cli",
)


class BuildWithDbtProject(build_py):
    """build_py, plus the dbt project under orderlayer/dbt_package/ (not for editable installs: they read the
    checkout)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "orderlayer" / DBT_PACKAGE
        shutil.rmtree(target, ignore_errors=True)  # build/ outlives a build: no file a previous one copied
        for relative in dbt_project_files(REPO):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / relative, target / relative)


setup(
    packages=packages(REPO, CORE_ROOTS),
    package_dir=package_dirs(REPO, CORE_ROOTS, relative_to=REPO),
    entry_points={"console_scripts": list(COMMANDS)},
    cmdclass={"build_py": BuildWithDbtProject},
)
