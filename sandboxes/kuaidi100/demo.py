"""Kuaidi100 in `orderlayer demo`: tracking for every other parcel of the channel sandboxes' orders."""

from orderlayer.sandboxes.kit.demo_spec import DemoCarrier
from orderlayer.sandboxes.kuaidi100.server import Kuaidi100Sandbox

DEMO = DemoCarrier(source="kuaidi100", sandbox=Kuaidi100Sandbox, position=20)
