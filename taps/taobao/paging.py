"""Backward paging through ``modified`` windows, the way TOP's increment call must be paged.

``taobao.trades.sold.increment.get`` sorts a window's trades by ``modified`` *descending* and pages by
offset. While we page, a trade of the window can be modified again: its ``modified`` jumps to "now", past
the window's end (the window always ends at least ``safety_lag_seconds`` before now), so it leaves the
window and every older row moves one position toward page 1. Paging forward would then skip the row that
slid from the next page onto the one just read. Paging from the last page back to page 1 — what the
platform's docs prescribe — moves such rows into pages not read yet: nothing is lost, at most a row is read
twice (the window is de-duplicated before it is emitted).

The last page is only known from ``total_results``, so each window opens with page 1 (``use_has_next``
would hide the total and force forward paging). When ``total <= page_size`` that page *is* the window and
is used as is (the common case for short windows); otherwise it is dropped and pages ``last .. 1`` are
read. A total that grows while we page means rows were inserted in front of pages still to be read
(only possible if the window reaches "now"): the window is read again.

A window's rows are emitted only once it is complete, oldest first, so the stream is sorted by
``modified`` and a bookmark taken at any record is safe to resume from.

(Local to this tap: the shared :class:`~orderlayer.taps.common.paging.WindowedPagePaginator` pages
forward through ascending results, the opposite of what TOP's increment call offers.)
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass

from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests

    from orderlayer.taps.common.windows import Window

__all__ = ["BackwardWindowPaginator", "TradePage"]


@dataclass(frozen=True)
class TradePage:
    """Pagination token: the window (epoch seconds), the 1-based page, and whether we walk backwards yet."""

    window_start: int
    window_end: int
    page_no: int = 1
    backwards: bool = False
    scan: int = 0


class BackwardWindowPaginator(BaseAPIPaginator[TradePage | None]):
    """Walks ``windows`` ascending; inside each, page 1 then (if needed) the last page back to page 1.

    The stream hands every validated page to :meth:`take_page`, which returns the records to emit now
    (the whole window, sorted and de-duplicated, once it is complete; otherwise nothing).
    ``modified_of(record)`` gives a record's modification time in epoch seconds (None if unreadable),
    ``key_of(record)`` its trade id as text.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        page_size: int,
        *,
        modified_of: Callable[[dict], int | None],
        key_of: Callable[[dict], str],
        max_stalled_rescans: int = 5,
        logger: logging.Logger | None = None,
    ) -> None:
        self._windows = iter(windows)
        first = next(self._windows, None)
        super().__init__(None if first is None else TradePage(first.start, first.end))
        if first is None:
            self._finished = True
        self.page_size = page_size
        self.modified_of = modified_of
        self.key_of = key_of
        self.max_stalled_rescans = max_stalled_rescans
        self.logger = logger or logging.getLogger(__name__)
        self._next: TradePage | None = None
        self._baseline = 0
        self._buffer: list[dict] = []
        self._rescans_this_window = 0
        #: Trade ids emitted at the closing second of the previous window (an inclusive end re-sends them).
        self._boundary: dict[str, int] = {}
        self.pages_fetched = 0
        self.rescans = 0
        self.windows_completed = 0
        self.duplicates_dropped = 0

    # ---- per page
    def expected_rows(self, total: int) -> int:
        """How many rows the current page must hold for ``total`` (fewer = a truncated page)."""
        token = self.current_value
        if token is None:
            return 0
        return max(0, min(self.page_size, total - (token.page_no - 1) * self.page_size))

    def take_page(self, total: int, records: list[dict]) -> list[dict]:
        """Account for one page; the records to emit now (a completed window) or []."""
        token = self.current_value
        if token is None:
            return []
        self.pages_fetched += 1
        if not token.backwards:
            self._baseline = total
            if total <= self.page_size:
                self._buffer.extend(records)
                return self._complete(token)
            last = -(-total // self.page_size)
            self._next = TradePage(token.window_start, token.window_end, last, backwards=True, scan=token.scan)
            return []  # page 1 is read again last, after the pages behind it
        if total > self._baseline:
            return self._rescan(token, total)
        self._buffer.extend(records)
        if token.page_no <= 1:
            return self._complete(token)
        self._next = TradePage(token.window_start, token.window_end, token.page_no - 1, backwards=True, scan=token.scan)
        return []

    def _rescan(self, token: TradePage, total: int) -> list[dict]:
        self._rescans_this_window += 1
        self.rescans += 1
        if self._rescans_this_window > self.max_stalled_rescans:
            msg = (
                f"trades kept entering the modified window [{token.window_start}, {token.window_end}] while paging "
                f"({self._rescans_this_window} rescans); the window reaches the present: raise safety_lag_seconds "
                "or set an end_date in the past, and retry"
            )
            raise SourceAPIError(msg)
        self.logger.warning(
            "Trades entered window [%d, %d] while paging (total %d -> %d at page %d); reading the window again "
            "so no trade is skipped",
            token.window_start,
            token.window_end,
            self._baseline,
            total,
            token.page_no,
        )
        # Rows already buffered stay: they were in the window, and de-duplication keeps the newest copy.
        self._next = TradePage(token.window_start, token.window_end, 1, backwards=False, scan=token.scan + 1)
        return []

    def _complete(self, token: TradePage) -> list[dict]:
        newest: dict[str, tuple[int, int, dict]] = {}
        for position, record in enumerate(self._buffer):
            key = self.key_of(record)
            modified = self.modified_of(record)
            rank = modified if modified is not None else token.window_start
            held = newest.get(key)
            if held is None or rank >= held[0]:
                newest[key] = (rank, position, record)
        self.duplicates_dropped += len(self._buffer) - len(newest)
        fresh = [
            (rank, key, record)
            for key, (rank, _pos, record) in newest.items()
            if self._boundary.get(key) != rank or rank != token.window_start
        ]
        self.duplicates_dropped += len(newest) - len(fresh)
        fresh.sort(key=lambda item: (item[0], item[1]))
        self._boundary = {key: rank for rank, key, _record in fresh if rank == token.window_end}
        self._buffer = []
        self._rescans_this_window = 0
        self.windows_completed += 1
        window = next(self._windows, None)
        self._next = None if window is None else TradePage(window.start, window.end)
        return [record for _rank, _key, record in fresh]

    # ---- singer-sdk hooks
    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        # A dropped page 1 or an empty window is not the end: more pages or windows follow.
        return True

    def get_next(self, response: requests.Response) -> TradePage | None:  # noqa: ARG002
        nxt, self._next = self._next, None
        return nxt
