"""Taobao / Tmall (TOP) tap: ``tap.TapTaobao`` (console script ``tap-taobao``), its REST client, the
``orders`` stream (taobao.trades.sold.increment.get), and a protocol-faithful sandbox under ``sandbox/``."""
