"""Pinduoduo (拼多多) POP shop tap: ``tap.TapPinduoduo`` (console script ``tap-pinduoduo``), its REST
client, the ``orders`` stream, and a protocol-faithful sandbox under ``sandbox/``."""
