"""The Taobao sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.taobao.server import TaobaoSandbox

# TOP allows one-day `modified` windows (1800 s is only its recommendation)
DEMO = DemoChannel("taobao", TaobaoSandbox, ("2207712345",), position=30, erp="sap",
                   options={"window_seconds": 86400, "max_requests_per_second": 40})
