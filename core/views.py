"""Saved queries as views in `published`, so any DuckDB client (BI tool, notebook) reads the same numbers
`orderlayer metrics` answers.

Each view is the SQL of one saved query in semantic/saved_queries.yml, written by hand so a BI user can read
it; tests/metrics prove that MetricFlow answers the same rows. Views are (re)created only right after a
publish (`publish_checked`), and they read only `published` tables, so what they show changes only at
publish. Every view carries its counts next to its rate, so a BI tool can re-aggregate a rate over any
period correctly (Σ numerator / Σ denominator, never an average of daily rates).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orderlayer.core.warehouse import PUBLISHED, connect


@dataclass(frozen=True)
class SavedView:
    name: str
    description: str
    sql: str


# Shared predicates, spelled as in semantic/orders.yml (D-002, D-017, D-019).
_PAID_REAL = "is_paid AND NOT is_test"
_HAS_REFUND = "(is_refunded OR coalesce(refund_amount, 0) > 0)"
_FLAGGED = "coalesce(len(quality_flags), 0) > 0"

VIEWS: tuple[SavedView, ...] = (
    SavedView(
        "daily_channel_kpis",
        "Per business date, channel and currency: order counts, GMV, paid amount, net sales, average order "
        "value, cancellation, refund and exception rates. Amounts are in `currency` and never summed across currencies.",
        f"""
SELECT
    business_date,
    channel,
    currency,
    count(*) AS orders_placed,
    count(*) FILTER (WHERE is_valid) AS valid_orders,
    coalesce(sum(goods_amount) FILTER (WHERE is_valid), 0) AS gmv,
    coalesce(sum(paid_amount) FILTER (WHERE is_valid), 0) AS paid_amount,
    coalesce(sum(paid_amount - coalesce(refund_amount, 0)) FILTER (WHERE {_PAID_REAL}), 0) AS net_sales,
    CAST(sum(paid_amount) FILTER (WHERE is_valid) AS DOUBLE)
        / nullif(count(*) FILTER (WHERE is_valid), 0) AS average_order_value,
    CAST(count(*) FILTER (WHERE is_cancelled) AS DOUBLE) / count(*) AS cancellation_rate,
    CAST(count(*) FILTER (WHERE {_PAID_REAL} AND {_HAS_REFUND}) AS DOUBLE)
        / nullif(count(*) FILTER (WHERE {_PAID_REAL}), 0) AS refund_rate,
    CAST(count(*) FILTER (WHERE {_FLAGGED}) AS DOUBLE) / count(*) AS exception_rate
FROM {PUBLISHED}.fct_orders
GROUP BY business_date, channel, currency
""",
    ),
    SavedView(
        "ship_within_24h_by_shop",
        "Per business date and shop: paid orders due to ship (paid at least 24 h before the shop's as-of time), "
        "those shipped within 24 h of payment, and the rate.",
        f"""
SELECT
    o.business_date,
    o.channel,
    o.shop_id,
    count(*) AS ship_24h_due_orders,
    count(*) FILTER (WHERE f.is_shipped_within_24h) AS shipped_within_24h_orders,
    CAST(count(*) FILTER (WHERE f.is_shipped_within_24h) AS DOUBLE) / count(*) AS ship_within_24h_rate
FROM {PUBLISHED}.order_fulfillment AS f
JOIN {PUBLISHED}.fct_orders AS o ON o.order_key = f.order_key
WHERE f.is_ship_24h_due
GROUP BY o.business_date, o.channel, o.shop_id
""",
    ),
    SavedView(
        "on_time_delivery_by_province",
        "Per business date and receiver province: delivered orders with a delivery promise, those delivered by "
        "it, and the on-time delivery rate.",
        f"""
SELECT
    o.business_date,
    o.receiver_province,
    count(*) AS delivery_promise_orders,
    count(*) FILTER (WHERE f.is_delivered_on_time) AS delivered_on_time_orders,
    CAST(count(*) FILTER (WHERE f.is_delivered_on_time) AS DOUBLE) / count(*) AS on_time_delivery_rate
FROM {PUBLISHED}.order_fulfillment AS f
JOIN {PUBLISHED}.fct_orders AS o ON o.order_key = f.order_key
WHERE f.has_delivery_promise
GROUP BY o.business_date, o.receiver_province
""",
    ),
    SavedView(
        "channel_erp_consistency",
        "Per business date and shop: valid orders due in the ERP, those matched there with agreeing amount and "
        "status, and the consistency rate. Empty until an ERP is linked (D-022).",
        f"""
SELECT
    o.business_date,
    o.channel,
    o.shop_id,
    count(*) AS erp_expected_orders,
    count(*) FILTER (WHERE f.is_erp_consistent) AS erp_consistent_orders,
    CAST(count(*) FILTER (WHERE f.is_erp_consistent) AS DOUBLE) / count(*) AS erp_consistency_rate
FROM {PUBLISHED}.order_fulfillment AS f
JOIN {PUBLISHED}.fct_orders AS o ON o.order_key = f.order_key
WHERE f.is_erp_expected
GROUP BY o.business_date, o.channel, o.shop_id
""",
    ),
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_views(db_path: Path, views: tuple[SavedView, ...] = VIEWS) -> list[str]:
    """Replace the saved-query views in `published` in one transaction; drop views no longer defined.

    Only views are dropped, never tables: the marts in `published` belong to the publish step."""
    con = connect(db_path)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            existing = {
                name
                for (name,) in con.execute(
                    "SELECT view_name FROM duckdb_views() WHERE schema_name = ? AND NOT internal "
                    "AND database_name = current_database()",
                    [PUBLISHED],
                ).fetchall()
            }
            for stale in sorted(existing - {v.name for v in views}):
                con.execute(f'DROP VIEW {PUBLISHED}."{stale}"')
            for view in views:
                con.execute(f"CREATE OR REPLACE VIEW {PUBLISHED}.{view.name} AS {view.sql.strip()}")
                con.execute(f"COMMENT ON VIEW {PUBLISHED}.{view.name} IS {_quote(view.description)}")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return [v.name for v in views]
