"""Kingdee K3Cloud (金蝶云星空) sales-order tap: ``tap.TapKingdee`` (console script ``tap-kingdee``) reading
``ExecuteBillQuery`` on ``SAL_SaleOrder``, its client, the ``sales_orders`` stream, and a sandbox under ``sandbox/``."""
