"""A local Taobao TOP sandbox: deterministic trades (``generator``) served over the real protocol
(``server.TaobaoSandbox``); ``python -m orderlayer.sandboxes.taobao`` serves one by hand."""

from orderlayer.sandboxes.taobao.server import TaobaoFaults, TaobaoSandbox

__all__ = ["TaobaoFaults", "TaobaoSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "TB"
