"""tap-taobao: Taobao / Tmall (TOP) trades and refunds as a Singer tap (singer-sdk). One config = one shop."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.channel import channel_options
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.taobao import tmc
from orderlayer.taps.taobao import protocol as p
from orderlayer.taps.taobao.client import TaobaoConnection
from orderlayer.taps.taobao.streams import DEFAULT_FIELDS, DEFAULT_TRADE_TYPES, OrdersStream, RefundsStream


class TapTaobao(SourceTap):
    """Singer tap for the Taobao open platform (taobao.trades.sold.increment.get, taobao.refunds.receive.get)."""

    name = "tap-taobao"
    connection_class = TaobaoConnection
    stream_classes = (OrdersStream, RefundsStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "TOP gateway (the router path /router/rest is appended)"),
        th.Property("token_url", th.StringType, default=p.DEFAULT_TOKEN_URL, description="OAuth token endpoint used to renew the session with refresh_token."),
        *opt.app_credentials("app_key", "App key of the TOP app.", "app_secret"),
        *opt.tokens(
            "The seller's session (OAuth access token), sent as TOP's `session` parameter.",
            "OAuth refresh token; used once to renew the session when TOP rejects it (codes 27/44).",
        ),
        th.Property("shop_id", th.StringType(min_length=1), required=True, description="The shop's id as orderlayer knows it (written into every record as `shop_id`)."),
        th.Property(
            "seller_nick",
            th.StringType,
            description="If set, every trade's seller_nick must equal it (guards against a session of another shop).",
        ),
        opt.bounded_int(
            "window_seconds",
            p.RECOMMENDED_WINDOW_SECONDS,
            "Length of one `modified` window; TOP allows at most 86400 and recommends <= 1800.",
            maximum=p.MAX_WINDOW_SECONDS,
        ),
        opt.bounded_int(
            "page_size",
            p.DEFAULT_PAGE_SIZE,
            "Trades per page (1-100; the docs suggest 40-50 for the increment call).",
            maximum=p.MAX_PAGE_SIZE,
        ),
        opt.list_option(
            "trade_types",
            DEFAULT_TRADE_TYPES,
            "Sent as `type`. Empty list = omit it (TOP then searches only guarantee_trade, auto_delivery, ec, cod, step).",
        ),
        opt.list_option(
            "fields",
            DEFAULT_FIELDS,
            "Trade fields requested (TOP `fields`); `orders` returns every sub-order field.",
        ),
        opt.choice(
            "sign_method",
            p.SIGN_METHOD_MD5,
            p.SIGN_METHODS,
            "md5 (default; the scheme with an official test vector), hmac (HMAC-MD5) or hmac-sha256.",
        ),
        th.Property("partner_id", th.StringType, description="Optional TOP partner_id system parameter."),
        th.Property("tmc_group", th.StringType, default=tmc.DEFAULT_GROUP, description="The TMC consumer group the channel joins (the app's groups are set up in TOP)."),
        *channel_options("tmc", tmc.DEFAULT_URL, "Taobao message service (TMC)", heartbeat_seconds=30),
        *source_properties(
            pii_subject="buyer_nick / buyer_open_uid",
            max_requests_per_second=5,
            request_timeout=20,
            token_store=True,
            descriptions={
                "start_date": (
                    "ISO-8601 with offset; where the first sync starts (TOP reaches three months back). "
                    "Ignored once state has a bookmark."
                ),
                "safety_lag_seconds": (
                    "Default end is this many seconds before now (the backward paging relies on the window ending "
                    "in the past)."
                ),
                "max_requests_per_second": (
                    "Client-side request budget for this app (TOP's numeric quotas are unpublished; code 7 bans are "
                    "honoured)."
                ),
                "retry_max_wait_seconds": "Cap of one retry wait; a longer TOP ban (code 7) fails the sync at once with a clear message.",
            },
        ),
    ).to_dict()


if __name__ == "__main__":
    TapTaobao.cli()
