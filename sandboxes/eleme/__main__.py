"""Run a Ele.me sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.eleme --port 8767 --orders 500 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops el_shop_2001,el_shop_2002
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.eleme.server import ElemeSandbox


STANDALONE = Standalone(
    ElemeSandbox,
    orders=500,
    shops="el_shop_2001",
    shops_help="comma-separated partner shop ids",
    qps=50.0,
    flags=(
        Flag("--sign-encode-values", action="store_true", help="verify signatures over URL-encoded values"),
        Flag("--require-access-token", action="store_true", help="act as an ISV gateway: calls need the shop's access_token"),
    ),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
