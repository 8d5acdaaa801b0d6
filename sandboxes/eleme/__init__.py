"""A protocol-faithful Ele.me retail sandbox: ``server.ElemeSandbox`` over ``generator.ElemeGenerator``."""

from orderlayer.sandboxes.eleme.server import ElemeSandbox

__all__ = ["ElemeSandbox"]
