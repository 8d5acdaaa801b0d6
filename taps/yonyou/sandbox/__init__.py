"""A local YonBIP gateway (token endpoint and sales-order list) serving orders derived from channel orders
(``server.YonyouSandbox``); ``python -m orderlayer.taps.yonyou.sandbox``."""

from orderlayer.taps.yonyou.sandbox.server import YonyouSandbox

__all__ = ["YonyouSandbox"]
