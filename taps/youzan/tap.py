"""tap-youzan: Youzan (有赞) shop orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import time
import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.common.timeutil import parse_aware_datetime, to_epoch_seconds
from orderlayer.taps.youzan import protocol as p
from orderlayer.taps.youzan.client import YouzanConnection
from orderlayer.taps.youzan.streams import RECEIVER_MASKING, OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapYouzan(SourceTap):
    """Singer tap for the youzanyun open platform (youzan.trades.sold.get), one shop (kdt_id) per config."""

    name = "tap-youzan"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Gateway URL; point it at a sandbox for tests."),
        th.Property(
            "api_version",
            th.StringType(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$"),
            default=p.DEFAULT_API_VERSION,
            description="Version of youzan.trades.sold.get (4.0.0, 4.0.1 and 4.0.4 answer with the same structure).",
        ),
        th.Property("client_id", th.StringType(min_length=1), required=True, description="client_id of the self-use (自用型) youzanyun app."),
        th.Property("client_secret", th.StringType(min_length=1), required=True, secret=True, description="client_secret of the app; obtains access tokens."),
        th.Property("kdt_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="The shop's kdt_id (the token grant_id); one tap run per shop."),
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            description="Optional token to start with; without it (or once it expires) the tap obtains one from /auth/token.",
        ),
        th.Property(
            "token_renew_margin_seconds",
            th.IntegerType(minimum=0),
            default=600,
            description="A token the tap obtained is renewed this long before its expiry.",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1, maximum=p.MAX_WINDOW_SECONDS),
            default=86_400,
            description="Length of one update_time query window; the platform allows at most 3 months (89 days here).",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=p.MAX_PAGE_SIZE,
            description="Orders per page; the platform accepts at most 100.",
        ),
        th.Property(
            "max_page_no",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_NO),
            default=p.MAX_PAGE_NO,
            description="Deepest page the platform serves (100); a window with more orders than max_page_no x page_size is split.",
        ),
        th.Property(
            "receiver_masking",
            th.StringType,
            default="mask",
            allowed_values=list(RECEIVER_MASKING),
            description="Plaintext receiver name/phone become masks (张*, 138****5678) or null; platform masks are kept.",
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

    @cached_property
    def youzan_connection(self) -> YouzanConnection:
        """Shared by all streams: one request budget and one token per tap run."""
        return YouzanConnection.from_config(self.config, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapYouzan.cli()
