"""Run a SAP sandbox by hand; it prints its tap config (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.sap --port 8766 --orders 2000 --seed 7 --as-of 2024-12-01T00:00:00+00:00
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.sap.server import SapSandbox


STANDALONE = Standalone(
    SapSandbox,
    orders=2000,
    qps=0.0,
    qps_help="server-side budget; 0 disables the limit",
    flags=(Flag("--server-page-size", type=int, default=None, help="cap rows per response and answer d.__next"),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
