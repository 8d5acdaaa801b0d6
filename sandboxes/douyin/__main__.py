"""Run a Douyin sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.douyin --port 8765 --orders 5000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 7784061,7784062
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.douyin.server import DouyinSandbox


STANDALONE = Standalone(
    DouyinSandbox,
    orders=5000,
    shops="7784061",
    shops_help="comma-separated numeric shop ids",
    qps=50.0,
    flags=(
        Flag("--app-key", default="1234567890123456789"),
        Flag("--app-secret", default="sandbox-app-secret"),
        Flag("--max-window-seconds", type=int, default=None),
    ),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
