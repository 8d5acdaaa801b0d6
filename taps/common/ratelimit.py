"""Request budgets and retry pacing shared by the platform taps (and their sandboxes).

* :class:`TokenBucket` keeps a client under a per-app QPS budget. Chinese open platforms
  throttle per app key (Douyin answers code 60000); pacing ourselves is cheaper than
  being throttled and backing off.
* :class:`RetryPolicy` turns "the n-th failure, maybe with a server hint" into a wait:
  exponential with jitter, a server hint (e.g. ``Retry-After``) honoured as given, and a
  cap: a hint longer than the cap fails at once with a clear message instead of sleeping
  for an hour inside a scheduled job.
* :func:`backoff_wait_generator` adapts a policy to the ``backoff`` library that
  singer-sdk's ``request_decorator`` drives (it sends each exception into the generator).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
import typing as t
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field


class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens per second, at most ``capacity`` banked.

    ``acquire`` blocks until a token is available (client side); ``try_acquire`` never
    blocks (server side: a sandbox rejects the call instead).
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            msg = f"rate must be > 0 requests per second, got {rate}"
            raise ValueError(msg)
        self.rate = float(rate)
        # Default burst of one second's budget, but at least one token so rate < 1 works.
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._stamp = now

    def try_acquire(self, tokens: float = 1.0) -> bool:
        with self._lock:
            self._refill()
            if self._tokens >= tokens:
                self._tokens -= tokens
                return True
            return False

    def acquire(self, tokens: float = 1.0) -> float:
        """Take ``tokens``, sleeping as needed; returns the seconds spent waiting.

        Reservation style: the tokens are debited at once (the balance may go negative)
        and the caller sleeps off the debt outside the lock, so concurrent callers queue
        fairly and float rounding can never make a caller spin.
        """
        if tokens > self.capacity:
            msg = f"cannot take {tokens} tokens from a bucket of capacity {self.capacity}"
            raise ValueError(msg)
        with self._lock:
            self._refill()
            self._tokens -= tokens
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait


class RetryHintTooLongError(Exception):
    """The server asked us to wait longer than the configured cap."""

    def __init__(self, hint_seconds: float, cap_seconds: float) -> None:
        self.hint_seconds = hint_seconds
        self.cap_seconds = cap_seconds
        super().__init__(
            f"the server asked to retry after {hint_seconds:g} s, more than the "
            f"{cap_seconds:g} s cap; run the sync again later (or raise the cap)"
        )


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before retry number ``n`` (0-based) of one request.

    ``base_seconds * 2**n`` capped at ``max_wait_seconds``, multiplied by a jitter factor
    in ``[1 - jitter, 1 + jitter]`` (spreads retries of parallel taps sharing an app key).
    A server hint is used as given, never shortened, and rejected when above the cap.
    """

    max_tries: int = 6
    base_seconds: float = 1.0
    max_wait_seconds: float = 60.0
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, t.Any]) -> RetryPolicy:
        """The policy the tap config asks for (``max_tries``, ``retry_base_seconds``, ``retry_max_wait_seconds``)."""
        return cls(
            max_tries=int(config.get("max_tries", 6)),
            base_seconds=float(config.get("retry_base_seconds", 1.0)),
            max_wait_seconds=float(config.get("retry_max_wait_seconds", 60.0)),
        )

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            msg = f"max_tries must be >= 1, got {self.max_tries}"
            raise ValueError(msg)
        if self.base_seconds < 0 or self.max_wait_seconds < 0:
            msg = "retry waits must not be negative"
            raise ValueError(msg)
        if not 0 <= self.jitter < 1:
            msg = f"jitter must be in [0, 1), got {self.jitter}"
            raise ValueError(msg)

    def delay(self, retry_number: int, hint_seconds: float | None = None) -> float:
        if hint_seconds is not None:
            if hint_seconds > self.max_wait_seconds:
                raise RetryHintTooLongError(hint_seconds, self.max_wait_seconds)
            return max(0.0, hint_seconds)
        raw = min(self.max_wait_seconds, self.base_seconds * (2**retry_number))
        factor = 1.0 + self.jitter * (2.0 * self.rng.random() - 1.0)
        return min(self.max_wait_seconds, raw * factor)


def parse_retry_after(
    headers: Mapping[str, str] | None,
    *,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


def backoff_wait_generator(
    policy: RetryPolicy,
    *,
    hint: Callable[[BaseException], float | None],
    immediate: Callable[[BaseException], bool] = lambda _exc: False,
) -> Generator[float, BaseException | None, None]:
    """A ``backoff`` wait generator driven by the exception of each failed try.

    ``backoff`` primes the generator with ``send(None)`` and then sends each exception;
    ``hint(exc)`` extracts a server retry hint, ``immediate(exc)`` marks failures that
    need no pause (e.g. the credentials were just refreshed). Raising here (hint above
    the cap) aborts the retry loop with that error.
    """
    retry_number = 0
    exc = yield  # type: ignore[misc]  # priming send(None)
    while True:
        if exc is not None and immediate(exc):
            wait = 0.0
        else:
            wait = policy.delay(retry_number, hint(exc) if exc is not None else None)
            retry_number += 1
        exc = yield wait
