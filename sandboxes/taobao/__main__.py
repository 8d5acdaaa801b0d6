"""Run a Taobao TOP sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.taobao --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 573001,573002
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.taobao.server import TaobaoSandbox


STANDALONE = Standalone(
    TaobaoSandbox,
    orders=2000,
    shops="573001,573002",
    shops_help="comma-separated shop ids (every second one is a Tmall shop)",
    qps=50.0,
    flags=(Flag("--ban-seconds", type=float, default=1.0, help="ban length stated in code-7 answers"),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
