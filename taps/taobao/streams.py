"""Taobao streams: one class per stream (``orders`` = trades with their sub-orders, ``refunds``)."""

from __future__ import annotations

import importlib.resources
import time
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.fetching import IdPaginator
from orderlayer.taps.common.paging import BackwardPage, BackwardWindowPaginator
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy, is_masked
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, log_window_plan, sliding_windows
from orderlayer.taps.taobao import protocol as p
from orderlayer.taps.taobao.client import TaobaoStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.taobao") / "schemas")

#: Trade fields requested by default (config ``fields``). ``orders`` returns every sub-order field.
DEFAULT_FIELDS: tuple[str, ...] = (
    "tid", "tid_str", "type", "status", "step_trade_status", "step_paid_fee",
    "created", "pay_time", "modified", "consign_time", "end_time", "est_con_time",
    "payment", "total_fee", "post_fee", "discount_fee", "adjust_fee", "received_payment",
    "paid_coupon_fee", "coupon_fee", "platform_subsidy_fee", "order_tax_fee",
    "seller_nick", "buyer_nick", "buyer_open_uid", "oaid",
    "receiver_name", "receiver_mobile", "receiver_phone", "receiver_state", "receiver_city",
    "receiver_district", "receiver_town", "receiver_address", "receiver_zip",
    "shipping_type", "trade_from", "buyer_message", "seller_flag", "orders",
)  # fmt: skip

#: Sent as ``type`` by default (config ``trade_types``). Without ``type`` TOP searches only
#: guarantee_trade, auto_delivery, ec, cod and step: fixed-price, Tmall global and O2O trades would be
#: silently missing (fact sheet §3). Values from the TOP type vocabulary.
DEFAULT_TRADE_TYPES: tuple[str, ...] = (
    "fixed", "auction", "guarantee_trade", "step", "independent_simple_trade", "independent_shop_trade",
    "auto_delivery", "ec", "cod", "fenxiao", "game_equipment", "shopex_trade", "netcn_trade",
    "external_trade", "o2o_offlinetrade", "nopaid", "pre_auth_type", "tmall_i18n",
)  # fmt: skip

#: Receiver fields that are masked in list answers (``张**``, ``138****1234``) but plaintext for apps with
#: decrypt rights: a value without ``*`` is plaintext and is nulled; the OAID (an opaque id) is kept.
MASK_OR_NULL = frozenset({"receiver_name", "receiver_mobile", "receiver_phone", "receiver_address"})

#: Architecture principle 6 for Taobao (fact sheet §5 "PII"): buyer identifiers are pseudonymised
#: (salted hash); receiver fields are kept only as the platform's masks (see ``MASK_OR_NULL``).
TAOBAO_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"buyer_email", "buyer_alipay_no", "receiver_id_card", "id_card_no"}),
    hash_keys=frozenset({"buyer_nick", "buyer_open_uid", "donee_nick", "donee_open_uid"}),
    keep_only_if=dict.fromkeys(MASK_OR_NULL, is_masked),
)


def trades_of(body: dict) -> t.Any:  # noqa: ANN401
    """The trade list of a ``*_response`` object: ``{"trades": {"trade": [...]}}`` (absent when empty)."""
    trades = body.get("trades")
    if trades is None:
        return []
    if isinstance(trades, dict):
        trades = trades.get("trade", [])
    return trades


def sub_orders(trade: dict) -> list:
    """``orders.order[]`` of a trade (a list either way)."""
    orders = trade.get("orders")
    if isinstance(orders, dict):
        orders = orders.get("order")
    return orders if isinstance(orders, list) else []


def id_text(value: t.Any) -> t.Any:  # noqa: ANN401
    """An id as text: JSON numbers (exact Python ints) become their digits; anything else is left as sent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def trade_id(trade: dict) -> t.Any:  # noqa: ANN401
    """The trade id as text: ``tid_str`` when it is a digit string (always exact), else ``tid`` as sent
    (a JSON number becomes its digits; a missing id stays None and staging quarantines the record)."""
    tid_str = trade.get("tid_str")
    if isinstance(tid_str, str) and tid_str.isdigit():
        return tid_str
    return id_text(trade.get("tid"))


def modified_epoch(trade: dict) -> int | None:
    try:
        return p.parse_time(str(trade["modified"]))
    except (KeyError, ValueError):
        return None


class OrdersStream(TaobaoStream):
    """Trades sold by the shop, sub-orders embedded, from ``taobao.trades.sold.increment.get``.

    Incremental on ``modified`` (naive Beijing time, the replication key and bookmark) over windows of at
    most one day (config ``window_seconds``, default 30 minutes as the docs recommend), each paged
    backwards (see :class:`~orderlayer.taps.common.paging.BackwardWindowPaginator`) and emitted oldest first: the
    stream is sorted, and a killed sync resumes from the last bookmark it committed (``>=``: that second is re-read,
    never skipped). TOP serves a window's trades by ``modified`` descending and its docs prescribe paging from the
    last page; the last page is known only from ``total_results`` (hence ``use_has_next=false``). Whether a range's
    end is inclusive is unconfirmed, so each window is buffered and de-duplicated by ``tid`` (``key_of``).
    """

    name = "orders"
    top_method = p.METHOD_INCREMENT
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "tid"]
    replication_key = "modified"
    is_sorted = True
    schema = StreamSchema(SCHEMAS)
    # A STATE every ~25 full pages: a killed sync re-reads at most that much.
    STATE_MSG_FREQUENCY = 1_000
    #: What the records are called in logs.
    noun = "trades"

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: BackwardWindowPaginator | None = None

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.DEFAULT_PAGE_SIZE))

    # ---- sync range
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        window_seconds = min(int(self.config.get("window_seconds", p.RECOMMENDED_WINDOW_SECONDS)), p.MAX_WINDOW_SECONDS)
        if start < time.time() - p.HORIZON_DAYS * 86_400:
            self.logger.warning(
                "The sync starts at %s, more than %d days ago: taobao.trades.sold.increment.get only reaches three "
                "months back, older changes cannot be fetched",
                format_epoch(start),
                p.HORIZON_DAYS,
            )
        self._windows = list(sliding_windows(start, end, window_seconds))
        what = f"{self.noun} of shop {self.config['shop_id']} modified (Beijing)"
        log_window_plan(self.logger, what, start, end, self._windows, window_seconds, show=p.format_time)
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("%s sync done: %s", self.noun.capitalize(), self._paginator.summary())

    # ---- paging and requests
    def get_new_paginator(self) -> BackwardWindowPaginator:
        self._paginator = BackwardWindowPaginator(
            self._windows,
            self.page_size,
            replication_value=modified_epoch,
            key_of=self.key_of,
            max_stalled_rescans=5,
            stall_hint="the window reaches the present: raise 'safety_lag_seconds' or set an 'end_date' in the past, and retry",
            logger=self.logger,
        )
        return self._paginator

    @staticmethod
    def key_of(row: dict) -> str:
        """A record's identity within a window (boundary re-reads are de-duplicated by it)."""
        return str(trade_id(row))

    @staticmethod
    def rows_of(body: dict) -> t.Any:  # noqa: ANN401
        """The page's records in the ``*_response`` object."""
        return trades_of(body)

    def prepare_request_payload(self, context: Context | None, next_page_token: BackwardPage | None) -> dict[str, t.Any]:  # noqa: ARG002
        if next_page_token is None:
            msg = f"{self.top_method} needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        return self.business_params(next_page_token)

    def business_params(self, token: BackwardPage) -> dict[str, t.Any]:
        """The call's business parameters for one page of one window."""
        params: dict[str, t.Any] = {
            "fields": ",".join(self.config.get("fields") or DEFAULT_FIELDS),
            "start_modified": p.format_time(token.window_start),
            "end_modified": p.format_time(token.window_end),
            "page_no": token.page,
            "page_size": self.page_size,
            # The total is needed to start from the last page (has_next paging only goes forward).
            "use_has_next": "false",
        }
        types = self.config.get("trade_types", list(DEFAULT_TRADE_TYPES))
        if types:
            params["type"] = ",".join(types)
        return params

    def data_problem(self, body: dict) -> str | None:
        trades = self.rows_of(body)
        if not isinstance(trades, list) or not all(isinstance(x, dict) for x in trades):
            return f"the answer's {self.noun} are not a list of records"
        total = body.get("total_results")
        if total is None and not trades:
            return None  # an empty window may omit the count
        try:
            total = int(total)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            # Without a usable total the last page is unknown: never guess (it could drop records).
            return f"answer has no integer 'total_results' ({total!r})"
        if self._paginator is not None:
            expected = self._paginator.expected_rows(total)
            if len(trades) < expected or len(trades) > self.page_size:
                return f"page holds {len(trades)} of the {self.noun}, expected {expected} for total_results {total} (truncated)"
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        body = self.result(response)
        trades = self.rows_of(body)
        total = int(body.get("total_results") or 0)
        if self._paginator is None:
            return trades
        return self._paginator.accept_page(total, trades) or []

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        # Ids as text (a JSON-number tid is exact here, as a Python int, and must stay so downstream).
        if row.get("tid") is not None or row.get("tid_str") is not None:
            row["tid"] = trade_id(row)
        for order in sub_orders(row):
            if isinstance(order, dict) and "oid" in order:
                order["oid"] = id_text(order["oid"])
        self.check_seller(row)
        row["shop_id"] = str(self.config["shop_id"])
        return apply_pii_policy(row, TAOBAO_PII_POLICY, str(self.config["pii_salt"]))

    def check_seller(self, row: dict) -> None:
        """A record of another seller than the configured one means the session belongs to another shop."""
        expected_nick = self.config.get("seller_nick")
        if expected_nick and row.get("seller_nick") not in (None, expected_nick):
            msg = (
                f"{self.top_method} returned {self.noun} of seller {row['seller_nick']!r} but the config says "
                f"seller_nick {expected_nick!r}: the session (access_token) belongs to another shop; fix shop_id / "
                "seller_nick or access_token"
            )
            raise SourceAPIError(msg)

    def _increment_stream_state(self, latest_record: dict, *, context: Context | None = None) -> None:
        # A record whose `modified` is unreadable is still emitted (staging quarantines it) but must not
        # become the bookmark: it would break the string order the sorted-stream check relies on.
        if modified_epoch(latest_record) is None:
            self.logger.warning("Record %s has an unreadable 'modified' (%r); bookmark not advanced", self.key_of(latest_record), latest_record.get("modified"))
            return
        super()._increment_stream_state(latest_record, context=context)


#: Refund list fields requested: every field the list documents.
REFUND_FIELDS: tuple[str, ...] = (
    "refund_id", "tid", "oid", "title", "num", "buyer_nick", "seller_nick", "total_fee", "payment", "refund_fee",
    "status", "created", "modified", "order_status", "good_status", "has_good_return", "reason", "desc",
    "company_name", "sid", "refund_phase", "refund_version",
)  # fmt: skip

#: The buyer's nick is pseudonymised; ``desc`` is the buyer's own words (may hold a phone number or address):
#: nulled. The platform's ``reason`` label is kept.
TAOBAO_REFUND_PII_POLICY = PiiPolicy(drop_keys=frozenset({"desc"}), hash_keys=frozenset({"buyer_nick", "buyer_open_uid"}))


class RefundsStream(OrdersStream):
    """Refunds the shop received, one per sub-order refund, from ``taobao.refunds.receive.get``.

    Incremental on the refund's own ``modified`` (naive Beijing time) over the trades' windows (at most one day)
    and backward paging with ``total_results``: the list's order is undocumented, the paginator reads each window
    whole and emits it oldest first, de-duplicated by ``refund_id``. A refund months after its trade is found by
    its own change, whatever the trade's window.
    """

    name = "refunds"
    top_method = p.METHOD_REFUNDS
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "refund_id"]
    replication_key = "modified"
    schema = StreamSchema(SCHEMAS)
    noun = "refunds"

    @staticmethod
    def key_of(row: dict) -> str:
        return str(id_text(row.get("refund_id")))

    @staticmethod
    def rows_of(body: dict) -> t.Any:  # noqa: ANN401
        rows = body.get("refunds")
        if rows is None:
            return []
        return rows.get("refund", []) if isinstance(rows, dict) else rows

    def business_params(self, token: BackwardPage) -> dict[str, t.Any]:
        return {
            "fields": ",".join(REFUND_FIELDS),
            "start_modified": p.format_time(token.window_start),
            "end_modified": p.format_time(token.window_end),
            "page_no": token.page,
            "page_size": self.page_size,
            "use_has_next": "false",
        }

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        if row.get("refund_id") in (None, ""):
            # Without its id a refund cannot be keyed or updated later: stop rather than drop it.
            msg = f"{self.top_method} returned a refund without refund_id; report a tap bug with the sync log"
            raise SourceAPIError(msg)
        for key in ("refund_id", "tid", "oid"):
            row[key] = id_text(row.get(key))  # exact text; JSON numbers are exact Python ints here
        self.check_seller(row)
        row["shop_id"] = str(self.config["shop_id"])
        return apply_pii_policy(row, TAOBAO_REFUND_PII_POLICY, str(self.config["pii_salt"]))


class TradeDetailStream(OrdersStream):
    """``taobao.trade.fullinfo.get`` for the trades TMC messages name (consumer.py): one call per ``tid`` with the
    list's ``fields``, through the tap's signer, budget and retries. Not a stream of the tap: the tap's ``orders``
    stream post-processes what it returns (taps/common/fetching.py), so a fetched trade is the trade a sync lands.
    A tid the seller does not have (``isv.trade-not-exist``) is left out: the reconcile poll is the safety net."""

    top_method = p.METHOD_FULLINFO

    def __init__(self, tap: t.Any, tids: t.Sequence[str]) -> None:  # noqa: ANN401
        super().__init__(tap)
        self.tids = list(tids)

    def get_new_paginator(self) -> IdPaginator:  # type: ignore[override]
        return IdPaginator(len(self.tids))

    def prepare_request_payload(self, context: Context | None, next_page_token: int | None) -> dict[str, t.Any]:  # type: ignore[override]  # noqa: ARG002
        return {"fields": ",".join(self.config.get("fields") or DEFAULT_FIELDS), "tid": self.tids[next_page_token or 0]}

    def validate_response(self, response: requests.Response) -> None:
        if self._unknown_trade(response):
            return
        super().validate_response(response)

    def _unknown_trade(self, response: requests.Response) -> bool:
        try:
            payload = self.payload(response)
        except ValueError:
            return False  # validate_response retries a body that is not JSON
        error = payload.get("error_response") if isinstance(payload, dict) else None
        return isinstance(error, dict) and error.get("sub_code") == p.SUB_TRADE_NOT_EXIST

    def data_problem(self, body: dict) -> str | None:  # noqa: PLR6301
        trade = body.get("trade")
        return None if trade is None or isinstance(trade, dict) else "the answer's trade is not a record"

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        if self._unknown_trade(response):
            return []
        trade = self.result(response).get("trade")
        return [trade] if isinstance(trade, dict) else []
