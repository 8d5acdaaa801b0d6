"""The report's refunds section on hand-made fct_refunds rows (core/report_refunds.py); values worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb

from orderlayer.core.report_refunds import daily_refunds, refund_summary

ROWS = [
    # channel, currency, status, amount, refund_date, reason, has_return
    ("jd", "CNY", "refunded", "12.34", "2024-11-30", "质量问题", True),
    ("jd", "CNY", "refunded", "5.00", "2024-11-30", "不想要了", False),
    ("jd", "CNY", "refunded", "7.66", "2024-11-29", "质量问题", False),
    ("jd", "CNY", "refunded", "100.00", "2024-10-01", "质量问题", False),  # outside the 3 refund days shown
    ("jd", "CNY", "requested", "20.00", None, "商品降价", False),
    ("jd", "CNY", "rejected", "9.00", None, None, True),
    ("shopify", "USD", "refunded", "3.50", "2024-11-28", None, False),
]


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA audit")
    con.execute("""CREATE TABLE audit.fct_refunds (channel VARCHAR, currency VARCHAR, status VARCHAR,
        refund_amount DECIMAL(18,2), refund_date DATE, reason_text VARCHAR, reason_code VARCHAR, has_return BOOLEAN)""")
    con.executemany("INSERT INTO audit.fct_refunds VALUES (?, ?, ?, ?, ?, ?, NULL, ?)", ROWS)
    return con


def test_refunds_by_refund_date_per_channel_and_currency_with_top_reasons() -> None:
    # the last 3 refund days: 11-28 … 11-30 (the newest refund date is 11-30)
    jd, shopify = refund_summary(_con(), 3)
    # jd: 12.34 + 5.00 + 7.66 = 25.00 over 3 refunds; 10-01 is outside; 质量问题 twice, 不想要了 once
    assert jd == {"channel": "jd", "currency": "CNY", "refunds": 3, "refunded_amount": Decimal("25.00"),
                  "first_day": date(2024, 11, 29), "last_day": date(2024, 11, 30), "open": 1, "rejected": 1,
                  "returns": 2, "top_reasons": ["质量问题 (2)", "不想要了 (1)"]}
    assert shopify["refunds"] == 1 and shopify["refunded_amount"] == Decimal("3.50")
    assert shopify["top_reasons"] == ["(no reason given) (1)"]


def test_refunds_per_refund_day() -> None:
    assert daily_refunds(_con(), 3) == {
        "jd": [(date(2024, 11, 29), 1), (date(2024, 11, 30), 2)],
        "shopify": [(date(2024, 11, 28), 1)],
    }


def test_no_refund_facts_no_section() -> None:
    assert refund_summary(duckdb.connect(), 30) == [] and daily_refunds(duckdb.connect(), 30) == {}
