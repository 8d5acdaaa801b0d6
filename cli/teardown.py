"""Quiet interpreter teardown for processes that import Great Expectations beside duckdb-engine.

That pair makes duckdb 2.0's nanobind bindings print dozens of "leaked instance" lines while the
interpreter shuts down (a library-level report, harmless: every connection is closed by then). The
lines would bury a command's last output and pytest's summary, so once all output is flushed, stderr
is pointed at /dev/null for the rest of the shutdown.
"""

from __future__ import annotations

import atexit
import os
import sys


def _quiet() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def quiet_native_teardown() -> None:
    atexit.register(_quiet)
