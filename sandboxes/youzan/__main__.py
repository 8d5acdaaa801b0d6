"""Run a Youzan sandbox by hand.

    python -m orderlayer.sandboxes.youzan --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 42971327,42971328

Prints the base URL and one ready-to-use tap-youzan config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
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
