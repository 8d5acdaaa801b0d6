"""Sliding time windows for incremental order sync.

Chinese platform order-list APIs take a bounded time range (`update_time_start/_end`,
`start_updated/end_updated`, ...) and often cap its length. A sync from a bookmark to
"now" is therefore split into consecutive windows of at most N seconds.

Consecutive windows *share* their boundary second: ``[a, b]``, ``[b, c]``, ... Whether a
platform treats the end of a range as inclusive or exclusive is frequently undocumented;
sharing the boundary loses nothing under either reading (start inclusive), at the cost of
re-sending orders updated exactly at a boundary second when the end is inclusive.
Duplicates are deduplicated downstream; losses could never be repaired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sized
from dataclasses import dataclass

from orderlayer.taps.common.timeutil import format_epoch


@dataclass(frozen=True, slots=True)
class Window:
    """A time range in Unix epoch seconds; ``end - start`` never exceeds the window size."""

    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


def sliding_windows(start: int, end: int, size_seconds: int) -> Iterator[Window]:
    """Split ``[start, end]`` into consecutive windows of at most ``size_seconds``.

    Yields nothing when ``start >= end`` (nothing new to ask for). The first window starts
    at ``start``, each next one starts where the previous ended, the last ends at ``end``.
    """
    if size_seconds <= 0:
        msg = f"window size must be a positive number of seconds, got {size_seconds}"
        raise ValueError(msg)
    cursor = start
    while cursor < end:
        window_end = min(cursor + size_seconds, end)
        yield Window(cursor, window_end)
        cursor = window_end


def count_windows(start: int, end: int, size_seconds: int) -> int:
    """Number of windows :func:`sliding_windows` yields (for progress logging)."""
    if start >= end:
        return 0
    return -(-(end - start) // size_seconds)


def log_window_plan(
    logger: logging.Logger,
    what: str,
    start: int,
    end: int,
    windows: Sized,
    window_seconds: int,
    *,
    show: Callable[[int], str] = format_epoch,
) -> None:
    """One line saying what range a sync reads in how many windows (``what``: "orders of shop 7 updated"),
    or that there is nothing to read."""
    if len(windows):
        logger.info("Syncing %s %s .. %s in %d window(s) of <= %d s", what, show(start), show(end), len(windows), window_seconds)
    else:
        logger.info("Nothing to sync: the start %s is not before the end %s", format_epoch(start), format_epoch(end))
