"""Shared by the benches: run a command in a subprocess and sample the peak RSS of its process tree.

Peak memory is the largest summed RSS of the process and its descendants, sampled every 100 ms from
/proc (Linux only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="utf-8") as fh:
                total += int(fh.read().split()[1]) * PAGE_BYTES
        except (OSError, ValueError):
            continue
        todo.extend(_children(current))
    return total


class PeakSampler:
    """Samples the tree RSS of each given pid every 100 ms in a thread until stopped; keeps the peaks."""

    def __init__(self, pids: list[int]) -> None:
        self.peaks = dict.fromkeys(pids, 0)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            for pid in self.peaks:
                self.peaks[pid] = max(self.peaks[pid], tree_rss(pid))
            time.sleep(0.1)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def run_stage(
    name: str,
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
) -> tuple[float, int, int]:
    """Run one command to completion: (seconds, peak tree RSS in bytes, exit code); stderr tail on failure."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    with PeakSampler([proc.pid]) as sampler:
        _, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        print(f"{name} exited {proc.returncode}:\n{stderr.decode(errors='replace')[-3000:]}", file=sys.stderr)
    return seconds, sampler.peaks[proc.pid], proc.returncode


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


