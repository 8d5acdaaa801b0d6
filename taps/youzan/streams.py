"""Youzan streams: one class per stream (``orders`` from ``youzan.trades.sold.get``, ``refunds``)."""

from __future__ import annotations

import importlib.resources
import json
import typing as t
from dataclasses import replace

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.youzan import protocol as p
from orderlayer.taps.youzan.client import WindowPlan, YouzanStream, YouzanWindowPaginator

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.youzan") / "schemas")

#: Architecture principle 6 for Youzan (fact sheet §3 "PII"): the full street address, the address extras
#: (coordinates, id-card number), buyer phone and nicknames, id-card numbers and gift receivers' contact data
#: are nulled at every level; buyer identifiers are pseudonymised. Receiver name and phone are kept only as
#: masks (see :data:`RECEIVER_POLICIES`).
YOUZAN_PII_POLICY = PiiPolicy(
    drop_keys=frozenset(
        {
            "delivery_address",
            "address_extra",
            "self_fetch_info",
            "buyer_phone",
            "fans_nickname",
            "buyer_name",
            "id_card_number",
            "user_name",
            "user_tel",
            "address_detail",
        }
    ),
    hash_keys=frozenset({"buyer_id", "fans_id", "outer_user_id", "yz_open_id", "union_id", "unionid"}),
)
#: Config ``receiver_masking``: the receiver's name and phone (``address_info``) kept as masks, or dropped.
RECEIVER_POLICIES = {
    "mask": replace(
        YOUZAN_PII_POLICY,
        masks=(
            Mask("name", ("receiver_name",), "receiver_name", within="address_info"),
            Mask("phone", ("receiver_tel",), "receiver_tel", within="address_info"),
        ),
    ),
    "null": replace(
        YOUZAN_PII_POLICY, within={"address_info": PiiPolicy(drop_keys=frozenset({"receiver_name", "receiver_tel"}))}
    ),
}
RECEIVER_MASKING = tuple(RECEIVER_POLICIES)


class OrdersStream(YouzanStream):
    """Orders of one shop from ``youzan.trades.sold.get``, lines embedded in ``orders``.

    Each record is one ``full_order_info`` exactly as received, plus three top-level keys copied from it so
    Singer can key and bookmark it: ``kdt_id`` (the configured shop), ``tid`` and ``update_time`` (from
    ``order_info``). Incremental on ``update_time`` over windows of at most ``window_seconds``; the order of
    rows inside a window is not documented, so each window is read to its end, sorted by
    (``update_time``, ``tid``) and then emitted: the stream is sorted and a killed sync resumes from the last
    bookmark it committed (``>=``: orders at that second are sent again, never skipped).
    """

    name = "orders"
    api_name = p.TRADES_SOLD_GET
    primary_keys: t.ClassVar[list[str]] = ["kdt_id", "tid"]
    replication_key = "update_time"
    is_sorted = True
    # A record outside its query window (a platform quirk) must not abort the sync; the bookmark may then step
    # back, which re-reads a little and never skips.
    check_sorted = False
    schema = StreamSchema(SCHEMAS)
    STATE_MSG_FREQUENCY = 2_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._plan = WindowPlan(())
        self._paginator: YouzanWindowPaginator | None = None
        self._buffer: list[dict] = []

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.MAX_PAGE_SIZE))

    @property
    def max_page_no(self) -> int:
        return int(self.config.get("max_page_no", p.MAX_PAGE_NO))

    # ---- sync range
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = int(self.config.get("window_seconds", 86_400))
        self._plan = WindowPlan(sliding_windows(start, end, window_seconds))
        self._buffer = []
        log_window_plan(self.logger, f"{self.name} of shop {self.config['kdt_id']} updated", start, end, self._plan, window_seconds)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info(
                "%s sync done: %s; %d window(s) split for the %d-row depth limit", self.name.capitalize(),
                self._paginator.summary(), self._plan.splits, self.max_page_no * self.page_size,
            )

    # ---- paging and requests
    def get_new_paginator(self) -> YouzanWindowPaginator:
        self._paginator = YouzanWindowPaginator(self._plan, self.page_size, logger=self.logger)
        return self._paginator

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes:  # noqa: ANN401, ARG002
        if next_page_token is None:
            msg = "youzan.trades.sold.get needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        params = {
            "page_no": next_page_token.page,
            "page_size": self.page_size,
            "start_update": p.format_local(next_page_token.window_start),
            "end_update": p.format_local(next_page_token.window_end),
        }
        return json.dumps(params, separators=(",", ":")).encode("utf-8")

    def data_problem(self, data: t.Any, response: requests.Response) -> str | None:  # noqa: ANN401
        if not isinstance(data, dict):
            return "success without a data object"
        wrappers = data.get("full_order_info_list")
        if wrappers is None:
            wrappers = []
        if not isinstance(wrappers, list):
            return "'full_order_info_list' is not a list"
        if any(not isinstance(w, dict) or not isinstance(w.get("full_order_info"), dict) for w in wrappers):
            return "an entry of 'full_order_info_list' has no full_order_info object"
        try:
            total = _total(data)
        except ValueError:
            return f"'total_results' is not an integer ({data.get('total_results')!r})"
        params = self.request_params(response)
        size = int(params.get("page_size") or self.page_size)
        if len(wrappers) > size:
            return f"a page of {len(wrappers)} rows for page_size {size}"
        if isinstance(total, int):
            offset = (int(params.get("page_no") or p.FIRST_PAGE) - p.FIRST_PAGE) * size
            expected = max(0, min(size, total - offset))
            if len(wrappers) < expected:
                return f"page cut short: {len(wrappers)} of {expected} rows (total_results {total})"
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        paginator = self._paginator
        token = paginator.current_value if paginator is not None else None
        if paginator is None or token is None:
            return []
        data = self.answer(response).data
        total = self.total_of(data)  # validate_response already rejected a malformed one
        records = self.records_of(data)
        window = Window(token.window_start, token.window_end)
        cap = self.max_page_no * self.page_size
        over_cap = total is not None and token.page == p.FIRST_PAGE and total > cap
        at_depth_limit = total is None and token.page >= self.max_page_no and len(records) >= self.page_size
        if over_cap or at_depth_limit:
            self._split(window, total, cap)
            return []
        if not paginator.accept_page(total, records):
            self._buffer.clear()  # nothing of this window was emitted: it is read again from page 1
            return []
        self._buffer.extend(records)
        last = (token.page - p.FIRST_PAGE + 1) * self.page_size >= total if total is not None else len(records) < self.page_size
        if not last:
            return []
        out = sorted(self._buffer, key=self.sort_key)
        self._buffer = []
        return out

    def records_of(self, data: dict) -> list[dict]:
        """The page's records, keyed for Singer."""
        return [self._keyed(w["full_order_info"]) for w in (data.get("full_order_info_list") or [])]

    @staticmethod
    def total_of(data: dict) -> int | None:
        return _total(data)

    @staticmethod
    def sort_key(record: dict) -> tuple[str, str]:
        """A window is emitted in this order: by update time, then id."""
        return (record["update_time"] or "", record["tid"] or "")

    def _split(self, window: Window, total: int | None, cap: int) -> None:
        try:
            self._plan.split_ahead(window)
        except ValueError:
            msg = (
                f"more than {cap} orders of shop {self.config['kdt_id']} were updated within one second "
                f"({p.format_local(window.start)}); youzan.trades.sold.get cannot page past page_no {self.max_page_no}. "
                "Raise page_size to 100 if it is lower"
            )
            raise SourceAPIError(msg) from None
        self.logger.info(
            "Window %s .. %s holds %s orders, more than the %d page_no x page_size can reach: reading it as two halves",
            p.format_local(window.start), p.format_local(window.end), total if total is not None else "too many", cap,
        )
        self._buffer.clear()
        if self._paginator is not None:
            self._paginator.abandon_window()

    def _keyed(self, order: dict) -> dict:
        """The record: ``full_order_info`` as received, plus kdt_id / tid / update_time on top for Singer."""
        info = order.get("order_info") if isinstance(order.get("order_info"), dict) else {}
        update_time = info.get("update_time")
        try:
            p.parse_local(str(update_time))
        except ValueError:
            update_time = None  # no usable bookmark value; the record is still emitted
        return {"kdt_id": str(self.config["kdt_id"]), "tid": info.get("tid"), "update_time": update_time, **order}

    # ---- one order, for a push's fetch
    def by_tid(self, tid: str) -> list[dict]:
        """The order ``tid`` as a sync's page holds it (keyed, not yet post-processed), from one
        ``youzan.trades.sold.get`` call filtered by ``tid`` (the API's order-number filter, §2), through the stream's
        token, retries and rate limit; [] when the shop has no such order."""
        body = json.dumps({"tid": tid, "page_no": p.FIRST_PAGE, "page_size": 1}, separators=(",", ":")).encode("utf-8")
        prepared = self.build_prepared_request(
            method="POST", url=self.get_url(None), params=self.get_url_params(None, None), headers=self.http_headers, data=body
        )
        response = self.request_decorator(self._request)(prepared, None)
        return [r for r in self.records_of(self.answer(response).data) if r["tid"] == tid]

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        policy = RECEIVER_POLICIES[str(self.config.get("receiver_masking", "mask"))]
        return apply_pii_policy(row, policy, str(self.config["pii_salt"]))


def _total(data: dict) -> int | None:
    """``total_results`` (or a 4.0.4 ``paginator.total_count``) as int; None when absent (ValueError if malformed)."""
    value = data.get("total_results")
    if value is None and isinstance(data.get("paginator"), dict):
        value = data["paginator"].get("total_count")
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        number = int(value)
    except TypeError:
        raise ValueError(value) from None
    if not isinstance(value, str) and number != value:
        raise ValueError(value)  # 12.5 is not a count
    return number


class RefundsStream(OrdersStream):
    """Refunds of one shop from ``youzan.trade.refund.search`` (version 3.0.0).

    Incremental on the refund's own ``modified`` (naive Beijing time) over the orders' windows, queried with
    ``update_time_start`` / ``update_time_end`` in Unix seconds; each window is read to its end, sorted by
    (``modified``, ``refund_id``) and emitted, with the orders' paging and depth-limit split. A refund months
    after its order is found by its own change, whatever the order's window. The tap adds ``kdt_id``; the search
    result holds no buyer data, so the records pass as sent.
    """

    name = "refunds"
    api_name = p.TRADE_REFUND_SEARCH
    primary_keys: t.ClassVar[list[str]] = ["kdt_id", "refund_id"]
    replication_key = "modified"
    schema = StreamSchema(SCHEMAS)

    @property
    def path(self) -> str:  # type: ignore[override]
        return p.api_path(self.api_name, p.REFUND_SEARCH_VERSION)

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes:  # noqa: ANN401, ARG002
        if next_page_token is None:
            msg = f"{self.api_name} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        params = {
            "page_no": next_page_token.page,
            "page_size": self.page_size,
            "update_time_start": next_page_token.window_start,
            "update_time_end": next_page_token.window_end,
        }
        return json.dumps(params, separators=(",", ":")).encode("utf-8")

    def data_problem(self, data: t.Any, response: requests.Response) -> str | None:  # noqa: ANN401
        if not isinstance(data, dict):
            return "success without a data object"
        rows = data.get("refunds") or []
        if not isinstance(rows, list) or any(not isinstance(r, dict) for r in rows):
            return "'refunds' is not a list of refunds"
        try:
            total = self.total_of(data)
        except ValueError:
            return f"'total' is not an integer ({data.get('total')!r})"
        if total is None:
            return "no 'total': the last page cannot be told"
        params = self.request_params(response)
        size = int(params.get("page_size") or self.page_size)
        offset = (int(params.get("page_no") or p.FIRST_PAGE) - p.FIRST_PAGE) * size
        expected = max(0, min(size, total - offset))
        if len(rows) != expected:
            return f"a page of {len(rows)} refunds where total {total} implies {expected}"
        return None

    def records_of(self, data: dict) -> list[dict]:
        out = []
        for row in data.get("refunds") or []:
            modified = row.get("modified")
            try:
                p.parse_local(str(modified))
            except ValueError:
                row["modified"] = None  # no usable bookmark value; the record is still emitted
            out.append({"kdt_id": str(self.config["kdt_id"]), **row, "refund_id": str(row.get("refund_id") or "") or None})
        return out

    @staticmethod
    def total_of(data: dict) -> int | None:
        return _total({"total_results": data.get("total")})

    @staticmethod
    def sort_key(record: dict) -> tuple[str, str]:
        return (record["modified"] or "", record["refund_id"] or "")

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        if row.get("refund_id") is None:
            # Without its id a refund cannot be keyed or updated later: stop rather than drop it.
            msg = f"{self.api_name} returned a refund without refund_id; report a tap bug with the sync log"
            raise SourceAPIError(msg)
        return row
