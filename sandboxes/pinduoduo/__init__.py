"""A local, protocol-faithful Pinduoduo router: ``server.PinduoduoSandbox`` over ``generator.PddOrderGenerator``."""

from orderlayer.sandboxes.pinduoduo.server import PinduoduoSandbox

__all__ = ["PinduoduoSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "PDD-"
