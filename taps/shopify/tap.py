"""tap-shopify: Shopify orders (Admin REST API) and returns (Admin GraphQL) as a Singer tap (singer-sdk). One config = one shop."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.client import ShopifyConnection
from orderlayer.taps.shopify.streams import OrdersStream, ReturnsStream


class TapShopify(SourceTap):
    """Singer tap for the Shopify Admin REST API (orders.json)."""

    name = "tap-shopify"
    connection_class = ShopifyConnection
    stream_classes = (OrdersStream, ReturnsStream)

    config_jsonschema = th.PropertiesList(
        th.Property(
            "shop_id",
            th.StringType(pattern=p.SHOP_PATTERN.pattern),
            required=True,
            description="The shop's myshopify subdomain (acme-store for acme-store.myshopify.com); the records' shop_id.",
        ),
        *opt.tokens(
            "Admin API access token (a custom app's shpat_... token). Needs read_orders (and read_all_orders beyond 60 days).",
            access_required=False,
        ),
        *opt.app_credentials(
            "client_id",
            "Client id of an app of your organisation (client credentials grant).",
            "client_secret",
            "Client secret; with client_id the tap obtains 24-hour tokens itself and renews a rejected one.",
            required=False,
        ),
        th.Property(
            "api_version",
            th.StringType(pattern=p.API_VERSION_PATTERN.pattern),
            default=p.DEFAULT_API_VERSION,
            description="Dated Admin API release, e.g. 2026-07. An unsupported one is answered by the oldest supported (logged).",
        ),
        opt.base_url(None, "Default https://{shop}.myshopify.com ({shop} = shop_id)"),
        opt.bounded_int(
            "lookback_seconds",
            300,
            "An incremental sync starts this far before the bookmark (late-committed updates; duplicates are removed downstream).",
            minimum=0,
        ),
        opt.bounded_int("window_seconds", 86_400, "Length of one updated_at window; a window's orders are held in memory to be sorted."),
        opt.bounded_int("page_size", p.MAX_LIMIT, "Orders per page (limit); Shopify allows at most 250.", maximum=p.MAX_LIMIT),
        th.Property("burst_requests", th.NumberType(minimum=1), default=20, description="Calls we may send at once (bucket size 40 on standard plans)."),
        opt.bounded_int(
            "call_limit_reserve",
            4,
            "Slow down when X-Shopify-Shop-Api-Call-Limit shows fewer free slots than this.",
            minimum=0,
        ),
        opt.push_switch(
            "Receive this shop's order, refund and return webhooks in `orderlayer serve` (docs/channels/shopify.md "
            "\"Push\"): register /push/shopify/<connection> for them on the shop."
        ),
        th.Property(
            "webhook_secret",
            th.StringType,
            secret=True,
            description=(
                "The key Shopify signs webhooks with (X-Shopify-Hmac-Sha256): the signing secret the store admin shows "
                "for webhooks made there. Default: client_secret (webhooks an app subscribed are signed with it)."
            ),
        ),
        *source_properties(
            pii_subject="customer ids",
            max_requests_per_second=p.STANDARD_LEAK_PER_SECOND,
            request_timeout=30,
            descriptions={
                "max_requests_per_second": "Our request budget: Shopify leaks 2 calls/s on standard plans, 4 Advanced, 20 Plus.",
                "retry_base_seconds": "First retry wait without a Retry-After; doubles each try.",
            },
        ),
    ).to_dict()

    def extra_config_errors(self) -> list[str]:
        """A credential: a static token or a client-credentials pair."""
        errors: list[str] = []
        config = self.config
        if not config.get("access_token") and not (config.get("client_id") and config.get("client_secret")):
            errors.append("config needs 'access_token', or 'client_id' and 'client_secret' (client credentials grant)")
        if bool(config.get("client_id")) != bool(config.get("client_secret")):
            errors.append("config keys 'client_id' and 'client_secret' go together")
        return errors


if __name__ == "__main__":
    TapShopify.cli()
