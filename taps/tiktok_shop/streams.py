"""TikTok Shop streams: ``orders`` (the order search), ``returns`` and ``cancellations`` (the Return & Refund API's
return and cancellation searches), and the authorised-shops lookup they may need. The searches page the same way:
:class:`UpdateTimeSearchStream`."""

from __future__ import annotations

import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.pagination import SinglePagePaginator

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.paging import WindowCursor, WindowedCursorPaginator
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy, is_masked
from orderlayer.taps.common.fetching import ByIds
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, sliding_windows
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.client import TikTokShopStream, as_optional_int

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.tiktok_shop") / "schemas")

#: Architecture principle 6 for TikTok Shop (sheet §7 "Buyer and PII"): address lines, names and
#: post codes are nulled, free text from the buyer and Brazil's CPF too; buyer ids are pseudonymised.
TIKTOK_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"buyer_message", "cpf", "cpf_name"}),
    within={
        "recipient_address": PiiPolicy(
            drop_keys=frozenset({
                "full_address", "address_detail", "address_line1", "address_line2", "address_line3", "address_line4",
                "address_line_list", "first_name", "last_name", "first_name_local_script", "last_name_local_script",
                "zipcode", "postal_code", "delivery_preferences",
            }),
            # TikTok sends these masked (``(+1)213*****34``, ``J***n``): kept only while they carry a mask.
            keep_only_if={"name": is_masked, "phone": is_masked},
        ),
    },
    hash_keys=frozenset({"user_id", "buyer_email"}),
)


#: A return record: the buyer's own words (``buyer_remarks``, free text) and any address are dropped; the platform's
#: reason code and label (``return_reason``, ``return_reason_text``) stay.
TIKTOK_RETURN_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"buyer_remarks", "return_warehouse_address", "buyer_address"}),
    hash_keys=frozenset({"user_id", "buyer_user_id"}),
)


def scrub_order(order: dict, salt: str) -> dict:
    """Apply :data:`TIKTOK_PII_POLICY` (in place)."""
    return apply_pii_policy(order, TIKTOK_PII_POLICY, salt)


def scrub_return(record: dict, salt: str) -> dict:
    """Apply :data:`TIKTOK_RETURN_PII_POLICY` (in place)."""
    return apply_pii_policy(record, TIKTOK_RETURN_PII_POLICY, salt)


class AuthorizedShopsStream(TikTokShopStream):
    """``GET /authorization/202309/shops``: the shops the token may act for, with their ``cipher``.

    Not offered in the catalog: the orders stream calls it once when the config names ``shop_id``
    but not ``shop_cipher`` (the order search needs the cipher).
    """

    name = "authorized_shops"
    path = p.AUTHORIZED_SHOPS_PATH
    primary_keys: t.ClassVar[list[str]] = ["id"]
    schema: t.ClassVar[dict] = {"type": "object", "properties": {"id": {"type": "string"}, "cipher": {"type": "string"}}}

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap, http_method="GET")

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes | None:  # noqa: ANN401, ARG002
        return None

    def data_problem(self, data: dict) -> str | None:
        return None if isinstance(data.get("shops"), list) else "response has no 'shops' list"

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        return data.get("shops") or []


class UpdateTimeSearchStream(TikTokShopStream):
    """A search incremental on ``update_time`` (orders, returns).

    ``sort_field=update_time, sort_order=ASC`` over consecutive windows ``[update_time_ge, update_time_lt)`` from the
    bookmark (minus ``lookback_seconds``, for records the search index shows late) or ``start_date`` to
    ``end_date``. Rows ascend within a window and windows ascend, so a killed sync resumes from the last bookmark
    it committed. A subclass names its path, the list in ``data`` (``records_key``) and its per-record processing.
    """

    replication_key = "update_time"
    is_sorted = True
    #: The list of records in the answer's ``data``.
    records_key: t.ClassVar[str]
    # A STATE about every 20 full pages: a killed sync re-reads at most that much.
    STATE_MSG_FREQUENCY = 2_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._windows: list[Window] = []
        self._paginator: WindowedCursorPaginator | None = None
        if not self._connection.shop_cipher:
            self._connection.shop_cipher = self.config.get("shop_cipher") or None

    @property
    def check_sorted(self) -> bool:
        # The look-back re-reads rows below the saved bookmark on purpose; rows still ascend within a run.
        return False

    # ---- shop and range
    def shop_cipher(self) -> str:
        """The configured cipher, or the one ``GET /authorization/202309/shops`` lists for ``shop_id``."""
        if self._connection.shop_cipher is None:
            shop_id = str(self.config["shop_id"])
            shops = list(AuthorizedShopsStream(self._tap).request_records(None))
            match = next((s for s in shops if str(s.get("id")) == shop_id), None)
            if match is None or not match.get("cipher"):
                known = ", ".join(sorted(str(s.get("id")) for s in shops)) or "none"
                msg = (
                    f"the access token is not authorised for shop_id {shop_id} (it may act for: {known}); "
                    "fix 'shop_id' or 'access_token', or set 'shop_cipher'"
                )
                raise SourceAPIError(msg)
            self._connection.shop_cipher = str(match["cipher"])
        return self._connection.shop_cipher

    def sync_range(self, context: Context | None) -> tuple[int, int]:
        start, end = self.incremental_bounds(context)
        if self.get_context_state(context).get("replication_key_value") is not None:  # a bookmark, not start_date
            # Re-read a little before the bookmark: an order can reach the search index after a later one.
            start -= int(self.config.get("lookback_seconds", 300))
        return start, end

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.sync_range(context)
        window_seconds = int(self.config.get("window_seconds", 86_400))
        self._windows = list(sliding_windows(start, end, window_seconds))
        if not self._windows:
            self.logger.info("Nothing to sync: the start %s is not before the end %s", format_epoch(start), format_epoch(end))
            return
        self.shop_cipher()
        self.logger.info(
            "Syncing %s of shop %s updated %s .. %s in %d window(s) of <= %d s",
            self.name,
            self.config["shop_id"],
            format_epoch(start),
            format_epoch(end),
            len(self._windows),
            window_seconds,
        )
        yield from super().get_records(context)
        if self._paginator is not None:
            self.logger.info("%s sync done: %s", self.name, self._paginator.summary())

    # ---- paging and requests
    def get_new_paginator(self) -> WindowedCursorPaginator:
        self._paginator = WindowedCursorPaginator(
            self._windows,
            replication_value=lambda record: int(record[self.replication_key]),
            detect_drift=bool(self.config.get("rescan_on_total_change", True)),
            logger=self.logger,
        )
        return self._paginator

    def get_url_params(self, context: Context | None, next_page_token: WindowCursor | None) -> dict[str, t.Any]:  # noqa: ARG002
        params: dict[str, t.Any] = {
            "shop_cipher": self.shop_cipher(),
            "page_size": int(self.config.get("page_size", 50)),
            "sort_field": "update_time",
            "sort_order": "ASC",
        }
        if next_page_token is not None and next_page_token.page_token:
            params["page_token"] = next_page_token.page_token
        return params

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowCursor | None) -> bytes:  # noqa: ARG002
        if next_page_token is None:
            msg = f"the {self.name} search needs a window; the paginator yielded none"
            raise RuntimeError(msg)
        # The filters must stay identical across the pages of one cursor (sheet §4).
        return p.canonical_body({"update_time_ge": next_page_token.window_start, "update_time_lt": next_page_token.window_end})

    def data_problem(self, data: dict) -> str | None:
        records = data.get(self.records_key)
        if records is not None and not isinstance(records, list):
            return f"response '{self.records_key}' is not a list"
        token = data.get("next_page_token")
        if token is not None and not isinstance(token, str):
            return "response 'next_page_token' is not a string"
        return None

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        records = data.get(self.records_key) or []
        total = as_optional_int(data.get("total_count"), "total_count")
        if self._paginator is not None and not self._paginator.accept_page(total, data.get("next_page_token") or "", records):
            return []
        return records


class OrdersStream(UpdateTimeSearchStream):
    """Orders from ``POST /order/202309/orders/search``, line items embedded."""

    name = "orders"
    path = p.ORDER_SEARCH_PATH
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "id"]
    records_key = "orders"
    schema = StreamSchema(SCHEMAS)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        configured = str(self.config["shop_id"])
        if row.get("shop_id") not in (None, configured):
            msg = (
                f"the order search returned orders of shop {row['shop_id']} but the config says shop_id {configured}: "
                "'shop_cipher' or 'access_token' belongs to another shop; fix the config"
            )
            raise SourceAPIError(msg)
        row["shop_id"] = configured
        return scrub_order(row, str(self.config["pii_salt"]))


class AfterSaleSearchStream(UpdateTimeSearchStream):
    """A Return & Refund API search (returns, cancellations): its requests name no shop, so the configured
    ``shop_id`` is stamped on each (the cipher chose the shop), and the buyer's own words are dropped."""

    schema = StreamSchema(SCHEMAS)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        row["shop_id"] = str(self.config["shop_id"])
        return scrub_return(row, str(self.config["pii_salt"]))


class ReturnsStream(AfterSaleSearchStream):
    """After-sale requests from ``POST /return_refund/202309/returns/search`` (refund only, return and refund,
    replacement), their line items embedded; incremental on the return's own ``update_time``."""

    name = "returns"
    path = p.RETURN_SEARCH_PATH
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "return_id"]
    records_key = "return_orders"


class CancellationsStream(AfterSaleSearchStream):
    """Cancellation requests from ``POST /return_refund/202309/cancellations/search`` (before shipment: the buyer's
    request, the seller's cancellation, a cancelled line), their line items embedded; incremental on the request's
    own ``update_time``."""

    name = "cancellations"
    path = p.CANCELLATION_SEARCH_PATH
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "cancel_id"]
    records_key = "cancellations"


# --------------------------------------------------------------------------- by id (what a push names)
class OrdersByIdStream(ByIds, OrdersStream):
    """The orders of given ids, as the orders stream lands them: Get Order Detail (``GET /order/202309/orders
    ?ids=…``), :data:`~orderlayer.taps.tiktok_shop.protocol.MAX_DETAIL_IDS` ids per call, signed by the tap's
    authenticator. Ids TikTok does not know are not in the answer."""

    path = p.ORDER_DETAIL_PATH
    ids_per_call = p.MAX_DETAIL_IDS

    def __init__(self, tap: t.Any, ids: t.Sequence[str]) -> None:  # noqa: ANN401
        super().__init__(tap, ids)
        self.http_method = "GET"

    def before_chunk(self) -> None:
        self.shop_cipher()

    def get_new_paginator(self) -> SinglePagePaginator:  # type: ignore[override]
        return SinglePagePaginator()

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        return {"shop_cipher": self.shop_cipher(), "ids": ",".join(self.chunk)}

    def prepare_request_payload(self, context: Context | None, next_page_token: t.Any) -> bytes | None:  # noqa: ANN401, ARG002
        return None

    def data_problem(self, data: dict) -> str | None:
        return None if isinstance(data.get("orders", []), list) else "response 'orders' is not a list"

    def records_from_data(self, data: dict) -> t.Iterable[dict]:
        return data.get("orders") or []


class ByOrderSearch(ByIds, AfterSaleSearchStream):
    """An after-sale search for the records of given orders (body ``{"order_ids": […]}``, every update time), as
    the search stream lands them, paged by its cursor."""

    ids_per_call = p.MAX_DETAIL_IDS

    def before_chunk(self) -> None:
        self.shop_cipher()
        self._windows = [Window(0, 0)]  # one pass per chunk: the cursor pages it; the body names orders, not times

    def prepare_request_payload(self, context: Context | None, next_page_token: WindowCursor | None) -> bytes:  # noqa: ARG002
        return p.canonical_body({"order_ids": self.chunk})


class ReturnsByOrderStream(ByOrderSearch, ReturnsStream):
    """The returns of given orders (the returns search by ``order_ids``)."""


class CancellationsByOrderStream(ByOrderSearch, CancellationsStream):
    """The cancellations of given orders (the cancellation search by ``order_ids``)."""
