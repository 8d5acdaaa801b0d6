"""tap-douyin: Douyin shop (抖店) orders and after-sales as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.client import DouyinConnection
from orderlayer.taps.douyin.streams import AfterSalesStream, OrdersStream


class TapDouyin(SourceTap):
    """Singer tap for the Douyin shop open platform (order.searchList, afterSale/List)."""

    name = "tap-douyin"
    connection_class = DouyinConnection
    stream_classes = (OrdersStream, AfterSalesStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL),
        *opt.app_credentials("app_key", "App key of the Douyin open-platform app.", "app_secret"),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="Numeric id of the authorised shop (one tap run per shop)."),
        *opt.tokens(
            "Shop access token (valid 7 days).",
            "Refresh token (valid 14 days); used once when the access token is rejected as expired.",
        ),
        opt.bounded_int("window_seconds", 21_600, "Length of one update_time query window; the platform's maximum is unconfirmed."),
        opt.bounded_int("page_size", p.MAX_PAGE_SIZE, "Orders per page; Douyin accepts at most 100.", maximum=p.MAX_PAGE_SIZE),
        opt.choice(
            "sign_method",
            p.SIGN_METHOD_HMAC_SHA256,
            p.SIGN_METHODS,
            "hmac-sha256 (default) or the legacy md5.",
        ),
        th.Property(
            "push",
            th.BooleanType,
            default=False,
            description=(
                "The app's message-push URL is `orderlayer serve`'s /push/douyin/<connection>: pushes are verified "
                "with app_key and app_secret and the orders they name fetched (docs/channels/douyin.md)."
            ),
        ),
        *source_properties(pii_subject="doudian_open_id", max_requests_per_second=10, request_timeout=12, token_store=True),
    ).to_dict()


if __name__ == "__main__":
    TapDouyin.cli()
