"""A local SAP Gateway serving ``API_SALES_ORDER_SRV`` sales orders derived from channel orders
(``server.SapSandbox``); ``python -m orderlayer.taps.sap.sandbox``."""

from orderlayer.taps.sap.sandbox.server import SapSandbox

__all__ = ["SapSandbox"]
