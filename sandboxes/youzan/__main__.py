"""Run a Youzan sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.youzan --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 42971327,42971328
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.youzan.server import ORDER_BY, YouzanSandbox


STANDALONE = Standalone(
    YouzanSandbox,
    orders=2000,
    shops="42971327",
    shops_help="comma-separated numeric kdt_ids",
    qps=20.0,
    flags=(
        Flag("--amounts-as", choices=("string", "number"), default="string"),
        Flag("--order-by", choices=ORDER_BY, default="created_desc"),
    ),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
