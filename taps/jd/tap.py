"""tap-jd: JD POP (京东 JOS) orders as a Singer tap (singer-sdk)."""

from __future__ import annotations

from singer_sdk import typing as th

from orderlayer.taps.common import options as opt
from orderlayer.taps.common.tap import SourceTap, source_properties
from orderlayer.taps.jd import protocol as p
from orderlayer.taps.jd.client import JdConnection
from orderlayer.taps.jd.streams import OrdersStream, RefundAppliesStream, ServiceRefundsStream


class TapJd(SourceTap):
    """Singer tap for the JD JOS open platform (jingdong.pop.order.search / enSearch, refund applications, after-sales)."""

    name = "tap-jd"
    connection_class = JdConnection
    stream_classes = (OrdersStream, RefundAppliesStream, ServiceRefundsStream)

    config_jsonschema = th.PropertiesList(
        opt.base_url(p.DEFAULT_BASE_URL, "routerjson gateway URL"),
        th.Property("oauth_url", th.StringType, default=p.DEFAULT_OAUTH_URL, description="JD OAuth refresh_token endpoint."),
        *opt.app_credentials("app_key", "App key of the JOS app.", "app_secret"),
        th.Property("shop_id", th.StringType(pattern=r"^[0-9]+$"), required=True, description="The shop's JD venderId (one tap run per shop)."),
        *opt.tokens(
            "The shop's access token for this app.",
            "Refresh token; used once when the gateway rejects the access token (code 19).",
        ),
        opt.bounded_int(
            "window_seconds",
            86_400,
            "Length of one `modified` query window; JD allows at most one month (28 days is always within it).",
            maximum=p.MAX_WINDOW_SECONDS,
        ),
        opt.bounded_int(
            "page_size",
            p.DEFAULT_PAGE_SIZE,
            "Orders per page: the enSearch doc allows 100, proxy docs of search 50 (the default).",
            maximum=p.MAX_PAGE_SIZE,
        ),
        opt.bounded_int(
            "max_pages_per_window",
            p.DEFAULT_MAX_PAGES,
            "Deepest page the gateway serves (unconfirmed; 300 per an integration); deeper windows are split.",
        ),
        opt.choice(
            "order_api",
            "search",
            p.ORDER_METHODS,
            "search = jingdong.pop.order.search; enSearch = receiver data encrypted.",
        ),
        th.Property(
            "order_states",
            th.ArrayType(th.StringType(allowed_values=list(p.ORDER_STATES))),
            default=list(p.ORDER_STATES),
            description="orderState values to read (order_state is required by the API); default all.",
        ),
        opt.list_option(
            "optional_fields",
            p.ORDER_FIELDS,
            "orderInfo fields to request; orderId, venderId and modified are always added.",
        ),
        opt.choice(
            "timestamp_format",
            p.TIMESTAMP_PLAIN,
            p.TIMESTAMP_FORMATS,
            "plain = yyyy-MM-dd HH:mm:ss Beijing (JD's error-code doc); offset_ms = the sign vector's form.",
        ),
        opt.list_option(
            "retriable_error_codes",
            p.DEFAULT_RETRIABLE_CODES,
            "Gateway codes retried with backoff (the numeric codes are unconfirmed).",
        ),
        opt.list_option(
            "token_error_codes",
            p.DEFAULT_TOKEN_CODES,
            "Gateway codes answered by one token refresh.",
        ),
        th.Property(
            "trust_sort_order",
            th.BooleanType,
            default=True,
            description="Bookmark as records arrive (ascending by modified). false: only after a complete sync.",
        ),
        *opt.windowed_pass(
            "refund",
            switch="sync_refund_applies",
            switch_note="Also read refund applications (jingdong.pop.afs.soa.refundapply.queryPageList); false if the app lacks the permission.",
            filters=p.REFUND_TIME_FILTERS,
            filters_note="Refund passes, one bookmark each: applyTime finds new applications, checkTime finds reviews.",
            lookback_seconds=p.REFUND_DEFAULT_LOOKBACK_SECONDS,
            lookback_note="Each refund pass re-reads this much before its bookmark (status changes that move neither time).",
            max_page_size=p.REFUND_MAX_PAGE_SIZE,
            page_size_note="Refund applications per page (pageSize 1-50).",
            max_pages=p.REFUND_DEFAULT_MAX_PAGES,
            max_pages_note="Deepest refund page the gateway serves (pageIndex 1-100 per the doc notes); deeper windows are split.",
        ),
        *opt.windowed_pass(
            "after_sale",
            switch="sync_after_sales",
            switch_note="Also read after-sale services and their refunds (jingdong.asc.serviceAndRefund.view); false if the app lacks the permission.",
            filters=p.AFTER_SALE_TIME_FILTERS,
            filters_note="After-sale passes over the same range: applyTime (<= 7-day windows) finds new services, approveTime (<= 10 days) reviews.",
            lookback_seconds=p.AFTER_SALE_DEFAULT_LOOKBACK_SECONDS,
            lookback_note="Each after-sale sync re-reads this much before its bookmark (a refund completing after the review moves neither filter time).",
            max_page_size=p.AFTER_SALE_MAX_PAGE_SIZE,
            page_size_note="After-sale services per page (pageSize 1-50).",
            max_pages=p.AFTER_SALE_DEFAULT_MAX_PAGES,
            max_pages_note="Deepest after-sale page read per window (undocumented); deeper windows are split.",
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


#: Console entry point (``tap-jd``).

if __name__ == "__main__":
    TapJd.cli()
