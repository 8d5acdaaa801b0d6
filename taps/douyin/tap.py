"""tap-douyin: Douyin shop (抖店) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.client import DouyinConnection
from orderlayer.taps.douyin.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapDouyin(SourceTap):
    """Singer tap for the Douyin shop open platform (order.searchList)."""

    name = "tap-douyin"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Gateway URL; point it at a sandbox for tests."),
        th.Property("app_key", th.StringType, required=True, description="App key of the Douyin open-platform app."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="App secret; signs every request."),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="Numeric id of the authorised shop (one tap run per shop)."),
        th.Property("access_token", th.StringType, required=True, secret=True, description="Shop access token (valid 7 days)."),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="Refresh token (valid 14 days); used once when the access token is rejected as expired.",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1),
            default=21_600,
            description="Length of one update_time query window; the platform's maximum is unconfirmed.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=p.MAX_PAGE_SIZE,
            description="Orders per page; Douyin accepts at most 100.",
        ),
        th.Property(
            "sign_method",
            th.StringType,
            default=p.SIGN_METHOD_HMAC_SHA256,
            allowed_values=list(p.SIGN_METHODS),
            description="hmac-sha256 (default) or the legacy md5.",
        ),
        *source_properties(pii_subject="doudian_open_id", max_requests_per_second=10, request_timeout=12, token_store=True),
    ).to_dict()

    @cached_property
    def douyin_connection(self) -> DouyinConnection:
        """Shared by all streams: one request budget, signer and token per tap run."""
        return DouyinConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapDouyin.cli()
