"""A protocol-faithful Ele.me retail sandbox: ``server.ElemeSandbox`` over ``generator.ElemeGenerator``."""

from orderlayer.sandboxes.eleme.server import ElemeSandbox

__all__ = ["ElemeSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "ele_"
