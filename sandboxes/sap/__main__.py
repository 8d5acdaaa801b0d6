"""Run a SAP sandbox by hand.

    python -m orderlayer.sandboxes.sap --port 8766 --orders 2000 --seed 7 --as-of 2024-12-01T00:00:00+00:00

Derives the ERP from stand-in channel orders (``erp_derive.sample_channel_orders``), prints the base URL and a
ready-to-use tap-sap config, then serves until Ctrl-C. Faults: POST /_sandbox/faults {"rate_limit_next": 3};
clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

import typing as t

from orderlayer.sandboxes.kit.erp_derive import sample_channel_orders
from orderlayer.sandboxes.kit.cli import run_sandbox
from orderlayer.sandboxes.sap.server import SapSandbox

if t.TYPE_CHECKING:
    import argparse
    import datetime as dt


def main(argv: list[str] | None = None) -> int:
    def flags(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--server-page-size", type=int, default=None, help="cap rows per response and answer d.__next")

    def build(args: argparse.Namespace, as_of: dt.datetime) -> SapSandbox:
        return SapSandbox(
            args.seed,
            as_of,
            sample_channel_orders(args.seed, as_of, args.orders),
            server_page_size=args.server_page_size,
            qps=args.qps or None,
            host=args.host,
            port=args.port,
        )

    return run_sandbox(
        argv,
        prog="python -m orderlayer.sandboxes.sap",
        doc=__doc__,
        build=build,
        orders=2000,
        orders_help="channel orders the ERP is derived from",
        qps=0.0,
        qps_help="server-side budget; 0 disables the limit",
        add_flags=flags,
    )


if __name__ == "__main__":
    raise SystemExit(main())
