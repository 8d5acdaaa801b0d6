"""Packages and console scripts come from the folders (pyproject.toml holds everything else): a new tap or
sandbox folder ships without editing a list."""

import tomllib
from pathlib import Path

from setuptools import setup

#: top-level folder -> installed package (one mapping: folder X is orderlayer.X)
ROOTS = ("core", "cli", "taps", "loader", "sandboxes", "expectations")
#: the commands that are not a tap
COMMANDS = (
    "orderlayer = orderlayer.cli.main:app",
    "target-orderlayer = orderlayer.loader.singer_target:TargetOrderlayer.cli",
)


def packages() -> list[str]:
    found = []
    for root in ROOTS:
        for init in sorted(Path(root).rglob("__init__.py")):
            found.append(".".join(("orderlayer", root, *init.parent.relative_to(root).parts)))
    return found


def tap_scripts() -> list[str]:
    """`tap-<x>` per tap folder, from the `executable` and `tap` of its source.toml (the declaration
    orderlayer.core.registry reads; read here without importing the taps, whose dependencies a build lacks)."""
    scripts = []
    for declaration in sorted(Path("taps").glob("*/source.toml")):
        spec = tomllib.loads(declaration.read_text(encoding="utf-8"))
        module, _, tap = spec["tap"].partition(":")
        scripts.append(f"{spec['executable']} = orderlayer.taps.{declaration.parent.name}.{module}:{tap}.cli")
    return scripts


setup(
    packages=packages(),
    package_dir={f"orderlayer.{root}": root for root in ROOTS},
    entry_points={"console_scripts": [*COMMANDS, *tap_scripts()]},
)
