"""Ele.me retail streams: ``orders`` (``order.get`` per order listed by ``order.list``).

Ele.me, like Meituan, pushes orders to the merchant (``order.create`` / ``order.status.push``); the pull
is ``order.list`` (orders of a shop between ``start_time`` and ``end_time``) and ``order.get`` per order.
Which time ``order.list`` filters on is unconfirmed; the detail carries no update time at all. An
incremental sync therefore lists the windows from ``bookmark - lookback_days`` to the sync end and emits
every listed order's current detail (the loader stores a version once per distinct record, so unchanged
orders cost nothing downstream). The bookmark is the newest ``create_time`` seen; a change to an order
created more than ``lookback_days`` before it is not seen again.
"""

from __future__ import annotations

import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.common.windows import sliding_windows
from orderlayer.taps.eleme import protocol as p
from orderlayer.taps.eleme.client import ElemeListPaginator, ElemeStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.eleme") / "schemas")
DAY = 86_400

#: Principle 6 for Ele.me (fact sheet §B3 "PII"): the buyer's name, street address and exact location,
#: the rider's phone and the invoice tax id are nulled; the buyer phone (a privacy number when
#: ``is_private`` = 1) is salted-hashed — the only buyer identifier the order carries. Masks are derived
#: first (``user.name_masked`` / ``user.phone_masked``, by the one masking rule of ``taps/common/pii.py``).
ELEME_PII_POLICY = PiiPolicy(
    drop_keys=frozenset({"delivery_phone", "taxer_id"}),
    within={"user": PiiPolicy(drop_keys=frozenset({"name", "address", "coord"}))},
    hash_keys=frozenset({"phone"}),
    masks=(
        Mask("phone", ("phone",), "phone_masked", within="user"),
        Mask("name", ("name",), "name_masked", within="user"),
    ),
)


def as_epoch(value: t.Any) -> int | None:  # noqa: ANN401
    """Ele.me sends Unix seconds as strings ("1539718127"); None when absent or not a number."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class OrdersStream(ElemeStream):
    """One record per order: ``order.get`` data as sent (``source``, ``shop``, ``order``, ``user``,
    ``products``, ``discount``), plus ``part_refunds`` (the ``order.partrefund.get`` list, attached by the
    tap) and three top-level keys the tap copies for keys and bookmarks: ``order_id``, ``shop_id``,
    ``create_time`` (``order.order_id``, the configured shop, ``order.create_time`` as an integer)."""

    name = "orders"
    path = p.CMD_ORDER_GET
    primary_keys: t.ClassVar[list[str]] = ["shop_id", "order_id"]
    replication_key = "create_time"
    # Windows ascend but the list order inside one is unconfirmed: the bookmark is committed when the
    # sync completes (a killed sync resumes from the previous bookmark).
    is_sorted = False
    schema = StreamSchema(SCHEMAS)

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self.paginator: ElemeListPaginator | None = None

    @property
    def shop_id(self) -> str:
        return str(self.config["shop_id"])

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        lookback = int(self.config.get("lookback_days", 3))
        window_seconds = int(self.config.get("window_seconds", DAY))
        windows = list(sliding_windows(max(0, start - lookback * DAY), end, window_seconds))
        if not windows:
            self.logger.info("Nothing to sync: the bookmark %s is after the end %s", format_epoch(start), format_epoch(end))
            return
        self.logger.info(
            "Syncing shop %s: orders listed %s .. %s in %d window(s) of <= %d s (bookmark %s minus %d lookback day(s))",
            self.shop_id,
            format_epoch(windows[0].start),
            format_epoch(end),
            len(windows),
            window_seconds,
            format_epoch(start),
            lookback,
        )
        self.paginator = paginator = ElemeListPaginator(
            windows, int(self.config.get("page_size", 20)), first_page=1, replication_value=lambda _r: None, logger=self.logger
        )
        seen: set[str] = set()
        while not paginator.finished:
            token = paginator.current_value
            data = self.call(
                p.CMD_ORDER_LIST,
                {"shop_id": self.shop_id, "start_time": token.window_start, "end_time": token.window_end, "page": token.page},
                context,
            )
            items = data.get("list") or []
            if paginator.accept_list_page(_opt_int(data.get("total")), _opt_int(data.get("pages")), items):
                for item in items:
                    order_id = str(item["order_id"])
                    if order_id in seen:
                        continue  # listed again after a rescan or on a shared window boundary
                    seen.add(order_id)
                    yield self.order_record(order_id, context)
            paginator.advance(None)  # type: ignore[arg-type]  # the paginator reads no response
        self.logger.info(
            "Orders sync done: %d order(s) in %d window(s), %d page(s), %d rescan(s); calls: %s",
            len(seen),
            paginator.windows_completed,
            paginator.pages_accepted,
            paginator.rescans,
            ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items())),
        )

    def order_record(self, order_id: str, context: Context | None) -> dict:
        data = self.call(p.CMD_ORDER_GET, {"order_id": order_id}, context)
        order = data["order"]
        record = {"order_id": str(order.get("order_id")), "shop_id": self.shop_id, "create_time": as_epoch(order.get("create_time")), **data}
        refundable = as_epoch(order.get("pay_status")) == p.PAY_STATUS_PAID and as_epoch(order.get("status")) != p.STATUS_CANCELLED
        if self.config.get("include_part_refunds", True):
            record["part_refunds"] = list(self.call(p.CMD_PART_REFUND_GET, {"order_id": order_id}, context) or []) if refundable else []
        return record

    def data_problem(self, cmd: str, data: t.Any) -> str | None:  # noqa: ANN401
        if cmd == p.CMD_ORDER_LIST:
            if not isinstance(data, dict) or not isinstance(data.get("list", []), list):
                return "order.list data has no 'list' array"
            if any(not isinstance(item, dict) or item.get("order_id") in (None, "") for item in data.get("list") or []):
                return "order.list item without an order_id"
        elif cmd == p.CMD_ORDER_GET:
            if not isinstance(data, dict) or not isinstance(data.get("order"), dict) or data["order"].get("order_id") in (None, ""):
                return "order.get data without order.order_id"
        elif cmd == p.CMD_PART_REFUND_GET and data not in (None, "") and not isinstance(data, list):
            return "order.partrefund.get data is not a list"
        return None

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        shop = row.get("shop") if isinstance(row.get("shop"), dict) else {}
        if shop.get("id") not in (None, "") and str(shop["id"]) != self.shop_id:
            msg = (
                f"order.get returned an order of shop {shop['id']} but the config says shop_id {self.shop_id}: "
                "fix shop_id (one tap config reads one shop)"
            )
            raise SourceAPIError(msg)
        return apply_pii_policy(row, ELEME_PII_POLICY, str(self.config["pii_salt"]))


def _opt_int(value: t.Any) -> int | None:  # noqa: ANN401
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
