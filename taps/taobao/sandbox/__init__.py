"""A local Taobao TOP sandbox: deterministic trades (``generator``) served over the real protocol
(``server.TaobaoSandbox``); ``python -m orderlayer.taps.taobao.sandbox`` serves one by hand."""

from orderlayer.taps.taobao.sandbox.server import TaobaoFaults, TaobaoSandbox

__all__ = ["TaobaoFaults", "TaobaoSandbox"]
