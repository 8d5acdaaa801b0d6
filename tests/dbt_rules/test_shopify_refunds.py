"""stg_shopify__refunds on hand-written records: REST orders with their embedded refunds, and Admin GraphQL returns as
tap-shopify emits them; every expected value computed by hand. Landed with the real loader store, built once with
the quarantine models that read it (every Return accounted: gate R4, D-066)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from tests.dbt_rules.test_shopify_rules import NY_SHOP, dbt, line, money, order, rows
from tests.dbt_rules.refunds_contract import COLUMNS, refund_row

from orderlayer.core.warehouse import connect
from orderlayer.loader import raw_store as store


def tx(status: str, amount: str, currency: str = "USD", at: str = "2024-11-22T10:05:00-05:00") -> dict:
    return {"kind": "refund", "status": status, "amount": amount, "currency": currency, "processed_at": at, "created_at": at}


def refund(refund_id: int, lines: list[tuple[int, str]], transactions: list[dict], created: str = "2024-11-22T10:00:00-05:00") -> dict:
    return {"id": refund_id, "created_at": created, "processed_at": created, "restock": False, "note": None,
            "refund_line_items": [{"line_item_id": line_id, "quantity": 1, "restock_type": kind} for line_id, kind in lines],
            "transactions": transactions, "order_adjustments": []}


# 1. Bought in CAD: shop total 100.00 USD, presentment 136.41 CAD. One unit of line 61 returned (a Return), then
#    refunded 27.29 CAD after a failed attempt: 27.29 × 100.00 / 136.41 = 20.0059 → 20.01 USD.
ORDER_CAD = order(6_200_000_000_001, financial_status="partially_refunded", fulfillment_status="fulfilled",
                  presentment_currency="CAD", total_price="100.00", total_price_set=money("100.00", "136.41", "USD", "CAD"),
                  line_items=[line(61, "50.00", 2)], updated_at="2024-11-22T10:05:00-05:00",
                  refunds=[refund(9_600_000_000_001, [(61, "return")],
                                  [tx("failure", "27.29", "CAD", "2024-11-22T09:00:00-05:00"), tx("success", "27.29", "CAD")])])
# 2. Cancelled before shipment: the line removed and restocked, 30.00 back.
ORDER_CANCELLED = order(6_200_000_000_002, financial_status="refunded", cancelled_at="2024-11-19T08:00:00-05:00", cancel_reason="customer",
                        refunds=[refund(9_600_000_000_002, [(1, "cancel")], [tx("success", "30.00", at="2024-11-19T08:00:00-05:00")],
                                        created="2024-11-19T08:00:00-05:00")])
# 3. Two refunds on one order: a unit of line 11 without the goods back (10.00), then the shipping, still pending (6.95).
ORDER_TWO = order(6_200_000_000_003, financial_status="partially_refunded", fulfillment_status="fulfilled",
                  line_items=[line(11, "10.00", 2), line(12, "16.95", 1)], total_price="36.95", total_price_set=money("36.95"),
                  refunds=[refund(9_600_000_000_031, [(11, "no_restock")], [tx("success", "10.00")]),
                           refund(9_600_000_000_032, [], [tx("pending", "6.95", at="2024-11-23T10:00:00-05:00")],
                                  created="2024-11-23T10:00:00-05:00")])
# 4. Every attempt failed: nothing went back; the 5.00 attempted is the amount.
ORDER_FAILED = order(6_200_000_000_004, refunds=[refund(9_600_000_000_004, [(1, "no_restock")], [tx("failure", "5.00")])])
# 5. Lines 51 (2 × 25.00, 5.00 discount on the line) and 52 (10.00); returns of one unit of each, no refund yet.
ORDER_RETURNS = order(6_200_000_000_005, fulfillment_status="fulfilled", total_price="55.00", total_price_set=money("55.00"),
                      line_items=[line(51, "25.00", 2, discount_allocations=[{"amount": "5.00", "amount_set": money("5.00")}]),
                                  line(52, "10.00", 1)])
BAD_REFUND = order(6_200_000_000_009, refunds=[refund(9_600_000_000_009, [(1, "no_restock")], [tx("success", "12,50")])])
# 6. Two bad refunds in one order version (one raw row): an amount with a comma, and no creation time.
TWO_BAD = order(6_200_000_000_010, refunds=[refund(9_600_000_000_101, [(1, "no_restock")], [tx("success", "1,00")]),
                                           refund(9_600_000_000_102, [(1, "no_restock")], [tx("success", "2.00")], created=None)])


def ret(return_id: int, order_id: int, status: str, updated: str, line_id: int, **extra: object) -> dict:
    base = {
        "id": str(return_id), "admin_graphql_api_id": f"gid://shopify/Return/{return_id}", "shop_id": NY_SHOP,
        "order_id": str(order_id), "updated_at": updated, "name": "#1001-R1", "status": status,
        "createdAt": "2024-11-20T09:00:00-05:00", "totalQuantity": 1,
        "returnLineItems": {"nodes": [{"id": "gid://shopify/ReturnLineItem/1", "quantity": 1, "returnReason": "SIZE_TOO_SMALL",
                                       "customerNote": None, "fulfillmentLineItem": {"lineItem": {"id": f"gid://shopify/LineItem/{line_id}"}}}]},
        "refunds": {"nodes": []}, "reverseFulfillmentOrders": {"nodes": []},
    }
    base.update(extra)
    return base


def reverse(dispositions: list[str]) -> dict:
    return {"nodes": [{"id": "gid://shopify/ReverseFulfillmentOrder/1", "status": "CLOSED" if dispositions else "OPEN",
                       "reverseDeliveries": {"nodes": [{"deliverable": {"tracking": {"number": "1ZRETURN01", "carrierName": "UPS"}}}]},
                       "lineItems": {"nodes": [{"totalQuantity": 1, "dispositions": [{"type": t, "quantity": 1} for t in dispositions]}]}}]}


LINKED = {"nodes": [{"id": "gid://shopify/Refund/9600000000001"}]}
# The CAD order's return: under way (parcel sent), then closed with the refund and the goods not restocked, then the
# order changes again. Landed newest first; the goods were first seen back at 14:00 UTC on the 22nd.
RETURN_V1 = ret(9_900_000_000_001, 6_200_000_000_001, "OPEN", "2024-11-20T20:00:00Z", 61, reverseFulfillmentOrders=reverse([]))
RETURN_V2 = ret(9_900_000_000_001, 6_200_000_000_001, "CLOSED", "2024-11-22T14:00:00Z", 61, refunds=LINKED,
                reverseFulfillmentOrders=reverse(["NOT_RESTOCKED"]))
RETURN_V3 = {**RETURN_V2, "updated_at": "2024-11-23T00:00:00Z"}
RETURN_OPEN = ret(9_900_000_000_051, 6_200_000_000_005, "OPEN", "2024-11-21T12:00:00Z", 51, reverseFulfillmentOrders=reverse([]))
RETURN_DECLINED = ret(9_900_000_000_052, 6_200_000_000_005, "DECLINED", "2024-11-21T13:00:00Z", 52, returnLineItems={"nodes": [
    {"quantity": 1, "returnReason": "UNWANTED", "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/52"}}}]})
RETURN_EXCHANGE = ret(9_900_000_000_053, 6_200_000_000_005, "CLOSED", "2024-11-21T14:00:00Z", 52)  # closed without money: left out
RETURN_NO_ORDER = ret(9_900_000_000_099, 6_200_000_000_099, "REQUESTED", "2024-11-21T15:00:00Z", 991)
# closed with a refund its order's landed version does not show yet (the order is re-read later): quarantined
# a status this model does not know: quarantined with it, not dropped
RETURN_UNKNOWN = ret(9_900_000_000_055, 6_200_000_000_005, "ARCHIVED", "2024-11-21T17:00:00Z", 52)
RETURN_UNSETTLED = ret(9_900_000_000_054, 6_200_000_000_005, "CLOSED", "2024-11-21T16:00:00Z", 51,
                       refunds={"nodes": [{"id": "gid://shopify/Refund/9600000000077"}]})


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("shopify_refunds")
    db = tmp / "refunds.duckdb"
    con = connect(db, create=True)
    raw = store.RawStore(con, "raw", "shopify", "test", "sync-1")
    raw.append("orders", [ORDER_CAD, ORDER_CANCELLED, ORDER_TWO, ORDER_FAILED, ORDER_RETURNS, BAD_REFUND, TWO_BAD], ["shop_id", "id"], "updated_at")
    raw.append("returns", [RETURN_V3, RETURN_OPEN, RETURN_DECLINED, RETURN_EXCHANGE, RETURN_NO_ORDER, RETURN_UNSETTLED,
                          RETURN_UNKNOWN],
               ["shop_id", "id"], "updated_at")
    raw.sync_id = "sync-2"
    # an older version of the CAD order (no refund yet) and the return's earlier versions land late
    raw.append("orders", [{**ORDER_CAD, "refunds": [], "updated_at": "2024-11-20T10:00:00-05:00"}], ["shop_id", "id"], "updated_at")
    raw.append("returns", [RETURN_V1, RETURN_V2], ["shop_id", "id"], "updated_at")
    con.close()
    # the quarantine models union every staged channel's refunds: douyin's (no raw rows) builds empty beside
    built = dbt(["build", "--select", "channels", "stg_douyin__refunds", "stg_shopify__refunds", "quarantine_refunds",
                 "refunds_left_out", "--resource-type", "seed", "--resource-type", "model", "--resource-type", "test"],
                db, tmp / "target")
    assert built.returncode == 0, built.stdout[-4000:]
    return db


def row(db: Path, refund_id: int) -> dict:
    return refund_row(rows, db, "stg_shopify__refunds", str(refund_id))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_a_presentment_refund_of_a_returned_unit(warehouse: Path) -> None:
    r = row(warehouse, 9_600_000_000_001)
    assert (r["channel"], r["shop_id"], r["channel_order_id"], r["channel_line_id"]) == ("shopify", NY_SHOP, "6200000000001", "61")
    assert (r["refund_type"], r["status"], r["status_native"]) == ("return_and_refund", "refunded", "failure,success")
    assert (r["refund_amount"], r["currency"]) == (Decimal("20.01"), "USD")
    assert (r["requested_at"], r["refunded_at"], r["source_updated_at"]) == (utc(2024, 11, 22, 15), utc(2024, 11, 22, 15, 5), utc(2024, 11, 22, 15, 5))
    assert (r["reason_code"], r["reason_text"], r["return_tracking_number"], r["return_carrier"]) == ("SIZE_TOO_SMALL", None, "1ZRETURN01", "UPS")
    assert (r["return_received_at"], r["is_restocked"], r["quarantine_reason"]) == (utc(2024, 11, 22, 14), False, None)


def test_types_statuses_and_lines_of_refunds(warehouse: Path) -> None:
    found = [row(warehouse, k) for k in (9_600_000_000_002, 9_600_000_000_031, 9_600_000_000_032, 9_600_000_000_004)]
    assert [(r["refund_type"], r["status"], r["channel_line_id"], r["refund_amount"], r["refunded_at"], r["is_restocked"]) for r in found] == [
        ("cancel_refund", "refunded", "1", Decimal("30.00"), utc(2024, 11, 19, 13), True),
        ("refund_only", "refunded", "11", Decimal("10.00"), utc(2024, 11, 22, 15, 5), False),
        ("refund_only", "approved", None, Decimal("6.95"), None, False),  # shipping only: no line; `restock` false
        ("refund_only", "cancelled", "1", Decimal("5.00"), None, False),
    ]
    assert all(r["return_tracking_number"] is None and r["reason_code"] is None for r in found)


def test_returns_without_a_refund_are_valued_from_their_order_line(warehouse: Path) -> None:
    opened, declined = row(warehouse, 9_900_000_000_051), row(warehouse, 9_900_000_000_052)
    # line 51: (2 × 25.00 − 5.00) / 2 = 22.50 a unit; line 52: 10.00
    assert (opened["status"], opened["status_native"], opened["refund_amount"], opened["channel_line_id"]) == ("approved", "OPEN", Decimal("22.50"), "51")
    assert (opened["refund_type"], opened["return_tracking_number"], opened["refunded_at"], opened["is_restocked"]) == ("return_and_refund", "1ZRETURN01", None, None)
    assert (declined["status"], declined["refund_amount"], declined["reason_code"]) == ("rejected", Decimal("10.00"), "UNWANTED")
    assert (opened["requested_at"], opened["source_updated_at"]) == (utc(2024, 11, 20, 14), utc(2024, 11, 21, 12))
    assert row(warehouse, 9_900_000_000_099)["quarantine_reason"] == "order line of a returned item not landed (amount unknown)"


def test_closed_returns_without_money_are_left_out_and_bad_refunds_quarantined(warehouse: Path) -> None:
    # the refunded Return has no row of its own (its refund stands for it); the one closed without money is an exchange
    assert rows(warehouse, "select count(*) from staging.stg_shopify__refunds where refund_id = '9900000000001'") == [(0,)]
    closed = row(warehouse, 9_900_000_000_053)
    assert (closed["refund_type"], closed["status"], closed["status_native"]) == ("exchange", None, "CLOSED")
    assert rows(warehouse, "select record_id, rule from quarantine.refunds_left_out") == [
        ("9900000000053", "exchange: the goods are swapped, resent or repaired; no money goes back")]
    assert row(warehouse, 9_600_000_000_009)["quarantine_reason"] == "non-numeric refund transaction amount"
    # 5 refunds of orders 1-4, 1 + 2 of orders 9 and 10; Returns 051, 052, 053, 099, 054 and 055 of their own
    assert rows(warehouse, "select count(*), count(distinct refund_id) from staging.stg_shopify__refunds") == [(14, 14)]


def return_hash(record: dict) -> str:
    """The raw row of a Return version, as the loader stores it."""
    return store.raw_row("returns", record, ["shop_id", "id"], "updated_at", None).digest


def test_every_return_is_named_by_the_rows_that_account_for_it(warehouse: Path) -> None:
    # a refund names the Return it settles by the Return's latest version; an open Return names itself
    assert row(warehouse, 9_600_000_000_001)["after_sale_record_id"] == return_hash(RETURN_V3)
    for ret_record in (RETURN_OPEN, RETURN_DECLINED, RETURN_EXCHANGE, RETURN_NO_ORDER, RETURN_UNSETTLED, RETURN_UNKNOWN):
        r = row(warehouse, int(ret_record["id"]))
        assert r["after_sale_record_id"] == r["raw_record_id"] == return_hash(ret_record)
    # refunds no Return names are no after-sale record: accounted with their order
    named = rows(warehouse, "select refund_id from staging.stg_shopify__refunds where after_sale_record_id is null order by refund_id")
    assert named == [(str(k),) for k in (9_600_000_000_002, 9_600_000_000_004, 9_600_000_000_009, 9_600_000_000_031,
                                         9_600_000_000_032, 9_600_000_000_101, 9_600_000_000_102)]
    # R4's balance: 7 Returns in raw = 7 distinct records named by facts, quarantine and left-out rows
    (raw,) = rows(warehouse, "select count(distinct _primary_key) from raw.shopify__returns")[0]
    (named_records,) = rows(warehouse, "select count(distinct after_sale_record_id) from staging.stg_shopify__refunds")[0]
    assert raw == named_records == 7


def test_a_return_whose_refunds_its_order_does_not_show_or_of_an_unknown_status_is_quarantined(warehouse: Path) -> None:
    r = row(warehouse, 9_900_000_000_054)
    assert (r["refund_type"], r["status_native"], r["channel_order_id"]) == ("return_and_refund", "CLOSED", "6200000000005")
    assert r["quarantine_reason"] == "refunds.nodes of the Return not in its order's latest version (order not landed or not re-read yet)"
    r = row(warehouse, 9_900_000_000_055)
    assert (r["refund_type"], r["status"], r["status_native"]) == ("return_and_refund", None, "ARCHIVED")
    assert r["quarantine_reason"] == 'Return status "ARCHIVED" is not REQUESTED, OPEN, CLOSED, DECLINED or CANCELED'



def refund_key(refund_id: int) -> str:
    return hashlib.md5(f"shopify|{NY_SHOP}|{refund_id}".encode()).hexdigest()


def test_two_bad_refunds_of_one_order_version_are_both_quarantined_by_their_own_key(warehouse: Path) -> None:
    found = rows(warehouse, """select refund_key, raw_record_id, record_type, record_id, quarantine_reason
                               from quarantine.quarantine_refunds where channel_order_id = '6200000000010' order by record_id""")
    assert [(k, t, i, why) for k, _, t, i, why in found] == [
        (refund_key(9_600_000_000_101), "refund_only", "9600000000101", "non-numeric refund transaction amount"),
        (refund_key(9_600_000_000_102), "refund_only", "9600000000102", "missing or unparseable refunds.created_at"),
    ]
    # one order version, one raw row: the two share it (the build's unique test is on refund_key, and passed)
    assert found[0][1] == found[1][1] == row(warehouse, 9_600_000_000_101)["raw_record_id"]
    # every quarantined record: the three bad refunds (orders 9 and 10) and Returns 099, 054 and 055
    assert rows(warehouse, "select count(*) from quarantine.quarantine_refunds") == [(6,)]


def test_the_contract_columns_and_types_are_tiktoks(warehouse: Path) -> None:
    sql = ("select column_name, data_type from information_schema.columns where table_name = 'stg_shopify__refunds' "
           "order by ordinal_position")
    found = rows(warehouse, sql)
    assert [c for c, _ in found] == list(COLUMNS)
    assert dict(found)["refund_amount"] == "DECIMAL(18,2)" and dict(found)["is_restocked"] == "BOOLEAN"
    assert {t for c, t in found if c.endswith("_at")} == {"TIMESTAMP WITH TIME ZONE"}
