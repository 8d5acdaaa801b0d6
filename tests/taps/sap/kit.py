"""What the SAP tap contributes to the tests every tap shares (its helpers are in tests/support/erp_tapkit.py)."""

from __future__ import annotations

from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from tests.taps.specs import ProtocolSpec, StandardSpec

from orderlayer.sandboxes.sap import SapSandbox
from orderlayer.taps.sap.tap import TapSap


def _standard_sandbox() -> tuple[SapSandbox, dict]:
    sandbox = SapSandbox(SEED, AS_OF, channel_orders(150))
    base_url = sandbox.start()
    return sandbox, {"base_url": base_url, "username": sandbox.username, "password": sandbox.password}


STANDARD = StandardSpec(
    tap_class=TapSap,
    config={
        "base_url": "http://127.0.0.1:9",  # this and the credentials: filled in once the sandbox started
        "username": "replaced-by-sandbox",
        "password": "replaced-by-sandbox",
        "start_date": "2024-11-01T00:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        # one window: a full sync has no boundary duplicates, which the suite's uniqueness test would count
        "window_seconds": 40 * 86_400,
        **FAST,
    },
    start=_standard_sandbox,
    max_records_limit=100,
)


PROTOCOL = ProtocolSpec(
    fixture="sap_sandbox",
    tap_class=TapSap,
    start=lambda make, hint: make(30, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides}),
    calls=lambda sandbox: list(sandbox.requests),
    code_key="http_status",
    throttle_codes=(429, 200),
    give_up_names="HTTP 503",
    give_up_fault="busy_next",
)
