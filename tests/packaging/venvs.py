"""Fresh virtualenvs with orderlayer installed from its wheels, as a user installs it (no checkout on the path).

The wheels are built from this checkout with `pip wheel --no-deps`; their dependencies come from the package
index pip is configured with (its cache makes a second install quick).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_wheels(wheelhouse: Path) -> list[Path]:
    """orderlayer-taps and orderlayer, built from this checkout into `wheelhouse`. The builds use the checkout's
    build/ folders, so two test workers take turns."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    (REPO / "build").mkdir(exist_ok=True)
    with (REPO / "build" / ".wheels.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheelhouse), "./packaging/taps", "."],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return sorted(wheelhouse.glob("*.whl"))


def _site_mb(venv: Path) -> float:
    site = next(venv.glob("lib/python*/site-packages"))
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


@dataclass
class Venv:
    path: Path
    #: seconds the install took
    install_seconds: float
    #: MB of site-packages before the install (the venv's own pip and setuptools)
    baseline_mb: float

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    def env(self) -> dict[str, str]:
        """The environment of a user who activated this venv: nothing of the checkout or the test venv."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "ORDERLAYER_PROJECT_DIR")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.path)
        return env

    def run(self, *args: str, cwd: Path, timeout: int = 900, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=cwd, env={**self.env(), **env}, capture_output=True, text=True, timeout=timeout, check=False
        )

    def installed_mb(self) -> float:
        """MB the install added to site-packages (the distribution and its dependencies)."""
        return _site_mb(self.path) - self.baseline_mb


def make_venv(path: Path, wheelhouse: Path, requirement: str) -> Venv:
    """A new venv at `path` with `requirement` installed from `wheelhouse` (plus the index for dependencies)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    baseline = _site_mb(path)
    proc = subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--find-links", str(wheelhouse), requirement],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Venv(path, time.perf_counter() - started, baseline)
