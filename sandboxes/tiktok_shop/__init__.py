"""A protocol-faithful TikTok Shop Partner API sandbox: ``server.TikTokShopSandbox`` over the
deterministic order universe of ``generator.OrderGenerator``."""

from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox

__all__ = ["TikTokShopSandbox"]

#: What an integration puts before this channel's order id in an ERP reference (the ERP sandboxes spell
#: some references so; a company's `erp_matching.strip_prefixes` removes it).
REFERENCE_PREFIX = "TTS-"
