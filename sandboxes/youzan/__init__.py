"""A local youzanyun gateway: deterministic orders (``generator``) served over the real protocol
(``server.YouzanSandbox``); ``python -m orderlayer.sandboxes.youzan``."""

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "YZ"
