"""A local SAP Gateway serving ``API_SALES_ORDER_SRV`` sales orders derived from channel orders
(``server.SapSandbox``); ``python -m orderlayer.sandboxes.sap``."""

from orderlayer.sandboxes.sap.server import SapSandbox

__all__ = ["SapSandbox"]
