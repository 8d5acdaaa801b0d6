"""Run a Douyin sandbox by hand.

    python -m orderlayer.taps.douyin.sandbox --port 8765 --orders 5000 --seed 7 \
        --as-of 2024-12-01T00:00:00+00:00 --shops 7784061,7784062

Prints the base URL and one ready-to-use tap-douyin config per shop, then serves until
Ctrl-C. Faults: POST /_sandbox/faults {"rate_limit_next": 3}; clock: POST /_sandbox/advance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading

from orderlayer.taps.douyin.sandbox.server import DouyinSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orderlayer.taps.douyin.sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default=None, help="ISO-8601 with offset; default: now (UTC, whole minutes)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shops", default="7784061", help="comma-separated numeric shop ids")
    parser.add_argument("--app-key", default="1234567890123456789")
    parser.add_argument("--app-secret", default="sandbox-app-secret")
    parser.add_argument("--qps", type=float, default=50.0, help="per-app budget; 0 disables the limit")
    parser.add_argument("--max-window-seconds", type=int, default=None)
    args = parser.parse_args(argv)

    if args.as_of:
        as_of = dt.datetime.fromisoformat(args.as_of.replace("Z", "+00:00"))
        if as_of.tzinfo is None:
            parser.error("--as-of needs an offset, e.g. 2024-12-01T00:00:00+08:00")
    else:
        as_of = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    sandbox = DouyinSandbox(
        args.app_key,
        args.app_secret,
        args.seed,
        as_of,
        args.orders,
        [s.strip() for s in args.shops.split(",") if s.strip()],
        days=args.days,
        qps=args.qps or None,
        max_window_seconds=args.max_window_seconds,
        host=args.host,
        port=args.port,
    )
    base_url = sandbox.start()
    print(json.dumps({"base_url": base_url, "configs": [sandbox.tap_config(s) for s in sandbox.shop_ids]}, ensure_ascii=False, indent=2))
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
