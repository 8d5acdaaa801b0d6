"""stg_tiktok_shop__refunds on hand-written return records (as the return search sends them, plus the tap's
`shop_id`), each expected value computed by hand. The raw records are landed with the real loader store and the
real dbt project builds the model once for the module (TZ America/New_York: nothing may depend on the machine's)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from tests.dbt_rules.refunds_contract import COLUMNS, refund_row
from tests.dbt_rules.test_tiktok_shop_rules import US_SHOP, VN_SHOP, dbt, land, order, rows, unit

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store


# The order: 2 units of SKU X at 19.99 (units ...501, ...502: one canonical line, id ...501) and 1 of SKU Y (...503).
ORDER = order("576460752303423489", status="COMPLETED", line_items=[
    unit("576460752303423501", "1729385019432179377", "19.99", "17.99", "COMPLETED"),
    unit("576460752303423502", "1729385019432179377", "19.99", "17.99", "COMPLETED"),
    unit("576460752303423503", "9007199254740993", "10.01", "10.01", "COMPLETED"),
])
# An older version of the order, landed later, lists the units in another order: the latest version maps them.
ORDER_OLD = {**ORDER, "status": "DELIVERED", "update_time": 1731910000, "line_items": list(reversed(ORDER["line_items"]))}


def money(total: str, currency: str | None = "USD") -> dict:
    return {"refund_total": total} if currency is None else {"currency": currency, "refund_total": total}


def ret(return_id: str, units: list[str], status: str, update_time: int, **extra: object) -> dict:
    base = {
        "return_id": return_id, "shop_id": US_SHOP, "order_id": ORDER["id"], "return_type": "REFUND",
        "return_status": status, "return_reason": "ecom_order_delivered_refund_and_return_reason_damaged",
        "return_reason_text": "Damaged item", "create_time": 1732000000, "update_time": update_time,
        "refund_amount": money("19.47"), "buyer_remarks": None,
        "return_line_items": [{"order_line_item_id": u, "sku_id": "1729385019432179377"} for u in units],
    }
    base.update(extra)
    return base


# A partial line refund: one unit (…502) of line …501 returned and refunded 17.99 + tax 1.48 = 19.47. Versions
# requested (2024-11-19 07:06:40), awaiting the buyer's parcel, shipped, accepted at 1732300000, refunded at 1732303600.
PARTIAL = [
    ret("4792994040437759001", ["576460752303423502"], "RETURN_OR_REFUND_REQUEST_PENDING", 1732000000, return_type="RETURN_AND_REFUND"),
    ret("4792994040437759001", ["576460752303423502"], "AWAITING_BUYER_SHIP", 1732050000, return_type="RETURN_AND_REFUND"),
    ret("4792994040437759001", ["576460752303423502"], "BUYER_SHIPPED_ITEM", 1732100000, return_type="RETURN_AND_REFUND",
        return_tracking_number="9400000000000001995588", return_provider_name="USPS"),
    ret("4792994040437759001", ["576460752303423502"], "RETURN_OR_REFUND_REQUEST_SUCCESS", 1732300000, return_type="RETURN_AND_REFUND",
        return_tracking_number="9400000000000001995588", return_provider_name="USPS"),
    ret("4792994040437759001", ["576460752303423502"], "RETURN_OR_REFUND_REQUEST_COMPLETE", 1732303600, return_type="RETURN_AND_REFUND",
        return_tracking_number="9400000000000001995588", return_provider_name="USPS"),
]
# Refund only of units of two lines (…501 and …503): no single line; approved, not yet refunded.
SPAN = ret("4792994040437759002", ["576460752303423501", "576460752303423503"], "RETURN_OR_REFUND_REQUEST_SUCCESS", 1732010000,
           refund_amount=money("30.31"))
REJECTED = ret("4792994040437759003", ["576460752303423503"], "REFUND_OR_RETURN_REQUEST_REJECT", 1732020000, refund_amount=money("10.84"))
WITHDRAWN = ret("4792994040437759004", ["576460752303423503"], "RETURN_OR_REFUND_REQUEST_CANCEL", 1732030000, refund_amount=money("10.84"))
# VND: whole-dong strings; the order is not landed, so no line can be named.
VN = ret("4792994040437759005", ["585058128552625325"], "RETURN_OR_REFUND_REQUEST_COMPLETE", 1786830778, shop_id=VN_SHOP,
         order_id="585058128552559789", refund_amount=money("553169", "VND"), create_time=1786800000)
# No currency on the request: the US connection's USD.
NO_CURRENCY = ret("4792994040437759006", ["576460752303423503"], "RETURN_OR_REFUND_REQUEST_PENDING", 1732040000, refund_amount=money("10.84", None))
# An exchange: no money back, not a refund.
REPLACEMENT = ret("4792994040437759007", ["576460752303423503"], "AWAITING_BUYER_SHIP", 1732040000, return_type="REPLACEMENT",
                  refund_amount=money("0.00"))
UNKNOWN_STATUS = ret("4792994040437759008", ["576460752303423503"], "RETURN_OR_REFUND_REQUEST_LIMBO", 1732040000)
BAD_AMOUNT = ret("4792994040437759009", ["576460752303423503"], "RETURN_OR_REFUND_REQUEST_PENDING", 1732040000, refund_amount=money("12,50"))




def cancel(cancel_id: str, units: list[str], status: str, update_time: int, total: str, **extra: object) -> dict:
    base = {
        "cancel_id": cancel_id, "shop_id": US_SHOP, "order_id": ORDER["id"], "cancel_type": "BUYER_CANCEL", "role": "BUYER",
        "cancel_status": status, "cancel_reason": "ecom_order_unpaid_cancel_reason_no_longer_needed",
        "cancel_reason_text": "No longer needed", "create_time": 1731930000, "update_time": update_time,
        "refund_amount": money(total), "cancel_line_items": [{"order_line_item_id": u} for u in units],
    }
    base.update(extra)
    return base


# The whole order cancelled at the buyer's request: requested 1731930000, refunded (complete) at 1731940000; its units
# span two lines, so no line. One unit (…503) cancelled alone: its own line. A request still pending.
CANCEL_VERSIONS = [cancel("5764607523034249001", ["576460752303423501", "576460752303423502", "576460752303423503"],
                          "CANCELLATION_REQUEST_PENDING", 1731930000, "47.98"),
                   cancel("5764607523034249001", ["576460752303423501", "576460752303423502", "576460752303423503"],
                          "CANCELLATION_REQUEST_COMPLETE", 1731940000, "47.98")]
CANCEL_UNIT = cancel("5764607523034249002", ["576460752303423503"], "CANCELLATION_REQUEST_COMPLETE", 1731935000, "10.01",
                     cancel_type="CANCEL", role="SELLER", cancel_reason="seller_cancel_reason_out_of_stock", cancel_reason_text="Out of stock")
CANCEL_PENDING = cancel("5764607523034249003", ["576460752303423503"], "CANCELLATION_REQUEST_PENDING", 1731931000, "10.01")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("tiktok_refunds")
    db = tmp / "refunds.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "tiktok_shop", "test", "sync-1")
    raw.append("orders", land([ORDER]), ["shop_id", "id"], "update_time")
    # the refunded version lands first; the earlier versions come later and must not win
    raw.append("returns", land([PARTIAL[4], SPAN, REJECTED, WITHDRAWN, VN, NO_CURRENCY, REPLACEMENT, UNKNOWN_STATUS, BAD_AMOUNT]),
               ["shop_id", "return_id"], "update_time")
    raw.sync_id = "sync-2"
    raw.append("orders", land([ORDER_OLD]), ["shop_id", "id"], "update_time")
    raw.append("returns", land(PARTIAL[:4]), ["shop_id", "return_id"], "update_time")
    raw.append("cancellations", land([CANCEL_VERSIONS[1], CANCEL_UNIT, CANCEL_PENDING, CANCEL_VERSIONS[0]]), ["shop_id", "cancel_id"], "update_time")
    con.close()
    built = dbt(["build", "--select", "stg_tiktok_shop__refunds", "--resource-type", "model", "--resource-type", "test"], db, tmp)
    assert built.returncode == 0, built.stdout[-4000:]
    return db


def refund(db: Path, refund_id: str) -> dict:
    return refund_row(rows, db, "stg_tiktok_shop__refunds", refund_id)


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def test_a_partial_line_return_in_its_latest_version(warehouse: Path) -> None:
    row = refund(warehouse, "4792994040437759001")
    assert (row["channel"], row["shop_id"], row["channel_order_id"]) == ("tiktok_shop", US_SHOP, "576460752303423489")
    assert row["channel_line_id"] == "576460752303423501"  # unit …502 belongs to the line of its first unit …501
    assert (row["refund_type"], row["status"], row["status_native"]) == ("return_and_refund", "refunded", "RETURN_OR_REFUND_REQUEST_COMPLETE")
    assert (row["refund_amount"], row["currency"]) == (Decimal("19.47"), "USD")
    assert row["requested_at"] == datetime(2024, 11, 19, 7, 6, 40, tzinfo=timezone.utc)
    assert (row["refunded_at"], row["return_received_at"], row["source_updated_at"]) == (utc(1732303600), utc(1732300000), utc(1732303600))
    assert (row["return_tracking_number"], row["return_carrier"], row["is_restocked"]) == ("9400000000000001995588", "USPS", None)
    assert (row["reason_code"], row["reason_text"]) == ("ecom_order_delivered_refund_and_return_reason_damaged", "Damaged item")
    assert row["quarantine_reason"] is None and row["connection_name"] == "test"


def test_statuses_types_and_lines(warehouse: Path) -> None:
    found = {r["refund_id"][-1]: r for r in (refund(warehouse, f"479299404043775900{k}") for k in (2, 3, 4, 6))}
    assert [(r["refund_type"], r["status"], r["channel_line_id"], r["refund_amount"], r["refunded_at"], r["return_received_at"])
            for r in found.values()] == [
        ("refund_only", "approved", None, Decimal("30.31"), None, None),  # units of two lines: no single line
        ("refund_only", "rejected", "576460752303423503", Decimal("10.84"), None, None),
        ("refund_only", "cancelled", "576460752303423503", Decimal("10.84"), None, None),
        ("refund_only", "requested", "576460752303423503", Decimal("10.84"), None, None),
    ]
    assert found["6"]["currency"] == "USD"  # from the connection
    assert all(r["return_tracking_number"] is None and r["quarantine_reason"] is None for r in found.values())


def test_vnd_is_whole_dong_and_an_unlanded_order_names_no_line(warehouse: Path) -> None:
    row = refund(warehouse, "4792994040437759005")
    assert (row["refund_amount"], row["currency"], row["channel_line_id"], row["status"]) == (Decimal("553169.00"), "VND", None, "refunded")
    assert row["refunded_at"] == utc(1786830778)


def test_exchanges_are_typed_exchange_and_bad_records_are_quarantined_with_the_field(warehouse: Path) -> None:
    # a replacement stays as an `exchange` row: union_refunds() leaves it out of the facts, refunds_left_out counts it
    assert rows(warehouse, "select refund_type from staging.stg_tiktok_shop__refunds where refund_id = '4792994040437759007'") == [("exchange",)]
    assert refund(warehouse, "4792994040437759008")["quarantine_reason"] == "unknown return_status"
    assert refund(warehouse, "4792994040437759009")["quarantine_reason"] == "non-numeric refund_amount.refund_total"
    assert rows(warehouse, "select count(*), count(distinct refund_id) from staging.stg_tiktok_shop__refunds") == [(12, 12)]


def test_cancellations_are_cancel_refunds(warehouse: Path) -> None:
    whole, unit_, pending = (refund(warehouse, f"576460752303424900{k}") for k in (1, 2, 3))
    assert (whole["refund_type"], whole["status"], whole["status_native"], whole["channel_line_id"]) == (
        "cancel_refund", "refunded", "CANCELLATION_REQUEST_COMPLETE", None)
    assert (whole["refund_amount"], whole["requested_at"], whole["refunded_at"]) == (Decimal("47.98"), utc(1731930000), utc(1731940000))
    assert (unit_["channel_line_id"], unit_["refund_amount"], unit_["reason_code"], unit_["reason_text"]) == (
        "576460752303423503", Decimal("10.01"), "seller_cancel_reason_out_of_stock", "Out of stock")
    assert (pending["status"], pending["refunded_at"], pending["return_tracking_number"]) == ("requested", None, None)


def test_the_contract_columns_and_types(warehouse: Path) -> None:
    found = rows(warehouse, "select column_name, data_type from information_schema.columns "
                            "where table_name = 'stg_tiktok_shop__refunds' order by ordinal_position")
    assert [c for c, _ in found] == list(COLUMNS)
    assert found == [
        ("raw_record_id", "VARCHAR"), ("connection_name", "VARCHAR"), ("source_synced_at", "TIMESTAMP WITH TIME ZONE"),
        ("channel", "VARCHAR"), ("shop_id", "VARCHAR"), ("refund_id", "VARCHAR"), ("after_sale_record_id", "VARCHAR"),
        ("channel_order_id", "VARCHAR"),
        ("channel_line_id", "VARCHAR"), ("refund_type", "VARCHAR"), ("status", "VARCHAR"), ("status_native", "VARCHAR"),
        ("refund_amount", "DECIMAL(18,2)"), ("currency", "VARCHAR"), ("requested_at", "TIMESTAMP WITH TIME ZONE"),
        ("refunded_at", "TIMESTAMP WITH TIME ZONE"), ("source_updated_at", "TIMESTAMP WITH TIME ZONE"),
        ("reason_code", "VARCHAR"), ("reason_text", "VARCHAR"), ("return_tracking_number", "VARCHAR"),
        ("return_carrier", "VARCHAR"), ("return_received_at", "TIMESTAMP WITH TIME ZONE"), ("is_restocked", "BOOLEAN"),
        ("quarantine_reason", "VARCHAR"),
    ]
