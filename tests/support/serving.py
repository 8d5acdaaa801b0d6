"""Waiting for an `orderlayer serve` process the test started to answer (tests of serve run it as users do)."""

from __future__ import annotations

import subprocess
import time

import requests

__all__ = ["wait_until_serving"]


def wait_until_serving(proc: subprocess.Popen, port: int, timeout: float = 60, describe: str = "") -> None:
    """Return once ``GET /health`` answers 200; fail (with ``describe``, e.g. the log's tail) when the process ended
    or ``timeout`` passed first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.communicate()[0] if proc.stdout is not None else ""
            raise AssertionError(f"serve did not start: {describe or out}")
        time.sleep(0.05)
