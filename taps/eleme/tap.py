"""tap-eleme: Ele.me retail (饿了么零售 / 饿百) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.client import ElemeConnection
from orderlayer.taps.eleme.streams import OrdersStream


class TapEleme(SourceTap):
    """Singer tap for the Ele.me retail open platform (api-be.ele.me; one shop per config)."""

    name = "tap-eleme"
    connection_class = ElemeConnection
    stream_classes = (OrdersStream,)
    renamed_keys: t.ClassVar[dict[str, str]] = {"retriable_errnos": "retriable_error_codes"}

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL),
        *opt.app_credentials(
            "source", "Partner account (合作方账号, the 'source' parameter).", "secret", "Partner secret; signs every request, never sent."
        ),
        *opt.tokens(
            "Only when calling as an ISV on behalf of the shop; not refreshed by the tap (the refresh flow is unconfirmed).",
            access_required=False,
        ),
        th.Property("shop_id", th.StringType(min_length=1), required=True, description="The partner's shop id (合作方门店ID, order shop.id): one tap run reads one shop."),
        opt.bounded_int(
            "lookback_days",
            3,
            "order.get has no update time: each sync lists orders again from the bookmark minus this many days. "
            "A change (e.g. a refund) to an older order is not seen. 3 days is the safe default.",
            minimum=0,
            maximum=30,
        ),
        opt.bounded_int(
            "window_seconds",
            86_400,
            "Length of one order.list start_time..end_time window (platform maximum unconfirmed).",
            minimum=60,
        ),
        opt.bounded_int(
            "page_size",
            20,
            "order.list page size, used only when an answer lacks 'pages' (the platform fixes the size; unconfirmed).",
        ),
        th.Property("include_part_refunds", th.BooleanType, default=True, description="Attach each paid order's partial refunds (order.partrefund.get; one extra call per order)."),
        th.Property(
            "sign_encode_values",
            th.BooleanType,
            default=False,
            description="URL-encode values (Java URLEncoder style) before hashing the signature (unconfirmed which the gateway expects).",
        ),
        th.Property(
            "push",
            th.BooleanType,
            default=False,
            description=(
                "Receive the shop's order pushes (order.create, order.status.push, …) at orderlayer serve's "
                "/push/eleme/<connection>, the push URL to register for the partner account; unset: polled only."
            ),
        ),
        opt.bounded_int(
            "push_max_age_seconds",
            600,
            "Refuse a push whose signed timestamp is further than this from this server's clock (a replayed push); "
            "0 turns the check off. Whether a retried push is signed anew is unconfirmed: a retry refused as stale "
            "is recovered by the reconcile poll.",
            minimum=0,
            maximum=86_400,
        ),
        opt.list_option(
            "retriable_error_codes",
            p.DEFAULT_RETRIABLE_ERRNOS,
            "errno values retried with backoff (formerly retriable_errnos). The platform's throttling/busy errnos are unconfirmed; the defaults are the sandbox's. HTTP 429/5xx are always retried.",
            numeric=True,
        ),
        *source_properties(
            pii_subject="the buyer phone",
            max_requests_per_second=10,
            request_timeout=12,
            descriptions={"max_requests_per_second": "Client-side request budget for this partner (retries included)."},
        ),
    ).to_dict()


if __name__ == "__main__":
    TapEleme.cli()
