"""Serve one platform sandbox standalone: ``python -m orderlayer.taps.<source>.sandbox``.

Every ``sandbox/__main__.py`` calls :func:`run_sandbox` with its defaults, its own flags and how to build its
sandbox; the shared flags (host, port, seed, as-of, orders, and shops/days/qps where the sandbox has them),
the printed base URL and tap config(s) and the serve-until-Ctrl-C loop live here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["StandaloneSandbox", "run_sandbox", "shop_list"]


class StandaloneSandbox(t.Protocol):
    """What :func:`run_sandbox` needs of a sandbox (every ``SandboxServer`` subclass has it)."""

    def start(self) -> str: ...

    def stop(self) -> None: ...

    def tap_config(self, *args: t.Any, **kwargs: t.Any) -> dict: ...  # noqa: ANN401


S = t.TypeVar("S", bound=StandaloneSandbox)


def shop_list(value: str) -> list[str]:
    """``--shops a,b`` -> ``["a", "b"]`` (blanks dropped)."""
    return [s.strip() for s in value.split(",") if s.strip()]


def _announcement(sandbox: StandaloneSandbox, base_url: str, *, per_shop: bool) -> dict:
    # A channel sandbox serves several shops (one config each); an ERP sandbox is one system.
    if per_shop:
        return {"base_url": base_url, "configs": [sandbox.tap_config(s) for s in sandbox.shop_ids]}  # type: ignore[attr-defined]
    return {"base_url": base_url, "config": sandbox.tap_config()}


def run_sandbox(  # noqa: PLR0913 - each keyword is one flag's default
    argv: Sequence[str] | None,
    *,
    prog: str,
    doc: str | None,
    build: Callable[[argparse.Namespace, dt.datetime], S],
    orders: int,
    orders_help: str | None = None,
    shops: str | None = None,
    shops_help: str | None = None,
    qps: float | None = None,
    qps_help: str = "per-app budget; 0 disables the limit",
    add_flags: Callable[[argparse.ArgumentParser], None] | None = None,
    announce: Callable[[S, str], dict] | None = None,
) -> int:
    """Parse the flags, build and start the sandbox, print its base URL and tap config(s), serve until Ctrl-C.

    ``shops`` (the default of ``--shops``) also adds ``--days``: channel sandboxes synthesise per-shop
    history, ERP sandboxes derive one system and take neither. ``qps`` adds ``--qps`` (0 = no limit, passed
    to ``build`` as given). ``announce`` replaces the printed JSON (default: base_url and configs).
    """
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--orders", type=int, default=orders, help=orders_help)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default=None, help="ISO-8601 with offset; default: now (UTC, whole minutes)")
    if shops is not None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--shops", default=shops, help=shops_help)
    if qps is not None:
        parser.add_argument("--qps", type=float, default=qps, help=qps_help)
    if add_flags is not None:
        add_flags(parser)
    args = parser.parse_args(argv)

    if args.as_of:
        as_of = dt.datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
        if as_of.tzinfo is None:
            parser.error("--as-of needs an offset, e.g. 2024-12-01T00:00:00+08:00")
    else:
        as_of = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)

    sandbox = build(args, as_of)
    base_url = sandbox.start()
    if announce is not None:
        payload = announce(sandbox, base_url)
    else:
        payload = _announcement(sandbox, base_url, per_shop=shops is not None)
    # One indented JSON document, flushed: scripts read stdout up to its closing "}" line.
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
