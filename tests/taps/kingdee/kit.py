"""What the Kingdee tap contributes to the tests every tap shares (its helpers are in tests/support/erp_tapkit.py)."""

from __future__ import annotations

from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from tests.taps.specs import ProtocolSpec, StandardSpec

from orderlayer.sandboxes.kingdee import KingdeeSandbox
from orderlayer.taps.kingdee.tap import TapKingdee


def _standard_sandbox() -> tuple[KingdeeSandbox, dict]:
    sandbox = KingdeeSandbox(SEED, AS_OF, channel_orders(150))
    sandbox.start()
    return sandbox, {
        "server_url": f"{sandbox.base_url}/k3cloud/",
        "acct_id": sandbox.acct_id,
        "username": sandbox.username,
        "app_id": sandbox.app_id,
        "app_secret": sandbox.app_secret,
    }


STANDARD = StandardSpec(
    tap_class=TapKingdee,
    config={
        "server_url": "http://127.0.0.1:9/k3cloud/",  # this and the credentials: filled in once the sandbox started
        "acct_id": "replaced-by-sandbox",
        "username": "replaced-by-sandbox",
        "app_id": "000000_replaced-by-sandbox",
        "app_secret": "replaced-by-sandbox",
        "start_date": "2024-11-01T00:00:00+00:00",
        "end_date": AS_OF.isoformat(),
        "pii_salt": PII_SALT,
        "window_seconds": 40 * 86_400,  # one window: no boundary duplicates for the uniqueness test
        **FAST,
    },
    start=_standard_sandbox,
    max_records_limit=100,
)


PROTOCOL = ProtocolSpec(
    fixture="kingdee_sandbox",
    tap_class=TapKingdee,
    start=lambda make, hint: make(30, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides}),
    calls=lambda sandbox: [e for e in sandbox.requests if e["path"].endswith("ExecuteBillQuery.common.kdsvc")],
    code_key="http_status",
    throttle_codes=(429, 200),
    give_up_names="response_error body",
    give_up_fault="busy_next",
)
