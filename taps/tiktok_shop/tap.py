"""tap-tiktok-shop: TikTok Shop orders and returns (Partner API 202309) as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.client import TikTokShopConnection
from orderlayer.taps.tiktok_shop.streams import CancellationsStream, OrdersStream, ReturnsStream


class TapTikTokShop(SourceTap):
    """Singer tap for one TikTok Shop shop (order, return and cancellation search, API version 202309)."""

    name = "tap-tiktok-shop"
    connection_class = TikTokShopConnection
    stream_classes = (OrdersStream, ReturnsStream, CancellationsStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "Partner API gateway"),
        th.Property("auth_base_url", th.StringType, default=p.DEFAULT_AUTH_BASE_URL, description="Auth host for the token refresh."),
        *opt.app_credentials("app_key", "App key from Partner Center.", "app_secret"),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9A-Za-z_-]+$"), required=True, description="The shop's id as GET /authorization/202309/shops lists it (one tap run per shop); stamped on every record."),
        th.Property(
            "shop_cipher",
            th.StringType,
            description="The shop's cipher; when absent it is looked up once by shop_id.",
        ),
        *opt.tokens(
            "Seller access token (sent in x-tts-access-token).",
            "Refresh token; used when the gateway answers 105002 (expired credentials).",
        ),
        opt.bounded_int(
            "lookback_seconds",
            300,
            "An incremental run starts this much before the bookmark (orders indexed late are not missed; duplicates are dropped downstream).",
            minimum=0,
        ),
        opt.bounded_int("window_seconds", 86_400, "Length of one update_time window; TikTok's maximum is unconfirmed, keep it modest."),
        opt.bounded_int("page_size", 50, "Orders per page (the search accepts at most 100).", maximum=p.MAX_PAGE_SIZE),
        th.Property(
            "rescan_on_total_change",
            th.BooleanType,
            default=True,
            description="Rescan a window from the last emitted update_time when its total_count changes while paging.",
        ),
        opt.push_switch(
            "Receive this shop's order, package, cancellation and return webhooks in `orderlayer serve` "
            "(docs/channels/tiktok_shop.md \"Push\"): register /push/tiktok_shop/<connection> for the shop."
        ),
        opt.bounded_int(
            "push_max_age_seconds",
            86_400,
            "Refuse a webhook whose signed timestamp is older than this (a replay); 0 accepts any age. TikTok's retry "
            "schedule is unconfirmed: keep it longer than the retries last.",
            minimum=0,
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


#: Console entry point (``tap-tiktok-shop``).

if __name__ == "__main__":
    TapTikTokShop.cli()
