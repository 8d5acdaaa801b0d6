"""A protocol-faithful TikTok Shop Partner API sandbox: ``server.TikTokShopSandbox`` over the
deterministic order universe of ``generator.OrderGenerator``."""

from orderlayer.sandboxes.tiktok_shop.server import TikTokShopSandbox

__all__ = ["TikTokShopSandbox"]
