"""Meituan streams: ``orders`` (order detail, with the order's refund records attached).

Meituan is push-first: orders are pushed to the merchant's callback and there is no confirmed
time-range order list (fact sheet §A1). The pull the platform offers is *by store day*: the store's
daily push sequence (``day_seq``) maps to order ids (``ecommerce/order/getOrderIdByDaySeq``), and each
id to its detail (``order/getOrderDetail``). An incremental sync therefore re-reads whole Beijing days:
from the day of ``bookmark - lookback_days`` to the day of the sync end. Every order of those days is
emitted (the loader stores a version only once per distinct record, so unchanged orders cost nothing
downstream); an order that changes after its creation day has left the lookback is not seen again —
``lookback_days`` bounds how late a change (typically a refund) may arrive.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import typing as t

from singer_sdk import SchemaDirectory, StreamSchema

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.pii import Mask, PiiPolicy, apply_pii_policy
from orderlayer.taps.common.timeutil import format_epoch
from orderlayer.taps.meituan import protocol as p
from orderlayer.taps.meituan.client import MeituanStream

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(importlib.resources.files("orderlayer.taps.meituan") / "schemas")
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991
DAY = 86_400

#: Principle 6 for Meituan (fact sheet §A3 "PII"): receiver name, address and exact location, rider
#: and backup contacts are nulled; the receiver phone (often a privacy relay number) is salted-hashed —
#: it is the only buyer identifier the order carries. Masks are derived first (see ``pii.py``).
MEITUAN_PII_POLICY = PiiPolicy(
    drop_keys=frozenset(
        {
            "recipient_name",
            "recipient_address",
            "order_shipping_address",
            "delivery_position",
            "backup_recipient_phone",
            "order_phone_number",
            "latitude",
            "longitude",
            "shipper_phone",
            "logistics_dispatcher_name",
            "logistics_dispatcher_mobile",
            "taxpayer_id",
        }
    ),
    hash_keys=frozenset({"recipient_phone"}),
    masks=(
        Mask("phone", ("recipient_phone",), "recipient_phone_masked"),
        Mask("name", ("recipient_name",), "recipient_name_masked"),
    ),
)


def scan_days(start: int, end: int, lookback_days: int) -> list[dt.date]:
    """Beijing calendar days whose orders a sync ``[start, end]`` must re-read, oldest first."""
    if start > end:
        return []
    first = dt.datetime.fromtimestamp(start - lookback_days * DAY, BEIJING).date()
    last = dt.datetime.fromtimestamp(end, BEIJING).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def order_ids_from(data: t.Any) -> list:  # noqa: ANN401
    """Order ids of a getOrderIdByDaySeq answer: ``{"order_ids": [...]}`` or, as one public SDK
    types it, ``[{"result": "ok", "order_ids": [...]}]``. Ids are kept exactly as sent."""
    parts = data if isinstance(data, list) else [data]
    ids: list = []
    for part in parts:
        if not isinstance(part, dict) or not isinstance(part.get("order_ids", []), list):
            msg = "getOrderIdByDaySeq data has no 'order_ids' list"
            raise ValueError(msg)
        ids.extend(part.get("order_ids") or [])
    return ids


class OrdersStream(MeituanStream):
    """One record per order: ``order/getOrderDetail`` as sent, plus ``refund_records`` (the order's
    ``ecommerce/order/getOrderRefundDetail`` list, attached by the tap) and the receiver masks."""

    name = "orders"
    path = p.ORDER_DETAIL_PATH
    primary_keys: t.ClassVar[list[str]] = ["app_poi_code", "order_id"]
    replication_key = "utime"
    # Days are read in day-sequence order, so update times are not ascending: the bookmark is
    # committed when the sync completes (a killed sync resumes from the previous bookmark).
    is_sorted = False
    schema = StreamSchema(SCHEMAS)

    def __init__(self, tap: t.Any) -> None:  # noqa: ANN401
        super().__init__(tap)
        self.skipped_after_end = 0

    @property
    def app_poi_code(self) -> str:
        return str(self.config["app_poi_code"])

    # ---- flow
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        start, end = self.incremental_bounds(context)
        lookback = int(self.config.get("lookback_days", 3))
        days = scan_days(start, end, lookback)
        if not days:
            self.logger.info("Nothing to sync: the bookmark %s is after the end %s", format_epoch(start), format_epoch(end))
            return
        self.logger.info(
            "Syncing store %s: orders of %d Beijing day(s) %s .. %s (bookmark %s minus %d lookback day(s))",
            self.app_poi_code,
            len(days),
            days[0].isoformat(),
            days[-1].isoformat(),
            format_epoch(start),
            lookback,
        )
        seen: set[str] = set()
        emitted = 0
        for day in days:
            for order_id in self.order_ids_of(day, context):
                if str(order_id) in seen:
                    continue
                seen.add(str(order_id))
                record = self.order_detail(order_id, context)
                updated = _epoch(record.get("utime"))
                if updated is not None and updated > end:
                    # Changed after this sync's end: the next sync (which re-reads this day) emits it.
                    self.skipped_after_end += 1
                    continue
                emitted += 1
                yield record
        self.logger.info(
            "Orders sync done: %d order(s) emitted, %d left for the next sync (updated after the end); calls: %s",
            emitted,
            self.skipped_after_end,
            ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items())),
        )

    def order_ids_of(self, day: dt.date, context: Context | None) -> Iterator:
        """Every order id of one store day, by day-sequence segments until an empty segment.

        An empty segment (not a short one) ends the day: whether the sequence can have gaps is
        unconfirmed, and stopping early would drop orders silently.
        """
        span = int(self.config.get("day_seq_batch_size", p.MAX_DAY_SEQ_SPAN))
        seq = 1
        while True:
            data = self.call(
                p.ORDER_IDS_BY_DAY_SEQ_PATH,
                {
                    "app_poi_code": self.app_poi_code,
                    "date_time": day.strftime("%Y%m%d"),
                    "day_seq_start": seq,
                    "day_seq_end": seq + span - 1,
                },
                context,
            )
            ids = order_ids_from(data)
            if not ids:
                return
            yield from ids
            seq += span

    def order_detail(self, order_id: t.Any, context: Context | None) -> dict:  # noqa: ANN401
        mt_logistics = 1 if self.config.get("is_mt_logistics", True) else 0
        record = self.call(p.ORDER_DETAIL_PATH, {"order_id": order_id, "is_mt_logistics": mt_logistics}, context)
        if self.config.get("include_refunds", True):
            record["refund_records"] = self.refund_records(record, context)
        return record

    def refund_records(self, order: dict, context: Context | None) -> list:
        if str(order.get("status")) == str(p.STATUS_SUBMITTED):
            return []  # never paid: nothing to refund, save the call
        view_id = order.get("wm_order_id_view")
        if view_id in (None, ""):
            return []
        data = self.call(p.ORDER_REFUND_DETAIL_PATH, {"wm_order_id_view": view_id}, context)
        return list(data or [])

    # ---- validation inside the retry loop: a malformed answer is fetched again
    def validate_response(self, response: requests.Response) -> None:
        super().validate_response(response)
        data = self.payload(response)["data"]
        problem = None
        if self.api_method == p.ORDER_DETAIL_PATH:
            if not isinstance(data, dict) or data.get("order_id") in (None, ""):
                problem = "order detail without an order_id"
        elif self.api_method == p.ORDER_IDS_BY_DAY_SEQ_PATH:
            try:
                order_ids_from(data)
            except ValueError as exc:
                problem = str(exc)
        elif self.api_method == p.ORDER_REFUND_DETAIL_PATH and data not in (None, "") and not isinstance(data, list):
            problem = "refund detail is not a list"
        if problem:
            msg = f"{self.api_method}: {problem}"
            raise SourceRetriableError(msg, response)

    # ---- per record
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        sent = row.get("app_poi_code")
        if sent in (None, ""):
            row["app_poi_code"] = self.app_poi_code
        elif str(sent) != self.app_poi_code:
            msg = (
                f"getOrderDetail returned an order of store {sent} but the config says app_poi_code "
                f"{self.app_poi_code}: fix app_poi_code (one tap config reads one store)"
            )
            raise SourceAPIError(msg)
        return apply_pii_policy(row, MEITUAN_PII_POLICY, str(self.config["pii_salt"]))


def _epoch(value: t.Any) -> int | None:  # noqa: ANN401
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
