"""What tap-kuaidi100 contributes to the shared tap tests (tests/taps/specs.py)."""

from __future__ import annotations

import datetime as dt

from tests.taps.specs import StandardSpec

from orderlayer.sandboxes.kuaidi100.server import DEMO_CUSTOMER, DEMO_KEY, Kuaidi100Sandbox
from orderlayer.taps.kuaidi100.tap import TapKuaidi100

UTC = dt.timezone.utc
SHIPPED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 20, tzinfo=UTC)
NUMBERS = [f"YT{7700000000000 + i}" for i in range(30)]


def _standard_sandbox() -> tuple[Kuaidi100Sandbox, dict]:
    sandbox = Kuaidi100Sandbox(7, AS_OF, {n: SHIPPED for n in NUMBERS})
    sandbox.start()
    return sandbox, {"base_url": sandbox.connection()["base_url"]}


STANDARD = StandardSpec(
    tap_class=TapKuaidi100,
    config={
        "base_url": "http://127.0.0.1:9",  # filled in once the sandbox started
        "customer": DEMO_CUSTOMER,
        "key": DEMO_KEY,
        "waybills": [{"number": n} for n in NUMBERS],
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
    },
    start=_standard_sandbox,
    max_records_limit=20,
)
