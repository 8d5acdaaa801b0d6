"""Deterministic building blocks for sandbox data, and the neutral order facts ERP sandboxes derive from.

Per-order randomness comes from BLAKE2b of (seed, index, purpose), never from shared RNG state, so orders can be
rendered lazily, in any order, and are byte-identical between runs and machines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["SHANGHAI", "OrderFact", "choose", "digest", "permuted_id", "unit"]

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def digest(seed: int, i: int | str, purpose: bytes) -> int:
    """A 256-bit integer determined by (seed, i, purpose) alone."""
    data = f"{seed}:{i}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=32, person=purpose[:16]).digest(), "little")


def unit(seed: int, i: int | str, purpose: bytes) -> float:
    """A uniform number in [0, 1) determined by (seed, i, purpose)."""
    return (digest(seed, i, purpose) >> 203) / float(1 << 53)


def choose(seed: int, i: int | str, purpose: bytes, weights: dict[str, int]) -> str:
    """One key of ``weights`` (integer weights), deterministically for (seed, i, purpose)."""
    total = sum(weights.values())
    pick = digest(seed, i, purpose) % total
    for key, weight in weights.items():
        if pick < weight:
            return key
        pick -= weight
    raise AssertionError("unreachable")


def permuted_id(seed: int, n: int, digits: int, *, leading: int = 1) -> str:
    """A ``digits``-long decimal id, unique per (seed, n) for n < 10**(digits-1), scattered like real ids.

    ``leading`` (1–9) is the first digit; the other digits are an affine bijection of ``n`` modulo
    ``10**(digits-1)`` (the multiplier is odd and not a multiple of 5, so it is invertible).
    """
    space = 10 ** (digits - 1)
    multiplier = 780_291_637_428_176_413 % space or 7
    while multiplier % 2 == 0 or multiplier % 5 == 0:
        multiplier += 1
    offset = (seed * 0x9E3779B97F4A7C15) % space
    return str(leading * space + (n * multiplier + offset) % space)


@dataclass(frozen=True)
class OrderFact:
    """One channel order as a channel sandbox holds it at its clock, in neutral terms.

    ERP sandboxes derive their sales orders from these, the way a company's ERP receives channel orders.
    """

    channel: str
    shop_id: str
    channel_order_id: str
    ordered_at: dt.datetime
    paid_at: dt.datetime | None
    #: pending_payment | paid | shipped | completed | cancelled
    status: str
    #: What the buyer paid, in major units (yuan, dollars) of ``currency``.
    paid_amount: Decimal
    currency: str
    refund_amount: Decimal = Decimal("0.00")
    tracking_numbers: tuple[str, ...] = ()
