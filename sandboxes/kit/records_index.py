"""A shop's records (after-sales, refunds) sorted by their update time, as a list API serves them at a clock.

A channel sandbox derives each record's update time from its order's timeline, so the sorted index only changes
when the clock moves: :class:`ClockedIndex` builds it once per (shop, clock) and answers window queries from it.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

#: (update time, id number), the order index, and the sandbox's handle of the record (its slot).
Entry = tuple[tuple[int, int], int, t.Any]


class ClockedIndex:
    """``entries(shop_id, now)`` yields every record visible at ``now``; this keeps them sorted per shop."""

    def __init__(self, entries: Callable[[str, int], Iterable[Entry]]) -> None:
        self._entries = entries
        self._cache: dict[str, tuple[int, list[Entry]]] = {}

    def at(self, shop_id: str, now: int) -> list[Entry]:
        """The shop's records visible at ``now``, ascending by (update time, id)."""
        cached = self._cache.get(shop_id)
        if cached is not None and cached[0] == now:
            return cached[1]
        index = sorted(self._entries(shop_id, now), key=lambda entry: entry[0])
        self._cache[shop_id] = (now, index)
        return index

    def window(self, shop_id: str, now: int, start: int, end: int, *, end_inclusive: bool) -> list[Entry]:
        """The records whose update time lies in ``[start, end)`` (``[start, end]`` when ``end_inclusive``)."""
        return [
            entry for entry in self.at(shop_id, now)
            if entry[0][0] >= start and (entry[0][0] <= end if end_inclusive else entry[0][0] < end)
        ]
