"""Run a JD sandbox by hand.

    python -m orderlayer.sandboxes.jd --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 10086521,10086522

Prints the base URL and one ready-to-use tap-jd config per shop, then serves until Ctrl-C. Faults:
POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.jd.server import JdSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--app-key", default="sandbox-jd-app-key")
        parser.add_argument("--app-secret", default="sandbox-jd-app-secret")
        parser.add_argument("--max-page", type=int, default=300, help="deepest page served")

    def build(args: argparse.Namespace, as_of: dt.datetime) -> JdSandbox:
        return JdSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            qps=args.qps or None,
            app_key=args.app_key,
            app_secret=args.app_secret,
            days=args.days,
            max_page=args.max_page,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.jd",
        doc=__doc__,
        build=build,
        orders=2000,
        shops="10086521",
        shops_help="comma-separated numeric venderIds",
        qps=50.0,
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
