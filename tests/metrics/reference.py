"""The metric catalogue (shared/design/metrics-and-gates.md) written a second time, in plain Python over the
published facts (`fct_orders` and `map_order_ids`), so tests compare MetricFlow's answers with values
computed without MetricFlow, the semantic YAML or the order_fulfillment model.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

Order = dict[str, Any]
DAY = timedelta(hours=24)

#: The catalogue's metrics plus the extra ones the semantic layer defines; their unit decides how they compare.
CATALOGUE = (
    "orders_placed", "valid_orders", "gmv", "paid_amount", "net_sales", "average_order_value",
    "cancellation_rate", "refund_rate", "ship_within_24h_rate", "on_time_ship_rate", "on_time_delivery_rate",
    "avg_fulfillment_hours", "status_sync_latency_p95", "erp_consistency_rate", "exception_rate",
)
EXTRA = ("p50_fulfillment_hours", "p90_fulfillment_hours", "deposit_only_orders")
AMOUNTS = ("gmv", "paid_amount", "net_sales", "average_order_value")


def load_orders(db: Path) -> list[Order]:
    """Every published order with its map_order_ids row (erp_system, match_status), as dicts."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(
            """SELECT o.*, m.erp_system AS map_erp_system, m.match_status AS map_match_status
               FROM published.fct_orders AS o LEFT JOIN published.map_order_ids AS m USING (order_key)"""
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def percentile_cont(p: float, values: Sequence[float]) -> float | None:
    """Continuous percentile (linear interpolation between the closest ranks), as SQL's PERCENTILE_CONT."""
    xs = sorted(values)
    if not xs:
        return None
    position = p * (len(xs) - 1)
    low, high = math.floor(position), math.ceil(position)
    return xs[low] + (xs[high] - xs[low]) * (position - low)


def _ratio(numerator: int | Decimal, denominator: int) -> float | None:
    return float(numerator) / denominator if denominator else None


class Reference:
    """Per-order facts derived once over all orders (the as-of time is per shop, ERP presence global)."""

    def __init__(self, orders: list[Order]) -> None:
        self.orders = orders
        self.as_of: dict[tuple[str, str], datetime] = {}
        for o in orders:
            shop = (o["channel"], o["shop_id"])
            self.as_of[shop] = max(self.as_of.get(shop, o["source_updated_at"]), o["source_updated_at"])
        self.erp_linked = any(o["map_erp_system"] is not None for o in orders)

    # --- which orders count, straight from the catalogue's wording ----------------------------------
    @staticmethod
    def valid(o: Order) -> bool:
        return o["is_paid"] and not o["is_cancelled"] and not o["is_test"]

    @staticmethod
    def paid_real(o: Order) -> bool:
        return o["is_paid"] and not o["is_test"]

    def due_24h(self, o: Order) -> bool:
        as_of = self.as_of[(o["channel"], o["shop_id"])]
        return self.paid_real(o) and o["paid_at"] is not None and o["paid_at"] + DAY <= as_of

    def erp_expected(self, o: Order) -> bool:
        as_of = self.as_of[(o["channel"], o["shop_id"])]
        return self.erp_linked and self.valid(o) and o["paid_at"] is not None and o["paid_at"] + DAY <= as_of

    # --- one function per metric over a group of orders ----------------------------------------------
    def value(self, metric: str, g: list[Order]) -> Any:
        return getattr(self, f"m_{metric}")(g)

    def m_orders_placed(self, g: list[Order]) -> int:
        return len(g)

    def m_valid_orders(self, g: list[Order]) -> int:
        return sum(1 for o in g if self.valid(o))

    def m_gmv(self, g: list[Order]) -> Decimal:
        return sum((o["goods_amount"] for o in g if self.valid(o)), Decimal("0.00"))

    def m_paid_amount(self, g: list[Order]) -> Decimal:
        return sum((o["paid_amount"] for o in g if self.valid(o)), Decimal("0.00"))

    def m_net_sales(self, g: list[Order]) -> Decimal:
        return sum((o["paid_amount"] - (o["refund_amount"] or 0) for o in g if self.paid_real(o)), Decimal("0.00"))

    def m_average_order_value(self, g: list[Order]) -> float | None:
        return _ratio(self.m_paid_amount(g), self.m_valid_orders(g))

    def m_cancellation_rate(self, g: list[Order]) -> float | None:
        return _ratio(sum(1 for o in g if o["is_cancelled"]), len(g))

    def m_refund_rate(self, g: list[Order]) -> float | None:
        paid = [o for o in g if self.paid_real(o)]
        return _ratio(sum(1 for o in paid if o["is_refunded"] or (o["refund_amount"] or 0) > 0), len(paid))

    def m_ship_within_24h_rate(self, g: list[Order]) -> float | None:
        due = [o for o in g if self.due_24h(o)]
        fast = sum(1 for o in due if o["shipped_at"] is not None and o["shipped_at"] - o["paid_at"] <= DAY)
        return _ratio(fast, len(due))

    def m_on_time_ship_rate(self, g: list[Order]) -> float | None:
        base = [o for o in g if not o["is_test"] and o["shipped_at"] and o["promised_ship_by"]]
        return _ratio(sum(1 for o in base if o["shipped_at"] <= o["promised_ship_by"]), len(base))

    def m_on_time_delivery_rate(self, g: list[Order]) -> float | None:
        base = [o for o in g if not o["is_test"] and o["delivered_at"] and o["promised_delivery_by"]]
        return _ratio(sum(1 for o in base if o["delivered_at"] <= o["promised_delivery_by"]), len(base))

    @staticmethod
    def _hours(g: list[Order]) -> list[float]:
        return [
            (o["delivered_at"] - o["paid_at"]).total_seconds() / 3600
            for o in g
            if not o["is_test"] and o["paid_at"] and o["delivered_at"]
        ]

    def m_avg_fulfillment_hours(self, g: list[Order]) -> float | None:
        hours = self._hours(g)
        return sum(hours) / len(hours) if hours else None

    def m_p50_fulfillment_hours(self, g: list[Order]) -> float | None:
        return percentile_cont(0.5, self._hours(g))

    def m_p90_fulfillment_hours(self, g: list[Order]) -> float | None:
        return percentile_cont(0.9, self._hours(g))

    def m_status_sync_latency_p95(self, g: list[Order]) -> float | None:
        return percentile_cont(0.95, [(o["source_synced_at"] - o["source_updated_at"]).total_seconds() for o in g])

    def m_erp_consistency_rate(self, g: list[Order]) -> float | None:
        expected = [o for o in g if self.erp_expected(o)]
        return _ratio(sum(1 for o in expected if o["map_match_status"] == "matched"), len(expected))

    def m_exception_rate(self, g: list[Order]) -> float | None:
        return _ratio(sum(1 for o in g if o["quality_flags"]), len(g))

    def m_deposit_only_orders(self, g: list[Order]) -> int:
        return sum(
            1 for o in g if o["is_presale"] and o["deposit_paid_at"] and not o["is_paid"] and not o["is_cancelled"]
        )

    # --- grouping ----------------------------------------------------------------------------------
    def table(
        self, metrics: Iterable[str], key: Callable[[Order], tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        groups: dict[tuple[Any, ...], list[Order]] = defaultdict(list)
        for o in self.orders:
            groups[key(o)].append(o)
        return {k: {m: self.value(m, g) for m in metrics} for k, g in groups.items()}


def bucket(day: date, grain: str | None) -> date | None:
    """metric_time at `grain` for a business date: DATE_TRUNC semantics (ISO weeks start on Monday)."""
    if grain is None:
        return None
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise ValueError(grain)
