"""What every channel sandbox's after-sales share: the extra after-sale a finished order may get, and a shop's
after-sales sorted by their update time as a list API serves them at a clock.

A channel sandbox derives each after-sale from its order's timeline (so the order tells the same story), and its
update time from the clock, so the sorted index only changes when the clock moves: :class:`ClockedIndex` builds it
once per (shop, clock) and answers window queries from it.
"""

from __future__ import annotations

import bisect
import typing as t
from itertools import accumulate

from orderlayer.sandboxes.kit.world import DAY, Draws

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

HOUR = 3_600
#: The extra kind applied for months after the order (found only by its own update time).
LATE = "late"


def draw_extra(seed: int, i: int, purpose: bytes, shares: Sequence[tuple[str, int]], finished: int) -> tuple[str, int, int]:
    """A finished order's extra after-sale, drawn from (seed, i, purpose) apart from its timeline: ``(kind, apply,
    done)``, or ``("", 0, 0)`` for most orders. ``shares`` are (kind, per 10 000); a ``late`` one is applied for 60–100
    days after ``finished`` and done 3–6 days later, the others 1 h – 3 days after it and done 6 h – 2 days later."""
    take = Draws(seed, i, purpose).take
    k = bisect.bisect_right(tuple(accumulate(share for _kind, share in shares)), take(10_000))
    if k >= len(shares):
        return "", 0, 0
    kind = shares[k][0]
    if kind == LATE:
        apply = finished + 60 * DAY + take(40 * DAY)
        return kind, apply, apply + 3 * DAY + take(3 * DAY)
    apply = finished + HOUR + take(3 * DAY)
    return kind, apply, apply + 6 * HOUR + take(2 * DAY)

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
