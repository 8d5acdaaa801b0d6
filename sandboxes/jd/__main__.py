"""Run a JD sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.jd --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 10086521,10086522
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.jd.server import JdSandbox


STANDALONE = Standalone(
    JdSandbox,
    orders=2000,
    shops="10086521",
    shops_help="comma-separated numeric venderIds",
    qps=50.0,
    flags=(
        Flag("--app-key", default="sandbox-jd-app-key"),
        Flag("--app-secret", default="sandbox-jd-app-secret"),
        Flag("--max-page", type=int, default=300, help="deepest page served"),
    ),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
