"""Kingdee streams: ``sales_orders`` (``SAL_SaleOrder`` bills with their entries, via ExecuteBillQuery)."""

from __future__ import annotations

import importlib.resources
import time
import typing as t
from zoneinfo import ZoneInfo

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy
from orderlayer.taps.common.stream import bookmark_to_epoch
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, sliding_windows
from orderlayer.taps.kingdee import protocol as p
from orderlayer.taps.kingdee.client import BillGrouper, KdPage, KeysetPaginator, KingdeeStream, load_rows, local_text

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.kingdee") / "schemas")

#: Receiver contact fields of a sales order (personal data): nulled when a query asks for them.
KINGDEE_PII_POLICY = PiiPolicy(drop_keys=frozenset({"FLinkMan", "FLinkPhone", "FReceiveAddress", "FReceiverPhone", "FReceiverAddress"}))


def split_extra_keys(keys: t.Iterable[str]) -> tuple[list[str], list[str]]:
    """Extra FieldKeys → (header keys, entry keys): entry keys are named ``FSaleOrderEntry_…`` or are known entry keys."""
    header, entry = [], []
    for key in keys:
        (entry if key.startswith("FSaleOrderEntry_") or key in p.ENTRY_FIELD_KEYS else header).append(key)
    return header, entry


def _dedupe(keys: t.Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


class SalesOrdersStream(KingdeeStream):
    """``SAL_SaleOrder`` incremental on ``FModifyDate`` (server-local time, no offset; zone ``site_timezone``).

    Windows ``[start, end)`` ascend from the bookmark (or ``start_date``); rows come sorted by
    (FModifyDate, FID, entry) and pages continue after the last received row, so bills are emitted in
    FModifyDate order and a killed sync resumes from its last bookmark (that second is re-read).
    """

    name = "sales_orders"
    path = "/" + p.EXECUTE_BILL_QUERY + p.SERVICE_SUFFIX
    primary_keys: t.ClassVar[list[str]] = ["FID"]
    replication_key = p.MODIFY_DATE_KEY
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    STATE_MSG_FREQUENCY = 1_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="POST")
        self._authenticator = tap.kingdee_authenticator
        self.secret_filter = tap.secret_filter
        extra_header, extra_entry = split_extra_keys(self.config.get("extra_field_keys") or [])
        reference = str(self.config.get("reference_field_key") or p.DEFAULT_REFERENCE_FIELD)
        self.header_keys = _dedupe([*p.HEADER_FIELD_KEYS, reference, *extra_header])
        self.entry_keys = _dedupe([*p.ENTRY_FIELD_KEYS, *extra_entry])
        #: Declared once: the query asks for these, in this order, and rows are named by the same order.
        self.field_keys = [*self.header_keys, *self.entry_keys]
        self._windows: list[Window] = []
        self._paginator: KeysetPaginator | None = None
        self._grouper = BillGrouper(self.header_keys, self.entry_keys)
        self._resume_after: str | None = None

    @property
    def authenticator(self) -> t.Any:  # noqa: ANN401
        return self._authenticator

    @property
    def api_method(self) -> str:
        return "ExecuteBillQuery(SAL_SaleOrder)"

    @property
    def source_zone(self) -> str:  # type: ignore[override]
        return str(self.config.get("site_timezone", "Asia/Shanghai"))

    # ---- sync range
    def incremental_bounds(self, context: Context | None) -> tuple[int, int]:
        """``[start, end)`` epoch seconds; a bookmark is a site-local ``yyyy-MM-ddTHH:mm:ss[.fff]`` FModifyDate."""
        value = self.get_starting_replication_key_value(context)
        self._resume_after = None if value is None else str(value)
        if value is not None:
            start = bookmark_to_epoch(str(value).split(".")[0], zone=self.source_zone, key="bookmark")
        elif self.config.get("start_date"):
            start = bookmark_to_epoch(self.config["start_date"], zone=self.source_zone, key="start_date")
        else:
            msg = "config key 'start_date' is required for the first sync (ISO-8601 with offset)"
            raise SourceAPIError(msg)
        if self.config.get("end_date"):
            end = bookmark_to_epoch(self.config["end_date"], zone=self.source_zone, key="end_date")
        else:
            end = int(time.time()) - int(self.config.get("safety_lag_seconds", 120))
        return start, end

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = int(self.config.get("window_seconds", 7 * 86_400))
        self._windows = list(sliding_windows(start, end, window_seconds))
        self._grouper = BillGrouper(self.header_keys, self.entry_keys)
        self.logger.info(
            "Syncing sales orders modified %s .. %s (site zone %s) in %d window(s)",
            format_epoch(start),
            format_epoch(end),
            self.source_zone,
            len(self._windows),
        )
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("Sales orders sync done: %d window(s), %d page(s)", self._paginator.windows_completed, self._paginator.pages)

    # ---- requests
    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.MAX_LIMIT))

    def get_new_paginator(self) -> KeysetPaginator:
        self._paginator = KeysetPaginator(self._windows, self.page_size)
        return self._paginator

    def prepare_request_payload(self, context: Context | None, next_page_token: KdPage | None) -> dict:  # noqa: ARG002
        if next_page_token is None:
            msg = "ExecuteBillQuery needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        zone = ZoneInfo(self.source_zone)
        after = None
        if next_page_token.after is not None:
            modified, fid, entry = next_page_token.after
            after = (modified.replace("T", " "), fid, entry)
        filter_string = p.keyset_filter(
            local_text(next_page_token.window_start, zone),
            local_text(next_page_token.window_end, zone),
            after,
            self.config.get("filter_extra") or None,
        )
        return p.bill_query_body(self.field_keys, filter_string, 0, self.page_size)

    # ---- records
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        try:
            rows = p.rows_to_records(self.field_keys, load_rows(response))
        except ValueError as exc:
            msg = f"{self.api_method}: {exc}; the site answered other columns than asked for"
            raise SourceAPIError(msg) from None
        paginator = self._paginator
        if paginator is not None:
            paginator.accept_rows(rows)
        final = paginator is None or paginator.window_is_ending
        bills = self._grouper.feed(rows, final=final)
        if self._resume_after is not None:
            # the first window starts at the bookmark's whole second: bills of that second modified before the
            # bookmark (the site keeps sub-seconds) were emitted by the previous run
            bills = [b for b in bills if str(b.get(p.MODIFY_DATE_KEY)) >= self._resume_after]
        return bills

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        return apply_pii_policy(row, KINGDEE_PII_POLICY, str(self.config["pii_salt"]))
