"""Shopify tap: ``tap.TapShopify`` (console script ``tap-shopify``), its REST client, the ``orders``
stream, the personal-data policy, and a protocol-faithful multi-shop sandbox under ``sandbox/``."""
