"""The report's refunds section (docs/refunds.md): refunds by refund date, per channel and currency, with the top
reasons, read from `audit.fct_refunds` (the run's candidates, like the other sections). Counts, amounts and the
platforms' reason labels only — never a buyer's words or identity."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from orderlayer.core.warehouse import table_exists

#: reasons shown per channel and currency
TOP_REASONS = 3


def refund_summary(con: duckdb.DuckDBPyConnection, days: int) -> list[dict[str, Any]]:
    """Per channel and currency: refunds whose money went back in the last `days` refund days (count, amount),
    every record still open or rejected, the return shipments, and the top reasons of the refunded ones."""
    if not table_exists(con, "audit", "fct_refunds"):
        return []
    rows = con.execute(
        f"""WITH recent AS (
                SELECT *, refund_date > (SELECT max(refund_date) FROM audit.fct_refunds) - ?::INTEGER AS in_window
                FROM audit.fct_refunds
            ),
            reasons AS (
                SELECT channel, currency, coalesce(reason_text, reason_code, '(no reason given)') AS reason,
                       count(*) AS n
                FROM recent WHERE status = 'refunded' AND in_window GROUP BY ALL
            ),
            ranked AS (
                SELECT channel, currency,
                       list(reason || ' (' || n || ')' ORDER BY n DESC, reason)[:{int(TOP_REASONS)}] AS top_reasons
                FROM reasons GROUP BY ALL
            )
            SELECT r.channel, r.currency,
                   count(*) FILTER (WHERE r.status = 'refunded' AND r.in_window) AS refunds,
                   coalesce(sum(r.refund_amount) FILTER (WHERE r.status = 'refunded' AND r.in_window), 0) AS refunded_amount,
                   min(r.refund_date) FILTER (WHERE r.in_window) AS first_day,
                   max(r.refund_date) AS last_day,
                   count(*) FILTER (WHERE r.status IN ('requested', 'approved')) AS open,
                   count(*) FILTER (WHERE r.status = 'rejected') AS rejected,
                   count(*) FILTER (WHERE r.has_return) AS returns,
                   coalesce(any_value(k.top_reasons), []::VARCHAR[]) AS top_reasons
            FROM recent AS r
            LEFT JOIN ranked AS k ON k.channel = r.channel AND k.currency IS NOT DISTINCT FROM r.currency
            GROUP BY r.channel, r.currency ORDER BY r.channel, r.currency""",
        [days],
    ).fetchall()
    keys = ("channel", "currency", "refunds", "refunded_amount", "first_day", "last_day", "open", "rejected",
            "returns", "top_reasons")
    return [dict(zip(keys, row)) for row in rows]


def daily_refunds(con: duckdb.DuckDBPyConnection, days: int) -> dict[str, list[tuple[date, int]]]:
    """channel → [(refund_date, refunds)] of the last `days` refund days."""
    if not table_exists(con, "audit", "fct_refunds"):
        return {}
    rows = con.execute(
        """SELECT channel, refund_date, count(*) FROM audit.fct_refunds
           WHERE status = 'refunded' AND refund_date > (SELECT max(refund_date) FROM audit.fct_refunds) - ?::INTEGER
           GROUP BY ALL ORDER BY 1, 2""",
        [days],
    ).fetchall()
    return per_channel_days(rows)


def per_channel_days(rows: list[tuple[str, date, int]]) -> dict[str, list[tuple[date, int]]]:
    """(channel, day, count) rows → channel → [(day, count)] (the report's per-day charts)."""
    out: dict[str, list[tuple[date, int]]] = {}
    for channel, day, n in rows:
        out.setdefault(channel, []).append((day, int(n)))
    return out
