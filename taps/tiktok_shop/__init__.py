"""TikTok Shop tap: ``tap.TapTikTokShop`` (console script ``tap-tiktok-shop``), its REST client, the
``orders`` stream (Partner API 202309 order search), and a protocol-faithful sandbox under ``sandbox/``."""
