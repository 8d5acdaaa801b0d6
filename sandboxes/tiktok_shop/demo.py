"""The TikTok Shop sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox

DEMO = DemoChannel("tiktok_shop", TikTokShopSandbox, ("7494105515082810525",), position=80, erp="yonyou",
                   timezones=("America/Los_Angeles",), currencies=("USD",))
