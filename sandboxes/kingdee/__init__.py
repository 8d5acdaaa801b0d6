"""A local K3Cloud WebAPI site serving ``SAL_SaleOrder`` bills derived from channel orders
(``server.KingdeeSandbox``); ``python -m orderlayer.sandboxes.kingdee``."""

from orderlayer.sandboxes.kingdee.server import KingdeeSandbox

__all__ = ["KingdeeSandbox"]
