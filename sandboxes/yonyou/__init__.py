"""A local YonBIP gateway (token endpoint and sales-order list) serving orders derived from channel orders
(``server.YonyouSandbox``); ``python -m orderlayer.sandboxes.yonyou``."""

from orderlayer.sandboxes.yonyou.server import YonyouSandbox

__all__ = ["YonyouSandbox"]
