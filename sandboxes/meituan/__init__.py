"""A protocol-faithful Meituan Waimai sandbox: ``server.MeituanSandbox`` over ``generator.MeituanGenerator``."""

from orderlayer.sandboxes.meituan.server import MeituanSandbox

__all__ = ["MeituanSandbox"]
