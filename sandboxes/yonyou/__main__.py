"""Run a Yonyou sandbox by hand; it prints its tap config (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.yonyou --port 8768 --orders 2000 --seed 7 --as-of 2024-12-01T00:00:00+00:00
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
