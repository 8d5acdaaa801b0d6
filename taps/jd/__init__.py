"""JD POP (京东 JOS) tap: ``tap.TapJd`` (console script ``tap-jd``), its REST client, the ``orders`` stream,
and a protocol-faithful sandbox under ``sandbox/``."""
