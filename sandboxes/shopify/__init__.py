"""A local Shopify Admin REST sandbox: deterministic orders of several shops (``generator``) served over
the real protocol (``server.ShopifySandbox``); ``python -m orderlayer.sandboxes.shopify``."""
