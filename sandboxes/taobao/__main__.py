"""Run a Taobao TOP sandbox by hand.

    python -m orderlayer.sandboxes.taobao --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 573001,573002

Prints the base URL and one ready-to-use tap-taobao config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.taobao.server import TaobaoSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ban-seconds", type=float, default=1.0, help="ban length stated in code-7 answers")

    def build(args: argparse.Namespace, as_of: dt.datetime) -> TaobaoSandbox:
        return TaobaoSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            qps=args.qps or None,
            days=args.days,
            ban_seconds=args.ban_seconds,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.taobao",
        doc=__doc__,
        build=build,
        orders=2000,
        shops="573001,573002",
        shops_help="comma-separated shop ids (every second one is a Tmall shop)",
        qps=50.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
