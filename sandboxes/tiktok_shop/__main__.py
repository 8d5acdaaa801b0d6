"""Run a TikTok Shop sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.tiktok_shop --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.tiktok_shop.server import DEFAULT_SHOP_IDS, TikTokShopSandbox


STANDALONE = Standalone(
    TikTokShopSandbox,
    orders=2000,
    shops=",".join(DEFAULT_SHOP_IDS),
    shops_help="comma-separated shop ids (regions cycle US, GB, VN)",
    qps=50.0,
    qps_help="per app, shop and API; 0 disables the limit",
    flags=(Flag("--max-window-seconds", type=int, default=None),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
