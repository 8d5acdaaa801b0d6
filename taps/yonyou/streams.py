"""Yonyou streams: ``sales_orders`` (YonBIP ``voucherorder/list``, one record per order with its lines)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import typing as t
from zoneinfo import ZoneInfo

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import WindowedPagePaginator, WindowPage
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy
from orderlayer.taps.common.stream import bookmark_to_epoch
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, sliding_windows
from orderlayer.taps.yonyou import protocol as p
from orderlayer.taps.yonyou.client import OrderGrouper, YonyouStream, load_payload

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.yonyou") / "schemas")

#: Receiver contact fields are nulled; the salesperson's name (an employee) is pseudonymised.
YONYOU_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"receiver", "receiveMobile", "receiveAddress", "receiveTelePhone", "receiveContacter", "receiveContacterPhone"}),
    hash_keys=frozenset({"corpContactUserName"}),
)


class SalesOrdersStream(YonyouStream):
    """Sales orders incremental on ``pubts`` (naive China time; configurable ``incremental_field``).

    Windows ``[start, end)`` become ``between start and end - 1 s`` (inclusive, whole seconds); rows come sorted by
    (pubts, id) with ``isSum=false`` and are regrouped per order. ``recordCount`` detects a window that changed
    while paging (the shared paginator rescans it from the last emitted pubts), so no order is skipped.
    """

    name = "sales_orders"
    path = p.SALES_ORDER_LIST_PATH
    primary_keys: t.ClassVar[list[str]] = ["id"]
    replication_key = p.DEFAULT_INCREMENTAL_FIELD
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    STATE_MSG_FREQUENCY = 1_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._authenticator = tap.yonyou_authenticator
        self.secret_filter = tap.secret_filter
        self.incremental_field = str(self.config.get("incremental_field") or p.DEFAULT_INCREMENTAL_FIELD)
        self.replication_key = self.incremental_field
        self._windows: list[Window] = []
        self._paginator: WindowedPagePaginator | None = None
        self._grouper = OrderGrouper()

    @property
    def authenticator(self) -> t.Any:  # noqa: ANN401
        return self._authenticator

    @property
    def api_method(self) -> str:
        return "voucherorder/list"

    @property
    def source_zone(self) -> str:  # type: ignore[override]
        return str(self.config.get("source_timezone", "Asia/Shanghai"))

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.DEFAULT_PAGE_SIZE))

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = int(self.config.get("window_seconds", 86_400))
        self._windows = list(sliding_windows(start, end, window_seconds))
        self._grouper = OrderGrouper()
        self.logger.info(
            "Syncing sales orders with %s in %s .. %s (%s) in %d window(s)",
            self.incremental_field,
            format_epoch(start),
            format_epoch(end),
            self.source_zone,
            len(self._windows),
        )
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("Sales orders sync done: %s", self._paginator.summary())

    # ---- requests
    def _row_epoch(self, row: dict) -> int | None:
        value = row.get(self.incremental_field)
        return None if value is None else bookmark_to_epoch(str(value), zone=self.source_zone, key=self.incremental_field)

    def get_new_paginator(self) -> WindowedPagePaginator:
        self._paginator = WindowedPagePaginator(
            self._windows, self.page_size, replication_value=self._row_epoch, first_page=1, logger=self.logger
        )
        return self._paginator

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowPage | None) -> dict:  # noqa: ARG002
        if next_page_token is None:
            msg = "voucherorder/list needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        zone = ZoneInfo(self.source_zone)
        start = dt.datetime.fromtimestamp(next_page_token.window_start, zone).strftime("%Y-%m-%d %H:%M:%S")
        # between is inclusive and pubts has whole seconds: [start, end) is start .. end - 1 s
        last = dt.datetime.fromtimestamp(next_page_token.window_end - 1, zone).strftime("%Y-%m-%d %H:%M:%S")
        return p.list_body(next_page_token.page, self.page_size, self.incremental_field, start, last)

    # ---- records
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = load_payload(response)["data"]
        rows = data.get("recordList") or []
        try:
            total = int(data["recordCount"])
        except (KeyError, TypeError, ValueError):
            total = None  # a short page then ends the window
        paginator = self._paginator
        token = paginator.current_value if paginator is not None else None
        for row in rows:
            if not isinstance(row, dict) or row.get(p.ORDER_ID_KEY) is None or row.get(self.incremental_field) is None:
                msg = f"{self.api_method}: a row has no id or {self.incremental_field}; the tap cannot page past it"
                raise SourceAPIError(msg)
        if paginator is not None and not paginator.accept_page(total, rows):
            self._grouper.reset()
            return []
        if token is None:
            final = True
        elif total is not None:
            final = token.page * self.page_size >= total
        else:
            final = len(rows) < self.page_size
        return self._grouper.feed(rows, final=final)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        return apply_pii_policy(row, YONYOU_PII_POLICY, str(self.config["pii_salt"]))

