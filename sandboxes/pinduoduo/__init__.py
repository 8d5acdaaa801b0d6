"""A local, protocol-faithful Pinduoduo router: ``server.PinduoduoSandbox`` over ``generator.PddOrderGenerator``."""

from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox

__all__ = ["PinduoduoSandbox"]
