"""A protocol-faithful Meituan Waimai sandbox: ``server.MeituanSandbox`` over ``generator.MeituanGenerator``."""

from orderlayer.sandboxes.meituan.server import MeituanSandbox

__all__ = ["MeituanSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "meituan_"
