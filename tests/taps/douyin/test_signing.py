"""Douyin signature (fact sheet §2) and the authenticator that applies it."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import requests

from orderlayer.taps.common.refresh import TokenCalls
from orderlayer.taps.douyin.client import DouyinAuthenticator, sign
from orderlayer.taps.douyin.protocol import canonical_param_json, method_for_path, signed_query

VECTOR_PARAMS = {
    "page": 0,
    "size": 20,
    "order_by": "update_time",
    "order_asc": True,
    "update_time_start": 1699996400,
    "update_time_end": 1700000000,
}
VECTOR_PARAM_JSON = '{"order_asc":true,"order_by":"update_time","page":0,"size":20,"update_time_end":1700000000,"update_time_start":1699996400}'


def test_param_json_canonical_form_matches_fact_sheet() -> None:
    assert canonical_param_json(VECTOR_PARAMS) == VECTOR_PARAM_JSON


def test_param_json_sorts_nested_keys_compact_and_keeps_unicode() -> None:
    params = {"b": {"z": 1, "a": [{"y": "抖店", "x": None}]}, "a": 10.50, "big": 3660207428038974464}
    out = canonical_param_json(params)
    assert out == '{"a":10.5,"b":{"a":[{"x":null,"y":"抖店"}],"z":1},"big":3660207428038974464}'
    assert " " not in out and "\\u" not in out


def test_sign_hmac_sha256_vector() -> None:
    got = sign(
        app_key="1234567890123456789",
        app_secret="test_app_secret",
        method="order.searchList",
        param_json=VECTOR_PARAM_JSON,
        timestamp="1700000000",
    )
    assert got == "30e28b7b5226c679687a9abcb07a4f1c436e626b41c4a6948bb155f35b531c90"


def test_sign_md5_vector() -> None:
    got = sign(
        app_key="1234567890123456789",
        app_secret="test_app_secret",
        method="order.searchList",
        param_json=VECTOR_PARAM_JSON,
        timestamp="1700000000",
        sign_method="md5",
    )
    assert got == "4a5502af45b2cd2cfcdf21e3183885bb"


def test_signed_query_has_every_platform_param() -> None:
    query = signed_query(
        app_key="k",
        app_secret="s",
        method="order.searchList",
        param_json="{}",
        timestamp=1700000000,
        access_token="tok",
    )
    assert set(query) == {"app_key", "method", "timestamp", "v", "sign", "sign_method", "access_token"}
    assert query["timestamp"] == "1700000000" and query["v"] == "2" and query["sign_method"] == "hmac-sha256"
    no_token = signed_query(app_key="k", app_secret="s", method="token.refresh", param_json="{}", timestamp=1, access_token=None)
    assert "access_token" not in no_token


def test_method_for_path() -> None:
    assert method_for_path("/order/searchList") == "order.searchList"
    assert method_for_path("token/refresh") == "token.refresh"


def _authenticator(clock_value: float, token: str = "at.1") -> DouyinAuthenticator:
    calls = TokenCalls.in_memory(
        token, None, platform="Douyin", session=requests.Session(), timeout=5, logger=logging.getLogger("test"),
        clock=lambda: clock_value,
    )
    return DouyinAuthenticator(
        calls, base_url="https://gw.example/prefix", app_key="1234567890123456789", app_secret="test_app_secret",
        sign_method="hmac-sha256",
    )


def test_authenticator_signs_exact_body_and_is_idempotent() -> None:
    request = requests.Request(
        "POST", "https://gw.example/prefix/order/searchList", data=VECTOR_PARAM_JSON.encode(), params={"extra": "1"}
    ).prepare()
    auth = _authenticator(1700000000)
    auth(request)
    first = parse_qs(urlsplit(request.url).query)
    assert first["sign"] == ["30e28b7b5226c679687a9abcb07a4f1c436e626b41c4a6948bb155f35b531c90"]
    assert first["method"] == ["order.searchList"]  # base URL path prefix stripped
    assert first["access_token"] == ["at.1"] and first["extra"] == ["1"]
    assert request.headers["x-open-no-old-err-code"] == "1"
    assert request.body == VECTOR_PARAM_JSON.encode()  # the signed string is the body

    # A retry later (new clock, refreshed token) replaces, never duplicates, the signature.
    later = _authenticator(1700000100, token="at.2")
    later(request)
    second = parse_qs(urlsplit(request.url).query)
    assert second["timestamp"] == ["1700000100"] and second["access_token"] == ["at.2"]
    assert len(second["sign"]) == 1 and second["sign"] != first["sign"]
