"""The TikTok Shop sandbox's own signature check against shared/channels/tiktok_shop.md §3."""

from __future__ import annotations

from orderlayer.sandboxes.tiktok_shop import protocol as p

SECRET = "e59af819cc"
WEBHOOK_QUERY = {"app_key": "68xu9ks5p4i8", "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK", "timestamp": "1696909648"}


def test_official_vector() -> None:
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    assert p.expected_sign(SECRET, "/authorization/202309/shops", query) == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def test_team_computed_vector_with_the_documented_body() -> None:
    body = b'{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
    assert p.expected_sign(SECRET, "/event/202309/webhooks", WEBHOOK_QUERY, body) == "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"


def test_vector_without_body_matches_a_third_party_assertion() -> None:
    # Team-computed; the same digest is asserted by fudiwei/DotNetCore.SKIT.FlurlHttpClient.ByteDance's tests.
    assert p.expected_sign(SECRET, "/event/202309/webhooks", WEBHOOK_QUERY) == "ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37"


def test_team_computed_order_search_vector_ignores_access_token() -> None:
    query = {"app_key": "29a39d", "shop_cipher": "ROW_test", "timestamp": "1700003700", "page_size": "50", "sort_field": "update_time", "sort_order": "ASC"}
    body = b'{"update_time_ge":1700000000,"update_time_lt":1700003600}'
    expected = "003b425cd26df9dca85dc95326d6b3668c1bc280165fd2d2faca2817d6c3fccd"
    assert p.expected_sign(SECRET, "/order/202309/orders/search", {**query, "access_token": "IGNORED", "sign": "X"}, body) == expected
