"""Youzan (有赞, youzanyun) tap: ``tap.TapYouzan`` (console script ``tap-youzan``), its REST client,
the ``orders`` stream (``youzan.trades.sold.get``), and a protocol-faithful sandbox under ``sandbox/``."""
