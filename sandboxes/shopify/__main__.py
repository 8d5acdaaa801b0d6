"""Run a Shopify sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.shopify --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-11-10T00:00:00+00:00 --shops acme-us,berlin-goods,sydney-shop
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.shopify.server import ShopifySandbox


STANDALONE = Standalone(
    ShopifySandbox,
    orders=2000,
    shops="acme-us,berlin-goods,sydney-shop",
    shops_help="comma-separated myshopify subdomains",
    qps=2.0,
    qps_help="leak rate of each shop's bucket; 0 disables the limit",
    flags=(Flag("--bucket-size", type=int, default=40),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
