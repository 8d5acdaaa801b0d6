"""Backward paging through 30-minute ``updated_at`` windows (fact sheet §3 and the platform FAQ).

``pdd.order.number.list.increment.get`` returns a window's orders newest first. While we page, an order of
the window can be updated again: it leaves the window (its new ``updated_at`` is past the window end, which
trails the platform clock) and every older row moves one position towards page 1. Paging forwards would then
skip a row at a page boundary; paging from the last page towards page 1 only re-reads one (a duplicate,
removed downstream). So each window is read as:

1. a probe of page 1, which gives ``total_count`` — when the whole window fits on that page it is done;
2. otherwise pages ``N, N-1, …, 1`` (the probe's rows are dropped: page 1 is read again last).

Rows arriving *into* a window while it is paged (a late database write inside the window) would shift rows
the other way and could be skipped; ``total_count`` growing above its smallest value seen in this scan
reveals that, the page is dropped before any of its rows are emitted, and the window is rescanned from the
``updated_at`` of the last row already emitted (every row that could have slipped sorts at or after it).

Each page is emitted oldest first, so the stream is sorted by ``updated_at`` across pages and windows, and a
bookmark taken at any record is safe to resume from.
"""

from __future__ import annotations

import logging
import math
import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests

    from orderlayer.taps.common.windows import Window

__all__ = ["BackwardPage", "BackwardWindowPaginator", "expected_rows"]


@dataclass(frozen=True)
class BackwardPage:
    """Pagination token: window (epoch seconds, both ends sent), page (from 1), scan number, probe or not."""

    window_start: int
    window_end: int
    page: int
    scan: int = 0
    probe: bool = True


def expected_rows(total: int, page: int, page_size: int) -> int:
    """How many rows page ``page`` (from 1) of a ``total``-row result must hold."""
    return max(0, min(page_size, total - (page - 1) * page_size))


class BackwardWindowPaginator(BaseAPIPaginator[BackwardPage | None]):
    """Walks ``windows`` ascending; within each, probes page 1 and then pages backwards (module docstring).

    The stream calls :meth:`accept_page` with the page's ``total_count`` and rows (newest first, as served)
    before emitting anything; it returns the rows to emit (oldest first), or None when the page must be dropped.
    ``replication_value(row)`` gives a row's ``updated_at`` in epoch seconds.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        page_size: int,
        *,
        replication_value: Callable[[dict], int | None],
        max_stalled_rescans: int = 10,
        logger: logging.Logger | None = None,
    ) -> None:
        self._windows = iter(windows)
        first = next(self._windows, None)
        super().__init__(None if first is None else BackwardPage(first.start, first.end, 1))
        if first is None:
            self._finished = True
        self.page_size = page_size
        self.replication_value = replication_value
        self.max_stalled_rescans = max_stalled_rescans
        self.logger = logger or logging.getLogger(__name__)
        self._next: BackwardPage | None = None
        self._min_total: int | None = None
        self._last_emitted: int | None = None
        self._drifted = False
        self._stalled = 0
        self.pages_accepted = 0
        self.rescans = 0
        self.windows_completed = 0

    # ---- per page
    def accept_page(self, total: int, records: list[dict]) -> list[dict] | None:
        token = self.current_value
        if token is None:
            return None
        if token.probe:
            self._min_total = total
            pages = math.ceil(total / self.page_size)
            self.pages_accepted += 1
            if pages <= 1:
                self._next = None  # the whole window was on the probe page
                return self._emit(records)
            self._next = BackwardPage(token.window_start, token.window_end, pages, token.scan, probe=False)
            return []
        if self._min_total is not None and total > self._min_total:
            self._drifted = True
            self.logger.warning(
                "Window [%d, %d] grew while paging backwards (total %d -> %d at page %d); rescanning it from the "
                "last emitted updated_at so no order is skipped",
                token.window_start,
                token.window_end,
                self._min_total,
                total,
                token.page,
            )
            return None
        self._min_total = total if self._min_total is None else min(self._min_total, total)
        self.pages_accepted += 1
        self._next = None if token.page <= 1 else BackwardPage(token.window_start, token.window_end, token.page - 1, token.scan, probe=False)
        return self._emit(records)

    def _emit(self, records: list[dict]) -> list[dict]:
        ordered = list(reversed(records))  # served newest first; emitted oldest first
        if ordered:
            try:
                self._last_emitted = self.replication_value(ordered[-1])
            except (KeyError, TypeError, ValueError):
                self._last_emitted = None  # cannot narrow; a rescan starts at the window start
        return ordered

    # ---- singer-sdk hooks
    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        # A probe page (rows held back), an empty window or a dropped page is not the end.
        return True

    def get_next(self, response: requests.Response) -> BackwardPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        if self._drifted:
            return self._rescan(token)
        if self._next is not None:
            upcoming, self._next = self._next, None
            return upcoming
        self.windows_completed += 1
        self._min_total = None
        self._last_emitted = None
        self._stalled = 0
        window = next(self._windows, None)
        return None if window is None else BackwardPage(window.start, window.end, 1)

    def _rescan(self, token: BackwardPage) -> BackwardPage:
        self._drifted = False
        restart = token.window_start
        if self._last_emitted is not None and self._last_emitted > token.window_start:
            restart = min(self._last_emitted, token.window_end)
            self._stalled = 0
        else:
            self._stalled += 1
            if self._stalled > self.max_stalled_rescans:
                msg = (
                    f"order window [{token.window_start}, {token.window_end}] kept growing while paging "
                    f"({self._stalled} rescans without progress); lower page_size, or raise safety_lag_seconds so "
                    "windows end further behind the platform clock"
                )
                raise SourceAPIError(msg)
        self.rescans += 1
        self._min_total = None
        self._next = None
        return BackwardPage(restart, token.window_end, 1, token.scan + 1)
