"""tap-meituan: Meituan Waimai / Shangou (美团外卖 / 美团闪购) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.meituan import protocol as p
from orderlayer.taps.meituan.client import MeituanConnection
from orderlayer.taps.meituan.streams import OrdersStream


class TapMeituan(SourceTap):
    """Singer tap for the Meituan Waimai open platform (one store per config)."""

    name = "tap-meituan"
    connection_class = MeituanConnection
    stream_classes = (OrdersStream,)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "Gateway incl. /api/v1"),
        *opt.app_credentials(
            "app_id",
            "Developer app_id of the Meituan open-platform app.",
            "app_secret",
            "The app's consumer secret; signs every request (sig).",
        ),
        th.Property(
            "app_poi_code",
            th.StringType(min_length=1),
            required=True,
            description="The store's code in your app (app_poi_code): one tap run reads one store.",
        ),
        opt.bounded_int(
            "lookback_days",
            3,
            "Meituan has no time-range order list: each sync re-reads the store days from the bookmark's day minus "
            "this many days. A change (e.g. a refund) to an order older than that is not seen. Unconfirmed how late "
            "refunds may arrive; 3 days is the safe default.",
            minimum=0,
            maximum=30,
        ),
        opt.bounded_int(
            "day_seq_batch_size",
            p.MAX_DAY_SEQ_SPAN,
            "Day-sequence numbers per getOrderIdByDaySeq call (platform maximum unconfirmed).",
            maximum=p.MAX_DAY_SEQ_SPAN,
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
            "push_url",
            th.StringType,
            description=(
                "The callback URL registered for this app's order pushes in the Meituan developer console, exactly as "
                "Meituan calls it (behind a TLS proxy: the public https URL); it routes to orderlayer serve's "
                "/push/meituan/<connection>. Meituan signs it, so it must match character for character. Unset: "
                "the store is polled only."
            ),
        ),
        opt.bounded_int(
            "push_max_age_seconds",
            600,
            "Refuse a push whose signed timestamp is further than this from this server's clock (a replayed push); "
            "0 turns the check off. Whether Meituan re-signs a retried push is unconfirmed: a retry refused as stale "
            "is recovered by the reconcile poll.",
            minimum=0,
            maximum=86_400,
        ),
        opt.list_option(
            "retriable_error_codes",
            p.DEFAULT_RETRIABLE_CODES,
            "Envelope error codes retried with backoff (600 internal error; add the throttling code once known). HTTP 429/5xx are always retried.",
            numeric=True,
        ),
        *source_properties(
            pii_subject="the receiver phone",
            max_requests_per_second=10,
            request_timeout=12,
            descriptions={"max_requests_per_second": "Client-side request budget for this app (retries included)."},
        ),
    ).to_dict()


if __name__ == "__main__":
    TapMeituan.cli()
