"""Douyin shop (抖店) tap: ``tap.TapDouyin`` (console script ``tap-douyin``), its REST
client, the ``orders`` stream, and a protocol-faithful sandbox under ``sandbox/``."""
