"""tap-meituan: Meituan Waimai / Shangou (美团外卖 / 美团闪购) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.meituan import protocol as p
from orderlayer.taps.meituan.client import connection_bucket
from orderlayer.taps.meituan.streams import OrdersStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

    from orderlayer.taps.common.ratelimit import TokenBucket


class TapMeituan(SourceTap):
    """Singer tap for the Meituan Waimai open platform (one store per config)."""

    name = "tap-meituan"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="Gateway incl. /api/v1; point it at a sandbox for tests."),
        th.Property("app_id", th.StringType, required=True, description="Developer app_id of the Meituan open-platform app."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="The app's consumer secret; signs every request (sig)."),
        th.Property(
            "app_poi_code",
            th.StringType(min_length=1),
            required=True,
            description="The store's code in your app (app_poi_code): one tap run reads one store.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType(minimum=0, maximum=30),
            default=3,
            description=(
                "Meituan has no time-range order list: each sync re-reads the store days from the bookmark's day minus "
                "this many days. A change (e.g. a refund) to an order older than that is not seen. Unconfirmed how late "
                "refunds may arrive; 3 days is the safe default."
            ),
        ),
        th.Property(
            "day_seq_batch_size",
            th.IntegerType(minimum=1, maximum=p.MAX_DAY_SEQ_SPAN),
            default=p.MAX_DAY_SEQ_SPAN,
            description="Day-sequence numbers per getOrderIdByDaySeq call (platform maximum unconfirmed).",
        ),
        th.Property("include_refunds", th.BooleanType, default=True, description="Attach each paid order's refund records (one extra call per order)."),
        th.Property("is_mt_logistics", th.BooleanType, default=True, description="Ask for Meituan-delivery details (rider pick-up and delivery times)."),
        th.Property(
            "sign_encode_values",
            th.BooleanType,
            default=False,
            description="URL-encode parameter values before hashing the signature (unconfirmed which the gateway expects).",
        ),
        th.Property(
            "retriable_error_codes",
            th.ArrayType(th.IntegerType),
            default=list(p.DEFAULT_RETRIABLE_CODES),
            description="Envelope error codes retried with backoff (600 internal error; add the throttling code once known). HTTP 429/5xx are always retried.",
        ),
        *source_properties(
            pii_subject="the receiver phone",
            max_requests_per_second=10,
            request_timeout=12,
            descriptions={"max_requests_per_second": "Client-side request budget for this app (retries included)."},
        ),
    ).to_dict()

    @cached_property
    def request_budget(self) -> TokenBucket:
        """Shared by all streams: one request budget per tap run (the platform counts per app)."""
        return connection_bucket(self.config)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self)]


if __name__ == "__main__":
    TapMeituan.cli()
