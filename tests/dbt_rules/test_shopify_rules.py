"""The canonical rules on Shopify data, each with a hand-computed expected value, and Shopify's own sample
order #1001 (tests/fixtures/shopify, MIT, Shopify Inc.) with the quality findings its inconsistencies raise.

Raw records are written as tap-shopify emits them (personal data already masked or hashed; the fixtures go
through the tap's own ``scrub_order``), landed with the real loader store, and the real dbt project is built on
them once for the module with the Shopify channel included (var ``orderlayer_channels``).
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orderlayer.core.dbt import project_dir
from orderlayer.taps.shopify.privacy import scrub_order
from orderlayer.sandboxes.shopify.server import ShopifySandbox
from orderlayer.taps.shopify.tap import TapShopify
from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
NY_SHOP = "acme-us"  # America/New_York, USD
CN_SHOP = "beijing-tea"  # a Shopify shop in Asia/Shanghai selling in CNY
FIXTURE_SHOP = "apple"  # the fixtures' order_status_url names apple.myshopify.com

HAND_SHOPS = (NY_SHOP, CN_SHOP, FIXTURE_SHOP)
SANDBOX_SHOPS = ("sbx-newyork", "sbx-berlin")  # the sandbox's first two profiles: New York/USD, Berlin/EUR
SHOPS = [
    {"channel": "shopify", "shop_id": NY_SHOP, "timezone": "America/New_York", "currency": "USD"},
    {"channel": "shopify", "shop_id": CN_SHOP, "timezone": "Asia/Shanghai", "currency": "CNY"},
    {"channel": "shopify", "shop_id": FIXTURE_SHOP, "timezone": "America/New_York", "currency": "USD"},
    {"channel": "shopify", "shop_id": SANDBOX_SHOPS[0], "timezone": "America/New_York", "currency": "USD"},
    {"channel": "shopify", "shop_id": SANDBOX_SHOPS[1], "timezone": "Europe/Berlin", "currency": "EUR"},
]


def money(amount: str, presentment: str | None = None, currency: str = "USD", presentment_currency: str | None = None) -> dict:
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": presentment or amount, "currency_code": presentment_currency or currency},
    }


def line(line_id: int, price: str, quantity: int, **extra: object) -> dict:
    return {"id": line_id, "variant_id": 44_817_223_000_000 + line_id, "product_id": 8_141_903_577_381, "sku": f"SKU-{line_id}",
            "title": "Merino Crew Sweater", "name": f"Merino Crew Sweater - {line_id}", "quantity": quantity, "price": price, **extra}


def shipment(status: str, created: str, numbers: list[str], **extra: object) -> dict:
    return {"id": 5_100_000_000_000 + len(numbers), "status": status, "created_at": created, "updated_at": created,
            "tracking_number": numbers[0] if numbers else None, "tracking_numbers": numbers, "shipment_status": None, **extra}


def order(order_id: int, shop: str = NY_SHOP, **overrides: object) -> dict:
    """A REST order as tap-shopify emits it: one line of 30.00 USD, paid, nothing fulfilled, unless overridden."""
    base = {
        "id": order_id, "shop_id": shop, "name": "#1001", "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        # 19:55:51 in New York (EST) = 00:55:51 UTC on 2024-11-19 = 08:55:51 Beijing
        "created_at": "2024-11-18T19:55:51-05:00", "processed_at": "2024-11-18T19:55:51-05:00",
        "updated_at": "2024-11-18T20:00:00-05:00",
        "cancelled_at": None, "cancel_reason": None, "closed_at": None,
        "financial_status": "paid", "fulfillment_status": None, "test": False,
        "currency": "USD", "presentment_currency": "USD",
        "total_line_items_price": "30.00", "total_discounts": "0.00", "subtotal_price": "30.00", "total_tax": "0.00",
        "total_price": "30.00", "total_price_set": money("30.00"),
        "shipping_lines": [], "line_items": [line(1, "30.00", 1)], "fulfillments": [], "refunds": [],
        "email": None, "phone": None,
        "shipping_address": {"name": "J*** D**", "phone": "121****0142", "address1": None, "city": "Brooklyn",
                             "province": "New York", "country_code": "US"},
        "customer": {"id": "sha256:5f1c0ffee"},
    }
    base.update(overrides)
    return base


# A: two lines 2 × 19.99 + 1 × 10.01 = 49.99; code 5.00; shipping 6.95; NY sales tax 8.875 % of 44.99 = 3.99;
#    total 44.99 + 6.95 + 3.99 = 55.93. Shipped by one parcel (two numbers); a cancelled attempt's number is not a parcel.
ORDER_A = order(
    6_100_000_000_001,
    financial_status="paid", fulfillment_status="fulfilled",
    total_line_items_price="49.99", total_discounts="5.00", subtotal_price="44.99", total_tax="3.99", total_price="55.93",
    total_price_set=money("55.93"), total_shipping_price_set=money("6.95"),
    shipping_lines=[{"price": "6.95"}],
    line_items=[line(11, "19.99", 2), line(12, "10.01", 1)],
    fulfillments=[
        shipment("cancelled", "2024-11-19T08:00:00-05:00", ["1Z000"]),
        shipment("success", "2024-11-19T10:00:00-05:00", ["1Z999", "1Z111"]),
    ],
    updated_at="2024-11-19T10:00:00-05:00",
)
# B: placed at 2024-11-19 00:00:00 Beijing (a Shopify shop in Asia/Shanghai) = 2024-11-18 16:00:00 UTC.
ORDER_B = order(6_100_000_000_002, CN_SHOP, created_at="2024-11-19T00:00:00+08:00", processed_at="2024-11-19T00:00:00+08:00",
                updated_at="2024-11-19T00:05:00+08:00", currency="CNY", total_price="128.00", total_price_set=money("128.00", currency="CNY"),
                total_line_items_price="128.00", line_items=[line(21, "128.00", 1)])
# B2: one second earlier, 23:59:59 Beijing on 2024-11-18.
ORDER_B2 = order(6_100_000_000_003, CN_SHOP, created_at="2024-11-18T23:59:59+08:00", processed_at="2024-11-18T23:59:59+08:00",
                 updated_at="2024-11-19T00:05:00+08:00", currency="CNY", total_price="128.00", total_price_set=money("128.00", currency="CNY"),
                 total_line_items_price="128.00", line_items=[line(22, "128.00", 1)])
# BIG: 19,999,999,999.99 — a float would print 19999999999.990002 on the way.
ORDER_BIG = order(6_100_000_000_004, total_price="19999999999.99", total_price_set=money("19999999999.99"),
                  total_line_items_price="19999999999.99", line_items=[line(41, "19999999999.99", 1)])
# JPY has no minor unit: Shopify writes whole yen.
ORDER_JPY = order(6_100_000_000_005, currency="JPY", total_price="1500", total_price_set=money("1500", currency="JPY"),
                  total_line_items_price="1500", line_items=[line(51, "1500", 1)])
# PRES: shop USD 100.00, the buyer paid CAD 136.41. A refund of CAD 27.29 failed once, then succeeded:
#       27.29 × 100.00 / 136.41 = 20.0059 → 20.01 USD (half up, once). Its line's refund subtotal is 18.35 USD.
ORDER_PRES = order(
    6_100_000_000_006, financial_status="partially_refunded", fulfillment_status="fulfilled",
    presentment_currency="CAD", total_price="100.00", total_price_set=money("100.00", "136.41", "USD", "CAD"),
    total_line_items_price="100.00", line_items=[line(61, "50.00", 2)],
    fulfillments=[shipment("success", "2024-11-19T10:00:00-05:00", ["1Z600"])],
    refunds=[{
        "id": 9_600_000_000_006,
        "created_at": "2024-11-22T10:00:00-05:00",
        "refund_line_items": [{"line_item_id": 61, "quantity": 1, "subtotal": "18.35",
                               "subtotal_set": money("18.35", "25.03", "USD", "CAD")}],
        "transactions": [
            {"kind": "refund", "status": "failure", "amount": "27.29", "currency": "CAD"},
            {"kind": "refund", "status": "success", "amount": "27.29", "currency": "CAD"},
        ],
    }],
    updated_at="2024-11-22T10:00:00-05:00",
)
# PARTIAL: captured less than the total (Shopify's nearest thing to a deposit): not paid, not a presale order.
ORDER_PARTIAL = order(6_100_000_000_007, financial_status="partially_paid")
# CANCELLED: payment never arrived; cancelled and archived. Archiving a cancelled order does not complete it.
ORDER_CANCELLED = order(6_100_000_000_008, financial_status="voided", cancel_reason="declined",
                        cancelled_at="2024-11-20T09:00:00-05:00", closed_at="2024-11-20T09:00:00-05:00",
                        updated_at="2024-11-20T09:00:05-05:00")
# COMPLETED: delivered (carrier status), then archived.
ORDER_COMPLETED = order(
    6_100_000_000_009, fulfillment_status="fulfilled", closed_at="2024-11-23T08:00:00-05:00", updated_at="2024-11-23T08:00:00-05:00",
    fulfillments=[shipment("success", "2024-11-19T10:00:00-05:00", ["1Z900"], shipment_status="delivered",
                           updated_at="2024-11-21T16:30:00-05:00")],
)
ORDER_TEST = order(6_100_000_000_010, test=True)
# Versions: v2 (fulfilled, updated later) lands first; v1 (unfulfilled) arrives late and must not win.
ORDER_V2 = order(6_100_000_000_011, fulfillment_status="fulfilled", updated_at="2024-11-19T10:00:00-05:00",
                 fulfillments=[shipment("success", "2024-11-19T10:00:00-05:00", ["1Z110"])])
ORDER_V1 = order(6_100_000_000_011)
ORDER_UNKNOWN = order(6_100_000_000_012, financial_status="pending_review")
# Fulfilled per its status, but no successful shipment is listed: typed, flagged.
ORDER_NO_SHIPMENT = order(6_100_000_000_013, fulfillment_status="fulfilled")
# An id above 2**53: a float would turn it into 9007199254740992.
ORDER_BIG_ID = order(9_007_199_254_740_993)
# Quarantine: each cannot be typed.
BAD_NAIVE_TIME = order(6_100_000_009_001, created_at="2024-11-18 19:55:51")
BAD_AMOUNT = order(6_100_000_009_002, total_price="12,50", total_price_set=money("12,50"))
BAD_CENTS = order(6_100_000_009_003, total_price="10.005", total_price_set=money("10.005"))
BAD_REFUND = order(6_100_000_009_004, refunds=[{"transactions": [{"kind": "refund", "status": "success", "amount": "abc", "currency": "USD"}]}])
BAD_CANCEL_TIME = order(6_100_000_009_005, cancelled_at="yesterday")
MISSING_ID = {k: v for k, v in order(0).items() if k != "id"}

SYNC_1 = [ORDER_A, ORDER_B, ORDER_B2, ORDER_BIG, ORDER_JPY, ORDER_PRES, ORDER_PARTIAL, ORDER_CANCELLED, ORDER_COMPLETED,
          ORDER_TEST, ORDER_V2, ORDER_UNKNOWN, ORDER_NO_SHIPMENT, ORDER_BIG_ID,
          BAD_NAIVE_TIME, BAD_AMOUNT, BAD_CENTS, BAD_REFUND, BAD_CANCEL_TIME, MISSING_ID]


def fixture_versions() -> tuple[dict, dict]:
    """Order #1001 twice, as the tap would emit it: the list answer (orders.json, with its refund refund.json
    embedded as the REST order carries refunds) and the single-order answer (order.json)."""
    listed = json.loads((FIXTURES / "orders.json").read_text(encoding="utf-8"))["orders"][0]
    listed["refunds"] = [json.loads((FIXTURES / "refund.json").read_text(encoding="utf-8"))["refund"]]
    single = json.loads((FIXTURES / "order.json").read_text(encoding="utf-8"))["order"]
    for version in (listed, single):
        version["shop_id"] = FIXTURE_SHOP
        scrub_order(version, "rules-salt")
    return listed, single


def dbt(args: list[str], db: Path, target: Path) -> subprocess.CompletedProcess:
    root = project_dir()
    # the big-amount orders test exactness above the default ceiling (A5)
    dbt_vars = {"orderlayer_channels": ["douyin", "shopify"], "orderlayer_shops": SHOPS, "orderlayer_amount_ceilings": {"default": 100_000_000_000},
                "orderlayer_reporting_timezone": "Asia/Shanghai", "orderlayer_reporting_currency": "CNY"}
    env = {**os.environ, "ORDERLAYER_DB": str(db), "DBT_PROFILES_DIR": str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [str(Path(sys.executable).with_name("dbt")), *args, "--vars", json.dumps(dbt_vars),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)


def sandbox_records(sandbox: ShopifySandbox) -> list[dict]:
    """Every order of the sandbox's shops as the real tap emits them (one in-process sync per shop; its returns aside)."""
    records = []
    for shop in SANDBOX_SHOPS:
        buffer = io.StringIO()
        config = sandbox.tap_config(shop, pii_salt="rules-salt", max_requests_per_second=10_000, burst_requests=10_000,
                                    window_seconds=30 * 86_400)
        with redirect_stdout(buffer):
            TapShopify(config=config, parse_env_config=False).sync_all()
        messages = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
        records += [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "orders"]
    return records


@pytest.fixture(scope="module")
def sandbox() -> ShopifySandbox:
    with ShopifySandbox(21, datetime(2024, 11, 10, 4, tzinfo=timezone.utc), 120, list(SANDBOX_SHOPS), days=10, qps=None) as running:
        records = sandbox_records(running)
    running.synced = records  # type: ignore[attr-defined]
    return running


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sandbox: ShopifySandbox) -> tuple[Path, dict]:
    """The warehouse after one `dbt build` (seeds, models and their tests), and dbt's failed results."""
    work = tmp_path_factory.mktemp("shopify_rules")
    db = work / "rules.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "shopify", "shopify_test", "sync-1")
    listed, single = fixture_versions()
    raw.append("orders", [copy.deepcopy(r) for r in [*SYNC_1, listed]], ["shop_id", "id"], "updated_at")
    raw.sync_id = "sync-2"
    # the late, older version of ORDER_V, #1001's single-order answer, and an exact re-send (adds nothing)
    raw.append("orders", [copy.deepcopy(ORDER_V1), single, copy.deepcopy(ORDER_A)], ["shop_id", "id"], "updated_at")
    synced = store.RawStore(con, "raw", "shopify", "shopify_sandbox", "sync-3")
    synced.append("orders", sandbox.synced, ["shop_id", "id"], "updated_at")  # type: ignore[attr-defined]
    con.close()
    proc = dbt(["build", "--select", "@stg_shopify__orders", "@stg_shopify__order_lines"], db, work / "target")
    results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    failed = {r["unique_id"]: r for r in results if r["status"] in ("fail", "error", "runtime error")}
    assert results and all(r["status"] != "error" for r in results), proc.stdout[-3000:]
    return db, failed


@pytest.fixture(scope="module")
def warehouse(built: tuple[Path, dict]) -> Path:
    return built[0]


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fact(db: Path, order_id: int | str, columns: str) -> tuple:
    found = rows(db, f"select {columns} from audit.fct_orders where channel = 'shopify' and shop_id in {HAND_SHOPS} and channel_order_id = ?",
                 [str(order_id)])
    assert len(found) == 1, found
    return found[0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- contract
def test_staging_matches_the_douyin_contract(warehouse: Path) -> None:
    for entity in ("orders", "order_lines"):
        douyin = rows(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_douyin__{entity}' order by ordinal_position")
        shopify = rows(warehouse, f"select column_name, data_type from information_schema.columns where table_name = 'stg_shopify__{entity}' order by ordinal_position")
        assert shopify == douyin and douyin


def test_raw_keeps_each_version_once(warehouse: Path) -> None:
    # 20 + #1001 (list answer) in sync 1; the late v1 and #1001's single answer in sync 2; the re-sent A adds nothing
    assert rows(warehouse, "select count(*) from raw.shopify__orders where _connection = 'shopify_test'")[0][0] == 23


# --------------------------------------------------------------------------- amounts (A1–A4)
def test_decimal_string_amounts_are_exact(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["id"], "goods_amount, shop_discount_amount, platform_discount_amount, freight_amount, tax_amount, paid_amount") == (
        Decimal("49.99"), Decimal("5.00"), Decimal("0.00"), Decimal("6.95"), Decimal("3.99"), Decimal("55.93")
    )
    assert fact(warehouse, ORDER_BIG["id"], "paid_amount") == (Decimal("19999999999.99"),)
    assert fact(warehouse, ORDER_JPY["id"], "paid_amount, currency") == (Decimal("1500.00"), "JPY")


def test_the_payloads_currency_wins(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["id"], "currency") == ("USD",)
    assert fact(warehouse, ORDER_B["id"], "currency") == ("CNY",)
    # the connection says USD for acme-us, the payload says JPY: the payload is believed
    assert fact(warehouse, ORDER_JPY["id"], "currency") == ("JPY",)


def test_lines_allocation_sums_exactly(warehouse: Path) -> None:
    found = rows(warehouse, """select line_number, channel_line_id, sku_id, quantity, unit_price, line_goods_amount,
                                      line_discount_amount, line_paid_amount
                               from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                               where o.channel_order_id = ? order by line_number""", [str(ORDER_A["id"])])
    # paid 5593 cents × 3998/4999 = 4473.06 → 4473, × 1001/4999 = 1119.94 → 1119; the 1-cent remainder to the larger line.
    # discount 500 × 3998/4999 = 399.88 → 399, × 1001/4999 = 100.12 → 100; remainder 1 cent to the larger line.
    assert found == [
        (1, "11", "44817223000011", 2, Decimal("19.99"), Decimal("39.98"), Decimal("4.00"), Decimal("44.74")),
        (2, "12", "44817223000012", 1, Decimal("10.01"), Decimal("10.01"), Decimal("1.00"), Decimal("11.19")),
    ]


def test_refund_in_the_presentment_currency_becomes_shop_money(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PRES["id"], "refund_amount, is_refunded, is_paid, is_valid, status, paid_amount") == (
        Decimal("20.01"), True, True, True, "shipped", Decimal("100.00")
    )
    found = rows(warehouse, """select l.refund_amount from audit.fct_order_lines l join audit.fct_orders o using (order_key)
                               where o.channel_order_id = ?""", [str(ORDER_PRES["id"])])
    assert found == [(Decimal("18.35"),)]


# --------------------------------------------------------------------------- time (T1–T3)
def test_offset_times_become_utc_and_dates_follow_the_zones(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["id"], "ordered_at, business_date, shop_local_date, paid_at, shipped_at") == (
        utc(2024, 11, 19, 0, 55, 51),  # 19:55:51-05:00
        date(2024, 11, 19),  # 08:55:51 in Beijing (the reporting zone)
        date(2024, 11, 18),  # still the 18th in New York
        utc(2024, 11, 19, 0, 55, 51),  # processed_at of a paid order
        utc(2024, 11, 19, 15, 0, 0),  # the successful shipment, not the cancelled attempt at 13:00 UTC
    )


def test_a_beijing_time_string_becomes_utc(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_B["id"], "ordered_at, business_date, shop_local_date") == (
        utc(2024, 11, 18, 16, 0, 0), date(2024, 11, 19), date(2024, 11, 19)
    )
    assert fact(warehouse, ORDER_B2["id"], "business_date") == (date(2024, 11, 18),)


def test_delivered_and_completed_come_from_shipment_status_and_archiving(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_COMPLETED["id"], "status, shipped_at, delivered_at, completed_at, quality_flags") == (
        "completed", utc(2024, 11, 19, 15, 0), utc(2024, 11, 21, 21, 30), utc(2024, 11, 23, 13, 0), []
    )


# --------------------------------------------------------------------------- status (S1–S3), presale (P1), test orders
def test_cancelled_order(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_CANCELLED["id"], "status, status_native, is_cancelled, is_paid, paid_at, completed_at, cancelled_at, "
                                                  "cancelled_at_source") == (
        "cancelled", "voided/unfulfilled/cancelled", True, False, None,
        None,  # archived, but a cancelled order is not completed
        # Shopify's cancelled_at 09:00:00-05:00 = 14:00:00 UTC, not the first version seen cancelled (updated 14:00:05)
        utc(2024, 11, 20, 14, 0, 0), "platform",
    )


def test_partially_paid_is_not_paid_and_shopify_has_no_presale(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_PARTIAL["id"], "status, is_paid, is_valid, paid_at, order_type, is_presale, deposit_amount, balance_amount") == (
        "pending_payment", False, False, None, "normal", False, None, None
    )


def test_test_orders_are_never_valid(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_TEST["id"], "is_test, is_paid, is_valid") == (True, True, False)


def test_late_older_version_never_wins(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_V2["id"], "status, status_native, is_shipped") == ("shipped", "paid/fulfilled", True)


def test_unknown_status_is_kept_and_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_UNKNOWN["id"], "status, status_native, quality_flags") == (
        "unknown", "pending_review/unfulfilled", ["unmapped_status"]
    )


def test_fulfilled_without_a_shipment_is_flagged(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_NO_SHIPMENT["id"], "status, is_shipped, shipped_at, quality_flags") == (
        "shipped", True, None, ["shipped_without_shipped_at"]
    )


# --------------------------------------------------------------------------- identity, parcels, personal data
def test_ids_stay_text_digit_for_digit(warehouse: Path) -> None:
    order_key, shop_id = fact(warehouse, "9007199254740993", "order_key, shop_id")
    assert shop_id == NY_SHOP
    assert order_key == rows(warehouse, "select md5('shopify|acme-us|9007199254740993')")[0][0]


def test_tracking_numbers_of_live_shipments_only(warehouse: Path) -> None:
    found = rows(warehouse, "select tracking_numbers from audit.map_order_ids where channel_order_id = ?", [str(ORDER_A["id"])])
    assert found == [(["1Z111", "1Z999"],)]


def test_receiver_masks_and_customer_key(warehouse: Path) -> None:
    assert fact(warehouse, ORDER_A["id"], "receiver_province, receiver_city, receiver_phone_masked, receiver_name_masked, customer_key") == (
        "New York", "Brooklyn", "121****0142", "J*** D**", "sha256:5f1c0ffee"
    )


# --------------------------------------------------------------------------- quarantine (D3)
def test_untypable_records_are_quarantined_with_reason(warehouse: Path) -> None:
    reasons = dict(rows(warehouse, "select coalesce(channel_order_id, '(none)'), quarantine_reason from quarantine.quarantine_orders where channel = 'shopify'"))
    # #1001's two answers share updated_at but differ: the earlier landing (the list answer, sync 1) is quarantined
    # naming the later one (D-051); its raw record ids are hashes, so the reason is checked around them
    conflict = reasons.pop("450789469")
    assert conflict.startswith('shopify order "450789469" (raw record ')
    assert ('): conflicting version of order 450789469 — same source_updated_at 2008-01-10T16:00:00Z as shopify order '
            '"450789469" (raw record ') in conflict
    assert conflict.endswith("), different content; the later landing wins (D-051)")
    assert rows(warehouse, """select r._sync_id from quarantine.quarantine_orders q
                              join raw.shopify__orders r on r._record_hash = q.raw_record_id
                              where q.channel_order_id = '450789469'""") == [("sync-1",)]
    # (the sandbox's orders, synced by the real tap, are all typable)
    assert reasons == {
        str(BAD_NAIVE_TIME["id"]): "missing or unparseable created_at",  # no offset: never guessed (T1)
        str(BAD_AMOUNT["id"]): "non-numeric total_price",
        str(BAD_CENTS["id"]): "non-numeric total_price",  # a third decimal does not fit the money type
        str(BAD_REFUND["id"]): "non-numeric refund transaction amount",
        str(BAD_CANCEL_TIME["id"]): "unparseable cancelled_at",
        "(none)": "missing or malformed id",
    }


def test_nothing_lost_raw_equals_facts_plus_quarantine(warehouse: Path) -> None:
    raw_orders = rows(warehouse, "select count(distinct coalesce(_record->>'id', _record_hash)) from raw.shopify__orders where _connection = 'shopify_test'")[0][0]
    facts = rows(warehouse, f"select count(*) from audit.fct_orders where channel = 'shopify' and shop_id in {HAND_SHOPS}")[0][0]
    quarantined = rows(warehouse, "select count(*) from quarantine.quarantine_orders where channel = 'shopify' and not has_valid_version")[0][0]
    assert (raw_orders, facts, quarantined) == (21, 15, 6)


# --------------------------------------------------------------------------- Shopify's sample order #1001
def test_fixture_1001_versions_in_staging(warehouse: Path) -> None:
    """Both answers of #1001, typed by hand from the JSON (amounts in USD, -05:00 → UTC)."""
    found = rows(warehouse, """select status_native, ordered_at, first_paid_at, shipped_at, source_updated_at, goods_amount,
                                      shop_discount_amount, freight_amount, tax_amount, paid_amount, refund_amount, has_refund,
                                      currency, receiver_phone_masked, receiver_name_masked, tracking_numbers, quarantine_reason
                               from staging.stg_shopify__orders where channel_order_id = '450789469' order by source_synced_at""")
    assert found == [
        # orders.json + refund.json: 597.00 − 10.00 + 0.00 shipping + 11.94 tax = 598.94; refunded 209.00 (one successful transaction)
        ("partially_refunded/unfulfilled", utc(2008, 1, 10, 16), utc(2008, 1, 10, 16), None, utc(2008, 1, 10, 16),
         Decimal("597.00"), Decimal("10.00"), Decimal("0.00"), Decimal("11.94"), Decimal("598.94"), Decimal("209.00"), True,
         "USD", "****1199", "B** N*****", [], None),
        # order.json: authorized (not paid); the only shipment failed, so neither shipped nor tracked
        ("authorized/unfulfilled", utc(2008, 1, 10, 16), None, None, utc(2008, 1, 10, 16),
         Decimal("398.00"), Decimal("0.00"), Decimal("0.00"), Decimal("11.94"), Decimal("409.94"), Decimal("0.00"), False,
         "USD", "****1199", "B** N*****", [], None),
    ]


def test_fixture_1001_current_row(warehouse: Path) -> None:
    # Same updated_at in both answers: D1 falls back to the sync time, so order.json (synced later) is current.
    assert fact(warehouse, 450789469, """status, status_native, is_paid, is_valid, is_shipped, is_refunded, paid_amount, goods_amount,
                                         refund_amount, ordered_at, business_date, shop_local_date, quality_flags""") == (
        "pending_payment", "authorized/unfulfilled", False, False, False, False, Decimal("409.94"), Decimal("398.00"),
        Decimal("0.00"), utc(2008, 1, 10, 16), date(2008, 1, 11), date(2008, 1, 10), []
    )
    lines = rows(warehouse, """select line_number, sku_id, line_goods_amount, line_paid_amount from audit.fct_order_lines l
                               join audit.fct_orders o using (order_key) where o.channel_order_id = '450789469' order by 1""")
    # 40994 cents × 19900/59700 = 13664.67 → 13664 per line; the remaining 2 cents go to line 1 (ties: lowest number)
    assert lines == [(1, "39072856", Decimal("199.00"), Decimal("136.66")), (2, "49148385", Decimal("199.00"), Decimal("136.64")),
                     (3, "457924702", Decimal("199.00"), Decimal("136.64"))]


def test_fixture_1001_event_log_holds_only_the_winning_answer(warehouse: Path) -> None:
    """The two answers conflict (same updated_at, authorised vs partially refunded): the list answer is quarantined
    (D-051), so the event log no longer shows the status going back; the single answer, landed later, is the order."""
    found = rows(warehouse, """select e.event_type, e.event_at, e.status_before, e.status_after from audit.fct_order_events e
                               join audit.fct_orders o using (order_key) where o.channel_order_id = '450789469'
                               order by e.event_at, e.event_type""")
    at = utc(2008, 1, 10, 16)
    assert found == [("created", at, None, "pending_payment")]


def test_fixture_1001_quality_findings(built: tuple[Path, dict]) -> None:
    """Which checks the sample's inconsistencies trip, computed by hand from the JSON:

    * order.json says total_line_items_price 398.00, but its three lines are 3 × 199.00 = 597.00: gate R2
      (lines_sum_to_order, red) and the dbt test integrity_daily_totals (shopify, 2008-01-11) both catch it;
    * its discount_codes hold TENOFF 10.00 while total_discounts is 0.00: shop_discount_amount follows the total
      (0.00) and no check can see the unused code;
    * the refund (refund.json) returns 209.00 against refund lines worth 2 × 199.00 + 2 × 3.98 tax = 405.96, and its
      transaction is dated 2005, before the order (2008): refund_amount counts the money returned (209.00); no
      canonical column carries refund times, so no gate sees the dates;
    * the two answers differ (authorised vs partially refunded) with the same updated_at: the list answer is
      quarantined as a conflicting version (D-051) and refund_amount/is_refunded of the current row are 0/false.
    Nothing else: no quality_flags, no R3 time finding, refund within paid.
    """
    from orderlayer.core.config import GateSettings
    from orderlayer.expectations.gates import r2_money, r3_time

    db, failed = built
    # the gate's "now": a fixed instant after every order of this module (all placed by November 2024), not this machine's clock
    checked_at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert list(failed) == ["test.orderlayer.integrity_daily_totals"], sorted(failed)
    assert failed["test.orderlayer.integrity_daily_totals"]["failures"] == 1  # one (channel, business_date): shopify, 2008-01-11
    checks = {c.name: c for c in [*r2_money().checks, *r3_time(GateSettings(), checked_at).checks]}

    def flagged(name: str) -> list[str]:
        predicate = checks[name].predicate_on("audit.fct_orders")
        return sorted(r[0] for r in rows(db, f"select channel_order_id from audit.fct_orders where channel = 'shopify' and ({predicate})"))

    # (over every Shopify order: the sandbox's orders, synced by the real tap, add up)

    assert flagged("lines_sum_to_order") == ["450789469"]
    for name in ("refund_within_paid", "paid_not_before_ordered", "ordered_at_plausible", "paid_amount_non_negative"):
        assert flagged(name) == [], name


# --------------------------------------------------------------------------- the sandbox through the real tap
STATUS_OF_FACT = {  # the sandbox's neutral status -> the canonical statuses it may show as
    "pending_payment": {"pending_payment"}, "paid": {"paid"}, "shipped": {"shipped", "delivered"},
    "completed": {"completed"}, "cancelled": {"cancelled"},
}


def test_sandbox_orders_through_the_tap_match_the_sandbox_facts(warehouse: Path, sandbox: ShopifySandbox) -> None:
    """tap → raw → staging → marts agrees with what the sandbox says about each order (money, currency, refunds
    converted from presentment currencies, status, parcels); the New York shop crosses the DST switch."""
    found = {
        (r[0], r[1]): r[2:]
        for r in rows(warehouse, f"""select o.shop_id, o.channel_order_id, o.paid_amount, o.currency, o.refund_amount, o.status,
                                           o.is_paid, m.tracking_numbers, o.quality_flags
                                    from audit.fct_orders o join audit.map_order_ids m using (order_key)
                                    where o.shop_id in {SANDBOX_SHOPS}""")
    }
    facts = list(sandbox.order_facts())
    assert len(found) == len(facts) == 120
    refunds_converted = 0
    for f in facts:
        paid, currency, refund, status, is_paid, tracking, flags = found[(f.shop_id, f.channel_order_id)]
        assert (paid, currency, refund) == (f.paid_amount, f.currency, f.refund_amount), f
        assert status in STATUS_OF_FACT[f.status], (f, status)
        assert is_paid == (f.paid_at is not None), f
        assert tracking == list(f.tracking_numbers) and flags == []
        refunds_converted += refund > 0
    assert refunds_converted > 5
    presentment_refunds = [r for r in sandbox.synced for x in r["refunds"] for t in x["transactions"]  # type: ignore[attr-defined]
                           if t["status"] == "success" and t["currency"] != r["currency"]]
    assert presentment_refunds, "some refunds were converted from a presentment currency"
