"""The Kingdee sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoErp
from orderlayer.sandboxes.kingdee.server import KingdeeSandbox

DEMO = DemoErp("kingdee", KingdeeSandbox, "100", position=20)
