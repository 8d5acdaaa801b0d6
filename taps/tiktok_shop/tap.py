"""tap-tiktok-shop: TikTok Shop orders (Partner API 202309) as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.client import TikTokShopConnection
from orderlayer.taps.tiktok_shop.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapTikTokShop(SourceTap):
    """Singer tap for one TikTok Shop shop (order search, API version 202309)."""

    name = "tap-tiktok-shop"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Partner API gateway; point it at a sandbox for tests."),
        th.Property("auth_base_url", th.StringType, default=p.DEFAULT_AUTH_BASE_URL, description="Auth host for the token refresh."),
        th.Property("app_key", th.StringType, required=True, description="App key from Partner Center."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="App secret; signs every request."),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9A-Za-z_-]+$"), required=True, description="The shop's id as GET /authorization/202309/shops lists it (one tap run per shop); stamped on every record."),
        th.Property(
            "shop_cipher",
            th.StringType,
            description="The shop's cipher; when absent it is looked up once by shop_id.",
        ),
        th.Property("access_token", th.StringType, required=True, secret=True, description="Seller access token (sent in x-tts-access-token)."),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="Refresh token; used when the gateway answers 105002 (expired credentials).",
        ),
        th.Property(
            "lookback_seconds",
            th.IntegerType(minimum=0),
            default=300,
            description="An incremental run starts this much before the bookmark (orders indexed late are not missed; duplicates are dropped downstream).",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1),
            default=86_400,
            description="Length of one update_time window; TikTok's maximum is unconfirmed, keep it modest.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=50,
            description="Orders per page (the search accepts at most 100).",
        ),
        th.Property(
            "rescan_on_total_change",
            th.BooleanType,
            default=True,
            description="Rescan a window from the last emitted update_time when its total_count changes while paging.",
        ),
        *source_properties(
            pii_subject="user_id and buyer_email",
            max_requests_per_second=20,
            request_timeout=30,
            token_store=True,
            descriptions={
                "max_requests_per_second": "Client-side request budget (TikTok allows 50 per second per app and shop and API).",
            },
        ),
    ).to_dict()

    @cached_property
    def tiktok_connection(self) -> TikTokShopConnection:
        """Shared by all streams: one request budget, signer and token per tap run."""
        return TikTokShopConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


#: Console entry point (``tap-tiktok-shop``).

if __name__ == "__main__":
    TapTikTokShop.cli()
