"""A protocol-faithful TikTok Shop Partner API sandbox: ``server.TikTokShopSandbox`` over the
deterministic order universe of ``generator.OrderGenerator``."""

from orderlayer.taps.tiktok_shop.sandbox.server import TikTokShopSandbox

__all__ = ["TikTokShopSandbox"]
