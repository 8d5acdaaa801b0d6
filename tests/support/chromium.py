"""Headless Chromium for the report tests: screenshots and the DOM after the page's scripts ran."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    """Chromium's path; skips the test where it is missing, fails in CI (.ci/run installs Debian's chromium)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it and runs this test")
    return found


def _flags(profile: Path, width: int, height: int) -> list[str]:
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}",
        # let the page's scripts (and Plotly's drawing) finish before the picture or the DOM is taken
        "--virtual-time-budget=8000", "--allow-file-access-from-files",
    ]  # fmt: skip


def screenshot(page: Path, shot: Path, width: int = 1280, height: int = 4200) -> Path:
    run = subprocess.run(
        [chromium(), *_flags(shot.parent / "profile", width, height), f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    return shot


def dom(page: Path, profile: Path, width: int = 1280, height: int = 2000) -> str:
    """The page's DOM once its scripts ran."""
    run = subprocess.run(
        [chromium(), *_flags(profile, width, height), "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout
