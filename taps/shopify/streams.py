"""Shopify streams: ``orders`` (REST, refunds embedded) and ``returns`` (Admin GraphQL, the same update windows)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import time
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.pagination import BaseAPIPaginator

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.fetching import ByIds
from orderlayer.taps.common.stream import exact_json
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import Window, sliding_windows
from orderlayer.taps.shopify import protocol as p
from orderlayer.taps.shopify.client import LinkPaginator, ShopifyStream, page_params
from orderlayer.taps.shopify.privacy import scrub_order, scrub_return

if t.TYPE_CHECKING:
    from urllib.parse import ParseResult

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.shopify") / "schemas")

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _instant(record: dict) -> dt.datetime | None:
    try:
        return p.parse_time(str(record["updated_at"]))
    except (KeyError, TypeError, ValueError):
        return None


def landed_order(row: dict, shop: str, salt: str) -> dict:
    """A REST order (from orders.json or an order webhook) as the orders stream lands it: stamped with its shop,
    personal data removed (in place)."""
    if row.get("shop_id") is None:
        row["shop_id"] = shop  # REST orders do not name their shop; one tap config is one shop
    elif str(row["shop_id"]) != shop:
        msg = f"an order of shop {row['shop_id']} arrived while syncing {shop}: check 'shop_id' and 'base_url'"
        raise SourceAPIError(msg)
    return scrub_order(row, salt)


class OrdersStream(ShopifyStream):
    """Orders of one shop from ``GET /admin/api/{version}/orders.json?status=any``, incremental on ``updated_at``.

    The range from the bookmark (minus ``lookback_seconds``) or ``start_date`` to ``end_date`` is cut into
    ``updated_at_min``/``updated_at_max`` windows (both inclusive on the platform, so windows share their
    boundary second: nothing is lost, a boundary order may be sent twice). Each window is paged to the end
    through the ``Link`` cursor; Shopify returns a window in id order, so its orders are sorted by the
    ``updated_at`` instant before they are emitted, and the stream is sorted across windows. Bookmarks are
    kept as UTC text: a shop's ``updated_at`` offset changes at every DST switch, so the raw text does not
    sort (see :meth:`_increment_stream_state`).
    """

    name = "orders"
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "id"]
    replication_key = "updated_at"
    is_sorted = True
    # singer-sdk compares bookmark text; ours is monotonic UTC text by construction (see below).
    check_sorted = False
    schema = StreamSchema(SCHEMAS)
    STATE_MSG_FREQUENCY = 1_000

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self._window: Window | None = None
        self._bookmark_utc: str | None = None
        self.pages = 0
        self.windows_completed = 0

    @property
    def path(self) -> str:  # type: ignore[override]
        return p.orders_path(self.api_version)

    @property
    def api_method(self) -> str:
        return f"GET orders.json ({p.shop_domain(self.shop)})"

    @property
    def page_size(self) -> int:
        return int(self.config.get("page_size", p.MAX_LIMIT))

    # ---- sync range
    def sync_range(self, context: Context | None) -> tuple[int, int]:
        start, end = self.incremental_bounds(context)
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark is not None:
            try:
                # Re-read (lookback) orders never move the bookmark back.
                self._bookmark_utc = p.utc_text(str(bookmark))
            except ValueError:
                self._bookmark_utc = None
        lookback = int(self.config.get("lookback_seconds", 300))
        if bookmark is not None and lookback:
            # Re-read a little before the bookmark: updates committed late on the platform side land there.
            start -= lookback
        return start, end

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.sync_range(context)
        window_seconds = int(self.config.get("window_seconds", 86_400))
        windows = list(sliding_windows(start, end, window_seconds))
        if not windows:
            self.logger.info("Nothing to sync: the range start %s is not before its end %s", format_epoch(start), format_epoch(end))
            return
        self.logger.info(
            "Syncing %s of %s updated %s .. %s in %d window(s) of <= %d s",
            self.name,
            p.shop_domain(self.shop),
            format_epoch(start),
            format_epoch(end),
            len(windows),
            window_seconds,
        )
        if start < time.time() - p.DEFAULT_HISTORY_DAYS * 86_400:
            self.logger.warning(
                "The sync reaches back more than %d days: Shopify returns older orders only to apps with the "
                "read_all_orders scope; without it they are silently missing",
                p.DEFAULT_HISTORY_DAYS,
            )
        carried: list[dict] = []
        for window in windows:
            self._window = window
            batch = carried + list(self.request_records(context))
            limit = dt.datetime.fromtimestamp(window.end, dt.timezone.utc)
            # An order updated while we paged may already carry a time past the window: it waits for the
            # next window so the stream stays sorted.
            carried = [r for r in batch if (_instant(r) or limit) > limit]
            ready = [r for r in batch if (_instant(r) or limit) <= limit]
            ready.sort(key=self._sort_key)
            self.windows_completed += 1
            yield from ready
        carried.sort(key=self._sort_key)
        yield from carried
        self.logger.info("%s sync done: %d window(s), %d page(s)", self.name, self.windows_completed, self.pages)

    @staticmethod
    def _sort_key(record: dict) -> tuple[dt.datetime, int]:
        order_id = record.get("id")
        return (_instant(record) or _FAR_FUTURE, order_id if isinstance(order_id, int) else 0)

    # ---- paging and requests
    def get_new_paginator(self) -> LinkPaginator:
        return LinkPaginator()

    def get_url_params(self, context: Context | None, next_page_token: ParseResult | None) -> dict[str, t.Any]:  # noqa: ARG002
        cursor = page_params(next_page_token)
        if cursor is not None:
            return cursor  # filters live in the cursor; only limit/fields may accompany page_info
        if self._window is None:
            msg = "orders.json needs a window; get_records sets one"
            raise RuntimeError(msg)
        return {
            "status": p.STATUS_ANY,
            "limit": self.page_size,
            "updated_at_min": p.format_time(self._window.start),
            "updated_at_max": p.format_time(self._window.end),
        }

    def body_problem(self, body: t.Any) -> str | None:  # noqa: ANN401
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            return "response has no 'orders' list"
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        self.pages += 1
        yield from self.payload(response)["orders"]

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        return landed_order(row, self.shop, str(self.config["pii_salt"]))

    def _increment_stream_state(self, latest_record: dict, *, context: Context | None = None) -> None:
        """Bookmark the greatest ``updated_at`` instant so far, as UTC text (monotonic and comparable)."""
        try:
            value = p.utc_text(str(latest_record[self.replication_key]))
        except (KeyError, TypeError, ValueError):
            return  # an unreadable time cannot move the bookmark; the record itself was emitted
        if self._bookmark_utc is None or value > self._bookmark_utc:
            self._bookmark_utc = value
        super()._increment_stream_state({self.replication_key: self._bookmark_utc}, context=context)


class GraphQLCursorPaginator(BaseAPIPaginator[str | None]):
    """A GraphQL connection's ``pageInfo {hasNextPage endCursor}``: the next ``after`` cursor, or the end."""

    def __init__(self, connection: str) -> None:
        super().__init__(None)
        self.connection = connection

    def get_next(self, response: requests.Response) -> str | None:
        page_info = exact_json(response)["data"][self.connection]["pageInfo"]
        return page_info.get("endCursor") if page_info.get("hasNextPage") else None

    def continue_if_empty(self, response: requests.Response) -> bool:
        # A page of orders without returns yields no record; it is not the end while the connection goes on.
        return self.get_next(response) is not None


class ReturnsStream(OrdersStream):
    """Returns (Admin GraphQL ``Order.returns``) of the orders updated in each window, one record per return.

    Shopify has no return list with its own update time: a return changes its order's ``updated_at``, so the
    stream sweeps the same ``updated_at`` windows as the orders (``orders(query: "updated_at:>=… AND
    updated_at:<=…", sortKey: UPDATED_AT)``, cursor-paged) and emits each order's returns stamped with the order's
    ``updatedAt`` (``updated_at``, the replication key), its id (``order_id``) and the shop. The bookmark, the
    look-back and the window order are the orders stream's.
    """

    name = "returns"
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "id"]
    schema = StreamSchema(SCHEMAS)
    payload_as_json = True

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self.http_method = "POST"

    @property
    def path(self) -> str:  # type: ignore[override]
        return p.graphql_path(self.api_version)

    @property
    def api_method(self) -> str:
        return f"POST graphql.json order returns ({p.shop_domain(self.shop)})"

    @property
    def http_headers(self) -> dict:
        return {"Accept": "application/json", "Content-Type": "application/json"}

    def get_new_paginator(self) -> GraphQLCursorPaginator:  # type: ignore[override]
        return GraphQLCursorPaginator("orders")

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:  # noqa: ANN401, ARG002
        return {}

    def prepare_request_payload(self, context: Context | None, next_page_token: str | None) -> dict:  # noqa: ARG002
        variables = {
            "first": min(self.page_size, p.MAX_GRAPHQL_FIRST),
            "after": next_page_token,
            "query": self.search(),
        }
        return {"query": p.RETURNS_QUERY, "variables": variables}

    def search(self) -> str:
        """The order search of the current request: the current ``updated_at`` window."""
        if self._window is None:
            msg = "the returns query needs a window; get_records sets one"
            raise RuntimeError(msg)
        return p.updated_search(self._window.start, self._window.end)

    def body_problem(self, body: t.Any) -> str | None:  # noqa: ANN401
        """GraphQL answers HTTP 200 with ``errors``: throttling is retried here, anything else is fatal."""
        if not isinstance(body, dict):
            return "response is not a GraphQL answer"
        errors = body.get("errors")
        if errors:
            codes = {str((e.get("extensions") or {}).get("code") or "") for e in errors if isinstance(e, dict)}
            text = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
            if codes & p.GRAPHQL_RETRY_CODES:
                # wait until the cost bucket holds this query again: (requested - available) / restore rate
                msg = f"{self.api_method}: GraphQL {', '.join(sorted(codes))}: {text}"
                raise SourceRetriableError(msg, retry_after=p.throttle_wait(body.get("extensions")))
            hint = next((p.GRAPHQL_HINTS[c] for c in sorted(codes) if c in p.GRAPHQL_HINTS), "report a tap bug with this message")
            msg = f"{self.api_method}: GraphQL error {', '.join(sorted(c for c in codes if c)) or ''} {self.redact(text)}. {hint}"
            raise SourceAPIError(msg)
        orders = (body.get("data") or {}).get("orders")
        if not isinstance(orders, dict) or not isinstance(orders.get("nodes"), list) or not isinstance(orders.get("pageInfo"), dict):
            return "response has no 'data.orders' connection"
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        self.pages += 1
        for order in self.payload(response)["data"]["orders"]["nodes"]:
            returns = order.get("returns") or {}
            if (returns.get("pageInfo") or {}).get("hasNextPage"):
                msg = (
                    f"order {order.get('legacyResourceId')} has more than {p.MAX_RETURNS_PER_ORDER} returns; the tap reads "
                    "that many per order: report this shop to the tap's maintainers"
                )
                raise SourceRetriableError(msg)
            for node in returns.get("nodes") or []:
                yield {
                    **node,
                    "id": p.gid_number(str(node.get("id"))),
                    "admin_graphql_api_id": node.get("id"),
                    "order_id": order.get("legacyResourceId") or p.gid_number(str(order.get("id"))),
                    "updated_at": order.get("updatedAt"),
                }

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        row["shop_id"] = self.shop
        return scrub_return(row, str(self.config["pii_salt"]))


# --------------------------------------------------------------------------- by id (what a push names)
class OrdersByIdStream(ByIds, OrdersStream):
    """The orders of given ids, as the orders stream lands them: ``GET orders.json?ids=…&status=any``, at most
    ``limit`` (250) ids per call, paged through ``Link``. Ids Shopify does not know (a deleted order, another shop's)
    are simply not in the answer."""

    ids_per_call = p.MAX_LIMIT

    def get_url_params(self, context: Context | None, next_page_token: ParseResult | None) -> dict[str, t.Any]:  # noqa: ARG002
        cursor = page_params(next_page_token)
        if cursor is not None:
            return cursor
        return {"ids": ",".join(self.chunk), "status": p.STATUS_ANY, "limit": p.MAX_LIMIT}


class ReturnsByOrderStream(ByIds, ReturnsStream):
    """The returns of given orders, as the returns stream lands them (stamped with each order's ``updatedAt``):
    the same GraphQL query with the search ``id:1 OR id:2 …``."""

    #: Orders named in one search string (the search's length limit is unconfirmed: kept modest).
    ids_per_call = 50

    def search(self) -> str:
        return p.ids_search(self.chunk)
