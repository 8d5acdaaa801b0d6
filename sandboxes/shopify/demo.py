"""The Shopify sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.shopify.server import ShopifySandbox

# shop k of the Shopify sandbox has profile k: New York / USD, Berlin / EUR
DEMO = DemoChannel("shopify", ShopifySandbox, ("acme-tea-us", "acme-tea-de"), position=90, erp="yonyou",
                   timezones=("America/New_York", "Europe/Berlin"), currencies=("USD", "EUR"), kwargs={"qps": None},
                   options={"max_requests_per_second": 40})
