"""JD streams: one class per stream (``orders``, ``refund_applies``, ``service_refunds``)."""

from __future__ import annotations

import importlib.resources
import json
import typing as t
from collections import deque

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import WindowedPagePaginator, WindowPage
from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy
from orderlayer.taps.common.stream import bookmark_to_epoch
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.jd import protocol as p
from orderlayer.taps.jd.client import JdStream

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Mapping

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.jd") / "schemas")

#: Receiver objects of orderInfo (the original one survives an address change).
RECEIVER_OBJECTS = ("consigneeInfo", "originalConsigneeInfo")
RECEIVER_PLAINTEXT = frozenset({"fullname", "mobile", "telephone", "fullAddress"})

#: Architecture principle 6 for JD (fact sheet §4 "Receiver"): ``search`` returns the receiver in plaintext and
#: ``enSearch`` encrypted in the same keys, so name, phones and street address are nulled either way (region
#: names are kept); VAT invoice details (company phone, bank account) are nulled; buyer ids are pseudonymised.
#: Keys the tap adds to a receiver object before nulling it: masks by the one rule of ``taps/common/pii.py``.
MASKED_NAME_KEY = "ol_masked_fullname"
MASKED_PHONE_KEY = "ol_masked_mobile"
_MAX_PLAIN_NAME = 16  # longer values are ciphertexts (enSearch), not names: a mask of a ciphertext means nothing


def _plain_name(value: str) -> bool:
    return len(value.strip()) <= _MAX_PLAIN_NAME


JD_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"vatInfo"}),
    within={name: PiiPolicy(drop_keys=RECEIVER_PLAINTEXT) for name in RECEIVER_OBJECTS},
    hash_keys=frozenset({"pin", "realPin", "open_id_buyer", "xid_buyer"}),
    # Derived from the plaintext (``search``) before it is nulled; a phone ciphertext (``enSearch``) gives None.
    masks=tuple(
        mask
        for receiver in RECEIVER_OBJECTS
        for mask in (
            Mask("phone", ("mobile", "telephone"), MASKED_PHONE_KEY, within=receiver),
            Mask("name", ("fullname",), MASKED_NAME_KEY, within=receiver, plaintext=_plain_name),
        )
    ),
)


class _WindowQueue:
    """The paginator's window iterator, with room to put a split window back in front."""

    def __init__(self, windows: Iterable[Window]) -> None:
        self._items = deque(windows)

    def __iter__(self) -> _WindowQueue:
        return self

    def __next__(self) -> Window:
        if not self._items:
            raise StopIteration
        return self._items.popleft()

    def push_front(self, window: Window) -> None:
        self._items.appendleft(window)


class SplittingWindowPaginator(WindowedPagePaginator):
    """The shared windowed paginator, plus: a window deeper than the gateway pages is halved.

    JD serves pages up to a maximum index (300 per a production integration). When a window's first page reports
    more orders than ``max_pages × page_size``, that page is dropped unseen, the window is split in two and both
    halves are read in order, so the stream stays sorted and nothing sits beyond the reachable pages.
    """

    def __init__(
        self,
        windows: Iterable[Window],
        page_size: int,
        *,
        max_pages: int,
        replication_value: Callable[[dict], int | None],
        logger: logging.Logger | None = None,
    ) -> None:
        self._queue = _WindowQueue(windows)
        super().__init__(self._queue, page_size, replication_value=replication_value, first_page=1, logger=logger)
        self.max_pages = max_pages
        self._split = False
        self.windows_split = 0

    def accept_page(self, total: int | None, records: list[dict]) -> bool:
        token = self.current_value
        if (
            token is not None
            and total is not None
            and token.page == self.first_page
            and total > self.max_pages * self.page_size
            and token.window_end - token.window_start > 1
        ):
            self._split = True
            self.logger.info(
                "Window %s .. %s holds %d orders, more than %d pages of %d: splitting it",
                format_epoch(token.window_start), format_epoch(token.window_end), total, self.max_pages, self.page_size,
            )
            return False
        return super().accept_page(total, records)

    def get_next(self, response: requests.Response) -> WindowPage | None:
        token = self.current_value
        if self._split and token is not None:
            self._split = False
            middle = (token.window_start + token.window_end) // 2
            self._queue.push_front(Window(middle, token.window_end))
            self.windows_split += 1
            return WindowPage(token.window_start, middle, self.first_page, token.scan)
        return super().get_next(response)


class OrdersStream(JdStream):
    """Orders from ``jingdong.pop.order.search`` (or ``enSearch``), items embedded, one tap config = one shop.

    Incremental on ``modified`` (status or waybill change, naive Beijing time) with ``dateType=0``, ascending, over
    sliding windows from the bookmark (or ``start_date``) to ``end_date``, pages from 1 to the end. Windows share
    their boundary second (``>=``: boundary rows are re-sent, never dropped).
    """

    name = "orders"
    primary_keys: t.ClassVar[list[str]] = ["venderId", "orderId"]
    replication_key = "modified"
    schema = StreamSchema(SCHEMAS)
    result_key = "searchorderinfo_result"
    # A STATE every ~20 full pages: a killed sync re-reads at most that much.
    STATE_MSG_FREQUENCY = 1_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: SplittingWindowPaginator | None = None

    @property
    def api_method(self) -> str:
        return p.ORDER_METHODS[str(self.config.get("order_api") or "search")]

    @property
    def is_sorted(self) -> bool:  # type: ignore[override]
        # sortType ascending is documented; that it sorts by the dateType field is inferred (fact sheet §3). With
        # trust_sort_order false the bookmark only advances when a whole sync succeeds.
        return bool(self.config.get("trust_sort_order", True))

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size") or p.DEFAULT_PAGE_SIZE)

    # ---- sync range
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = int(self.config.get("window_seconds") or 86_400)
        self._windows = list(sliding_windows(start, end, window_seconds))
        log_window_plan(self.logger, f"orders of shop {self.config['shop_id']} modified", start, end, self._windows, window_seconds)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("Orders sync done: %s; %d window(s) split", self._paginator.summary(), self._paginator.windows_split)

    # ---- paging and requests
    def get_new_paginator(self) -> SplittingWindowPaginator:
        self._paginator = SplittingWindowPaginator(
            self._windows,
            self.page_size,
            max_pages=int(self.config.get("max_pages_per_window") or p.DEFAULT_MAX_PAGES),
            replication_value=self._modified_epoch,
            logger=self.logger,
        )
        return self._paginator

    def _modified_epoch(self, record: dict) -> int | None:
        value = record.get(self.replication_key)
        return None if value in (None, "") else bookmark_to_epoch(value, zone=self.source_zone)

    def business_params(self, token: WindowPage) -> dict[str, t.Any]:
        """``360buy_param_json`` for one page; values as strings, like the official vector."""
        fields = list(self.config.get("optional_fields") or p.ORDER_FIELDS)
        fields += [f for f in p.REQUIRED_FIELDS if f not in fields]
        return {
            "start_date": p.format_local(token.window_start),
            "end_date": p.format_local(token.window_end),
            "order_state": ",".join(self.config.get("order_states") or p.ORDER_STATES),
            "optional_fields": ",".join(fields),
            "page": str(token.page),
            "page_size": str(self.page_size),
            "dateType": p.DATE_TYPE_MODIFIED,
            "sortType": p.SORT_ASCENDING,
        }

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowPage | None) -> dict[str, str]:  # noqa: ARG002
        if next_page_token is None:
            msg = f"{self.api_method} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        return {"method": self.api_method, p.PARAM_JSON: p.param_json(self.business_params(next_page_token))}

    def result_problem(self, result: dict, sent: Mapping[str, str]) -> str | None:
        # Without a usable total the last page cannot be told: never guess (it could drop orders).
        try:
            total = int(result.get("orderTotal"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"response has no integer 'orderTotal' ({result.get('orderTotal')!r})"
        orders = result.get("orderInfoList")
        if orders is None:
            orders = []
        if not isinstance(orders, list):
            return "response 'orderInfoList' is not a list"
        try:
            params = json.loads(sent.get(p.PARAM_JSON) or "{}")
            page, size = int(params["page"]), int(params["page_size"])
        except (KeyError, TypeError, ValueError):
            return None
        expected = max(0, min(size, total - (page - 1) * size))
        if len(orders) < expected:
            return f"page {page} holds {len(orders)} orders where orderTotal {total} implies {expected} (truncated page)"
        return None

    def records_from_result(self, result: dict) -> t.Iterable[dict]:
        records = result.get("orderInfoList") or []
        total = int(result.get("orderTotal"))
        if self._paginator is not None and not self._paginator.accept_page(total, records):
            return []
        return records

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        configured = str(self.config["shop_id"])
        vender = row.get("venderId")
        if vender in (None, ""):
            row["venderId"] = configured
        elif str(vender) != configured:
            msg = (
                f"{self.api_method} returned orders of vender {vender} but the config says shop_id {configured}: "
                "the access_token belongs to another shop; fix shop_id or access_token"
            )
            raise SourceAPIError(msg)
        return apply_pii_policy(row, JD_PII_POLICY, str(self.config["pii_salt"]))


#: Buyer identity in refund applications: account ids pseudonymised, the buyer's name nulled; the reviewer's
#: account (a shop employee) pseudonymised too, so reviews can still be counted per reviewer.
JD_REFUND_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"buyerName"}),
    hash_keys=frozenset({"buyerId", "buyerPin", "open_id_buyer", "xid_buyer", "checkUserName", "checkUsername"}),
)
#: Tap-added: the application's latest known change (later of applyTime, checkTime, modified), the bookmark field.
CHANGED_AT_KEY = "ol_changed_at"
_REFUND_TIME_KEYS = ("applyTime", "checkTime", "modified")
#: Ids JD may send as JSON numbers; emitted as exact text.
_REFUND_ID_KEYS = ("id", "orderId")


class RefundAppliesStream(JdStream):
    """Refund applications from ``jingdong.pop.afs.soa.refundapply.queryPageList``, one tap config = one shop.

    An application is created (``applyTime``) and later reviewed (``checkTime``), so one time filter cannot find
    both new applications and status changes. Each sync makes one pass per filter of ``refund_time_filters`` over
    the same range: ``applyTime`` windows find new applications, ``checkTime`` windows find reviews. The range
    starts at the bookmark minus ``refund_lookback_seconds``, which also re-reads status changes that move neither
    time (a finance review after the shop's). The bookmark is the end of the range both passes read (never a
    record time beyond it) and is committed only when every pass completed, so nothing between two syncs is
    skipped. The list's sort order is undocumented, so a window that changes while paging is re-read from its
    start, and a record found twice (by both passes, or by a re-read) is emitted once per sync.
    """

    name = "refund_applies"
    primary_keys: t.ClassVar[list[str]] = ["venderId", "id"]
    replication_key = CHANGED_AT_KEY
    is_sorted = False
    schema = StreamSchema(SCHEMAS)
    result_key = p.REFUND_RESULT_KEY
    business_failure_hint = (
        "check window_seconds, refund_page_size (<= 50), refund_max_pages_per_window (<= 100) and "
        "refund_time_filters in the tap config; set sync_refund_applies to false if the app lacks this API"
    )

    #: Config keys and request vocabulary of this list (the after-sale list shares the sync rules).
    sync_key = "sync_refund_applies"
    filters_key = "refund_time_filters"
    lookback_key = "refund_lookback_seconds"
    default_lookback = p.REFUND_DEFAULT_LOOKBACK_SECONDS
    max_pages_key = "refund_max_pages_per_window"
    default_max_pages = p.REFUND_DEFAULT_MAX_PAGES
    time_filters: t.ClassVar[dict[str, tuple[str, str]]] = p.REFUND_TIME_FILTERS
    rows_key = "result"
    page_key = "pageIndex"
    noun = "refund applications"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: SplittingWindowPaginator | None = None
        self._time_filter = next(iter(self.time_filters))
        self._range_end: int | None = None
        self._emitted: set[str] = set()

    @property
    def api_method(self) -> str:
        return p.METHOD_REFUND_APPLY_LIST

    @property
    def page_size(self) -> int:
        return int(self.config.get("refund_page_size") or p.REFUND_MAX_PAGE_SIZE)

    @property
    def window_seconds(self) -> int:
        """Never longer than the order stream's windows, nor than the current time filter allows."""
        return min(int(self.config.get("window_seconds") or 86_400), self.max_window_seconds(self._time_filter))

    def max_window_seconds(self, time_filter: str) -> int:  # noqa: ARG002, PLR6301
        return p.REFUND_MAX_WINDOW_SECONDS

    # ---- sync range
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        if not self.config.get(self.sync_key, True):
            self.logger.info("%s are not synced (%s is false)", self.noun.capitalize(), self.sync_key)
            return
        start, end = self.incremental_bounds(context)
        if self.get_starting_replication_key_value(context) is not None:
            start -= int(self.config.get(self.lookback_key, self.default_lookback))
        self._range_end = end
        for time_filter in self.config.get(self.filters_key) or list(self.time_filters):
            self._time_filter = str(time_filter)
            self._windows = list(sliding_windows(start, end, self.window_seconds))
            self.logger.info(
                "Syncing %s of shop %s by %s %s .. %s in %d window(s) of <= %d s",
                self.noun, self.config["shop_id"], self._time_filter, format_epoch(start), format_epoch(end),
                len(self._windows), self.window_seconds,
            )
            if self._windows:
                yield from super().get_records(context)  # a new paginator per pass
        # Every pass read the whole range: the next sync continues from its end (minus the look-back). The
        # stream is unsorted, so singer-sdk commits this bookmark only when the whole stream succeeded.
        if start < end:
            self.state_manager.increment_state({CHANGED_AT_KEY: p.format_local(end)}, context=context, replication_key=CHANGED_AT_KEY)

    def _increment_stream_state(self, latest_record: dict, *, context: Context | None = None) -> None:
        """Bookmark a record's change time, but never past the end of the range read (a review after the end
        of an apply-time pass must not move the next apply-time pass past unread applications)."""
        value = latest_record.get(CHANGED_AT_KEY)
        if value in (None, ""):
            return  # unparseable times: emitted (and quarantined downstream), never a bookmark
        if self._range_end is not None and p.parse_local(str(value)) > self._range_end:
            latest_record = {CHANGED_AT_KEY: p.format_local(self._range_end)}
        super()._increment_stream_state(latest_record, context=context)

    # ---- paging and requests
    def get_new_paginator(self) -> SplittingWindowPaginator:
        self._paginator = SplittingWindowPaginator(
            self._windows,
            self.page_size,
            max_pages=int(self.config.get(self.max_pages_key) or self.default_max_pages),
            # unknown sort order: a window that changed while paging is re-read from its start
            replication_value=lambda _record: None,
            logger=self.logger,
        )
        return self._paginator

    def business_params(self, token: WindowPage) -> dict[str, t.Any]:
        start_key, end_key = self.time_filters[self._time_filter]
        return {
            start_key: p.format_local(token.window_start),
            end_key: p.format_local(token.window_end),
            self.page_key: str(token.page),
            "pageSize": str(self.page_size),
        }

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowPage | None) -> dict[str, str]:  # noqa: ARG002
        if next_page_token is None:
            msg = f"{self.api_method} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        return {"method": self.api_method, p.PARAM_JSON: p.param_json(self.business_params(next_page_token))}

    def api_result_of(self, result: dict) -> dict:
        # queryResult carries success itself; error texts per integrations (errorMsg / resultInfo)
        detail = result.get("errorMsg") or result.get("resultInfo") or result.get("message")
        return {"success": result.get("success"), "chineseErrCode": detail, "numberCode": result.get("errorCode")}

    @staticmethod
    def total_of(result: dict) -> int | None:
        """``totalCount`` (four integrations and the doc notes); ``orderTotal`` as the fact sheet's source reads."""
        for key in ("totalCount", "orderTotal"):
            try:
                return int(result[key])
            except (KeyError, TypeError, ValueError):
                continue
        return None

    def result_problem(self, result: dict, sent: Mapping[str, str]) -> str | None:
        # Without a usable total the last page cannot be told: never guess (it could drop applications).
        total = self.total_of(result)
        if total is None:
            return f"response has no integer 'totalCount' ({result.get('totalCount')!r})"
        rows = result.get(self.rows_key)
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            return f"response '{self.rows_key}' is not a list"
        try:
            params = json.loads(sent.get(p.PARAM_JSON) or "{}")
            page, size = int(params[self.page_key]), int(params["pageSize"])
        except (KeyError, TypeError, ValueError):
            return None
        expected = max(0, min(size, total - (page - 1) * size))
        if len(rows) < expected:
            return f"page {page} holds {len(rows)} {self.noun} where totalCount {total} implies {expected} (truncated page)"
        return None

    def records_from_result(self, result: dict) -> t.Iterable[dict]:
        records = result.get(self.rows_key) or []
        if self._paginator is not None and not self._paginator.accept_page(self.total_of(result), records):
            return []
        return records

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        configured = str(self.config["shop_id"])
        vender = row.get("venderId")
        if vender in (None, ""):
            row["venderId"] = configured  # the method does not name the shop: the token's shop is the config's
        elif str(vender) != configured:
            msg = (
                f"{self.api_method} returned applications of vender {vender} but the config says shop_id "
                f"{configured}: the access_token belongs to another shop; fix shop_id or access_token"
            )
            raise SourceAPIError(msg)
        for key in _REFUND_ID_KEYS:
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                row[key] = str(row[key])  # exact: Python ints are never rounded
        row[CHANGED_AT_KEY] = changed_at(row)
        apply_pii_policy(row, JD_REFUND_PII_POLICY, str(self.config["pii_salt"]))
        # Found by both passes (or again after a rescan): emit each version once per sync.
        fingerprint = json.dumps(row, sort_keys=True, default=str)
        if fingerprint in self._emitted:
            return None
        self._emitted.add(fingerprint)
        return row


def changed_at(row: Mapping[str, t.Any]) -> str | None:
    """The latest of an application's applyTime, checkTime and modified (naive Beijing text), None if none parse."""
    times = []
    for key in _REFUND_TIME_KEYS:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            try:
                times.append(p.parse_local(value))
            except ValueError:
                continue
    return p.format_local(max(times)) if times else None


#: Buyer identity in after-sale services: account ids pseudonymised; the reviewer's name (a shop employee)
#: pseudonymised; the buyer's problem description (free text that may hold a phone number or address) nulled.
JD_AFTER_SALE_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"questionDesc", "customerName", "customerMobilePhone", "customerTel", "customerEmail"}),
    hash_keys=frozenset({"customerPin", "openIdBuyer", "xidBuyer", "approveName", "approvePin", "open_id_buyer", "xid_buyer"}),
)
SERVICE_BILL_KEY = "sameOrderServiceBill"
#: Times of a service: (object, key); the SDKs type them as Date, which JD sends as epoch milliseconds or text.
_AFTER_SALE_TIME_KEYS = ((SERVICE_BILL_KEY, "afsApplyTime"), (SERVICE_BILL_KEY, "approveDate"), (None, "completeTime"))
_BILL_ID_KEYS = ("serviceId", "afsApplyId", "orderId", "wareId")


def local_text_of(value: t.Any) -> t.Any:  # noqa: ANN401
    """An epoch-milliseconds time (a JSON number or digit string of 12+ digits) as naive Beijing text; other
    values as sent (a text time is already JD's naive Beijing form; anything else is quarantined downstream)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) >= 12):
        return p.format_local(int(value) // 1000)
    return value


class ServiceRefundsStream(RefundAppliesStream):
    """After-sale services and their refunds from ``jingdong.asc.serviceAndRefund.view`` (refunds after shipment).

    One record per service (``sameOrderServiceBill.serviceId``) with its refund: ``afsRefundId``,
    ``refoundAmount`` (the actual refund amount), ``status`` (13 refunded, 14 failed, else in progress) and
    ``completeTime``. The list filters by apply time (<= 7 days) or review time (<= 10 days) only, so the sync
    rules are the refund applications': one pass per filter, the bookmark at the end of the range, a look-back
    (default 15 days) that re-reads refunds completing after their review (which moves neither time).
    """

    name = "service_refunds"
    primary_keys: t.ClassVar[list[str]] = ["venderId", "serviceId"]
    schema = StreamSchema(SCHEMAS)
    result_key = p.AFTER_SALE_RESULT_KEY
    business_failure_hint = (
        "check window_seconds, after_sale_page_size (<= 50), after_sale_max_pages_per_window and "
        "after_sale_time_filters in the tap config; set sync_after_sales to false if the app lacks this API"
    )
    sync_key = "sync_after_sales"
    filters_key = "after_sale_time_filters"
    lookback_key = "after_sale_lookback_seconds"
    default_lookback = p.AFTER_SALE_DEFAULT_LOOKBACK_SECONDS
    max_pages_key = "after_sale_max_pages_per_window"
    default_max_pages = p.AFTER_SALE_DEFAULT_MAX_PAGES
    time_filters: t.ClassVar[dict[str, tuple[str, str]]] = p.AFTER_SALE_TIME_FILTERS
    rows_key = "data"
    page_key = "pageNumber"
    noun = "after-sale services"

    @property
    def api_method(self) -> str:
        return p.METHOD_AFTER_SALE_LIST

    @property
    def page_size(self) -> int:
        return int(self.config.get("after_sale_page_size") or p.AFTER_SALE_MAX_PAGE_SIZE)

    def max_window_seconds(self, time_filter: str) -> int:  # noqa: PLR6301
        return p.AFTER_SALE_MAX_WINDOW_SECONDS[time_filter]

    def api_result_of(self, result: dict) -> dict:
        # pageResult carries success, code ("00000" when fine) and msg itself
        return {"success": result.get("success"), "chineseErrCode": result.get("msg"), "numberCode": result.get("code")}

    @staticmethod
    def total_of(result: dict) -> int | None:
        try:
            return int(result["totalCount"])
        except (KeyError, TypeError, ValueError):
            return None

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        bill = row.get(SERVICE_BILL_KEY)
        if not isinstance(bill, dict) or bill.get("serviceId") in (None, ""):
            # Without a service id the record cannot be keyed or updated later: stop rather than drop it.
            msg = f"{self.api_method} returned an entry without {SERVICE_BILL_KEY}.serviceId; report a tap bug with the sync log"
            raise SourceAPIError(msg)
        for key in _BILL_ID_KEYS:
            if isinstance(bill.get(key), int) and not isinstance(bill.get(key), bool):
                bill[key] = str(bill[key])  # exact: Python ints are never rounded
        for key in ("afsRefundId", "status"):
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                row[key] = str(row[key])
        if row.get("refoundAmount") is not None and not isinstance(row["refoundAmount"], str):
            row["refoundAmount"] = str(row["refoundAmount"])  # Decimal or int, digit for digit
        for owner, key in _AFTER_SALE_TIME_KEYS:
            target = bill if owner else row
            if key in target:
                target[key] = local_text_of(target[key])
        row["serviceId"] = bill["serviceId"]
        row["orderId"] = bill.get("orderId")
        row["venderId"] = str(self.config["shop_id"])  # the token's shop: the method does not name it
        row[CHANGED_AT_KEY] = after_sale_changed_at(row)
        apply_pii_policy(row, JD_AFTER_SALE_PII_POLICY, str(self.config["pii_salt"]))
        fingerprint = json.dumps(row, sort_keys=True, default=str)
        if fingerprint in self._emitted:
            return None
        self._emitted.add(fingerprint)
        return row


def after_sale_changed_at(row: Mapping[str, t.Any]) -> str | None:
    """The latest of a service's apply, review and refund completion times (naive Beijing text), None if none parse."""
    bill = row.get(SERVICE_BILL_KEY) if isinstance(row.get(SERVICE_BILL_KEY), dict) else {}
    times = []
    for owner, key in _AFTER_SALE_TIME_KEYS:
        value = (bill if owner else row).get(key)
        if isinstance(value, str) and value.strip():
            try:
                times.append(p.parse_local(value))
            except ValueError:
                continue
    return p.format_local(max(times)) if times else None
