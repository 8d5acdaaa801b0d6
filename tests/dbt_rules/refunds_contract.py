"""The after-sale staging contract as the refund rule tests read it: its columns in order, and one staged row by id."""

from __future__ import annotations

import typing as t
from pathlib import Path

#: Every `stg_<source>__refunds` has exactly these columns, in this order (docs/refunds.md).
COLUMNS = (
    "raw_record_id", "connection_name", "source_synced_at", "channel", "shop_id", "refund_id", "after_sale_record_id",
    "channel_order_id",
    "channel_line_id", "refund_type", "status", "status_native", "refund_amount", "currency", "requested_at",
    "refunded_at", "source_updated_at", "reason_code", "reason_text", "return_tracking_number", "return_carrier",
    "return_received_at", "is_restocked", "quarantine_reason",
)


def refund_row(query: t.Callable[[Path, str, list], list[tuple]], db: Path, model: str, refund_id: str) -> dict:
    """The one row of ``staging.<model>`` with ``refund_id``, by column name (``query(db, sql, params)`` reads in UTC)."""
    found = query(db, f"select {', '.join(COLUMNS)} from staging.{model} where refund_id = ?", [refund_id])
    assert len(found) == 1, found
    return dict(zip(COLUMNS, found[0], strict=True))
