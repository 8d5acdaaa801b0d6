"""`RequestBudget`: a platform's server-side request limit, as a sandbox enforces it.

A gateway refuses a call over budget at once (the platform's rate-limit answer); it never delays it. That is a
different thing from a tap pacing itself (``orderlayer.taps.common.ratelimit``), so the sandboxes keep their own.
"""

from __future__ import annotations

import threading
import time
import typing as t

__all__ = ["RequestBudget"]


class RequestBudget:
    """``rate`` calls per second with at most ``burst`` banked (default: one second's worth, at least one).

    ``rate`` None or 0 means no limit: every call is allowed.
    """

    def __init__(
        self, rate: float | None, burst: float | None = None, *, clock: t.Callable[[], float] = time.monotonic
    ) -> None:
        if rate is not None and rate < 0:
            msg = f"a request budget needs rate >= 0 calls per second (0 = no limit), got {rate}"
            raise ValueError(msg)
        self.rate = float(rate or 0.0)
        self.burst = float(burst if burst is not None else max(1.0, self.rate))
        self._clock = clock
        self._balance = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()

    @property
    def limited(self) -> bool:
        return self.rate > 0

    def allows(self) -> bool:
        """Take one call from the budget; False (and nothing taken) when the budget is spent."""
        if not self.limited:
            return True
        with self._lock:
            now = self._clock()
            if now > self._stamp:
                self._balance = min(self.burst, self._balance + (now - self._stamp) * self.rate)
                self._stamp = now
            if self._balance >= 1.0:
                self._balance -= 1.0
                return True
            return False
