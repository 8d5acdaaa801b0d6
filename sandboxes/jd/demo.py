"""The JD sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoChannel
from orderlayer.sandboxes.jd.server import JdSandbox

# the local sandboxes answer at 50 requests/s; the taps' defaults are kept for the real platforms
DEMO = DemoChannel("jd", JdSandbox, ("10086001", "10086002"), position=20, erp="sap",
                   options={"max_requests_per_second": 40})
