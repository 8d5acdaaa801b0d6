"""tap-youzan: Youzan (有赞) shop orders and refunds as a Singer tap (singer-sdk)."""

from __future__ import annotations

import time
from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.common.timeutil import parse_aware_datetime, to_epoch_seconds
from orderlayer.taps.youzan import protocol as p
from orderlayer.taps.youzan.client import YouzanConnection
from orderlayer.taps.youzan.streams import RECEIVER_MASKING, OrdersStream, RefundsStream


class TapYouzan(SourceTap):
    """Singer tap for the youzanyun open platform (youzan.trades.sold.get, youzan.trade.refund.search), one shop (kdt_id) per config."""

    name = "tap-youzan"
    connection_class = YouzanConnection
    stream_classes = (OrdersStream, RefundsStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL),
        th.Property(
            "api_version",
            th.StringType(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$"),
            default=p.DEFAULT_API_VERSION,
            description="Version of youzan.trades.sold.get (4.0.0, 4.0.1 and 4.0.4 answer with the same structure).",
        ),
        *opt.app_credentials(
            "client_id",
            "client_id of the self-use (自用型) youzanyun app.",
            "client_secret",
            "client_secret of the app; obtains access tokens.",
            min_length=1,
        ),
        th.Property("kdt_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="The shop's kdt_id (the token grant_id); one tap run per shop."),
        *opt.tokens(
            "Optional token to start with; without it (or once it expires) the tap obtains one from /auth/token.",
            access_required=False,
        ),
        opt.bounded_int(
            "token_renew_margin_seconds",
            600,
            "A token the tap obtained is renewed this long before its expiry.",
            minimum=0,
        ),
        opt.bounded_int(
            "window_seconds",
            86_400,
            "Length of one update_time query window; the platform allows at most 3 months (89 days here).",
            maximum=p.MAX_WINDOW_SECONDS,
        ),
        opt.bounded_int("page_size", p.MAX_PAGE_SIZE, "Orders per page; the platform accepts at most 100.", maximum=p.MAX_PAGE_SIZE),
        opt.bounded_int(
            "max_page_no",
            p.MAX_PAGE_NO,
            "Deepest page the platform serves (100); a window with more orders than max_page_no x page_size is split.",
            maximum=p.MAX_PAGE_NO,
        ),
        opt.choice(
            "receiver_masking",
            "mask",
            RECEIVER_MASKING,
            "Plaintext receiver name/phone become masks (张*, 138****5678) or null; platform masks are kept.",
        ),
        th.Property(
            "push",
            th.BooleanType,
            default=False,
            description=(
                "Receive the shop's trade pushes at orderlayer serve's /push/youzan/<connection> (register that URL "
                "in the youzanyun console). Opt-in because the verification rule, Event-Sign = md5(client_id + body "
                "+ client_secret), comes from integrations' code and is not in Youzan's published documentation: "
                "turn it on after a first push verified (a push that fails it is refused and never stored)."
            ),
        ),
        *source_properties(
            pii_subject="buyer ids",
            max_requests_per_second=5,
            request_timeout=15,
            retry_base_seconds=3.0,
            descriptions={
                "max_requests_per_second": (
                    "Client-side request budget (retries and token requests included); the order API's QPS is "
                    "undocumented."
                ),
                "retry_base_seconds": "First retry wait, doubling each try (youzanyun suggests 3, 6, 12, 24, 48 s after throttling).",
            },
        ),
    ).to_dict()

    #: youzan.trades.sold.get speaks whole seconds; the end-ahead error follows the date errors.
    range_checks_first = True
    range_in_whole_seconds = True

    def extra_config_errors(self) -> list[str]:
        """The platform rejects an end more than 7 days ahead."""
        value = self.config.get("end_date")
        if value is None:
            return []
        try:
            end = to_epoch_seconds(parse_aware_datetime(value, key="end_date"))
        except ValueError:
            return []  # reported by the shared date checks
        if end > time.time() + p.MAX_END_AHEAD_SECONDS:
            return ["config key 'end_date' is more than 7 days ahead; youzan.trades.sold.get rejects such an end"]
        return []


if __name__ == "__main__":
    TapYouzan.cli()
