"""Real example responses from outside the team, replayed through the taps' own parsing (``real_examples.py``).

The payloads are the fact sheets' examples (copies and their origins in ``tests/fixtures/<source>/``). Every
expected value is a literal read off the example by hand: ids digit for digit, amounts as written, times as the
platform sent them. Salted hashes are pinned to their hex digest: ``sha256(salt + value)`` over the replay salt,
computed by the team with ``hashlib`` outside the tap (team-computed vectors, labelled as such below), so a change
to the pseudonym rule fails here instead of being recomputed by the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import jsonschema
import pytest
from tests.taps import real_examples as ex

# Team-computed: sha256("real-examples-pii-salt-2f7a" + value).hexdigest(), by hashlib, for the values named.
DIGEST_OF_REDACTED = "sha256:6c3ec476edee82edead540dd48ddd909aa0807a407d9a8b723c88b9fe8a00ea5"  # "<redacted>"
DIGEST_OF_DOUDIAN_OPEN_ID = "sha256:2a0d9c1c88f5b4fce348125028e972bea7de4546e581c7ffcab7279cc1dbbf09"  # "1@#VrtJKX59…"
DIGEST_OF_SHOPIFY_CUSTOMER = "sha256:16d48312b61207c5a959468148043895cfae49e4382a0f0b80eb4c43c57d2a02"  # "207119551"


def only(records: list[dict]) -> dict:
    assert len(records) == 1
    return records[0]


def test_salt_is_the_one_the_digests_were_computed_with() -> None:
    assert ex.PII_SALT == "real-examples-pii-salt-2f7a"


def test_pinduoduo_order() -> None:
    record = only(ex.pinduoduo_records())
    assert record["order_sn"] == "240318-422796379670125"
    assert record["shop_id"] == "100200300"  # the payload names no shop: the configured one
    assert (record["order_status"], record["confirm_status"], record["group_status"], record["refund_status"]) == (1, 1, 1, 1)
    # yuan amounts exactly as written (one decimal place on the wire), never floats
    assert (record["goods_amount"], record["discount_amount"], record["seller_discount"], record["pay_amount"]) == (
        Decimal("198.0"), Decimal("10.0"), Decimal("10.0"), Decimal("188.0"))
    assert all(isinstance(record[k], Decimal) for k in ("goods_amount", "pay_amount", "postage", "platform_discount"))
    # Beijing wall-clock strings pass through untouched (staging turns them into UTC)
    assert (record["created_time"], record["pay_time"], record["updated_at"]) == ("2024-03-18 17:12:59", "2024-03-18 17:13:00", "2024-03-18 17:43:00")
    [line] = record["item_list"]
    assert (line["goods_id"], line["sku_id"], line["outer_id"], line["goods_count"], line["goods_price"]) == (
        "3956183219", "840777314605", "M880", 1, Decimal("198.0"))
    # ciphertexts dropped, the platform's masks kept
    assert (record["receiver_phone"], record["receiver_name"], record["receiver_address"], record["address"]) == (None, None, None, None)
    assert record["receiver_phone_mask"] == "1*********5"


def test_douyin_order() -> None:
    record = only(ex.douyin_records())
    assert record["order_id"] == "6936476692437472563"
    assert record["shop_id"] == 7784061  # as the platform sent it (a number); staging casts it to text
    [sku] = record["sku_order_list"]
    assert (sku["order_id"], sku["parent_order_id"]) == ("6936476692437472563", "6936476692437472563")
    assert (sku["sku_id"], sku["product_id"]) == (3410716076201730, 3660207428038974464)  # exact beyond 2**53
    assert (sku["order_status"], sku["main_status"], sku["after_sale_info"]["refund_status"]) == (4, 22, 3)
    assert (sku["order_amount"], sku["pay_amount"], sku["post_amount"]) == (1, 1, 0)  # fen
    assert (sku["create_time"], sku["pay_time"], sku["update_time"]) == (1731916551, 1731916560, 1731986645)
    assert sku["channel_payment_no"] == "2024111822001496911406999482"
    assert record["doudian_open_id"] == DIGEST_OF_DOUDIAN_OPEN_ID  # the buyer's id, pseudonymised
    # The abridged example's shop-level object has no create_time (the sheet kept only the sku-level copy):
    # staging quarantines it (tests/dbt_rules/test_real_examples_facts.py).
    assert "create_time" not in record


def test_taobao_trade() -> None:
    record = only(ex.taobao_records())
    assert record["tid"] == "227668460417201790" and record["shop_id"] == "573001"
    assert (record["status"], record["type"], record["modified"], record["pay_time"]) == (
        "TRADE_FINISHED", "fixed", "2018-10-23 10:31:20", "2018-09-27 19:54:34")
    assert (record["payment"], record["post_fee"]) == ("148.00", "8.00")  # yuan as text, as TOP sends it
    [sub] = record["orders"]["order"]
    assert (sub["oid"], sub["num_iid"], sub["num"]) == ("227668460417201790", 559884639463, 1)
    # the sheet's consistency check: price 160.00 - discount_fee 20.00 = total_fee 140.00; + post_fee 8.00 = payment 148.00
    assert (sub["price"], sub["discount_fee"], sub["total_fee"], sub["payment"]) == ("160.00", "20.00", "140.00", "148.00")
    assert "created" not in record  # the captured trade is partial: staging quarantines it


def test_tiktok_shop_order() -> None:
    record = only(ex.tiktok_shop_records())
    assert record["id"] == "585058128552559789" and record["shop_id"] == "7494105515082810527"
    assert (record["status"], record["create_time"], record["paid_time"], record["rts_time"], record["update_time"]) == (
        "COMPLETED", 1784030587, 1784212544, 1784557100, 1786830778)
    assert record["payment"] == {"currency": "VND", "total_amount": "553169", "sub_total": "553169", "original_total_product_price": "921947"}
    [line] = record["line_items"]
    assert (line["id"], line["product_id"], line["sale_price"], line["original_price"]) == (
        "585058128552625325", "1736496376479712503", "553169", "921947")


def test_shopify_order_1001() -> None:
    record = only(ex.shopify_records())
    assert record["id"] == 450789469 and record["shop_id"] == "apple" and record["name"] == "#1001"
    assert (record["total_price"], record["subtotal_price"], record["total_tax"], record["total_discounts"]) == (
        "409.94", "398.00", "11.94", "0.00")
    assert (record["created_at"], record["financial_status"]) == ("2008-01-10T11:00:00-05:00", "authorized")
    assert [(li["id"], li["price"], li["quantity"]) for li in record["line_items"]] == [
        (466157049, "199.00", 1), (518995019, "199.00", 1), (703073504, "199.00", 1)]
    # personal data: no plaintext email; the customer id pseudonymised; the address masked
    assert record["email"] is None and record["customer"]["id"] == DIGEST_OF_SHOPIFY_CUSTOMER
    assert (record["shipping_address"]["phone"], record["shipping_address"]["name"]) == ("****1199", "B** N*****")  # D-037: 8–10 digits → **** + last four


def test_shopify_listed_orders_answer() -> None:
    record = only(ex.shopify_listed_records())
    assert (record["id"], record["total_price"], record["financial_status"], record["shop_id"]) == (450789469, "598.94", "partially_refunded", "apple")
    assert record["email"] is None and record["customer"]["id"] == DIGEST_OF_SHOPIFY_CUSTOMER


def test_eleme_order_get() -> None:
    record = only(ex.eleme_records())
    assert (record["order_id"], record["shop_id"], record["create_time"]) == ("15397181282021", "test_781544_62863", 1539718127)
    order = record["order"]
    assert order["eleme_order_id"] == "2100170426395197452"  # 19 digits, as text
    assert (order["status"], order["pay_status"], order["create_time"], order["cancel_time"]) == (10, 2, "1539718127", "1539718272")
    assert (order["total_fee"], order["shop_fee"], order["user_fee"], order["send_fee"]) == (1, 1, 1, 0)  # fen
    [[product]] = record["products"]
    assert (product["baidu_product_id"], product["product_amount"], product["total_fee"]) == ("1539717705337067", 1, 1)
    assert record["part_refunds"] == []  # cancelled: no part refund asked for
    # the sheet's redaction placeholder is what the tap saw: hashed and masked like any phone and name
    assert record["user"]["phone"] == DIGEST_OF_REDACTED
    assert (record["user"]["name"], record["user"]["address"], record["user"]["coord"]) == (None, None, None)
    assert (record["user"]["phone_masked"], record["user"]["name_masked"]) == (None, "<*********")  # D-037: not a phone, no mask


def test_meituan_order_detail() -> None:
    record = only(ex.meituan_records())
    assert (record["order_id"], record["wm_order_id_view"], record["app_poi_code"]) == ("6810571663", "24581032571314888", "test_poi_01")
    assert (record["status"], record["ctime"], record["utime"]) == ("2", "1528700400", "1509337095")
    assert (record["total"], record["shipping_fee"], record["original_price"]) == ("8.01", "0.01", "8.01")
    assert record["refund_records"] == []
    assert record["recipient_phone"] == DIGEST_OF_REDACTED
    assert (record["recipient_name"], record["recipient_address"], record["latitude"], record["longitude"]) == (None, None, None, None)
    assert (record["recipient_phone_masked"], record["recipient_name_masked"]) == (None, "<*********")  # D-037: not a phone, no mask


#: What the SCHEMA check finds in an example as the sheet kept it: Douyin's abridged copy dropped the shop-level
#: fields the sku order repeats, the stream's replication key among them.
SCHEMA_FINDINGS = {"douyin": ["'update_time' is a required property"]}


@pytest.mark.parametrize("source", sorted(ex.REPLAYS))
def test_every_replayed_record_fits_the_tap_schema(source: str) -> None:
    """What a target validates: each record against the orders stream's own SCHEMA."""
    validator = jsonschema.Draft7Validator(ex.orders_stream(source).schema)
    for record in ex.REPLAYS[source]():
        assert [e.message for e in validator.iter_errors(record)] == SCHEMA_FINDINGS.get(source, [])
