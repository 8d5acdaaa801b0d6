"""The Meituan sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.meituan.server import MeituanSandbox

# Meituan reads order details call by call: the local sandbox runs unthrottled
DEMO = DemoChannel("meituan", MeituanSandbox, ("mt_poi_1001",), position=60, erp="kingdee",
                   options={"max_requests_per_second": 400}, kwargs={"qps": None})
