"""Packages come from the folders (pyproject.toml holds everything else): a new tap or sandbox folder ships
without editing a list."""

from pathlib import Path

from setuptools import setup

#: top-level folder -> installed package (one mapping: folder X is orderlayer.X)
ROOTS = ("core", "cli", "taps", "loader", "sandboxes", "expectations")


def packages() -> list[str]:
    found = []
    for root in ROOTS:
        for init in sorted(Path(root).rglob("__init__.py")):
            found.append(".".join(("orderlayer", root, *init.parent.relative_to(root).parts)))
    return found


setup(packages=packages(), package_dir={f"orderlayer.{root}": root for root in ROOTS})
