"""`ErpSandbox`: what the SAP, Kingdee and Yonyou sandboxes share — an ERP derived from channel orders and a clock.

Each subclass adds its system's protocol (authentication, query language, paging, faults); the orders it serves,
the truth tests compare against (:meth:`ErpSandbox.derivation`) and the forward-only clock are the same.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from zoneinfo import ZoneInfo

from orderlayer.sandboxes.kit.erp_derive import Derivation, ErpDerivation, ErpFormats
from orderlayer.sandboxes.kit.server import SandboxServer, forward_to

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from orderlayer.sandboxes.kit.synth import OrderFact

__all__ = ["ErpSandbox"]


class ErpSandbox(SandboxServer):
    """One ERP system holding the sales orders of a company's channel shops (see module docstring)."""

    #: How this system spells numbers, customers and channel references.
    formats: t.ClassVar[ErpFormats]

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        channel_orders: Iterable[OrderFact],
        *,
        customer_codes: Mapping[tuple[str, str], str] | None,
        zone: str,
        host: str,
        port: int,
        wall_clock: Callable[[], float] | None,
    ) -> None:
        super().__init__(host=host, port=port, wall_clock=wall_clock or time.time)
        self.seed = int(seed)
        self.erp = ErpDerivation(seed, as_of, channel_orders, self.formats, customer_codes=customer_codes)
        #: The system's zone: it writes local times without an offset.
        self.zone = ZoneInfo(zone)
        self._now = int(as_of.timestamp())

    @property
    def now_ts(self) -> int:
        return self._now

    @property
    def start_ts(self) -> int:
        """Epoch of the earliest ERP order (its creation)."""
        return min((o.created_at for o in self.erp.orders), default=self._now)

    def derivation(self) -> list[Derivation]:
        """Per channel order what the ERP holds (and the ERP-only orders): the truth tests compare against."""
        return self.erp.derivation()

    @property
    def customer_codes(self) -> dict[tuple[str, str], str]:
        """The ERP customer standing for each channel shop: ``{(channel, shop_id): customer code}``."""
        return dict(self.erp.customer_codes)

    def advance(self, as_of: dt.datetime | int) -> None:
        with self._lock:
            self._now = forward_to(self._now, as_of)

    def state(self) -> dict:
        return {**super().state(), "now": self._now, "orders": len(self.erp.orders)}
