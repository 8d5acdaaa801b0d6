"""Run a Meituan sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.meituan --port 8766 --orders 500 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops mt_poi_1001,mt_poi_1002
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.meituan.server import MeituanSandbox


STANDALONE = Standalone(
    MeituanSandbox,
    orders=500,
    shops="mt_poi_1001",
    shops_help="comma-separated app_poi_code values",
    qps=50.0,
    flags=(Flag("--sign-encode-values", action="store_true", help="verify signatures over URL-encoded values"),),
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
