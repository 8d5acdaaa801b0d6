"""The Ele.me sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.eleme.server import ElemeSandbox

# Ele.me reads order details call by call: the local sandbox runs unthrottled
DEMO = DemoChannel("eleme", ElemeSandbox, ("el_shop_2001",), position=70, erp="kingdee",
                   options={"max_requests_per_second": 400}, kwargs={"qps": None})
