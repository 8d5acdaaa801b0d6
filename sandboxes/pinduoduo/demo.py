"""The Pinduoduo sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox

# PDD's windows are at most 30 minutes: 1,440 calls for 30 days; the local sandbox needs no throttle
DEMO = DemoChannel("pinduoduo", PinduoduoSandbox, ("938475",), position=40, erp="kingdee",
                   options={"max_requests_per_second": 400}, kwargs={"qps": None})
