"""SAP streams: ``sales_orders`` (``A_SalesOrder`` with its items expanded)."""

from __future__ import annotations

import importlib.resources
import time
import typing as t
from urllib.parse import quote

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.streams.rest import HTTPRequest

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy
from orderlayer.taps.common.stream import bookmark_to_epoch
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.sap import protocol as p
from orderlayer.taps.sap.client import SapPage, SapStream, SeekPaginator, load_payload, ms_literal

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import PageContext

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.sap") / "schemas")

#: Personal data in a sales order header: the SAP user who entered it (a clerk's name for manual orders).
#: Partner addresses live in ``to_Partner``, which the tap does not expand.
SAP_PII_POLICY = PiiPolicy(hash_keys=frozenset({"CreatedByUser"}))

#: Query characters left unescaped: OData system options and literals read better and SAP accepts both.
_SAFE = "$,'():"


class SalesOrdersStream(SapStream):
    """``A_SalesOrder`` incremental on ``LastChangeDateTime`` (UTC, DateTimeOffset), items via ``$expand=to_Item``.

    Windows ``[start, end)`` of ``window_seconds`` ascend from the bookmark (or ``start_date``); inside one, rows
    come sorted by (LastChangeDateTime, SalesOrder) and pages seek past the last emitted row, so the stream is
    sorted and a killed sync resumes from its last bookmark (the bookmark's rows are re-sent, never skipped).
    """

    name = "sales_orders"
    path = p.SALES_ORDER_PATH
    primary_keys: t.ClassVar[list[str]] = ["SalesOrder"]
    replication_key = p.REPLICATION_PROPERTY
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    STATE_MSG_FREQUENCY = 1_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._authenticator = tap.sap_authenticator
        self._windows: list[Window] = []
        self._paginator: SeekPaginator | None = None
        self._resume_ms: int | None = None
        self.secret_filter = tap.secret_filter

    @property
    def authenticator(self) -> t.Any:  # noqa: ANN401
        return self._authenticator

    @property
    def api_method(self) -> str:
        return f"GET {p.ENTITY_SET}"

    # ---- sync range
    def incremental_bounds(self, context: Context | None) -> tuple[int, int]:
        """``[start, end)`` in epoch seconds; a bookmark is a ``/Date(ms+0000)/`` value (floored to the second)."""
        value = self.get_starting_replication_key_value(context)
        self._resume_ms = None
        if isinstance(value, str) and value.startswith("/Date("):
            # resume at the bookmark's own millisecond: a row of that second before it was already emitted
            self._resume_ms = p.parse_odata_date(value).epoch_ms
            start = self._resume_ms // 1000
        elif value is not None:
            start = bookmark_to_epoch(value, zone=self.source_zone, key="bookmark")
        elif self.config.get("start_date"):
            start = bookmark_to_epoch(self.config["start_date"], zone=self.source_zone, key="start_date")
        else:
            msg = "config key 'start_date' is required for the first sync (ISO-8601 with offset)"
            raise SourceAPIError(msg)
        if self.config.get("end_date"):
            end = bookmark_to_epoch(self.config["end_date"], zone=self.source_zone, key="end_date")
        else:
            end = int(time.time()) - int(self.config.get("safety_lag_seconds", 300))
        return start, end

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = int(self.config.get("window_seconds", 7 * 86_400))
        self._windows = list(sliding_windows(start, end, window_seconds))
        log_window_plan(self.logger, "sales orders changed", start, end, self._windows, window_seconds)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info(
                "Sales orders sync done: %d window(s), %d request(s), %d server page(s) followed",
                self._paginator.windows_completed,
                self._paginator.requests_made,
                self._paginator.server_pages_followed,
            )

    # ---- requests
    def get_new_paginator(self) -> SeekPaginator:
        self._paginator = SeekPaginator(
            self._windows, int(self.config.get("page_size", p.DEFAULT_TOP)), logger=self.logger, resume_ms=self._resume_ms
        )
        return self._paginator

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        token: SapPage | None = page.next_page_token
        if token is None:
            msg = "A_SalesOrder needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        if token.next_link:
            return HTTPRequest(url=token.next_link, method="GET", headers=self.http_headers)
        params: dict[str, str] = {
            "$filter": (
                f"{p.REPLICATION_PROPERTY} ge {ms_literal(token.seek_ms)} and "
                f"{p.REPLICATION_PROPERTY} lt {p.datetimeoffset_literal(token.window_end)}"
            ),
            "$orderby": p.ORDER_BY,
            "$top": str(int(self.config.get("page_size", p.DEFAULT_TOP))),
            "$skip": str(token.skip),
            # the items carry the tax, without which there is no gross amount (the header has net only)
            "$expand": p.EXPAND_ITEMS,
            "$format": "json",
        }
        if self.config.get("sap_client"):
            params["sap-client"] = str(self.config["sap_client"])
        query = "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}" for k, v in params.items())
        return HTTPRequest(url=f"{self.get_url(page.stream_context)}?{query}", method="GET", headers=self.http_headers)

    # ---- records
    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        data = load_payload(response)["d"]
        records = data["results"]
        for record in records:
            try:
                p.parse_odata_date(record[p.REPLICATION_PROPERTY])
            except (KeyError, TypeError, ValueError):
                so = record.get("SalesOrder") if isinstance(record, dict) else None
                msg = f"{self.api_method}: sales order {so!r} has no readable {p.REPLICATION_PROPERTY}; the tap cannot page past it"
                raise SourceAPIError(msg) from None
        if self._paginator is not None:
            self._paginator.accept_page(records, data.get("__next"))
        return records

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        return apply_pii_policy(row, SAP_PII_POLICY, str(self.config["pii_salt"]))
