"""The gate catalogue (shared/design/metrics-and-gates.md): red gates block publish, yellow ones warn.

A gate is a named group of checks on one model in `audit`. Its colour sets the GX severity of its
checks (red = critical, yellow = warning). To add a gate (R4-R6, Y1-Y7), write a function returning a
`Gate` and list it in `catalogue`; thresholds go in `orderlayer.config.GateSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from great_expectations.expectations.row_conditions import Column

from orderlayer.config import GateSettings
from orderlayer.expectations.checks import Check, Severity, between, not_in_set, not_null, rows, unique
from orderlayer.expectations.warehouse import AUDIT

GateColour = Literal["red", "yellow"]

_SEVERITY: dict[str, Severity] = {"red": "critical", "yellow": "warning"}

ORDERS = "fct_orders"
LINES = "fct_order_lines"


@dataclass(frozen=True)
class Gate:
    id: str
    colour: GateColour
    description: str
    model: str
    checks: tuple[Check, ...]
    #: Other audit tables the checks read (checked to exist before GX runs).
    reads: tuple[str, ...] = ()
    #: Columns of `model` the per-channel report groups by and takes example keys from.
    channel_column: str = "channel"
    key_column: str = "order_key"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self.colour]


def catalogue(settings: GateSettings, now: datetime) -> list[Gate]:
    """The gates of one run; `now` fixes the run's clock so R3's "future" bound is reproducible."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    gates = [r1_keys(), r2_money(), r3_time(settings, now), y2_unmapped_status()]
    ids = [g.id for g in gates]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate gate ids in the catalogue: {ids}")
    return gates


def r1_keys() -> Gate:
    sev = _SEVERITY["red"]
    return Gate(
        id="R1",
        colour="red",
        description="order_key is present and unique; (channel, shop_id, channel_order_id) is unique",
        model=ORDERS,
        checks=(
            not_null("order_key_present", "order_key", sev),
            unique("order_key_unique", ["order_key"], sev),
            unique("channel_order_unique", ["channel", "shop_id", "channel_order_id"], sev),
        ),
    )


def r2_money() -> Gate:
    sev = _SEVERITY["red"]
    paid = Column("is_paid") == True  # noqa: E712 - builds a GX row condition, not a Python comparison
    lines = f"{AUDIT}.{LINES}"
    # Orders whose key is among those whose line totals differ from the order's amounts (a semi-join:
    # DuckDB plans it about twice as fast as the equivalent correlated EXISTS). A line with a NULL
    # amount makes its order's total NULL, so that order cannot sum "exactly".
    lines_mismatch = f"""order_key IN (
        SELECT line_totals.line_order_key
        FROM (
            SELECT order_key AS line_order_key,
                   CASE WHEN count(line_paid_amount) = count(*) THEN sum(line_paid_amount) END AS lines_paid,
                   CASE WHEN count(line_goods_amount) = count(*) THEN sum(line_goods_amount) END AS lines_goods
            FROM {lines} GROUP BY order_key
        ) AS line_totals
        JOIN {{model}} AS o ON o.order_key = line_totals.line_order_key
        WHERE line_totals.lines_paid IS DISTINCT FROM o.paid_amount
           OR line_totals.lines_goods IS DISTINCT FROM o.goods_amount)"""
    return Gate(
        id="R2",
        colour="red",
        description=(
            "money: paid orders have non-null, non-negative paid and goods amounts; "
            "refund_amount <= paid_amount; order lines sum exactly to the order"
        ),
        model=ORDERS,
        reads=(LINES,),
        checks=(
            not_null("paid_amount_present", "paid_amount", sev, where=paid),
            not_null("goods_amount_present", "goods_amount", sev, where=paid),
            between("paid_amount_non_negative", "paid_amount", sev, min_value=0, where=paid),
            between("goods_amount_non_negative", "goods_amount", sev, min_value=0, where=paid),
            rows(
                "refund_within_paid",
                "refund_amount > paid_amount",
                sev,
                "refund_amount is at most paid_amount",
            ),
            rows(
                "lines_sum_to_order",
                lines_mismatch,
                sev,
                "Σ line_paid_amount = paid_amount and Σ line_goods_amount = goods_amount for orders with lines",
            ),
        ),
    )


def r3_time(settings: GateSettings, now: datetime) -> Gate:
    sev = _SEVERITY["red"]
    earliest = datetime.combine(date.fromisoformat(settings.earliest_order_date), time(0), tzinfo=UTC)
    latest = now.astimezone(UTC) + timedelta(minutes=settings.future_skew_minutes)
    tolerance = int(settings.paid_before_ordered_tolerance_seconds)
    return Gate(
        id="R3",
        colour="red",
        description=(
            f"time: ordered_at is present, not after now + {settings.future_skew_minutes} min, "
            f"not before {settings.earliest_order_date}; paid_at >= ordered_at - {tolerance} s"
        ),
        model=ORDERS,
        checks=(
            not_null("ordered_at_present", "ordered_at", sev),
            between("ordered_at_plausible", "ordered_at", sev, min_value=earliest, max_value=latest),
            rows(
                "paid_not_before_ordered",
                f"paid_at < ordered_at - INTERVAL {tolerance} SECOND",
                sev,
                f"paid_at is not earlier than ordered_at by more than {tolerance} s",
            ),
        ),
    )


def y2_unmapped_status() -> Gate:
    return Gate(
        id="Y2",
        colour="yellow",
        description="native status codes without a mapping (status = 'unknown')",
        model=ORDERS,
        checks=(not_in_set("status_mapped", "status", ["unknown"], _SEVERITY["yellow"]),),
    )
