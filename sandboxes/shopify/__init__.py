"""A local Shopify Admin REST sandbox: deterministic orders of several shops (``generator``) served over
the real protocol (``server.ShopifySandbox``); ``python -m orderlayer.sandboxes.shopify``."""

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "SHOPIFY-"
