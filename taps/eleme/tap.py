"""tap-eleme: Ele.me retail (饿了么零售 / 饿百) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.client import connection_bucket
from orderlayer.taps.eleme.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

    from orderlayer.taps.common.ratelimit import TokenBucket


class TapEleme(SourceTap):
    """Singer tap for the Ele.me retail open platform (api-be.ele.me; one shop per config)."""

    name = "tap-eleme"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Gateway URL; point it at a sandbox for tests."),
        th.Property("source", th.StringType, required=True, description="Partner account (合作方账号, the 'source' parameter)."),
        th.Property("secret", th.StringType, required=True, secret=True, description="Partner secret; signs every request, never sent."),
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            description="Only when calling as an ISV on behalf of the shop; not refreshed by the tap (the refresh flow is unconfirmed).",
        ),
        th.Property("shop_id", th.StringType(min_length=1), required=True, description="The partner's shop id (合作方门店ID, order shop.id): one tap run reads one shop."),
        th.Property(
            "lookback_days",
            th.IntegerType(minimum=0, maximum=30),
            default=3,
            description=(
                "order.get has no update time: each sync lists orders again from the bookmark minus this many days. "
                "A change (e.g. a refund) to an older order is not seen. 3 days is the safe default."
            ),
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=60),
            default=86_400,
            description="Length of one order.list start_time..end_time window (platform maximum unconfirmed).",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            default=20,
            description="order.list page size, used only when an answer lacks 'pages' (the platform fixes the size; unconfirmed).",
        ),
        th.Property("include_part_refunds", th.BooleanType, default=True, description="Attach each paid order's partial refunds (order.partrefund.get; one extra call per order)."),
        th.Property(
            "sign_encode_values",
            th.BooleanType,
            default=False,
            description="URL-encode values (Java URLEncoder style) before hashing the signature (unconfirmed which the gateway expects).",
        ),
        th.Property(
            "retriable_errnos",
            th.ArrayType(th.IntegerType),
            default=list(p.DEFAULT_RETRIABLE_ERRNOS),
            description="errno values retried with backoff. The platform's throttling/busy errnos are unconfirmed; the defaults are the sandbox's. HTTP 429/5xx are always retried.",
        ),
        *source_properties(
            pii_subject="the buyer phone",
            max_requests_per_second=10,
            request_timeout=12,
            descriptions={"max_requests_per_second": "Client-side request budget for this partner (retries included)."},
        ),
    ).to_dict()

    @cached_property
    def request_budget(self) -> TokenBucket:
        """Shared by all streams: one request budget per tap run (the platform counts per partner)."""
        return connection_bucket(self.config)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapEleme.cli()
