"""What tap-sf-express contributes to the shared tap tests (tests/taps/specs.py)."""

from __future__ import annotations

import datetime as dt

from tests.taps.specs import StandardSpec

from orderlayer.sandboxes.sf_express.server import DEMO_CHECKWORD, DEMO_PARTNER, SfExpressSandbox
from orderlayer.taps.sf_express.tap import TapSfExpress

UTC = dt.timezone.utc
SHIPPED = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 20, tzinfo=UTC)
NUMBERS = [f"SF{1440000000000 + i}" for i in range(30)]


def _standard_sandbox() -> tuple[SfExpressSandbox, dict]:
    sandbox = SfExpressSandbox(7, AS_OF, {n: SHIPPED for n in NUMBERS})
    sandbox.start()
    return sandbox, {"base_url": sandbox.connection()["base_url"]}


STANDARD = StandardSpec(
    tap_class=TapSfExpress,
    config={
        "base_url": "http://127.0.0.1:9",  # filled in once the sandbox started
        "partner_id": DEMO_PARTNER,
        "checkword": DEMO_CHECKWORD,
        "waybills": [{"number": n} for n in NUMBERS],
        "max_requests_per_second": 1000,
        "retry_base_seconds": 0.001,
    },
    start=_standard_sandbox,
    max_records_limit=20,
)
