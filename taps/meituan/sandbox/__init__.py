"""A protocol-faithful Meituan Waimai sandbox: ``server.MeituanSandbox`` over ``generator.MeituanGenerator``."""

from orderlayer.taps.meituan.sandbox.server import MeituanSandbox

__all__ = ["MeituanSandbox"]
