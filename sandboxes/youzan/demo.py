"""The Youzan sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.youzan.server import YouzanSandbox

DEMO = DemoChannel("youzan", YouzanSandbox, ("45200117",), position=50, erp="kingdee",
                   options={"max_requests_per_second": 40})
