"""Pinduoduo streams: one class per stream (``orders``, ``refunds``)."""

from __future__ import annotations

import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.fetching import IdPaginator
from orderlayer.taps.common.paging import BackwardPage, BackwardWindowPaginator
from orderlayer.taps.common.stream import bookmark_to_epoch
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.pinduoduo import protocol as p
from orderlayer.taps.pinduoduo.client import PinduoduoStream
from orderlayer.taps.pinduoduo.privacy import scrub_order

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.pinduoduo") / "schemas")
DAY = 86_400


def updated_at_epoch(record: dict, key: str = "updated_at") -> int | None:
    value = record.get(key)
    return p.local_text_to_epoch(value) if isinstance(value, str) and value else None


class OrdersStream(PinduoduoStream):
    """Orders of one shop from ``pdd.order.number.list.increment.get``, line items embedded.

    Incremental on ``updated_at`` (naive Beijing time, the platform's own field) over ≤ 30-minute windows
    from the bookmark (or ``start_date``) to ``end_date`` (or the platform clock minus ``safety_lag_seconds``),
    each paged backwards (:class:`~orderlayer.taps.common.paging.BackwardWindowPaginator`). Windows share their boundary second and ascend, and each window is
    emitted oldest first, so the stream is sorted and a killed sync resumes from the last committed bookmark.
    """

    name = "orders"
    api_type = p.ORDER_INCREMENT_GET
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "order_sn"]
    replication_key = "updated_at"
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    # A STATE every ~20 full pages: a killed sync re-reads at most that much.
    STATE_MSG_FREQUENCY = 2_000
    #: The page's list of records in the answer, and what they are called in logs.
    list_key = "order_sn_list"
    noun = "orders"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: BackwardWindowPaginator | None = None
        self._resumed_from: int | None = None

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.MAX_PAGE_SIZE))

    # ---- sync range
    def sync_range(self, context: Context | None) -> tuple[int, int]:
        """``[start, end]`` in epoch seconds, after the overlap, the end lag and the 3-month horizon."""
        state = self.get_context_state(context)
        resumed = bool(state.get("replication_key_value"))
        start, end = self.incremental_bounds(context)
        now = self._connection.platform_now()
        if not self.config.get("end_date"):
            # The docs' rule: end no later than the platform clock minus 3 minutes, or orders can be missed.
            end = now - int(self.config.get("safety_lag_seconds", p.SETTLE_LAG_SECONDS))
        if resumed:
            # The docs also advise starting each incremental query a few minutes early (late database writes).
            self._resumed_from = start
            start -= int(self.config.get("overlap_seconds", 300))
            # The stream stays sorted from the earlier start: rewind the bookmark to it for this run
            # (get_records restores it if no later record moves it on).
            state["replication_key_value"] = p.to_local_text(start)
        horizon_days = int(self.config.get("horizon_days", p.HORIZON_DAYS))
        horizon = now - horizon_days * DAY
        if start < horizon:
            if not resumed:
                msg = (
                    f"config key 'start_date' ({format_epoch(start)}) is more than {horizon_days} days before the "
                    f"platform clock ({format_epoch(now)}): {p.ORDER_INCREMENT_GET} only returns orders dealt in the "
                    f"last three months; set start_date on or after {format_epoch(horizon)} (older orders need a "
                    "back-office export)"
                )
                raise SourceAPIError(msg)
            self.logger.warning(
                "The bookmark %s is beyond the platform's %d-day horizon; orders dealt before %s can no longer be "
                "read and are skipped",
                format_epoch(start),
                horizon_days,
                format_epoch(horizon),
            )
            start = horizon
            state["replication_key_value"] = p.to_local_text(start)
        return start, end

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        self._resumed_from = None
        start, end = self.sync_range(context)
        window_seconds = int(self.config.get("window_seconds", p.MAX_WINDOW_SECONDS))
        self._windows = list(sliding_windows(start, end, window_seconds))
        log_window_plan(self.logger, f"{self.noun} of shop {self.config['shop_id']} updated", start, end, self._windows, window_seconds)
        yield from super().get_records(context)
        self._restore_bookmark(context)
        if self._paginator is not None:
            self.logger.info("%s sync done: %s", self.noun.capitalize(), self._paginator.summary())

    def _restore_bookmark(self, context: Context | None) -> None:
        """Never end a run with the bookmark behind where it started: repeated quiet runs would walk it back."""
        if self._resumed_from is None:
            return
        state = self.get_context_state(context)
        current = state.get("replication_key_value")
        if current is None or bookmark_to_epoch(current, zone=self.source_zone) < self._resumed_from:
            state["replication_key_value"] = p.to_local_text(self._resumed_from)

    # ---- paging and requests
    def get_new_paginator(self) -> BackwardWindowPaginator:
        self._paginator = BackwardWindowPaginator(
            self._windows,
            self.page_size,
            replication_value=lambda record: updated_at_epoch(record, self.replication_key),
            stall_hint="lower 'page_size', or raise 'safety_lag_seconds' so windows end further behind the platform clock",
            logger=self.logger,
        )
        return self._paginator

    def prepare_request_payload(self, context: Context | None, next_page_token: BackwardPage | None) -> bytes:  # noqa: ARG002
        if next_page_token is None:
            msg = f"{self.api_type} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        params = {
            "type": self.api_type,
            "start_updated_at": next_page_token.window_start,
            "end_updated_at": next_page_token.window_end,
            "page": next_page_token.page,
            "page_size": self.page_size,
            **self.filters(),
        }
        return p.encode_body(params)

    def filters(self) -> dict[str, t.Any]:  # noqa: PLR6301
        """The list's filters: every order."""
        return {
            "order_status": p.ALL_ORDER_STATUS,
            "refund_status": p.ALL_REFUND_STATUS,
            "is_lucky_flag": p.ALL_LUCKY_FLAG,
            # Always ask for total_count: it is how a window that grows while paging is noticed.
            "use_has_next": False,
        }

    def body_problem(self, body: dict) -> str | None:
        total = body.get("total_count")
        if isinstance(total, bool) or not isinstance(total, int):
            # Without a total the last page is unknown: never guess (it could drop orders).
            return f"response has no integer 'total_count' ({total!r})"
        records = body.get(self.list_key)
        if records is None:
            records = []
        if not isinstance(records, list):
            return f"response '{self.list_key}' is not a list"
        token = self._paginator.current_value if self._paginator is not None else None
        if token is not None:
            expected = self._paginator.expected_rows(total)
            if len(records) != expected:
                return (
                    f"page {token.page} holds {len(records)} of the {self.noun} but total_count {total} implies {expected} "
                    "(a truncated page); fetching it again"
                )
        return None

    def parse_response(self, response: t.Any) -> t.Iterable[dict]:  # noqa: ANN401
        body = self.response_body(response)
        records = body.get(self.list_key) or []
        if self._paginator is None:
            return records
        return self._paginator.accept_page(int(body["total_count"]), records) or []

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        # The order payload names no shop: one tap config is one shop, so the record carries the configured id.
        row["shop_id"] = str(self.config["shop_id"])
        return scrub_order(row, str(self.config["pii_salt"]))


class RefundsStream(OrdersStream):
    """After-sales (refunds, returns; exchanges and resends too, left out downstream) from
    ``pdd.refund.list.increment.get``, one tap config = one shop.

    Incremental on the after-sale's own ``updated_time`` (naive Beijing time) over the orders' ≤ 30-minute windows,
    backward pages, overlap and three-month horizon, every status and type (``1`` = all). A refund months after its
    order is found by its own change, whatever the order's window.
    """

    name = "refunds"
    api_type = p.REFUND_INCREMENT_GET
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "id"]
    replication_key = "updated_time"
    schema = StreamSchema(SCHEMAS)
    list_key = "refund_list"
    noun = "after-sales"

    def filters(self) -> dict[str, t.Any]:  # noqa: PLR6301
        return {"after_sales_status": p.ALL_AFTER_SALES, "after_sales_type": p.ALL_AFTER_SALES}

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        if row.get("id") in (None, ""):
            # Without its id an after-sale cannot be keyed or updated later: stop rather than drop it.
            msg = f"{self.api_type} returned an after-sale without id; report a tap bug with the sync log"
            raise SourceAPIError(msg)
        for key in ("id", "sku_id", "goods_id"):
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                row[key] = str(row[key])  # exact text: Python ints are never rounded
        # The list names no shop (and holds no buyer text): the record carries the configured shop.
        row["shop_id"] = str(self.config["shop_id"])
        return row


class OrderDetailStream(OrdersStream):
    """``pdd.order.information.get`` for the orders push messages name (consumer.py): one call per ``order_sn``
    through the tap's signer, budget and retries. Not a stream of the tap: the tap's ``orders`` stream
    post-processes what it returns (taps/common/fetching.py), so a fetched order is the order a sync lands.
    An order the platform does not return (``order_info`` empty) is left out: the reconcile poll is the safety net."""

    api_type = p.ORDER_INFORMATION_GET

    def __init__(self, tap: t.Any, order_sns: t.Sequence[str]) -> None:  # noqa: ANN401
        super().__init__(tap)
        self.order_sns = list(order_sns)

    def get_new_paginator(self) -> IdPaginator:  # type: ignore[override]
        return IdPaginator(len(self.order_sns))

    def prepare_request_payload(self, context: Context | None, next_page_token: int | None) -> bytes:  # type: ignore[override]  # noqa: ARG002
        return p.encode_body({"type": self.api_type, "order_sn": self.order_sns[next_page_token or 0]})

    def body_problem(self, body: dict) -> str | None:  # noqa: ARG002, PLR6301
        return None

    def parse_response(self, response: t.Any) -> t.Iterable[dict]:  # noqa: ANN401
        order = self.response_body(response).get("order_info")
        return [order] if isinstance(order, dict) else []
