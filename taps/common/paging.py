"""Paging through sliding update-time windows, page by page, without skipping an order.

Offset paging drifts when an order of the window is updated while we page: it leaves the window (its update
time moved past the end), later rows move one position back and one would be skipped. The paginator sees the
window's ``total`` change, rejects that page *before* its records are emitted, and rescans the window from
page ``first_page``, starting at the update time of the last record already emitted: every row that could have
slipped sorts at or after it, so nothing is lost and the stream stays sorted (rows at that second are re-sent;
the loader and staging remove duplicates). APIs without a ``total`` end a window on a short page.
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass, replace

from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests

    from orderlayer.taps.common.windows import Window

__all__ = ["WindowPage", "WindowedPagePaginator"]


@dataclass(frozen=True)
class WindowPage:
    """Pagination token: which window (epoch seconds), which page, which (re)scan of the window."""

    window_start: int
    window_end: int
    page: int
    scan: int = 0


class WindowedPagePaginator(BaseAPIPaginator[WindowPage | None]):
    """Walks ``windows`` ascending; within each, pages ``first_page, first_page + 1, …`` to the end.

    The stream calls :meth:`accept_page` with the page's ``total`` (or None when the API gives none) and records
    before emitting them; ``replication_value(record)`` returns a record's update time in epoch seconds.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        page_size: int,
        *,
        replication_value: Callable[[dict], int | None],
        first_page: int = 0,
        max_stalled_rescans: int = 10,
        logger: logging.Logger | None = None,
    ) -> None:
        self._windows = iter(windows)
        first = next(self._windows, None)
        super().__init__(None if first is None else WindowPage(first.start, first.end, first_page))
        if first is None:
            self._finished = True
        self.page_size = page_size
        self.first_page = first_page
        self.replication_value = replication_value
        self.max_stalled_rescans = max_stalled_rescans
        self.logger = logger or logging.getLogger(__name__)
        self._baseline_total: int | None = None
        self._more = False
        self._last_emitted: int | None = None
        self._drifted = False
        self._stalled = 0
        self.pages_accepted = 0
        self.rescans = 0
        self.windows_completed = 0

    def accept_page(self, total: int | None, records: list[dict]) -> bool:
        """Check a page before its records are emitted; False = drop it (the window is rescanned)."""
        token = self.current_value
        if token is None:
            return False
        if total is not None:
            if token.page == self.first_page or self._baseline_total is None:
                self._baseline_total = total
            elif total != self._baseline_total:
                self._drifted = True
                self.logger.warning(
                    "Window [%d, %d) changed while paging (total %d -> %d at page %d); rescanning it from the "
                    "last emitted update time so no order is skipped",
                    token.window_start,
                    token.window_end,
                    self._baseline_total,
                    total,
                    token.page,
                )
                return False
            fetched = (token.page - self.first_page + 1) * self.page_size
            self._more = fetched < total
        else:
            self._more = len(records) >= self.page_size
        if records:
            try:
                self._last_emitted = self.replication_value(records[-1])
            except (KeyError, TypeError, ValueError):
                self._last_emitted = None  # cannot narrow; a rescan starts at the window start
        self.pages_accepted += 1
        return True

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        # An empty window (or a dropped page) is not the end: more windows may follow.
        return True

    def get_next(self, response: requests.Response) -> WindowPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        if self._drifted:
            self._drifted = False
            restart = token.window_start
            if self._last_emitted is not None and self._last_emitted > token.window_start:
                restart = min(self._last_emitted, token.window_end)
                self._stalled = 0
            else:
                self._stalled += 1
                if self._stalled > self.max_stalled_rescans:
                    msg = (
                        f"window [{token.window_start}, {token.window_end}) kept changing while paging "
                        f"({self._stalled} rescans without progress); lower window_seconds or page_size and retry"
                    )
                    raise SourceAPIError(msg)
            self.rescans += 1
            self._baseline_total = None
            return WindowPage(restart, token.window_end, self.first_page, token.scan + 1)
        if self._more:
            self._more = False
            return replace(token, page=token.page + 1)
        self.windows_completed += 1
        self._baseline_total = None
        self._last_emitted = None
        self._stalled = 0
        window = next(self._windows, None)
        return None if window is None else WindowPage(window.start, window.end, self.first_page)
