"""A local Douyin open-API sandbox: deterministic orders (``generator``) served over the
real protocol (``server.DouyinSandbox``); ``python -m orderlayer.sandboxes.douyin``."""

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "DY"
