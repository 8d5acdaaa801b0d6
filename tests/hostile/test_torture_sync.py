"""Standing torture of the real `orderlayer sync` (issue 14, item 5): random SIGKILLs with loss/duplicate
accounting, and every sandbox fault for every source family. The long versions are bench/torture_bench.py.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.hostile.torture import account, families, fault_run, killed_syncs, started, sync


def test_random_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """Three syncs killed at random moments (process group, tap and target included), then one to the end."""
    rng = random.Random(14)
    with started("douyin", tmp_path, orders=300) as family:
        killed = killed_syncs(tmp_path, trials=3, rng=rng, longest=6.0)
        final = sync(tmp_path)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "Traceback" not in final.stdout + final.stderr
    accounting = account(tmp_path / "wh.duckdb")
    assert accounting.lost(family.truth) == set()
    assert accounting.duplicated == 0
    assert killed >= 1, "at least one sync must have been killed mid-way for the test to mean anything"


@pytest.mark.parametrize("source", families())
def test_every_transient_fault_of_every_family(source: str, tmp_path: Path) -> None:
    """Every transient fault of the family's sandbox armed at once: the sync rides them out, or fails without a
    traceback and the next sync completes; after it (and one more sync when a record was updated past the window
    during paging) nothing is lost and nothing landed twice. (Blocking faults: bench/torture_bench.py.)"""
    run = fault_run(source, tmp_path, orders=30, blocking=False)
    assert run.problems == [], run
    assert run.faults, "the family's sandbox must offer faults"


@pytest.mark.xfail(strict=True, reason="known loss (reported, issue 14): the Pinduoduo tap's bookmark passes an order a "
                                       "late write hid from its probe call; this test turns green when the tap is fixed")
def test_pinduoduo_late_write_during_paging_loses_nothing(tmp_path: Path) -> None:
    run = fault_run("pinduoduo", tmp_path, orders=30, blocking=False, only=("late_write_during_paging",))
    assert run.problems == [], run
