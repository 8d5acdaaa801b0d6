"""tap-pinduoduo: Pinduoduo (拼多多) shop orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.taps.pinduoduo.client import PinduoduoConnection
from orderlayer.taps.pinduoduo.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapPinduoduo(SourceTap):
    """Singer tap for the Pinduoduo POP open platform (pdd.order.number.list.increment.get)."""

    name = "tap-pinduoduo"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Router URL; point it at a sandbox for tests."),
        th.Property("client_id", th.StringType, required=True, description="client_id of the Pinduoduo open-platform app."),
        th.Property("client_secret", th.StringType, required=True, secret=True, description="client_secret; signs every request."),
        th.Property(
            "shop_id",
            th.StringType(pattern=r"^[0-9]+$"),
            required=True,
            description="Numeric mall id of the authorised shop (the token's owner_id); one tap run per shop.",
        ),
        th.Property("access_token", th.StringType, required=True, secret=True, description="Shop access token."),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="Refresh token; used when the gateway answers 10019 (access token expired).",
        ),
        th.Property(
            "overlap_seconds",
            th.IntegerType(minimum=0),
            default=300,
            description="A resumed sync starts this far before its bookmark (the docs advise a few minutes).",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1, maximum=p.MAX_WINDOW_SECONDS),
            default=p.MAX_WINDOW_SECONDS,
            description="Length of one updated_at query window; the platform allows at most 1800 s.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=p.MAX_PAGE_SIZE,
            description="Orders per page; the platform accepts at most 100.",
        ),
        th.Property(
            "horizon_days",
            th.IntegerType(minimum=1),
            default=p.HORIZON_DAYS,
            description="Orders dealt longer ago than this are not returned; an older start_date fails the sync.",
        ),
        th.Property(
            "use_platform_clock",
            th.BooleanType,
            default=True,
            description="Read the platform clock (pdd.time.get) for the default end and the horizon; else the local clock.",
        ),
        *source_properties(
            pii_subject="open_address_id",
            max_requests_per_second=10,
            request_timeout=12,
            token_store=True,
            safety_lag_seconds=p.SETTLE_LAG_SECONDS,
            descriptions={
                "start_date": "ISO-8601 with offset; where the first sync starts (within the platform's 3-month horizon).",
                "end_date": "ISO-8601 with offset; default: platform clock minus safety_lag_seconds.",
                "safety_lag_seconds": "Default end is this far behind the platform clock (the docs ask for >= 180 s).",
                "max_requests_per_second": (
                    "Client-side request budget for this app (retries and token refreshes included); the platform's "
                    "is unconfirmed."
                ),
            },
        ),
    ).to_dict()

    @cached_property
    def pinduoduo_connection(self) -> PinduoduoConnection:
        """Shared by all streams: one request budget, signer, token and platform clock per tap run."""
        return PinduoduoConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapPinduoduo.cli()
