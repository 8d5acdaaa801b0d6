"""Serve one platform sandbox standalone: ``python -m orderlayer.sandboxes.<source>``.

Every ``<source>/__main__.py`` declares a :class:`Standalone`: its sandbox class, the defaults of the shared
flags and its own flags. The shared flags (host, port, seed, as-of, orders, and shops/days/qps where the sandbox
has them), building the sandbox from them, the printed base URL and tap config(s) and the serve-until-Ctrl-C loop
live here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import typing as t
from dataclasses import dataclass, field

from orderlayer.sandboxes.kit.erp_derive import sample_channel_orders

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Flag", "Standalone", "shop_list"]


_EPILOG = (
    "Prints the base URL and ready-to-use tap config(s) as one JSON document, then serves until Ctrl-C. "
    'Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}; '
    "state: GET /_sandbox/state."
)


def shop_list(value: str) -> list[str]:
    """``--shops a,b`` -> ``["a", "b"]`` (blanks dropped)."""
    return [s.strip() for s in value.split(",") if s.strip()]


class Flag:
    """One flag of one sandbox; its value is passed as the sandbox's keyword argument of the same name."""

    def __init__(self, name: str, **options: t.Any) -> None:  # noqa: ANN401 - argparse's add_argument options
        self.name = name
        self.options = options

    @property
    def keyword(self) -> str:
        return self.name.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Standalone:
    """How ``python -m orderlayer.sandboxes.<source>`` builds and serves one sandbox.

    ``shops`` (the default of ``--shops``) makes it a channel sandbox: it synthesises per-shop history (``--days``,
    one tap config per shop). Without it the sandbox is an ERP, derived from stand-in channel orders
    (``erp_derive.sample_channel_orders``), with one config. ``qps`` adds ``--qps`` (0 = no limit).
    ``announce`` replaces the printed JSON (default: the base URL and the config(s)).
    """

    sandbox: Callable[..., t.Any]
    orders: int
    orders_help: str | None = None
    shops: str | None = None
    shops_help: str | None = None
    qps: float | None = None
    qps_help: str = "per-app budget; 0 disables the limit"
    flags: tuple[Flag, ...] = ()
    announce: Callable[[t.Any, str], dict] | None = None
    prog: str = field(init=False)

    def __post_init__(self) -> None:
        package = self.sandbox.__module__.rsplit(".", 1)[0]
        object.__setattr__(self, "prog", f"python -m {package}")

    def parser(self, doc: str | None) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=self.prog, description=(doc or "").split("\n\n")[0], epilog=_EPILOG)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        orders_help = self.orders_help or (None if self.shops is not None else "channel orders the ERP is derived from")
        parser.add_argument("--orders", type=int, default=self.orders, help=orders_help)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--as-of", default=None, help="ISO-8601 with offset; default: now (UTC, whole minutes)")
        if self.shops is not None:
            parser.add_argument("--days", type=int, default=30)
            parser.add_argument("--shops", default=self.shops, help=self.shops_help)
        if self.qps is not None:
            parser.add_argument("--qps", type=float, default=self.qps, help=self.qps_help)
        for flag in self.flags:
            parser.add_argument(flag.name, **flag.options)
        return parser

    def build(self, args: argparse.Namespace, as_of: dt.datetime) -> t.Any:  # noqa: ANN401
        """The sandbox for the parsed flags (not started)."""
        kwargs: dict[str, t.Any] = {"host": args.host, "port": args.port}
        kwargs |= {flag.keyword: getattr(args, flag.keyword) for flag in self.flags}
        if self.qps is not None:
            kwargs["qps"] = args.qps or None
        if self.shops is None:
            return self.sandbox(args.seed, as_of, sample_channel_orders(args.seed, as_of, args.orders), **kwargs)
        kwargs |= {"seed": args.seed, "as_of": as_of, "n_orders": args.orders, "shop_ids": shop_list(args.shops)}
        return self.sandbox(days=args.days, **kwargs)

    def announcement(self, sandbox: t.Any, base_url: str) -> dict:  # noqa: ANN401
        if self.announce is not None:
            return self.announce(sandbox, base_url)
        if self.shops is not None:
            return {"base_url": base_url, "configs": [sandbox.tap_config(s) for s in sandbox.shop_ids]}
        return {"base_url": base_url, "config": sandbox.tap_config()}

    def run(self, argv: Sequence[str] | None, doc: str | None) -> int:
        """Parse the flags, build and start the sandbox, print its base URL and tap config(s), serve until Ctrl-C."""
        parser = self.parser(doc)
        args = parser.parse_args(argv)
        if args.as_of:
            as_of = dt.datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
            if as_of.tzinfo is None:
                parser.error("--as-of needs an offset, e.g. 2024-12-01T00:00:00+08:00")
        else:
            as_of = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
        sandbox = self.build(args, as_of)
        base_url = sandbox.start()
        # One indented JSON document, flushed: scripts read stdout up to its closing "}" line.
        print(json.dumps(self.announcement(sandbox, base_url), ensure_ascii=False, indent=2))
        sys.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            sandbox.stop()
        return 0
