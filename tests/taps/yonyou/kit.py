"""What the Yonyou tap contributes to the tests every tap shares (its helpers are in tests/support/erp_tapkit.py)."""

from __future__ import annotations

from tests.support.erp_tapkit import AS_OF, FAST, PII_SALT, SEED, channel_orders
from tests.taps.specs import ProtocolSpec, StandardSpec

from orderlayer.sandboxes.yonyou import YonyouSandbox
from orderlayer.taps.yonyou.tap import TapYonyou


def _standard_sandbox() -> tuple[YonyouSandbox, dict]:
    sandbox = YonyouSandbox(SEED, AS_OF, channel_orders(150))
    sandbox.start()
    base_url = sandbox.base_url
    return sandbox, {"gateway_url": base_url, "token_url": base_url, "app_key": sandbox.app_key, "app_secret": sandbox.app_secret}


STANDARD = StandardSpec(
    tap_class=TapYonyou,
    config={
        "gateway_url": "http://127.0.0.1:9",  # the URLs and app keys: filled in once the sandbox started
        "token_url": "http://127.0.0.1:9",
        "app_key": "replaced-by-sandbox",
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
    fixture="yonyou_sandbox",
    tap_class=TapYonyou,
    start=lambda make, hint: make(30, retry_after_seconds=hint),
    config=lambda sandbox, **overrides: sandbox.tap_config(pii_salt=PII_SALT, **{**FAST, **overrides}),
    calls=lambda sandbox: [e for e in sandbox.requests if e["path"].startswith("/yonbip/")],
    code_key="http_status",
    throttle_codes=(429, 200),
    give_up_names="HTTP 503",
    give_up_fault="busy_next",
)
