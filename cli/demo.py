"""`orderlayer demo`: the bundled Douyin sandbox, a fresh DuckDB file, and settings that point at them.

The sandbox's demo app key, secret and tokens are not secrets, but they still travel the production way:
through environment variables named by the connection's `credentials`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from orderlayer.config import Connection, Credentials, Settings
from orderlayer.taps.douyin.sandbox.server import DouyinSandbox

APP_KEY = "7301234567890123456"
APP_SECRET = "orderlayer-demo-app-secret"
#: Demo shop ids: real Douyin shop ids are 7–8 digit numbers.
SHOP_IDS = ("7784061", "7784062", "7784063", "7784064", "7784065", "7784066", "7784067", "7784068", "7784069")
DEMO_SALT = "orderlayer-demo-salt"


@contextmanager
def start_sandbox(seed: int, as_of: datetime, orders: int, shops: int) -> Iterator[DouyinSandbox]:
    sandbox = DouyinSandbox(APP_KEY, APP_SECRET, seed, as_of, orders, list(SHOP_IDS[:shops]))
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def demo_settings(sandbox: DouyinSandbox, db: Path, base: Settings | None = None) -> Settings:
    """Settings for the sandbox's shops, on a fresh `db` (a demo always starts from nothing)."""
    for path in (db, db.with_name(db.name + ".wal")):
        if path.exists():
            path.unlink()
    os.environ["ORDERLAYER_DEMO_APP_KEY"] = APP_KEY
    os.environ["ORDERLAYER_DEMO_APP_SECRET"] = APP_SECRET
    os.environ.setdefault("ORDERLAYER_PII_SALT", DEMO_SALT)
    start = datetime.fromtimestamp(sandbox.generator.start_ts, timezone.utc)
    connections = {}
    for shop in sandbox.shop_ids:
        os.environ[f"ORDERLAYER_DEMO_ACCESS_TOKEN_{shop}"] = sandbox.access_token(shop)
        os.environ[f"ORDERLAYER_DEMO_REFRESH_TOKEN_{shop}"] = sandbox.refresh_token(shop)
        connections[f"douyin_{shop}"] = Connection(
            source="douyin",
            shop_id=shop,
            timezone="Asia/Shanghai",
            currency="CNY",
            base_url=sandbox.base_url,
            start_date=start,
            # The sandbox allows 50 requests/s per app; stay under it. One-day windows: 30 per shop.
            options={"window_seconds": 86400, "max_requests_per_second": 40},
            credentials=Credentials(
                {
                    "app_key": "ORDERLAYER_DEMO_APP_KEY",
                    "app_secret": "ORDERLAYER_DEMO_APP_SECRET",
                    "access_token": f"ORDERLAYER_DEMO_ACCESS_TOKEN_{shop}",
                    "refresh_token": f"ORDERLAYER_DEMO_REFRESH_TOKEN_{shop}",
                }
            ),
        )
    return (base or Settings()).model_copy(update={"database": db, "connections": connections})
