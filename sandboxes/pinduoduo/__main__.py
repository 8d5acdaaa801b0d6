"""Run a Pinduoduo sandbox by hand; it prints one tap config per shop (see ``orderlayer.sandboxes.kit.cli``).

    python -m orderlayer.sandboxes.pinduoduo --port 8766 --orders 2000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 100200300,100200301
"""

from __future__ import annotations

from orderlayer.sandboxes.kit.cli import Flag, Standalone
from orderlayer.sandboxes.pinduoduo.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, PinduoduoSandbox


def _announce(sandbox: PinduoduoSandbox, base_url: str) -> dict:  # noqa: ARG001 - the configs carry the URL
    # The tap is configured with the router URL, not the server root.
    configs = [sandbox.tap_config(s) for s in sandbox.shop_ids]
    return {"router_url": configs[0]["base_url"], "configs": configs}


STANDALONE = Standalone(
    PinduoduoSandbox,
    orders=2000,
    shops="100200300",
    shops_help="comma-separated numeric mall ids",
    qps=50.0,
    flags=(Flag("--client-id", default=DEFAULT_CLIENT_ID), Flag("--client-secret", default=DEFAULT_CLIENT_SECRET)),
    announce=_announce,
)


def main(argv: list[str] | None = None) -> int:
    return STANDALONE.run(argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
