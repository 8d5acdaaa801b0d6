"""Run a Douyin sandbox by hand.

    python -m orderlayer.sandboxes.douyin --port 8765 --orders 5000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 7784061,7784062

Prints the base URL and one ready-to-use tap-douyin config per shop, then serves until
Ctrl-C. Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.douyin.server import DouyinSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--app-key", default="1234567890123456789")
        parser.add_argument("--app-secret", default="sandbox-app-secret")
        parser.add_argument("--max-window-seconds", type=int, default=None)

    def build(args: argparse.Namespace, as_of: dt.datetime) -> DouyinSandbox:
        return DouyinSandbox(
            args.app_key,
            args.app_secret,
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            max_window_seconds=args.max_window_seconds,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.douyin",
        doc=__doc__,
        build=build,
        orders=5000,
        shops="7784061",
        shops_help="comma-separated numeric shop ids",
        qps=50.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
