"""Douyin streams: one class per stream (only ``orders`` for now)."""

from __future__ import annotations

import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema

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
        log_window_plan(self.logger, f"orders of shop {self.config['shop_id']} updated", start, end, self._windows, window_seconds)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("Orders sync done: %s", self._paginator.summary())

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

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowPage | None) -> bytes:  # noqa: ARG002
        if next_page_token is None:
            msg = "order.searchList needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        params = {
            "page": next_page_token.page,
            "size": int(self.config.get("page_size", p.MAX_PAGE_SIZE)),
            "order_by": "update_time",
            "order_asc": True,
            "update_time_start": next_page_token.window_start,
            "update_time_end": next_page_token.window_end,
        }
        return canonical_param_json(params).encode("utf-8")

    def data_problem(self, data: dict) -> str | None:
        # Without a usable total we cannot tell the last page: never guess (it could drop orders).
        try:
            int(data.get("total"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"response has no integer 'total' ({data.get('total')!r})"
        records = data.get("shop_order_list")
        if records is not None and not isinstance(records, list):
            return "response 'shop_order_list' is not a list"
        return None

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        records = data.get("shop_order_list") or []
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
