"""How a sandbox takes part in `orderlayer demo`: each sandbox folder's `demo.py` declares one of these as `DEMO`,
and the core's demo (`orderlayer.core.demo`) finds and starts them. Plain data, so a sandbox needs nothing of the core."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DemoChannel:
    """One bundled channel sandbox: which class, which shops, and the connection settings a user would write."""

    source: str
    sandbox: type  # started as sandbox(*leading, seed, as_of, n_orders, shop_ids, **kwargs)
    shops: tuple[str, ...]
    #: place among the demo's channels (banner, connections); numbers leave room between sandboxes
    position: int
    #: the ERP sandbox whose company books this channel's orders (None: no ERP holds them)
    erp: str | None
    #: the shops' zones and currencies, one each or one for all
    timezones: tuple[str, ...] = ("Asia/Shanghai",)
    currencies: tuple[str, ...] = ("CNY",)
    #: share of --orders this channel generates (Douyin: all of them), at least `minimum`
    share: float = 0.25
    minimum: int = 40
    #: whether --shops picks how many of `shops` start (else all of them)
    scales_with_shops: bool = False
    #: tap options of every connection
    options: dict[str, Any] = field(default_factory=dict)
    #: the options that open its push channel (`orderlayer demo --serve`: core/live.py); None: it does not push
    push_options: dict[str, Any] | None = None
    #: positional arguments before (seed, as_of, n_orders, shop_ids), and keyword arguments
    leading: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def shop_settings(self, shop: str) -> tuple[str, str]:
        k = self.shops.index(shop)
        return self.timezones[k % len(self.timezones)], self.currencies[k % len(self.currencies)]


@dataclass(frozen=True)
class DemoFileSource:
    """One bundled file source: its mapping (relative to the checkout; its name is the channel and the
    connection name) and what writes the exports it reads."""

    source: str
    mapping: str
    shop: str
    #: write(folder, seed, as_of, n_orders) -> an export with `.facts`
    write: Callable[..., Any]
    position: int
    #: the ERP sandbox whose company books this shop's orders (None: no ERP holds them)
    erp: str | None
    share: float = 0.25
    minimum: int = 60

    @property
    def name(self) -> str:
        return Path(self.mapping).stem


@dataclass(frozen=True)
class DemoErp:
    """One bundled ERP sandbox; the channels whose orders its company books name it (one ERP per business unit)."""

    source: str
    sandbox: type  # started as sandbox(seed, as_of, channel_orders)
    company: str  # the connection's shop_id: company code / organisation / tenant
    position: int
    options: dict[str, Any] = field(default_factory=lambda: {"max_requests_per_second": 40})


@dataclass(frozen=True)
class DemoCarrier:
    """One bundled carrier sandbox: it replays routes for the parcels of the channel sandboxes' orders."""

    source: str
    sandbox: type  # started as sandbox(seed, as_of, parcels: tracking number -> shipped at)
    position: int
    options: dict[str, Any] = field(default_factory=lambda: {"max_requests_per_second": 200})
