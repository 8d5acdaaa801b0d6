"""Parcel journeys the carrier sandboxes (SF Express, Kuaidi100) replay, in neutral terms.

Each tracked parcel gets one scenario and a timeline of steps, drawn deterministically from ``(seed, tracking
number)`` and starting when the order shipped: picked up, in transit between sorting centres, customs, out for
delivery, signed, refused and sent back, returned, or stuck with no update for days; some waybills have no record
at all yet. A carrier sandbox renders the steps in its own codes and texts and shows only those at or before its
clock, so advancing the clock moves parcels on.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import typing as t
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from orderlayer.sandboxes.kit.budget import RequestBudget
from orderlayer.sandboxes.kit.server import SandboxServer, forward_to

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["SCENARIOS", "CarrierSandbox", "Journey", "Step", "beijing_text", "journey", "shipped_parcels"]

#: Both carriers write naive Beijing times.
BEIJING = ZoneInfo("Asia/Shanghai")

#: scenario -> weight. "unknown": the carrier has no record of the number; "stale": picked up, one hop, then nothing.
SCENARIOS: dict[str, int] = {
    "delivered": 52,
    "in_transit": 10,
    "out_for_delivery": 6,
    "customs": 4,
    "refused": 5,
    "returned": 4,
    "stale": 7,
    "picked_up": 5,
    "unknown": 7,
}
#: Sorting centres (city, facility) the routes pass; facility names only, never an address of a person.
HUBS: tuple[tuple[str, str], ...] = (
    ("深圳市", "深圳宝安集散中心"),
    ("广州市", "广州白云集散中心"),
    ("上海市", "上海青浦转运中心"),
    ("杭州市", "杭州萧山转运中心"),
    ("北京市", "北京顺义集散中心"),
    ("成都市", "成都双流转运中心"),
    ("武汉市", "武汉东西湖转运中心"),
)
COURIERS: tuple[str, ...] = ("王师傅", "李师傅", "张师傅", "陈师傅")

#: Step kinds, each a canonical state of fct_shipment_events once a carrier's code is mapped.
KINDS = ("picked_up", "departed", "arrived", "customs", "customs_cleared", "out_for_delivery", "delivered", "refused", "returning", "returned")


def beijing_text(at: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, no offset: how SF and Kuaidi100 write event times."""
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Step:
    kind: str
    at: dt.datetime
    city: str
    facility: str
    #: the courier and the courier's phone, for out-for-delivery steps (the tap masks the phone)
    courier: str | None = None
    courier_phone: str | None = None


@dataclass(frozen=True)
class Journey:
    number: str
    scenario: str
    steps: tuple[Step, ...]

    def visible(self, as_of: dt.datetime) -> list[Step]:
        """The steps that happened by ``as_of`` (none for an unknown waybill)."""
        return [s for s in self.steps if s.at <= as_of]


def journey(seed: int, number: str, shipped_at: dt.datetime) -> Journey:
    """The parcel's scenario and timeline (module docstring); the same for the same seed and number."""
    rng = random.Random(f"{seed}:{number}")  # noqa: S311 - synthetic data
    scenario = rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
    if scenario == "unknown":
        return Journey(number, scenario, ())
    origin, destination = rng.sample(HUBS, 2)
    at = shipped_at + dt.timedelta(minutes=rng.randrange(20, 6 * 60))
    steps = [Step("picked_up", at, *origin)]

    def hop(kind: str, hub: tuple[str, str], low_h: float, high_h: float, **extra: str) -> None:
        nonlocal at
        at = at + dt.timedelta(minutes=rng.randrange(int(low_h * 60), int(high_h * 60)))
        steps.append(Step(kind, at, *hub, **extra))

    if scenario == "picked_up":
        return Journey(number, scenario, tuple(steps))
    hop("departed", origin, 1, 5)
    if scenario == "stale":
        return Journey(number, scenario, tuple(steps))
    if scenario == "customs":
        hop("customs", destination, 10, 30)
        if rng.random() < 0.5:
            hop("customs_cleared", destination, 20, 60)
        return Journey(number, scenario, tuple(steps))
    middle = rng.choice([h for h in HUBS if h not in (origin, destination)])
    hop("arrived", middle, 6, 16)
    hop("departed", middle, 1, 4)
    hop("arrived", destination, 6, 16)
    if scenario == "in_transit":
        return Journey(number, scenario, tuple(steps))
    courier = rng.choice(COURIERS)
    phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    hop("out_for_delivery", destination, 2, 10, courier=courier, courier_phone=phone)
    if scenario == "out_for_delivery":
        return Journey(number, scenario, tuple(steps))
    if scenario == "delivered":
        hop("delivered", destination, 1, 6)
        return Journey(number, scenario, tuple(steps))
    hop("refused", destination, 1, 6)
    hop("returning", destination, 4, 20)
    if scenario == "returned":
        hop("returned", origin, 24, 60)
    return Journey(number, scenario, tuple(steps))


def shipped_parcels(facts: Iterable[t.Any], *, lag: dt.timedelta = dt.timedelta(hours=20)) -> dict[str, dt.datetime]:
    """Tracking number -> when its parcel left, for the channel orders (``OrderFact``) that name parcels: the
    facts carry no ship time, so a parcel leaves ``lag`` after payment (after the order, if unpaid)."""
    parcels: dict[str, dt.datetime] = {}
    for fact in facts:
        for number in fact.tracking_numbers:
            parcels.setdefault(number, (fact.paid_at or fact.ordered_at) + lag)
    return parcels


class CarrierSandbox(SandboxServer):
    """What both carrier sandboxes are besides their wire format: the parcels they know (tracking number -> when
    it shipped), their journeys from ``seed``, a clock (``as_of``) that only moves forward, and a request budget
    (``qps``, refused with the carrier's rate-limit answer)."""

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        parcels: Mapping[str, dt.datetime],
        *,
        qps: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: t.Callable[[], float] | None = None,
    ) -> None:
        super().__init__(host=host, port=port, wall_clock=wall_clock or time.time)
        self.seed = seed
        self._now = int(as_of.timestamp())
        self.journeys = {number: journey(seed, number, shipped) for number, shipped in parcels.items()}
        self.budget = RequestBudget(qps)

    @property
    def as_of(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now, tz=dt.timezone.utc)

    def advance(self, as_of: dt.datetime) -> None:
        with self._lock:
            self._now = forward_to(self._now, as_of)

    def steps(self, number: str) -> list[Step] | None:
        """The visible steps of a parcel this carrier has (None: it does not know the number)."""
        found = self.journeys.get(number)
        return None if found is None or found.scenario == "unknown" else found.visible(self.as_of)

    def state(self) -> dict:
        return {**super().state(), "as_of": self.as_of.isoformat(), "parcels": len(self.journeys)}
