"""Run a Kingdee sandbox by hand; it prints its tap config (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.kingdee --port 8767 --orders 2000 --seed 7 --as-of 2024-12-01T00:00:00+00:00
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.kingdee.server import KingdeeSandbox


STANDALONE = Standalone(
    KingdeeSandbox,
    orders=2000,
    flags=(Flag("--max-limit", type=int, default=2000, help="largest Limit the site accepts"),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
