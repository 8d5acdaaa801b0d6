"""A local, protocol-faithful Pinduoduo router: ``server.PinduoduoSandbox`` over ``generator.PddOrderGenerator``."""

from orderlayer.taps.pinduoduo.sandbox.server import PinduoduoSandbox

__all__ = ["PinduoduoSandbox"]
