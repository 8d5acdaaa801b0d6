"""The order world every channel generator draws from: a seed, some shops, a clock and days of history.

A channel generator subclasses :class:`OrderWorld` (the shared, validated span) and renders its platform's
orders from it; :meth:`order_facts` of the channel sandbox then states each order in neutral terms
(:class:`~orderlayer.sandboxes.kit.synth.OrderFact`) for the ERP sandboxes. The helpers below are the
deterministic pieces the generators share; byte-identical output between runs depends on them staying as they are.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from itertools import accumulate

from orderlayer.sandboxes.kit.synth import digest

__all__ = ["DAY", "Draws", "OrderWorld", "local_midnight", "shop_cuts"]

DAY = 86_400


class OrderWorld:
    """``n_orders`` orders of ``shop_ids`` over the ``days`` before ``as_of``, drawn from ``seed``.

    A generator declares its platform's shop-id format in ``shop_id_rule``.
    """

    #: The platform's shop-id format: (check, the sentence a wrong id is refused with); None: any id.
    shop_id_rule: t.ClassVar[tuple[t.Callable[[str], bool], str] | None] = None
    #: Where a full sync starts: the generator's earliest order or its window start (set by the generator).
    start_ts: int

    def __init__(self, seed: int, as_of: dt.datetime, n_orders: int, shop_ids: t.Sequence[str], days: int = 30) -> None:
        if as_of.tzinfo is None:
            msg = "as_of must be timezone-aware (UTC recommended)"
            raise ValueError(msg)
        if n_orders < 0 or days < 1:
            msg = "n_orders must be >= 0 and days >= 1"
            raise ValueError(msg)
        if not shop_ids:
            msg = "at least one shop id is required"
            raise ValueError(msg)
        if self.shop_id_rule is not None:
            check, rule = self.shop_id_rule
            for shop in shop_ids:
                if not check(str(shop)):
                    msg = f"{rule}; got {shop!r}"
                    raise ValueError(msg)
        self.seed = int(seed)
        self.as_of = as_of
        self.as_of_ts = int(as_of.timestamp())
        self.n_orders = int(n_orders)
        self.shop_ids = [str(s) for s in shop_ids]
        self.days = int(days)

    @property
    def window_start_ts(self) -> int:
        """``days`` before the clock: where the synthetic history begins."""
        return self.as_of_ts - self.days * DAY


def shop_cuts(n_shops: int) -> list[int]:
    """Cumulative shares (out of 10 000) of shops that differ in size (weights 1, 1/2, 1/3, ...), as real
    portfolios do: shop k holds the draws below ``cuts[k]`` (``bisect_right(cuts, draw % 10_000)``)."""
    weights = [1.0 / (k + 1) for k in range(n_shops)]
    total = sum(weights)
    cuts = [round(10_000 * c / total) for c in accumulate(weights)]
    cuts[-1] = 10_000
    return cuts


def local_midnight(ts: int, zone: dt.tzinfo) -> int:
    """Epoch seconds of midnight in ``zone`` on or before ``ts``."""
    local = dt.datetime.fromtimestamp(ts, zone)
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


class Draws:
    """Integers taken one after another from one 256-bit digest of (seed, i, purpose): each :meth:`take` is the
    next digit of the digest in base ``mod``, so one hash serves a whole timeline."""

    def __init__(self, seed: int, i: int | str, purpose: bytes) -> None:
        self._rest = digest(seed, i, purpose)

    def take(self, mod: int) -> int:
        """The next draw, uniform enough in ``range(mod)`` while the digest lasts."""
        self._rest, value = divmod(self._rest, mod)
        return value
