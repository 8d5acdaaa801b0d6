"""The Yonyou sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoErp
from orderlayer.sandboxes.yonyou.server import YonyouSandbox

DEMO = DemoErp("yonyou", YonyouSandbox, "overseas", position=30)
