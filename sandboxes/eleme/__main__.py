"""Run a Ele.me sandbox by hand.

    python -m orderlayer.sandboxes.eleme --port 8767 --orders 500 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops el_shop_2001,el_shop_2002

Prints the base URL and one ready-to-use tap-eleme config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.eleme.server import ElemeSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--sign-encode-values", action="store_true", help="verify signatures over URL-encoded values")
        parser.add_argument(
            "--require-access-token",
            action="store_true",
            help="act as an ISV gateway: calls need the shop's access_token",
        )

    def build(args: argparse.Namespace, as_of: dt.datetime) -> ElemeSandbox:
        return ElemeSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            sign_encode_values=args.sign_encode_values,
            require_access_token=args.require_access_token,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.eleme",
        doc=__doc__,
        build=build,
        orders=500,
        shops="el_shop_2001",
        shops_help="comma-separated partner shop ids",
        qps=50.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
