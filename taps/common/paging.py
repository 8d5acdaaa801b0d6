"""Paging through sliding update-time windows without skipping an order: one drift guard, three paginators.

**The drift rule.** Offset (and offset-like cursor) paging drifts when the window's result changes while we
page. An order of the window updated meanwhile leaves it (its update time moves past the window end), later
rows move one position back and paging forward skips one. :class:`DriftGuard` notices the window's ``total``
change, has the paginator drop that page *before* its records are emitted, and names where to rescan the
window from: the update time of the last record already emitted (every row that could have slipped sorts at or
after it, so nothing is lost and the stream stays sorted; rows at that second are re-sent, the loader and
staging remove duplicates), or the window start when no emitted record narrows it. A window that keeps changing
without progress ends the sync with a hint naming the config key to change.

* :class:`WindowedPagePaginator` pages ``first_page, first_page + 1, …`` (a ``total`` per page, or a short
  page ends the window when the API gives none);
* :class:`WindowedCursorPaginator` follows a ``next_page_token`` cursor inside each window;
* :class:`BackwardWindowPaginator` pages a window served newest first from its last page back to page 1, the
  way the order-increment calls of Taobao (TOP) and Pinduoduo must be paged. There, rows leaving the window
  move into pages not read yet (harmless: at most one is read twice), so only a ``total`` *growing* above the
  smallest seen in the scan is drift (rows entering in front of pages still to read).
"""

from __future__ import annotations

import logging
import math
import typing as t
from dataclasses import dataclass, replace

from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests

    from orderlayer.taps.common.windows import Window

__all__ = [
    "BackwardPage",
    "BackwardWindowPaginator",
    "DriftGuard",
    "WindowCursor",
    "WindowPage",
    "WindowedCursorPaginator",
    "WindowedPagePaginator",
]

Token = t.TypeVar("Token")

#: The fix named when a forward-paged window never settles.
FORWARD_STALL_HINT = "lower 'window_seconds' or 'page_size' and retry"


class DriftGuard:
    """The drift rule (module docstring), shared by every paginator of this module.

    ``replication_value(record)`` gives a record's update time in epoch seconds (None or an exception when it
    cannot narrow a rescan). With ``shrink_is_safe`` (backward paging) only a total above the smallest seen in
    the scan is drift; otherwise any change from the scan's first total is.
    """

    def __init__(
        self,
        *,
        replication_value: Callable[[dict], int | None],
        max_stalled_rescans: int = 10,
        stall_hint: str = FORWARD_STALL_HINT,
        shrink_is_safe: bool = False,
        logger: logging.Logger | None = None,
    ) -> None:
        self.replication_value = replication_value
        self.max_stalled_rescans = max_stalled_rescans
        self.stall_hint = stall_hint
        self.shrink_is_safe = shrink_is_safe
        self.logger = logger or logging.getLogger(__name__)
        self.drifted = False
        self.rescans = 0
        self._baseline: int | None = None
        self._last_emitted: int | None = None
        self._stalled = 0

    def check(self, total: int | None, *, opens_scan: bool, window: tuple[int, int], page: int) -> bool:
        """Whether a page with this ``total`` may be used; False = drop it, the window is rescanned."""
        if total is None:
            return True  # nothing to compare: such APIs cannot show drift
        if opens_scan or self._baseline is None:
            self._baseline = total
            return True
        moved = total > self._baseline if self.shrink_is_safe else total != self._baseline
        if moved:
            self.drifted = True
            self.logger.warning(
                "Window [%d, %d] changed while paging (total %d -> %d at page %d); rescanning it from the last "
                "emitted update time so no order is skipped",
                window[0],
                window[1],
                self._baseline,
                total,
                page,
            )
            return False
        self._baseline = total  # equal, or (backward) a smaller total that later growth is measured from
        return True

    def emitted(self, records: list[dict]) -> None:
        """Note the last of the records being emitted (in emission order)."""
        if not records:
            return
        try:
            self._last_emitted = self.replication_value(records[-1])
        except (KeyError, TypeError, ValueError):
            self._last_emitted = None  # cannot narrow; a rescan starts at the window start

    def rescan_start(self, window_start: int, window_end: int) -> int:
        """Where the drifted window is read again from; raises when it kept changing without progress."""
        self.drifted = False
        restart = window_start
        if self._last_emitted is not None and self._last_emitted > window_start:
            restart = min(self._last_emitted, window_end)
            self._stalled = 0
        else:
            self._stalled += 1
            if self._stalled > self.max_stalled_rescans:
                msg = (
                    f"window [{window_start}, {window_end}] kept changing while paging ({self._stalled} rescans "
                    f"without progress); {self.stall_hint}"
                )
                raise SourceAPIError(msg)
        self.rescans += 1
        self._baseline = None
        return restart

    def window_done(self) -> None:
        self._baseline = None
        self._last_emitted = None
        self._stalled = 0


class _WindowedPaginator(BaseAPIPaginator[Token | None]):
    """Walks ``windows`` ascending, opening each with ``opening(window)``; the guard judges every page."""

    def __init__(self, windows: Iterable[Window], opening: Callable[[Window], Token], guard: DriftGuard) -> None:
        self._windows = iter(windows)
        self._opening = opening
        first = next(self._windows, None)
        super().__init__(None if first is None else opening(first))
        if first is None:
            self._finished = True
        self.guard = guard
        self.logger = guard.logger
        self.pages_accepted = 0
        self.windows_completed = 0

    @property
    def rescans(self) -> int:
        return self.guard.rescans

    def summary(self) -> str:
        """What the sync did, for its closing log line."""
        return (
            f"{self.windows_completed} window(s), {self.pages_accepted} page(s), {self.rescans} rescan(s) of a window "
            "that changed while paging"
        )

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        # An empty window, a dropped page or rows held back are not the end: more pages or windows follow.
        return True

    def _next_window(self) -> Token | None:
        self.windows_completed += 1
        self.guard.window_done()
        window = next(self._windows, None)
        return None if window is None else self._opening(window)


# --------------------------------------------------------------------------- page numbers, forward
@dataclass(frozen=True)
class WindowPage:
    """Pagination token: which window (epoch seconds), which page, which (re)scan of the window."""

    window_start: int
    window_end: int
    page: int
    scan: int = 0


class WindowedPagePaginator(_WindowedPaginator[WindowPage]):
    """Within each window, pages ``first_page, first_page + 1, …`` to the end.

    The stream calls :meth:`accept_page` with the page's ``total`` (or None when the API gives none) and records
    before emitting them.
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
        guard = DriftGuard(replication_value=replication_value, max_stalled_rescans=max_stalled_rescans, logger=logger)
        super().__init__(windows, lambda w: WindowPage(w.start, w.end, first_page), guard)
        self.page_size = page_size
        self.first_page = first_page
        self._more = False

    def accept_page(self, total: int | None, records: list[dict]) -> bool:
        """Check a page before its records are emitted; False = drop it (the window is rescanned)."""
        token = self.current_value
        if token is None:
            return False
        window = (token.window_start, token.window_end)
        if not self.guard.check(total, opens_scan=token.page == self.first_page, window=window, page=token.page):
            return False
        if total is not None:
            self._more = (token.page - self.first_page + 1) * self.page_size < total
        else:
            self._more = len(records) >= self.page_size
        self.guard.emitted(records)
        self.pages_accepted += 1
        return True

    def get_next(self, response: requests.Response) -> WindowPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        if self.guard.drifted:
            restart = self.guard.rescan_start(token.window_start, token.window_end)
            return WindowPage(restart, token.window_end, self.first_page, token.scan + 1)
        if self._more:
            self._more = False
            return replace(token, page=token.page + 1)
        return self._next_window()


# --------------------------------------------------------------------------- cursor, forward
@dataclass(frozen=True)
class WindowCursor:
    """Pagination token: the window (epoch seconds), the cursor to send ("" = first page), page and scan number."""

    window_start: int
    window_end: int
    page_token: str = ""
    page: int = 0
    scan: int = 0


class WindowedCursorPaginator(_WindowedPaginator[WindowCursor]):
    """Within each window, follows ``next_page_token`` until it is empty or missing.

    A cursor may be an offset in disguise, so the drift rule applies when the API reports a ``total``
    (``detect_drift=False`` switches it off). :meth:`accept_page` takes the page's total, next cursor and records
    before they are emitted.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        *,
        replication_value: Callable[[dict], int | None],
        detect_drift: bool = True,
        max_stalled_rescans: int = 10,
        logger: logging.Logger | None = None,
    ) -> None:
        guard = DriftGuard(replication_value=replication_value, max_stalled_rescans=max_stalled_rescans, logger=logger)
        super().__init__(windows, lambda w: WindowCursor(w.start, w.end), guard)
        self.detect_drift = detect_drift
        self._next_token = ""

    def accept_page(self, total: int | None, next_page_token: str, records: list[dict]) -> bool:
        """Check a page before its records are emitted; False = drop it (the window is rescanned)."""
        cursor = self.current_value
        if cursor is None:
            return False
        window = (cursor.window_start, cursor.window_end)
        if self.detect_drift and not self.guard.check(total, opens_scan=cursor.page == 0, window=window, page=cursor.page):
            return False
        if next_page_token and next_page_token == cursor.page_token:
            msg = (
                "the order search returned the page_token it was given: paging would loop; report it to the "
                "platform with the response's request_id"
            )
            raise SourceAPIError(msg)
        self._next_token = next_page_token
        self.guard.emitted(records)
        self.pages_accepted += 1
        return True

    def get_next(self, response: requests.Response) -> WindowCursor | None:  # noqa: ARG002
        cursor = self.current_value
        if cursor is None:
            return None
        if self.guard.drifted:
            restart = self.guard.rescan_start(cursor.window_start, cursor.window_end)
            return WindowCursor(restart, cursor.window_end, "", 0, cursor.scan + 1)
        if self._next_token:
            token, self._next_token = self._next_token, ""
            return WindowCursor(cursor.window_start, cursor.window_end, token, cursor.page + 1, cursor.scan)
        return self._next_window()


# --------------------------------------------------------------------------- page numbers, backward
@dataclass(frozen=True)
class BackwardPage:
    """Pagination token: window (epoch seconds, both ends sent), page (from 1), scan number, probe or not."""

    window_start: int
    window_end: int
    page: int = 1
    scan: int = 0
    probe: bool = True


class BackwardWindowPaginator(_WindowedPaginator[BackwardPage]):
    """Within each window (served newest first): a probe of page 1, then the last page back to page 1.

    The probe gives the window's total; when the whole window fits on it, it is used as is, otherwise its rows
    are held back (page 1 is read again last) and pages ``N, N-1, …, 1`` follow. The stream calls
    :meth:`accept_page` with each page's total and rows before emitting anything; it returns the rows to emit
    now, oldest first, or None when the page is dropped (drift: the window is rescanned).

    Platform differences are parameters:

    * ``key_of`` (Taobao): the window is buffered and emitted once complete, one row per key (the newest copy),
      sorted by update time, without the rows re-sent at the previous window's closing second (an inclusive
      range end). Nothing is emitted before the window ends, so a rescan restarts at the window start and the
      rows already buffered stay. Without it (Pinduoduo) each page is emitted as soon as it is read, reversed.
    * ``stall_hint``: the config keys to change when a window never settles.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        page_size: int,
        *,
        replication_value: Callable[[dict], int | None],
        key_of: Callable[[dict], str] | None = None,
        max_stalled_rescans: int = 10,
        stall_hint: str = "raise 'safety_lag_seconds' so windows end further behind the platform clock, and retry",
        logger: logging.Logger | None = None,
    ) -> None:
        guard = DriftGuard(
            replication_value=replication_value,
            max_stalled_rescans=max_stalled_rescans,
            stall_hint=stall_hint,
            shrink_is_safe=True,
            logger=logger,
        )
        super().__init__(windows, lambda w: BackwardPage(w.start, w.end), guard)
        self.page_size = page_size
        self.key_of = key_of
        self._next: BackwardPage | None = None
        self._buffer: list[dict] = []
        #: Keys emitted at the closing second of the previous window (an inclusive end re-sends them).
        self._boundary: dict[str, int] = {}
        self.duplicates_dropped = 0

    def summary(self) -> str:
        return f"{super().summary()}, {self.duplicates_dropped} duplicate row(s) dropped"

    def expected_rows(self, total: int) -> int:
        """How many rows the current page must hold for ``total`` (fewer = a truncated page)."""
        token = self.current_value
        if token is None:
            return 0
        return max(0, min(self.page_size, total - (token.page - 1) * self.page_size))

    def accept_page(self, total: int, records: list[dict]) -> list[dict] | None:
        token = self.current_value
        if token is None:
            return None
        window = (token.window_start, token.window_end)
        if not self.guard.check(total, opens_scan=token.probe, window=window, page=token.page):
            return None
        self.pages_accepted += 1
        if token.probe:
            pages = math.ceil(total / self.page_size)
            if pages > 1:
                self._next = BackwardPage(token.window_start, token.window_end, pages, token.scan, probe=False)
                return []  # held back: page 1 is read again last, after the pages behind it
            self._next = None
            return self._emit(token, records, window_complete=True)
        self._next = None if token.page <= 1 else replace(token, page=token.page - 1)
        return self._emit(token, records, window_complete=token.page <= 1)

    def _emit(self, token: BackwardPage, records: list[dict], *, window_complete: bool) -> list[dict]:
        if self.key_of is None:
            ordered = list(reversed(records))  # served newest first; emitted oldest first
        else:
            self._buffer.extend(records)
            ordered = self._drain(token) if window_complete else []
        self.guard.emitted(ordered)
        return ordered

    def _drain(self, token: BackwardPage) -> list[dict]:
        """The buffered window: newest copy per key, boundary re-sends dropped, oldest first."""
        key_of = t.cast("Callable[[dict], str]", self.key_of)
        newest: dict[str, tuple[int, dict]] = {}
        for record in self._buffer:
            key = key_of(record)
            rank = self._epoch(record, default=token.window_start)
            held = newest.get(key)
            if held is None or rank >= held[0]:
                newest[key] = (rank, record)
        fresh = [
            (rank, key, record)
            for key, (rank, record) in newest.items()
            if self._boundary.get(key) != rank or rank != token.window_start
        ]
        self.duplicates_dropped += len(self._buffer) - len(fresh)
        fresh.sort(key=lambda item: (item[0], item[1]))
        self._boundary = {key: rank for rank, key, _record in fresh if rank == token.window_end}
        self._buffer = []
        return [record for _rank, _key, record in fresh]

    def _epoch(self, record: dict, *, default: int) -> int:
        try:
            value = self.guard.replication_value(record)
        except (KeyError, TypeError, ValueError):
            value = None
        return default if value is None else value

    def get_next(self, response: requests.Response) -> BackwardPage | None:  # noqa: ARG002
        token = self.current_value
        if token is None:
            return None
        if self.guard.drifted:
            # Buffered rows stay: they were in the window, and de-duplication keeps the newest copy.
            self._next = None
            restart = self.guard.rescan_start(token.window_start, token.window_end)
            return BackwardPage(restart, token.window_end, 1, token.scan + 1)
        if self._next is not None:
            upcoming, self._next = self._next, None
            return upcoming
        return self._next_window()
