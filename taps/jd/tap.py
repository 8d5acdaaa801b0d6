"""tap-jd: JD POP (京东 JOS) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import typing as th

from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.jd import protocol as p
from orderlayer.taps.jd.client import JdConnection, JdStream
from orderlayer.taps.jd.streams import OrdersStream, RefundAppliesStream, ServiceRefundsStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapJd(SourceTap):
    """Singer tap for the JD JOS open platform (jingdong.pop.order.search / enSearch, refund applications, after-sales)."""

    name = "tap-jd"

    config_jsonschema = th.PropertiesList(
        th.Property("base_url", th.StringType, default=p.DEFAULT_BASE_URL, description="routerjson gateway URL; point it at a sandbox for tests."),
        th.Property("oauth_url", th.StringType, default=p.DEFAULT_OAUTH_URL, description="JD OAuth refresh_token endpoint."),
        th.Property("app_key", th.StringType, required=True, description="App key of the JOS app."),
        th.Property("app_secret", th.StringType, required=True, secret=True, description="App secret; signs every request."),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="The shop's JD venderId (one tap run per shop)."),
        th.Property("access_token", th.StringType, required=True, secret=True, description="The shop's access token for this app."),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description="Refresh token; used once when the gateway rejects the access token (code 19).",
        ),
        th.Property(
            "window_seconds",
            th.IntegerType(minimum=1, maximum=p.MAX_WINDOW_SECONDS),
            default=86_400,
            description="Length of one `modified` query window; JD allows at most one month (28 days is always within it).",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=p.MAX_PAGE_SIZE),
            default=p.DEFAULT_PAGE_SIZE,
            description="Orders per page: the enSearch doc allows 100, proxy docs of search 50 (the default).",
        ),
        th.Property(
            "max_pages_per_window",
            th.IntegerType(minimum=1),
            default=p.DEFAULT_MAX_PAGES,
            description="Deepest page the gateway serves (unconfirmed; 300 per an integration); deeper windows are split.",
        ),
        th.Property(
            "order_api",
            th.StringType,
            default="search",
            allowed_values=list(p.ORDER_METHODS),
            description="search = jingdong.pop.order.search; enSearch = receiver data encrypted.",
        ),
        th.Property(
            "order_states",
            th.ArrayType(th.StringType(allowed_values=list(p.ORDER_STATES))),
            default=list(p.ORDER_STATES),
            description="orderState values to read (order_state is required by the API); default all.",
        ),
        th.Property(
            "optional_fields",
            th.ArrayType(th.StringType),
            default=list(p.ORDER_FIELDS),
            description="orderInfo fields to request; orderId, venderId and modified are always added.",
        ),
        th.Property(
            "timestamp_format",
            th.StringType,
            default=p.TIMESTAMP_PLAIN,
            allowed_values=list(p.TIMESTAMP_FORMATS),
            description="plain = yyyy-MM-dd HH:mm:ss Beijing (JD's error-code doc); offset_ms = the sign vector's form.",
        ),
        th.Property(
            "retriable_error_codes",
            th.ArrayType(th.StringType),
            default=list(p.DEFAULT_RETRIABLE_CODES),
            description="Gateway codes retried with backoff (the numeric codes are unconfirmed).",
        ),
        th.Property(
            "token_error_codes",
            th.ArrayType(th.StringType),
            default=list(p.DEFAULT_TOKEN_CODES),
            description="Gateway codes answered by one token refresh.",
        ),
        th.Property(
            "trust_sort_order",
            th.BooleanType,
            default=True,
            description="Bookmark as records arrive (ascending by modified). false: only after a complete sync.",
        ),
        th.Property(
            "sync_refund_applies",
            th.BooleanType,
            default=True,
            description="Also read refund applications (jingdong.pop.afs.soa.refundapply.queryPageList); false if the app lacks the permission.",
        ),
        th.Property(
            "refund_time_filters",
            th.ArrayType(th.StringType(allowed_values=list(p.REFUND_TIME_FILTERS))),
            default=list(p.REFUND_TIME_FILTERS),
            description="Refund passes, one bookmark each: applyTime finds new applications, checkTime finds reviews.",
        ),
        th.Property(
            "refund_lookback_seconds",
            th.IntegerType(minimum=0),
            default=p.REFUND_DEFAULT_LOOKBACK_SECONDS,
            description="Each refund pass re-reads this much before its bookmark (status changes that move neither time).",
        ),
        th.Property(
            "refund_page_size",
            th.IntegerType(minimum=1, maximum=p.REFUND_MAX_PAGE_SIZE),
            default=p.REFUND_MAX_PAGE_SIZE,
            description="Refund applications per page (pageSize 1-50).",
        ),
        th.Property(
            "refund_max_pages_per_window",
            th.IntegerType(minimum=1),
            default=p.REFUND_DEFAULT_MAX_PAGES,
            description="Deepest refund page the gateway serves (pageIndex 1-100 per the doc notes); deeper windows are split.",
        ),
        th.Property(
            "sync_after_sales",
            th.BooleanType,
            default=True,
            description="Also read after-sale services and their refunds (jingdong.asc.serviceAndRefund.view); false if the app lacks the permission.",
        ),
        th.Property(
            "after_sale_time_filters",
            th.ArrayType(th.StringType(allowed_values=list(p.AFTER_SALE_TIME_FILTERS))),
            default=list(p.AFTER_SALE_TIME_FILTERS),
            description="After-sale passes over the same range: applyTime (<= 7-day windows) finds new services, approveTime (<= 10 days) reviews.",
        ),
        th.Property(
            "after_sale_lookback_seconds",
            th.IntegerType(minimum=0),
            default=p.AFTER_SALE_DEFAULT_LOOKBACK_SECONDS,
            description="Each after-sale sync re-reads this much before its bookmark (a refund completing after the review moves neither filter time).",
        ),
        th.Property(
            "after_sale_page_size",
            th.IntegerType(minimum=1, maximum=p.AFTER_SALE_MAX_PAGE_SIZE),
            default=p.AFTER_SALE_MAX_PAGE_SIZE,
            description="After-sale services per page (pageSize 1-50).",
        ),
        th.Property(
            "after_sale_max_pages_per_window",
            th.IntegerType(minimum=1),
            default=p.AFTER_SALE_DEFAULT_MAX_PAGES,
            description="Deepest after-sale page read per window (undocumented); deeper windows are split.",
        ),
        *source_properties(
            pii_subject="buyer ids pin/open_id_buyer, refund buyerId and after-sale customerPin",
            max_requests_per_second=5,
            request_timeout=15,
            token_store=True,
            descriptions={
                "max_requests_per_second": (
                    "Client-side request budget for this app (retries and token refreshes included); "
                    "JD's limit is unconfirmed."
                ),
            },
        ),
    ).to_dict()

    #: JD always listed the order_states error after the date errors.
    range_checks_first = True

    def extra_config_errors(self) -> list[str]:
        """A non-empty state list (the API requires order_state)."""
        errors = []
        if "order_states" in self.config and not self.config["order_states"]:
            errors.append("config key 'order_states' must name at least one orderState (the API requires order_state)")
        if "refund_time_filters" in self.config and not self.config["refund_time_filters"]:
            errors.append(
                "config key 'refund_time_filters' must name at least one of applyTime, checkTime "
                "(or set sync_refund_applies to false)"
            )
        if "after_sale_time_filters" in self.config and not self.config["after_sale_time_filters"]:
            errors.append(
                "config key 'after_sale_time_filters' must name at least one of applyTime, approveTime "
                "(or set sync_after_sales to false)"
            )
        return errors

    @cached_property
    def jd_connection(self) -> JdConnection:
        """Shared by all streams: one request budget, signer and token per tap run."""
        return JdConnection.from_config(self.config, self.logger, JdStream.secret_filter)

    def discover_streams(self) -> list[Stream]:
        return [OrdersStream(self), RefundAppliesStream(self), ServiceRefundsStream(self)]


#: Console entry point (``tap-jd``).

if __name__ == "__main__":
    TapJd.cli()
