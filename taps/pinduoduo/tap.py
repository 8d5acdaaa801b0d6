"""tap-pinduoduo: Pinduoduo (拼多多) shop orders and after-sales as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.channel import channel_options
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.pinduoduo import pmc
from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.taps.pinduoduo.client import PinduoduoConnection
from orderlayer.taps.pinduoduo.streams import OrdersStream, RefundsStream


class TapPinduoduo(SourceTap):
    """Singer tap for the Pinduoduo POP open platform (pdd.order.number.list.increment.get, pdd.refund.list.increment.get)."""

    name = "tap-pinduoduo"
    connection_class = PinduoduoConnection
    stream_classes = (OrdersStream, RefundsStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "Router URL"),
        *opt.app_credentials(
            "client_id", "client_id of the Pinduoduo open-platform app.", "client_secret", "client_secret; signs every request."
        ),
        th.Property(
            "shop_id",
            th.StringType(pattern=r"^[0-9]+$"),
            required=True,
            description="Numeric mall id of the authorised shop (the token's owner_id); one tap run per shop.",
        ),
        *opt.tokens("Shop access token.", "Refresh token; used when the gateway answers 10019 (access token expired)."),
        opt.bounded_int(
            "overlap_seconds",
            300,
            "A resumed sync starts this far before its bookmark (the docs advise a few minutes).",
            minimum=0,
        ),
        opt.bounded_int(
            "window_seconds",
            p.MAX_WINDOW_SECONDS,
            "Length of one updated_at query window; the platform allows at most 1800 s.",
            maximum=p.MAX_WINDOW_SECONDS,
        ),
        opt.bounded_int("page_size", p.MAX_PAGE_SIZE, "Orders per page; the platform accepts at most 100.", maximum=p.MAX_PAGE_SIZE),
        opt.bounded_int(
            "horizon_days",
            p.HORIZON_DAYS,
            "Orders dealt longer ago than this are not returned; an older start_date fails the sync.",
        ),
        th.Property(
            "use_platform_clock",
            th.BooleanType,
            default=True,
            description="Read the platform clock (pdd.time.get) for the default end and the horizon; else the local clock.",
        ),
        *channel_options("pmc", pmc.DEFAULT_URL, "Pinduoduo message service (PMC)", heartbeat_seconds=5),
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


if __name__ == "__main__":
    TapPinduoduo.cli()
