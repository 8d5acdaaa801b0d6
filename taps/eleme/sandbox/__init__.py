"""A protocol-faithful Ele.me retail sandbox: ``server.ElemeSandbox`` over ``generator.ElemeGenerator``."""

from orderlayer.taps.eleme.sandbox.server import ElemeSandbox

__all__ = ["ElemeSandbox"]
