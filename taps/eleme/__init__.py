"""Ele.me retail (饿了么零售 / 饿百) tap: ``tap.TapEleme`` (console script ``tap-eleme``), its signed
form-POST client, the ``orders`` stream, and a protocol-faithful sandbox under ``sandbox/``."""
