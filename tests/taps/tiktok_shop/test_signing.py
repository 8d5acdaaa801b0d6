"""TikTok Shop request signing: every vector of shared/channels/tiktok_shop.md §3, and the authenticator."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from orderlayer.taps.common.refresh import TokenCalls
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.tiktok_shop.client import TikTokShopAuthenticator

DOC_SECRET = "e59af819cc"
WEBHOOK_BODY = '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
WEBHOOK_QUERY = {"app_key": "68xu9ks5p4i8", "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK", "timestamp": "1696909648"}


def test_official_worked_example() -> None:
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    assert p.string_to_sign("/authorization/202309/shops", query) == "/authorization/202309/shopsapp_key29a39dtimestamp1623812664"
    assert p.sign(DOC_SECRET, "/authorization/202309/shops", query) == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def test_documented_string_with_a_body() -> None:
    printed = (
        "/event/202309/webhooksapp_key68xu9ks5p4i8shop_cipherROW_xkMbgAAAeVAQra0eZWebFQq5aIKtimestamp1696909648"
        + WEBHOOK_BODY
    )
    assert p.string_to_sign("/event/202309/webhooks", WEBHOOK_QUERY, WEBHOOK_BODY.encode()) == printed
    assert p.sign(DOC_SECRET, "/event/202309/webhooks", WEBHOOK_QUERY, WEBHOOK_BODY.encode()) == (
        "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"
    )


def test_same_query_without_body_matches_the_dotnet_sdk_assertion() -> None:
    assert p.sign(DOC_SECRET, "/event/202309/webhooks", WEBHOOK_QUERY) == (
        "ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37"
    )


def test_order_search_vector_excludes_access_token_and_sign() -> None:
    query = {
        "app_key": "29a39d",
        "shop_cipher": "ROW_test",
        "timestamp": "1700003700",
        "page_size": "50",
        "sort_field": "update_time",
        "sort_order": "ASC",
        "access_token": "IGNORED",
    }
    body = p.canonical_body({"update_time_ge": 1700000000, "update_time_lt": 1700003600})
    assert body == b'{"update_time_ge":1700000000,"update_time_lt":1700003600}'
    expected = "003b425cd26df9dca85dc95326d6b3668c1bc280165fd2d2faca2817d6c3fccd"
    assert p.sign("e59af819cc", p.ORDER_SEARCH_PATH, query, body) == expected
    # neither a stale sign nor the token changes it
    assert p.sign("e59af819cc", p.ORDER_SEARCH_PATH, {**query, "sign": "x", "access_token": "other"}, body) == expected


def test_keys_sort_by_byte_order_and_the_body_is_signed_as_sent() -> None:
    # Upper case sorts before lower case, "_" (0x5F) before letters: plain byte order, no locale.
    assert p.string_to_sign("/x", {"b": "2", "B": "1", "a_z": "3", "az": "4"}) == "/xB1a_z3az4b2"
    compact = b'{"a":1,"b":2}'
    spaced = b'{"a": 1, "b": 2}'
    assert p.sign("s", "/x", {}, compact) != p.sign("s", "/x", {}, spaced)


def test_signed_query_replaces_auth_params() -> None:
    query = p.signed_query(
        app_key="k", app_secret="s", path="/x", params={"sign": "old", "timestamp": "1", "page_size": "5"}, body=b"", timestamp=99
    )
    assert query == {"page_size": "5", "app_key": "k", "timestamp": "99", "sign": p.sign("s", "/x", {"page_size": "5", "app_key": "k", "timestamp": "99"})}


def _authenticator(base_url: str, clock: list[float]) -> TikTokShopAuthenticator:
    calls = TokenCalls.in_memory(
        "TTP_access", None, platform="TikTok Shop", session=requests.Session(), timeout=5, logger=logging.getLogger("test"),
        clock=lambda: clock[0],
    )
    return TikTokShopAuthenticator(
        calls, base_url=base_url, auth_base_url="https://auth.example", app_key="29a39d", app_secret="sec-ret-1234"
    )


@pytest.mark.parametrize("base_url", ["https://open-api.tiktokglobalshop.com", "https://proxy.example/tts"])
def test_authenticator_signs_each_send_with_a_fresh_timestamp(base_url: str) -> None:
    clock = [1_700_003_700.4]
    auth = _authenticator(base_url, clock)
    body = p.canonical_body({"update_time_ge": 1, "update_time_lt": 2})
    request = requests.Request(
        "POST", f"{base_url}{p.ORDER_SEARCH_PATH}", params={"shop_cipher": "ROW_x", "page_size": 50, "page_token": "b2s/+=="}, data=body
    ).prepare()
    signed = auth(request)
    query = dict(parse_qsl(urlsplit(signed.url).query))
    assert signed.headers[p.ACCESS_TOKEN_HEADER] == "TTP_access"
    assert "access_token" not in query
    assert query["timestamp"] == "1700003700"
    assert query["page_token"] == "b2s/+=="  # a token with URL-special characters is signed decoded
    # the path signed is the API path, without a proxy prefix of base_url
    assert query["sign"] == p.sign("sec-ret-1234", p.ORDER_SEARCH_PATH, {k: v for k, v in query.items() if k != "sign"}, body)

    clock[0] += 400  # a retry minutes later carries a new timestamp and signature
    again = dict(parse_qsl(urlsplit(auth(signed).url).query))
    assert again["timestamp"] == "1700004100"
    assert again["sign"] != query["sign"]
    assert again["sign"] == p.sign("sec-ret-1234", p.ORDER_SEARCH_PATH, {k: v for k, v in again.items() if k != "sign"}, body)
