"""The processes of tests/core/test_lock.py's concurrency test: kept apart from the test module so each one
imports only what a writer or a reader needs."""

from __future__ import annotations

import time
from pathlib import Path

from orderlayer.core.lock import writer_lock
from orderlayer.core.snapshot import refresh_snapshot
from orderlayer.core.warehouse import connect, read_query, reader_path


def writer(db: str, writer: int, rounds: int, barrier, errors) -> None:  # type: ignore[no-untyped-def]
    for round_ in range(rounds):
        barrier.wait()
        try:
            with writer_lock(Path(db), f"writer {writer}", wait_seconds=30):
                con = connect(Path(db))
                con.execute("insert into published.t values (?, ?)", [round_, writer])
                con.close()
                refresh_snapshot(Path(db))
        except Exception as exc:  # noqa: BLE001 - any failure is what the test counts
            errors.put(f"writer {writer} round {round_}: {exc!r}")
        barrier.wait()


def reader(db: str, rounds: int, barrier, errors, seen) -> None:  # type: ignore[no-untyped-def]
    last = 0
    for round_ in range(rounds):
        barrier.wait()
        done = False
        while not done:
            done = barrier.n_waiting == 2  # both writers finished this round
            try:
                (n,), = read_query(reader_path(Path(db)), "select n from published.v")[1]
            except Exception as exc:  # noqa: BLE001
                errors.put(f"reader round {round_}: {exc!r}")
                continue
            if n < last:
                errors.put(f"reader round {round_}: saw {n} rows after {last}")
            last = n
            time.sleep(0.01)  # poll, don't spin: the writers share the machine
        seen.put(last)
        barrier.wait()
