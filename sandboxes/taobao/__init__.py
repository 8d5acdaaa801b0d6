"""A local Taobao TOP sandbox: deterministic trades (``generator``) served over the real protocol
(``server.TaobaoSandbox``); ``python -m orderlayer.sandboxes.taobao`` serves one by hand."""

from orderlayer.sandboxes.taobao.server import TaobaoFaults, TaobaoSandbox

__all__ = ["TaobaoFaults", "TaobaoSandbox"]
