"""Douyin streams: one class per stream (``orders``, ``after_sales``)."""

from __future__ import annotations

import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.pagination import SinglePagePaginator

from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.douyin import protocol as p
from orderlayer.taps.douyin.client import (
    DouyinAPIError,
    DouyinStream,
    WindowedPagePaginator,
    WindowPage,
    as_int,
    canonical_param_json,
)

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.douyin") / "schemas")

#: Architecture principle 6 for Douyin (fact sheet §4 "PII"): plaintext receiver fields
#: and identity-card data are nulled at every level; the buyer id is pseudonymised;
#: ciphertexts (encrypt_*) and masks (mask_*) are kept as sent.
DOUYIN_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"post_receiver", "post_tel", "user_id_info"}),
    within={"post_addr": PiiPolicy(drop_keys=frozenset({"detail"}))},
    hash_keys=frozenset({"doudian_open_id"}),
)


class OrdersStream(DouyinStream):
    """Shop (parent) orders from ``order.searchList``, sku orders embedded.

    Incremental on ``update_time``: ``order_by=update_time, order_asc=true`` over sliding
    windows from the bookmark (or ``start_date``) to ``end_date``. Rows arrive ascending
    within a window and windows ascend, so the stream is sorted and a killed sync resumes
    from the last bookmark it committed (``>=``: boundary rows are re-sent, never dropped).
    """

    name = "orders"
    path = p.ORDER_SEARCH_LIST_PATH
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "order_id"]
    replication_key = "update_time"
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    # A STATE every ~20 full pages: a killed sync re-reads at most that much.
    STATE_MSG_FREQUENCY = 2_000
    #: The page's list of records in ``data``, and what they are called in logs.
    list_key = "shop_order_list"
    noun = "orders"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: WindowedPagePaginator | None = None

    # ---- sync range
    def sync_range(self, context: Context | None) -> tuple[int, int]:
        """[start, end] in epoch seconds: bookmark (or start_date) to end_date (or now - lag)."""
        return self.incremental_bounds(context)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.sync_range(context)
        window_seconds = int(self.config.get("window_seconds", 21_600))
        self._windows = list(sliding_windows(start, end, window_seconds))
        log_window_plan(self.logger, f"{self.noun} of shop {self.config['shop_id']} updated", start, end, self._windows, window_seconds)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("%s sync done: %s", self.noun.capitalize(), self._paginator.summary())

    # ---- paging and requests
    def get_new_paginator(self) -> WindowedPagePaginator:
        self._paginator = WindowedPagePaginator(
            self._windows,
            int(self.config.get("page_size", p.MAX_PAGE_SIZE)),
            replication_value=lambda record: int(record[self.replication_key]),
            first_page=0,
            logger=self.logger,
        )
        return self._paginator

    def business_params(self, token: WindowPage) -> dict[str, t.Any]:
        """The request's business parameters for one page of one window."""
        return {
            "page": token.page,
            "size": int(self.config.get("page_size", p.MAX_PAGE_SIZE)),
            "order_by": "update_time",
            "order_asc": True,
            "update_time_start": token.window_start,
            "update_time_end": token.window_end,
        }

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowPage | None) -> bytes:  # noqa: ARG002
        if next_page_token is None:
            msg = f"{self.api_method} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        return canonical_param_json(self.business_params(next_page_token)).encode("utf-8")

    def data_problem(self, data: dict) -> str | None:
        # Without a usable total we cannot tell the last page: never guess (it could drop orders).
        try:
            int(data.get("total"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"response has no integer 'total' ({data.get('total')!r})"
        records = data.get(self.list_key)
        if records is not None and not isinstance(records, list):
            return f"response '{self.list_key}' is not a list"
        return None

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        records = data.get(self.list_key) or []
        total = as_int(data.get("total"), "total")
        if self._paginator is not None and not self._paginator.accept_page(total, records):
            return []
        return records

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        configured = str(self.config["shop_id"])
        if row.get("shop_id") is None:
            row["shop_id"] = int(configured) if configured.isdigit() else configured
        elif str(row["shop_id"]) != configured:
            msg = (
                f"order.searchList returned orders of shop {row['shop_id']} but the config says shop_id "
                f"{configured}: the access_token belongs to another shop; fix shop_id or access_token"
            )
            raise DouyinAPIError(msg)
        return apply_pii_policy(row, DOUYIN_PII_POLICY, str(self.config["pii_salt"]))


#: The shop's free text on an after-sale (its note, its flag log with operator names) may quote a buyer's phone or
#: address: nulled. The list carries no buyer text or receiver fields; the platform's reason labels are kept.
DOUYIN_AFTER_SALE_PII_POLICY = PiiPolicy(drop_keys=frozenset({"remark", "seller_logs"}))


class AfterSalesStream(OrdersStream):
    """After-sales (refunds, returns; exchanges too, left out downstream) from ``afterSale/List``.

    Incremental on the after-sale's own ``update_time`` (``update_start_time`` / ``update_end_time``, seconds)
    with ``order_by ["update_time asc"]``, over the orders' sliding windows and paging (pages from 0, ``size`` <=
    100, ``total``), so a refund months after its order is found when it changes, whatever the order's window.
    Each item keeps the platform's shape; the tap copies ``aftersale_id`` and ``update_time`` to the top (key and
    bookmark) and adds the config's ``shop_id`` (the list does not name the shop).
    """

    name = "after_sales"
    path = p.AFTER_SALE_LIST_PATH
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "aftersale_id"]
    replication_key = "update_time"
    schema = StreamSchema(SCHEMAS)
    list_key = "items"
    noun = "after-sales"

    def business_params(self, token: WindowPage) -> dict[str, t.Any]:
        return {
            "page": token.page,
            "size": int(self.config.get("page_size", p.MAX_PAGE_SIZE)),
            "order_by": ["update_time asc"],
            "update_start_time": token.window_start,
            "update_end_time": token.window_end,
        }

    def get_new_paginator(self) -> WindowedPagePaginator:
        self._paginator = WindowedPagePaginator(
            self._windows,
            int(self.config.get("page_size", p.MAX_PAGE_SIZE)),
            replication_value=lambda item: int((item.get("aftersale_info") or {}).get("update_time") or 0) or None,
            first_page=0,
            logger=self.logger,
        )
        return self._paginator

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        info = row.get("aftersale_info")
        if not isinstance(info, dict) or info.get("aftersale_id") in (None, ""):
            # Without its id an after-sale cannot be keyed or updated later: stop rather than drop it.
            msg = f"{self.api_method} returned an item without aftersale_info.aftersale_id; report a tap bug with the sync log"
            raise DouyinAPIError(msg)
        if isinstance(info["aftersale_id"], int):
            info["aftersale_id"] = str(info["aftersale_id"])  # exact: Python ints are never rounded
        configured = str(self.config["shop_id"])
        row["shop_id"] = int(configured) if configured.isdigit() else configured
        row["aftersale_id"] = info["aftersale_id"]
        row["update_time"] = info.get("update_time")
        return apply_pii_policy(row, DOUYIN_AFTER_SALE_PII_POLICY, str(self.config["pii_salt"]))


# --------------------------------------------------------------------------- fetch by id (pushes)
class OrderDetailStream(OrdersStream):
    """``order.orderDetail``: one shop order by ``shop_order_id`` (the id a push names), for the receiver's fetch.

    The answer's ``data.shop_order_detail`` is the same shop order ``order.searchList`` lists (S4), and
    :meth:`OrdersStream.post_process` scrubs it the same way, so a fetched order is the record a sync lands for the
    same version. Not one of the tap's streams: it lands in ``orders``. The API takes one id per call.
    """

    path = p.ORDER_DETAIL_PATH
    detail_key = "shop_order_detail"
    #: The record's field that holds the id fetched (a record with another id is not the one asked for).
    id_key = "order_id"

    def get_new_paginator(self) -> SinglePagePaginator:  # type: ignore[override]
        return SinglePagePaginator()

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes:  # noqa: ANN401, ARG002
        return canonical_param_json({"shop_order_id": str((context or {})["id"])}).encode("utf-8")

    def data_problem(self, data: dict) -> str | None:
        detail = data.get(self.detail_key)
        return None if detail is None or isinstance(detail, dict) else f"response '{self.detail_key}' is not an object"

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        detail = data.get(self.detail_key)
        return [detail] if detail else []


class AfterSaleByIdStream(AfterSalesStream):
    """``afterSale/List`` filtered by ``aftersale_id`` (the id a refund push names): the list's own item shape, so
    :meth:`AfterSalesStream.post_process` makes it the record a sync lands. Not one of the tap's streams."""

    id_key = "aftersale_id"

    def get_new_paginator(self) -> SinglePagePaginator:  # type: ignore[override]
        return SinglePagePaginator()

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes:  # noqa: ANN401, ARG002
        return canonical_param_json({"aftersale_id": str((context or {})["id"]), "page": 0, "size": p.MAX_PAGE_SIZE}).encode("utf-8")


#: stream a push names -> the stream class that fetches one of its records by id.
FETCH_STREAMS: dict[str, type[OrderDetailStream | AfterSaleByIdStream]] = {OrdersStream.name: OrderDetailStream, AfterSalesStream.name: AfterSaleByIdStream}
