"""Run a Meituan sandbox by hand.

    python -m orderlayer.sandboxes.meituan --port 8766 --orders 500 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops mt_poi_1001,mt_poi_1002

Prints the base URL and one ready-to-use tap-meituan config per store, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.meituan.server import MeituanSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--sign-encode-values", action="store_true", help="verify signatures over URL-encoded values")

    def build(args: argparse.Namespace, as_of: dt.datetime) -> MeituanSandbox:
        return MeituanSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            sign_encode_values=args.sign_encode_values,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.meituan",
        doc=__doc__,
        build=build,
        orders=500,
        shops="mt_poi_1001",
        shops_help="comma-separated app_poi_code values",
        qps=50.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
