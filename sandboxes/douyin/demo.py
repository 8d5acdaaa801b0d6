"""The Douyin sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.douyin.server import DouyinSandbox

DEMO = DemoChannel(
    "douyin",
    DouyinSandbox,
    # demo shop ids (real ones are 7–8 digit numbers); `--shops` picks how many
    ("7784061", "7784062", "7784063", "7784064", "7784065", "7784066", "7784067", "7784068", "7784069"),
    position=10,
    erp="sap",
    share=1.0,
    scales_with_shops=True,
    # the sandbox allows 50 requests/s per app; one-day windows: 30 per shop
    options={"window_seconds": 86400, "max_requests_per_second": 40},
    push_options={"push": True},
    leading=("7301234567890123456", "orderlayer-demo-app-secret"),
)
