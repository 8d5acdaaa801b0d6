"""Yonyou YonBIP / YonSuite sales-order tap: ``tap.TapYonyou`` (console script ``tap-yonyou``) reading
``/yonbip/sd/voucherorder/list``, its client, the ``sales_orders`` stream, and a sandbox under ``sandbox/``."""
