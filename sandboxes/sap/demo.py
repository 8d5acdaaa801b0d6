"""The SAP sandbox in the demo: what `orderlayer demo` starts (core/demo.py discovers this declaration)."""

from orderlayer.sandboxes.kit.demo_spec import DemoErp
from orderlayer.sandboxes.sap.server import SapSandbox

DEMO = DemoErp("sap", SapSandbox, "1710", position=10)
