"""Run a Youzan sandbox by hand.

    python -m orderlayer.sandboxes.youzan --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 42971327,42971328

Prints the base URL and one ready-to-use tap-youzan config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.youzan.server import ORDER_BY, YouzanSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--amounts-as", choices=("string", "number"), default="string")
        parser.add_argument("--order-by", choices=ORDER_BY, default="created_desc")

    def build(args: argparse.Namespace, as_of: dt.datetime) -> YouzanSandbox:
        return YouzanSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            amounts_as=args.amounts_as,
            order_by=args.order_by,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.youzan",
        doc=__doc__,
        build=build,
        orders=2000,
        shops="42971327",
        shops_help="comma-separated numeric kdt_ids",
        qps=20.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
