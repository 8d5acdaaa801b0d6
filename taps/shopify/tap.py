"""tap-shopify: Shopify orders (Admin REST API) as a Singer tap (singer-sdk). One config = one shop."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.client import ShopifyConnection
from orderlayer.taps.shopify.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapShopify(SourceTap):
    """Singer tap for the Shopify Admin REST API (orders.json)."""

    name = "tap-shopify"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "shop_id",
            th.StringType(pattern=p.SHOP_PATTERN.pattern),
            required=True,
            description="The shop's myshopify subdomain (acme-store for acme-store.myshopify.com); the records' shop_id.",
        ),
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            description="Admin API access token (a custom app's shpat_... token). Needs read_orders (and read_all_orders beyond 60 days).",
        ),
        th.Property("client_id", th.StringType, description="Client id of an app of your organisation (client credentials grant)."),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            description="Client secret; with client_id the tap obtains 24-hour tokens itself and renews a rejected one.",
        ),
        th.Property(
            "api_version",
            th.StringType(pattern=p.API_VERSION_PATTERN.pattern),
            default=p.DEFAULT_API_VERSION,
            description="Dated Admin API release, e.g. 2026-07. An unsupported one is answered by the oldest supported (logged).",
        ),
        th.Property("base_url", th.StringType, description="Default https://{shop}.myshopify.com ({shop} = shop_id); point it at a sandbox for tests."),
        th.Property(
            "lookback_seconds",
            th.IntegerType(minimum=0),
            default=300,
            description="An incremental sync starts this far before the bookmark (late-committed updates; duplicates are removed downstream).",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1),
            default=86_400,
            description="Length of one updated_at window; a window's orders are held in memory to be sorted.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_LIMIT),
            default=p.MAX_LIMIT,
            description="Orders per page (limit); Shopify allows at most 250.",
        ),
        th.Property("burst_requests", th.NumberType(minimum=1), default=20, description="Calls we may send at once (bucket size 40 on standard plans)."),
        th.Property(
            "call_limit_reserve",
            th.IntegerType(minimum=0),
            default=4,
            description="Slow down when X-Shopify-Shop-Api-Call-Limit shows fewer free slots than this.",
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

    @cached_property
    def shopify_connection(self) -> ShopifyConnection:
        """Shared by all streams: one request budget, bucket pacer and token per tap run."""
        return ShopifyConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapShopify.cli()
