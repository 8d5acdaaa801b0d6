"""The drift guard and the backward-window paginator without buffering (Pinduoduo's way), on hand-made pages.

Taobao's buffered use of the same paginator is tested in tests/taps/taobao/test_client.py, the page and cursor
paginators in tests/taps/douyin/test_client.py and tests/taps/tiktok_shop/test_client.py.
"""

from __future__ import annotations

import logging

import pytest

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import BackwardPage, BackwardWindowPaginator, DriftGuard
from orderlayer.taps.common.windows import Window


def at(value: int) -> dict:
    return {"updated_at": value}


def make(page_size: int = 2, **kwargs: object) -> BackwardWindowPaginator:
    return BackwardWindowPaginator(
        [Window(0, 100), Window(100, 200)], page_size, replication_value=lambda r: r["updated_at"], logger=logging.getLogger("t"), **kwargs  # type: ignore[arg-type]
    )


def advance(pg: BackwardWindowPaginator) -> BackwardPage | None:
    pg.advance(None)  # type: ignore[arg-type]
    return pg.current_value


def test_guard_forward_any_change_is_drift_and_rescan_starts_at_the_last_emitted_time() -> None:
    guard = DriftGuard(replication_value=lambda r: r["updated_at"])
    assert guard.check(5, opens_scan=True, window=(0, 100), page=0)
    guard.emitted([at(10), at(30)])
    assert guard.check(5, opens_scan=False, window=(0, 100), page=1)
    assert not guard.check(4, opens_scan=False, window=(0, 100), page=2) and guard.drifted
    assert guard.rescan_start(0, 100) == 30 and not guard.drifted and guard.rescans == 1


def test_guard_backward_tolerates_shrinking_but_not_growth_above_the_smallest_total() -> None:
    guard = DriftGuard(replication_value=lambda r: r["updated_at"], shrink_is_safe=True)
    assert guard.check(5, opens_scan=True, window=(0, 100), page=1)
    assert guard.check(4, opens_scan=False, window=(0, 100), page=3)  # a row left: harmless backwards
    assert not guard.check(5, opens_scan=False, window=(0, 100), page=2)  # above the smallest seen: drift


def test_guard_without_progress_gives_up_with_the_hint() -> None:
    guard = DriftGuard(replication_value=lambda r: r["updated_at"], max_stalled_rescans=1, stall_hint="raise 'x'")
    guard.check(1, opens_scan=True, window=(0, 100), page=1)
    assert guard.rescan_start(0, 100) == 0
    with pytest.raises(SourceAPIError, match="kept changing while paging .*raise 'x'"):
        guard.rescan_start(0, 100)


def test_guard_unreadable_time_cannot_narrow_a_rescan() -> None:
    guard = DriftGuard(replication_value=lambda r: r["updated_at"])
    guard.emitted([{}])
    assert guard.rescan_start(0, 100) == 0


def test_backward_pages_are_emitted_oldest_first_as_they_come() -> None:
    pg = make()
    assert pg.accept_page(5, [at(90), at(80)]) == []  # probe: held back
    assert advance(pg) == BackwardPage(0, 100, 3, probe=False)
    assert pg.expected_rows(5) == 1
    assert pg.accept_page(5, [at(10)]) == [at(10)]
    assert advance(pg) == BackwardPage(0, 100, 2, probe=False)
    assert pg.accept_page(5, [at(30), at(20)]) == [at(20), at(30)]
    advance(pg)
    assert pg.accept_page(5, [at(90), at(80)]) == [at(80), at(90)]
    assert advance(pg) == BackwardPage(100, 200) and pg.windows_completed == 1 and pg.pages_accepted == 4


def test_backward_window_on_one_page_is_used_from_the_probe() -> None:
    pg = make(page_size=5)
    assert pg.accept_page(2, [at(50), at(40)]) == [at(40), at(50)]
    assert advance(pg) == BackwardPage(100, 200)


def test_backward_growth_drops_the_page_and_rescans_from_the_last_emitted_time() -> None:
    pg = make()
    pg.accept_page(5, [at(90), at(80)])
    advance(pg)
    assert pg.accept_page(5, [at(10)]) == [at(10)]
    advance(pg)
    assert pg.accept_page(6, [at(30), at(20)]) is None  # a row entered in front: dropped before emitting
    assert advance(pg) == BackwardPage(10, 100, 1, scan=1) and pg.rescans == 1
