"""A local JD JOS sandbox: deterministic orders and their refund applications (``generator``) served over the real
routerjson protocol (``server.JdSandbox``); ``python -m orderlayer.sandboxes.jd`` serves one standalone."""

from orderlayer.sandboxes.jd.server import JdSandbox

__all__ = ["JdSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "JD-"
