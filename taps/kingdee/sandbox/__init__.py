"""A local K3Cloud WebAPI site serving ``SAL_SaleOrder`` bills derived from channel orders
(``server.KingdeeSandbox``); ``python -m orderlayer.taps.kingdee.sandbox``."""

from orderlayer.taps.kingdee.sandbox.server import KingdeeSandbox

__all__ = ["KingdeeSandbox"]
