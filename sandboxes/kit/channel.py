"""`ChannelSandbox`: what every channel sandbox is besides its wire format — the shops of one app, their orders
from a generator (an :class:`~orderlayer.sandboxes.kit.world.OrderWorld`), a sandbox clock that only moves
forward, and the tokens the shops granted (:class:`~orderlayer.sandboxes.kit.tokens.TokenIssuer`).

A platform's sandbox subclasses it, names its ``generator_class``, sets ``self.tokens`` when the platform has tokens,
and keeps its protocol: signature check, envelopes, error codes, paging and quirks. The arguments every channel
sandbox takes (the world's ``seed, as_of, n_orders, shop_ids, days`` and the server's ``host, port, wall_clock``)
are declared once, here: a subclass's constructor takes its own options by keyword and passes the rest on
(``def __init__(self, *world, qps=..., **common)`` -> ``super().__init__(*world, **common)``), so every sandbox is
called the same way, positionally or by keyword.
"""

from __future__ import annotations

import abc
import datetime as dt
import time
import typing as t

from orderlayer.sandboxes.kit.server import SandboxServer, forward_to

if t.TYPE_CHECKING:
    from orderlayer.sandboxes.kit.push import Delivery, WebhookPusher
    from collections.abc import Sequence

    from orderlayer.sandboxes.kit.tokens import TokenIssuer
    from orderlayer.sandboxes.kit.world import OrderWorld

__all__ = ["ChannelArgs", "ChannelSandbox"]

W = t.TypeVar("W", bound="OrderWorld")


class ChannelArgs(t.TypedDict, total=False):
    """The keyword arguments every channel sandbox passes on to :class:`ChannelSandbox` (see module docstring)."""

    seed: int
    as_of: dt.datetime
    n_orders: int
    shop_ids: Sequence[str]
    days: int
    host: str
    port: int
    wall_clock: t.Callable[[], float] | None
    clock: dt.datetime | None


class ChannelSandbox(SandboxServer, t.Generic[W]):
    """A channel platform's gateway for the shops of ``generator`` (see module docstring).

    ``as_of`` of the generator is the sandbox clock for order state (what has happened by then); request
    timestamps and token lifetimes are checked against the wall clock, as the platforms do.
    """

    tokens: TokenIssuer
    #: Renders this platform's orders; built from the constructor's world arguments.
    generator_class: type[W]
    #: The shops served when the caller names none (``None``: the caller must name them).
    default_shop_ids: t.ClassVar[tuple[str, ...] | None] = None

    def __init__(
        self,
        seed: int,
        as_of: dt.datetime,
        n_orders: int,
        shop_ids: Sequence[str] | None = None,
        *,
        days: int = 30,
        host: str = "127.0.0.1",
        port: int = 0,
        wall_clock: t.Callable[[], float] | None = None,
        clock: dt.datetime | None = None,
        **world_options: t.Any,  # noqa: ANN401 - the generator's own keyword arguments
    ) -> None:
        super().__init__(host=host, port=port, wall_clock=wall_clock or time.time)
        shops = shop_ids if shop_ids is not None else self.default_shop_ids or ()
        self.generator: W = self.generator_class(seed, as_of, n_orders, shops, days, **world_options)
        # ``clock``: where the sandbox clock starts, at or before as_of (default as_of); advancing it replays the
        # world's later history, which is how the live demo and the freshness bench make orders change
        self._now = self.generator.as_of_ts if clock is None else int(clock.timestamp())
        if self._now > self.generator.as_of_ts:
            msg = "clock must not be after as_of (the world has no orders after it)"
            raise ValueError(msg)

    # ------------------------------------------------------------------ clock and data
    @property
    def shop_ids(self) -> list[str]:
        return list(self.generator.shop_ids)

    @property
    def start_ts(self) -> int:
        """Epoch seconds where a full sync starts (the generator's earliest order or window start)."""
        return self.generator.start_ts

    @property
    def now_ts(self) -> int:
        """The sandbox clock (epoch seconds) at which orders are served."""
        return self._now

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now, dt.timezone.utc)

    def advance(self, as_of: dt.datetime | int) -> None:  # type: ignore[override]
        """Move the sandbox clock forward: later lifecycle events become visible, and a subscribed pusher is handed
        the deliveries of what changed in between (sandboxes/kit/push.py)."""
        with self._lock:
            before = self._now
            self._now = forward_to(self._now, as_of)
            self._reindex()
            deliveries = self.push_deliveries(before, self._now) if self.pusher is not None and self._now > before else []
        if deliveries:
            self.pusher.send(deliveries)

    #: Where this sandbox pushes what changes as its clock moves (None: it does not push); see :meth:`subscribe`.
    pusher: WebhookPusher | None = None

    #: The shops whose changes are pushed (a platform subscribes a URL per shop); None: every shop.
    push_shops: frozenset[str] | None = None

    def subscribe(self, pusher: WebhookPusher | None, shops: Sequence[str] | None = None) -> None:
        """Push the changes of ``shops`` (default: every shop) to ``pusher``'s URL from now on (None: stop pushing)."""
        self.pusher = pusher
        self.push_shops = None if shops is None else frozenset(shops)

    @staticmethod
    def push_acknowledged(status: int, body: bytes) -> bool:  # noqa: ARG004
        """Whether a receiver's answer acknowledges a push (the platform's success answer; default any 2xx)."""
        return 200 <= status < 300

    def push_deliveries(self, after_ts: int, until_ts: int) -> list[Delivery]:
        """The signed deliveries a platform would push for what changed in (after_ts, until_ts] (sandbox clock),
        in the order it happened. A sandbox whose platform pushes webhooks implements it."""
        msg = f"{type(self).__name__} does not push webhooks"
        raise NotImplementedError(msg)

    def _reindex(self) -> None:
        """Recompute what the sandbox derives from the clock (its indexes); nothing by default."""

    # ------------------------------------------------------------------ tap config
    def tap_config(self, shop_id: str, *, pii_salt: str = "sandbox-pii-salt", **overrides: t.Any) -> dict:  # noqa: ANN401
        """A complete tap config for one shop of this (started) sandbox.

        The platform's :meth:`connection` settings, then a sync window from :meth:`sync_start` to one second past
        the sandbox clock — every order as served now, whether the tap treats the window end as exclusive or
        inclusive — and the PII salt; ``overrides`` last.
        """
        config = self.connection(shop_id)
        config["start_date"] = dt.datetime.fromtimestamp(self.sync_start(), dt.timezone.utc).isoformat()
        config["end_date"] = dt.datetime.fromtimestamp(self._now + 1, dt.timezone.utc).isoformat()
        config["pii_salt"] = pii_salt
        config.update(overrides)
        return config

    @abc.abstractmethod
    def connection(self, shop_id: str) -> dict:
        """The tap's settings to reach one shop of this (started) sandbox: URLs, credentials, shop key."""

    def sync_start(self) -> int:
        """Where the config's window starts (epoch seconds): the earliest order."""
        return self.start_ts

    def state(self) -> dict:
        return {**super().state(), "now": self.now.isoformat(), "n_orders": self.generator.n_orders, "shop_ids": self.shop_ids}

    # ------------------------------------------------------------------ tokens
    def access_token(self, shop_id: str) -> str:
        with self._lock:
            return self.tokens.access_token(shop_id)

    def refresh_token(self, shop_id: str) -> str:
        with self._lock:
            return self.tokens.refresh_token(shop_id)

    def expire_tokens(self) -> None:
        """Every access token issued so far is now expired (refresh to continue)."""
        with self._lock:
            self.tokens.expire_all()