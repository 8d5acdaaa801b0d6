"""Run a TikTok Shop sandbox by hand.

    python -m orderlayer.sandboxes.tiktok_shop --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00

Prints the base URL and one ready-to-use tap-tiktok-shop config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.tiktok_shop.server import DEFAULT_SHOP_IDS, TikTokShopSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--max-window-seconds", type=int, default=None)

    def build(args: argparse.Namespace, as_of: dt.datetime) -> TikTokShopSandbox:
        return TikTokShopSandbox(
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
        prog="python -m orderlayer.sandboxes.tiktok_shop",
        doc=__doc__,
        build=build,
        orders=2000,
        shops=",".join(DEFAULT_SHOP_IDS),
        shops_help="comma-separated shop ids (regions cycle US, GB, VN)",
        qps=50.0,
        qps_help="per app, shop and API; 0 disables the limit",
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
