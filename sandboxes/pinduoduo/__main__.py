"""Run a Pinduoduo sandbox by hand.

    python -m orderlayer.sandboxes.pinduoduo --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 100200300,100200301

Prints the router URL and one ready-to-use tap-pinduoduo config per shop, then serves until Ctrl-C.
Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.cli import run_sandbox, shop_list
from orderlayer.sandboxes.pinduoduo import protocol as p
from orderlayer.sandboxes.pinduoduo.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PinduoduoSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)

    def build(args: argparse.Namespace, as_of: dt.datetime) -> PinduoduoSandbox:
        return PinduoduoSandbox(
            args.seed,
            as_of,
            args.orders,
            shop_list(args.shops),
            days=args.days,
            qps=args.qps or None,
            client_id=args.client_id,
            client_secret=args.client_secret,
            host=args.host,
            port=args.port,
        )

    def announce(sandbox: PinduoduoSandbox, base_url: str) -> dict:
        # The tap is configured with the router URL, not the server root.
        return {"router_url": base_url + p.ROUTER_PATH, "configs": [sandbox.tap_config(s) for s in sandbox.shop_ids]}

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.pinduoduo",
        doc=__doc__,
        build=build,
        orders=2000,
        shops="100200300",
        shops_help="comma-separated numeric mall ids",
        qps=50.0,
        add_flags=flags,
        announce=announce,
    )


if __name__ == "__main__":
    raise SystemExit(main())
