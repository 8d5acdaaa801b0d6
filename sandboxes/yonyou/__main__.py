"""Run a Yonyou sandbox by hand.

    python -m orderlayer.sandboxes.yonyou --port 8768 --orders 2000 --seed 7 --as-of 2024-12-01T00:00:00+00:00

Derives the ERP from stand-in channel orders (``erp_derive.sample_channel_orders``), prints the base URL and a
ready-to-use tap-yonyou config, then serves until Ctrl-C. Faults: POST /_sandbox/faults {"rate_limit_next": 3};
clock: POST /_sandbox/advance {"as_of": "..."}.
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.yonyou.server import YonyouSandbox


STANDALONE = Standalone(
    YonyouSandbox,
    orders=2000,
    flags=(Flag("--calls-per-minute", type=float, default=0.0, help="list budget (60 documented); 0 disables it"),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
