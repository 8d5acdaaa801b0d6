"""Webhook delivery the way platforms do it, for the channel sandboxes (issue 15; docs/continuous.md).

A channel sandbox that pushes turns the orders that changed while its clock moved into signed HTTP deliveries
(:meth:`ChannelSandbox.push_deliveries`); a :class:`WebhookPusher` posts them to the subscribed URL from worker
threads and behaves like a platform that guarantees neither delivery nor order:

* a delivery the receiver does not acknowledge (``acknowledged(status, body)`` false, an error, a timeout) is sent
  again after a backoff, up to ``max_attempts`` times, then given up (Shopify: 8 retries over 4 hours, then the
  subscription may be removed; the reconcile poll is what recovers a change given up on);
* ``duplicate_rate``: an acknowledged delivery is sent once more (a platform that lost the acknowledgement);
* ``reorder``: the deliveries of one clock step are sent in a shuffled order;
* ``forge_rate``: before a delivery, a copy with a wrong signature is sent; a receiver must refuse it, and
  ``stats()["forged_accepted"]`` counts the ones that were acknowledged (a correct receiver keeps it at 0).

The faults are drawn from ``seed``, so a run can be repeated. Nothing here knows a platform: the sandbox signs.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
import typing as t
from collections import Counter
from dataclasses import dataclass, field, replace

import requests

__all__ = ["Delivery", "WebhookPusher"]


@dataclass(frozen=True)
class Delivery:
    """One HTTP push: the exact body (signatures cover its bytes), its headers, the events it carries (their ids,
    for the record) and ``changed_at``, the epoch seconds (sandbox clock) of the newest change it reports."""

    body: bytes
    headers: dict[str, str]
    event_ids: tuple[str, ...]
    changed_at: int
    #: the header that carries the signature: a forged copy alters its value
    signature_header: str = ""
    #: (order id, change time) of each order change it reports: the version a freshness measurement waits for
    #: (the order's source update time reaching that time in published.fct_orders)
    changes: tuple[tuple[str, int], ...] = ()
    #: for a platform that signs inside the body (Meituan's ``sig`` form field): the body of a forged copy
    forged_body: bytes | None = None


def _forged(delivery: Delivery) -> Delivery:
    if delivery.forged_body is not None:
        return replace(delivery, body=delivery.forged_body)
    value = delivery.headers.get(delivery.signature_header, "")
    wrong = (value[:-1] + ("0" if value[-1:] != "0" else "1")) if value else "forged"
    return replace(delivery, headers={**delivery.headers, delivery.signature_header: wrong})


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    delivery: Delivery = field(compare=False)
    attempt: int = field(compare=False, default=1)
    forged: bool = field(compare=False, default=False)
    duplicate: bool = field(compare=False, default=False)


class WebhookPusher:
    """Posts deliveries to ``url`` (see module docstring) until :meth:`close`."""

    def __init__(
        self,
        url: str,
        acknowledged: t.Callable[[int, bytes], bool],
        *,
        seed: int = 0,
        workers: int = 4,
        timeout: float = 5.0,
        max_attempts: int = 9,
        backoff_seconds: float = 1.0,
        duplicate_rate: float = 0.0,
        reorder: bool = False,
        forge_rate: float = 0.0,
    ) -> None:
        for name, rate in (("duplicate_rate", duplicate_rate), ("forge_rate", forge_rate)):
            if not 0.0 <= rate <= 1.0:
                msg = f"{name} must be between 0 and 1"
                raise ValueError(msg)
        self.url = url
        self._acknowledged = acknowledged
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._duplicate_rate = duplicate_rate
        self._reorder = reorder
        self._forge_rate = forge_rate
        self._rng = random.Random(seed)
        self._seq = itertools.count()
        self._queue: list[_Due] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._closed = False
        self._stats: Counter[str] = Counter()
        #: (event id, wall time it was first acknowledged): what a freshness measurement starts from
        self.acknowledged_at: dict[str, float] = {}
        self._threads = [threading.Thread(target=self._work, name=f"sandbox-pusher-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def send(self, deliveries: t.Sequence[Delivery]) -> None:
        """Queue one clock step's deliveries (shuffled when ``reorder``; a forged copy first where drawn)."""
        items = list(deliveries)
        with self._cond:
            if self._reorder:
                self._rng.shuffle(items)
            now = time.monotonic()
            for delivery in items:
                forgeable = bool(delivery.signature_header) or delivery.forged_body is not None
                if forgeable and self._rng.random() < self._forge_rate:
                    heapq.heappush(self._queue, _Due(now, next(self._seq), _forged(delivery), forged=True))
                heapq.heappush(self._queue, _Due(now, next(self._seq), delivery))
                self._stats["queued"] += 1
            self._cond.notify_all()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued or being sent (retries included); False when ``timeout`` passed first."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
        return True

    def stats(self) -> dict[str, int]:
        """queued, sent (attempts), acknowledged, retried, given_up, duplicates, forged_sent, forged_accepted, pending."""
        with self._cond:
            return {**{k: 0 for k in ("queued", "sent", "acknowledged", "retried", "given_up", "duplicates", "forged_sent", "forged_accepted")}, **self._stats, "pending": len(self._queue) + self._busy}

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self._timeout + 1)

    def _work(self) -> None:
        session = requests.Session()
        while True:
            with self._cond:
                while not self._closed and (not self._queue or self._queue[0].at > time.monotonic()):
                    self._cond.wait(0.05 if not self._queue else max(0.0, min(0.05, self._queue[0].at - time.monotonic())))
                if self._closed:
                    return
                due = heapq.heappop(self._queue)
                self._busy += 1
            try:
                ok = self._post(session, due.delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._settle(due, ok)
                    self._cond.notify_all()

    def _post(self, session: requests.Session, delivery: Delivery) -> bool:
        try:
            response = session.post(self.url, data=delivery.body, headers=delivery.headers, timeout=self._timeout)
        except requests.RequestException:
            return False
        return self._acknowledged(response.status_code, response.content)

    def _settle(self, due: _Due, ok: bool) -> None:  # noqa: FBT001 - holds the condition's lock
        self._stats["sent"] += 1
        if due.forged:
            self._stats["forged_sent"] += 1
            self._stats["forged_accepted"] += int(ok)
            return  # a platform never sent it: no retry
        if ok:
            self._stats["duplicates" if due.duplicate else "acknowledged"] += 1
            if not due.duplicate:
                now = time.time()
                for event in due.delivery.event_ids:
                    self.acknowledged_at.setdefault(event, now)
                if self._rng.random() < self._duplicate_rate:
                    heapq.heappush(self._queue, _Due(time.monotonic(), next(self._seq), due.delivery, duplicate=True))
            return
        if due.attempt >= self._max_attempts:
            self._stats["given_up"] += 1
            return
        self._stats["retried"] += 1
        delay = self._backoff * 2 ** (due.attempt - 1)
        heapq.heappush(self._queue, replace(due, at=time.monotonic() + delay, seq=next(self._seq), attempt=due.attempt + 1))
