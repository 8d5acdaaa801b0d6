"""The metrics by refund date (semantic/refunds.yml, D-059) on the shared demo, against the same sums computed
in SQL without MetricFlow: refunds dated when the money went back, net sales with refunds by refund date, per
currency."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from orderlayer.core.metrics import query_metrics

from .conftest import query

METRICS = ["refunded_amount", "refunds_made", "net_sales_by_refund_date"]


def _month(day: date) -> date:
    return day.replace(day=1)


def test_refund_date_metrics_by_month_and_currency(demo_db: Path, manifest: Path) -> None:
    result = query_metrics(demo_db, manifest, METRICS, (), "month")
    assert result.columns == ["metric_time__month", "currency", *METRICS]
    answered = {(r["metric_time__month"], r["currency"]): r for r in result.records()}

    refunds: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    for day, currency, amount in query(demo_db, """
            select r.refund_date, o.currency, r.refund_amount from published.fct_refunds r
            left join published.fct_orders o using (order_key) where r.status = 'refunded'"""):
        refunds[_month(day), currency][0] += amount
        refunds[_month(day), currency][1] += 1
    sales: dict[tuple, Decimal] = defaultdict(Decimal)
    for day, currency, paid in query(demo_db, """
            select business_date, currency, paid_amount from published.fct_orders where is_paid and not is_test"""):
        sales[_month(day), currency] += paid
    assert refunds, "the demo has refunds"
    for key in set(refunds) | set(sales):
        row = answered[key]
        amount, count = refunds.get(key, (Decimal(0), 0))
        assert (row["refunded_amount"], row["refunds_made"]) == (amount, count), key
        assert row["net_sales_by_refund_date"] == sales.get(key, Decimal(0)) - amount, key

