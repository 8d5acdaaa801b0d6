"""Run a Shopify sandbox by hand.

    python -m orderlayer.sandboxes.shopify --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-11-10T00:00:00+00:00 --shops acme-us,berlin-goods,sydney-shop

Prints the base URL and one ready-to-use tap-shopify config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.shopify.server import ShopifySandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--bucket-size", type=int, default=40)

    def build(args: argparse.Namespace, as_of: dt.datetime) -> ShopifySandbox:
        return ShopifySandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            bucket_size=args.bucket_size,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.shopify",
        doc=__doc__,
        build=build,
        orders=2000,
        shops="acme-us,berlin-goods,sydney-shop",
        shops_help="comma-separated myshopify subdomains",
        qps=2.0,
        qps_help="leak rate of each shop's bucket; 0 disables the limit",
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
