"""A marketplace export over four CSV files, end to end through the CLI (docs/examples/file-source/marketplace.yml):
orders + items as lines + payments summed per order + refunds, goods_amount derived from the lines, a constant
quantity, a line id built by an expression, a buyer id hashed with the salt, and cancellations with no cancel
time dated at the row's own latest event time (D-040). Then a corrected payments export lands and an incremental
build brings in the order it had quarantined (docs/incremental.md). Every expected value is computed by hand from
the CSVs and the export written here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from orderlayer.core.config import load_settings
from tests.files.support import SALT, cli, query, synced_and_built
from tests.support.incremental import assert_same_tables, full_refresh_copy


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(the warehouse after the first build, after the second, the second build's output)."""
    work = tmp_path_factory.mktemp("marketplace")
    first = synced_and_built(work)
    shutil.copy(first, work / "first.duckdb")
    # the seller exports the payments again, mp-o-0004's now readable; the orders file is untouched
    payments = work / "marketplace" / "order_payments.csv"
    payments.write_text(payments.read_text(encoding="utf-8").replace('"28,00"', "28.00"), encoding="utf-8")
    stat = payments.stat()
    os.utime(payments, ns=(stat.st_atime_ns, stat.st_mtime_ns + 60_000_000_000))  # a later export
    assert cli("sync", cwd=work).returncode == 0
    build = cli("build", cwd=work)
    assert build.returncode == 0, build.stdout + build.stderr
    return work / "first.duckdb", first, build.stdout


@pytest.fixture(scope="module")
def warehouse(runs: tuple[Path, Path, str]) -> Path:
    return runs[0]


def test_orders_join_payments_lines_and_refunds(warehouse: Path) -> None:
    rows = query(warehouse, """
        select channel_order_id, status, ordered_at, paid_at, shipped_at, delivered_at, promised_delivery_by,
               goods_amount, freight_amount, paid_amount, refund_amount, currency
        from audit.fct_orders order by channel_order_id""")
    assert rows == [
        # São Paulo is UTC-3 in 2018 (no DST May–Oct): 10:15 local = 13:15 UTC. goods 49.90 + 20.00 = 69.90 (lines),
        # freight 12.35 + 12.35 = 24.70, paid 60.00 + 34.60 = 94.60 (two payments: card + voucher)
        ("mp-o-0001", "delivered", utc(2018, 5, 2, 13, 15), utc(2018, 5, 2, 13, 30), utc(2018, 5, 4, 17), utc(2018, 5, 10, 19, 20),
         utc(2018, 5, 20, 3), Decimal("69.90"), Decimal("24.70"), Decimal("94.60"), Decimal("0.00"), "BRL"),
        # refunded in full from the refunds file: 138.00
        ("mp-o-0002", "cancelled", utc(2018, 6, 11, 12), utc(2018, 6, 11, 12, 5), None, None, utc(2018, 6, 30, 3),
         Decimal("120.00"), Decimal("18.00"), Decimal("138.00"), Decimal("138.00"), "BRL"),
        # two units of one product, one row each (quantity constant 1): goods 49.90 × 2 = 99.80, freight 20.00
        ("mp-o-0003", "shipped", utc(2018, 7, 1, 23), utc(2018, 7, 1, 23, 10), utc(2018, 7, 3, 11), None, utc(2018, 7, 15, 3),
         Decimal("99.80"), Decimal("20.00"), Decimal("119.80"), Decimal("0.00"), "BRL"),
    ]


def test_a_cancellation_without_a_cancel_time_is_dated_at_the_rows_latest_event(warehouse: Path) -> None:
    # mp-o-0002 was approved 2018-06-11 09:05 local (12:05 UTC), then cancelled; the export says neither when nor
    # an update time. Its latest event time stands in — years before the export file was written.
    assert query(warehouse, """select channel_order_id, cancelled_at, cancelled_at_source from audit.fct_orders
                               where is_cancelled""") == [("mp-o-0002", utc(2018, 6, 11, 12, 5), "platform")]
    modified = query(warehouse, "select max((_record ->> 'modified_at')::timestamptz) from raw.marketplace__orders")[0][0]
    assert modified.year >= 2026  # the file's clock, which no cancellation may carry


def test_lines_use_the_product_id_a_constant_quantity_and_an_expression_line_id(warehouse: Path) -> None:
    rows = query(warehouse, """
        select o.channel_order_id, l.line_number, l.channel_line_id, l.sku_id, l.quantity, l.unit_price, l.line_goods_amount
        from audit.fct_order_lines l join audit.fct_orders o using (order_key) order by 1, 2""")
    assert rows == [
        ("mp-o-0001", 1, "mp-o-0001-1", "prod-a1", 1, Decimal("49.90"), Decimal("49.90")),
        ("mp-o-0001", 2, "mp-o-0001-2", "prod-b2", 1, Decimal("20.00"), Decimal("20.00")),
        ("mp-o-0002", 1, "mp-o-0002-1", "prod-c3", 1, Decimal("120.00"), Decimal("120.00")),
        ("mp-o-0003", 1, "mp-o-0003-1", "prod-a1", 1, Decimal("49.90"), Decimal("49.90")),
        ("mp-o-0003", 2, "mp-o-0003-2", "prod-a1", 1, Decimal("49.90"), Decimal("49.90")),
    ]


def test_a_bad_payment_quarantines_its_order_naming_the_payments_file_and_line(warehouse: Path) -> None:
    assert query(warehouse, "select channel_order_id, quarantine_reason from quarantine.quarantine_orders") == [
        ("mp-o-0004", "order_payments.csv line 6: not an amount in major: paid_amount (payments.payment_value = 28,00)"),
    ]


def test_the_buyer_id_lands_only_as_its_salted_hash(warehouse: Path) -> None:
    expected = "sha256:" + hashlib.sha256((SALT + "cust-7f3a").encode()).hexdigest()
    assert query(warehouse, """select distinct customer_key from audit.fct_orders
                               where channel_order_id in ('mp-o-0001', 'mp-o-0003')""") == [(expected,)]
    landed = query(warehouse, "select string_agg(_record::varchar, '') from raw.marketplace__orders")[0][0]
    assert "cust-7f3a" not in landed and "cust-91c2" not in landed


def test_the_second_build_is_incremental(runs: tuple[Path, Path, str]) -> None:
    output = runs[2]
    assert "incremental build: 5 raw rows landed since the last build" in output


def test_an_order_whose_payment_became_readable_reaches_the_marts(runs: tuple[Path, Path, str]) -> None:
    db = runs[1]
    assert query(db, """select channel_order_id, status, goods_amount, freight_amount, paid_amount from audit.fct_orders
                        order by 1""") == [
        ("mp-o-0001", "delivered", Decimal("69.90"), Decimal("24.70"), Decimal("94.60")),
        ("mp-o-0002", "cancelled", Decimal("120.00"), Decimal("18.00"), Decimal("138.00")),
        ("mp-o-0003", "shipped", Decimal("99.80"), Decimal("20.00"), Decimal("119.80")),
        # 20.00 goods + 8.00 freight, paid 28.00 from the corrected export
        ("mp-o-0004", "paid", Decimal("20.00"), Decimal("8.00"), Decimal("28.00")),
    ]
    # re-exported payments of the other orders are not counted twice: each order's payments come from the newest
    # export holding it
    assert query(db, "select count(*) from raw.marketplace__payments") == [(10,)]
    # its version is no longer quarantined: the quarantine row goes with the incremental build, as a full one has none
    assert query(db, "select count(*) from quarantine.quarantine_orders where channel_order_id = 'mp-o-0004'") == [(0,)]


def test_the_incremental_build_equals_a_full_rebuild(runs: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # the orders model joins payments, lines and refunds: an incremental build re-stages the orders a landed payments
    # export holds (docs/incremental.md "Staging"); a copy rebuilt from raw must hold the same rows
    db = runs[1]
    work = db.parent
    monkeypatch.chdir(work)
    monkeypatch.setenv("ORDERLAYER_PROJECT_DIR", str(work / "project"))
    monkeypatch.setenv("ORDERLAYER_PII_SALT", SALT)
    settings = load_settings(work / "orderlayer.yml")
    full = full_refresh_copy(settings, db, work / "full" / "full.duckdb")
    assert assert_same_tables(db, full, ("staging", "audit", "quarantine"), "marketplace") > 0
