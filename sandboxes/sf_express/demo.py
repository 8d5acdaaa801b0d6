"""SF Express in `orderlayer demo`: routes for the SF waybills of the channel sandboxes' orders."""

from orderlayer.sandboxes.kit.demo_spec import DemoCarrier
from orderlayer.sandboxes.sf_express.server import SfExpressSandbox

DEMO = DemoCarrier(source="sf_express", sandbox=SfExpressSandbox, position=10)
