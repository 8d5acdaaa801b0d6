"""SAP S/4HANA sales-order tap: ``tap.TapSap`` (console script ``tap-sap``) reading ``API_SALES_ORDER_SRV``
(OData V2), its client, the ``sales_orders`` stream, and a protocol-faithful sandbox under ``sandbox/``."""
