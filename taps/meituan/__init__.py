"""Meituan Waimai / Shangou (美团外卖 / 美团闪购) tap: ``tap.TapMeituan`` (console script ``tap-meituan``),
its signed REST client, the ``orders`` stream, and a protocol-faithful sandbox under ``sandbox/``."""
