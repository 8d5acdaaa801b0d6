"""`orderlayer-taps`: orderlayer.taps and orderlayer.sandboxes from the repository's taps/ and sandboxes/ folders,
and one `tap-<x>` console script per taps/<x>/source.toml (the list lives in packaging/layout.py, shared with the
root setup.py)."""

import sys
from pathlib import Path

from setuptools import setup

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

from layout import TAP_ROOTS, package_dirs, packages, tap_scripts  # noqa: E402

setup(
    packages=packages(REPO, TAP_ROOTS),
    package_dir=package_dirs(REPO, TAP_ROOTS, relative_to=Path(__file__).resolve().parent),
    entry_points={"console_scripts": tap_scripts(REPO)},
)
