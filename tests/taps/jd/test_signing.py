"""JD JOS md5 signature (fact sheet §2): the official vector byte for byte, and the authenticator applying it."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import TokenCalls
from orderlayer.taps.jd import protocol as p
from orderlayer.taps.jd.client import JdAuthenticator

# The official vector (JD dev guide, listId=2643; reproduced in shared/channels/jd.md §2 and README.md).
VECTOR_SECRET = "yourappSecret"
VECTOR_PARAM_JSON = (
    '{"end_date":null,"optional_fields":null,"order_state":"WAIT_SELLER_STOCK_OUT","page":"1",'
    '"page_size":"200","start_date":null}'
)
VECTOR_SIGNING_STRING = (
    "360buy_param_json" + VECTOR_PARAM_JSON + "access_tokenyourtokenapp_keyyourappkey"
    "methodjingdong.pop.order.searchtimestamp2021-05-07 09:20:39.683+0800v2.0"
)
VECTOR_SIGN = "D70825340F4084360B9362B60DFD7930"
VECTOR_PARAMS = {
    "method": "jingdong.pop.order.search",
    "app_key": "yourappkey",
    "access_token": "yourtoken",
    "timestamp": "2021-05-07 09:20:39.683+0800",
    "v": "2.0",
    "360buy_param_json": VECTOR_PARAM_JSON,
}


def test_official_vector_signing_string_byte_for_byte() -> None:
    assert p.signing_string(VECTOR_PARAMS) == VECTOR_SIGNING_STRING


def test_official_vector_sign() -> None:
    assert p.sign(VECTOR_PARAMS, VECTOR_SECRET) == VECTOR_SIGN


def test_official_vector_param_json_from_a_dict() -> None:
    business = {"order_state": "WAIT_SELLER_STOCK_OUT", "page": "1", "page_size": "200", "start_date": None,
                "end_date": None, "optional_fields": None}
    assert p.param_json(business) == VECTOR_PARAM_JSON  # compact, keys sorted, null kept, page values as strings


def test_official_vector_through_signed_params() -> None:
    business = {"method": "jingdong.pop.order.search", "360buy_param_json": VECTOR_PARAM_JSON}
    signed = p.signed_params(
        business, app_key="yourappkey", app_secret=VECTOR_SECRET, access_token="yourtoken",
        timestamp="2021-05-07 09:20:39.683+0800",
    )
    assert signed == {**VECTOR_PARAMS, "sign": VECTOR_SIGN}


def test_sign_is_not_signed_and_every_other_param_is() -> None:
    with_sign = {**VECTOR_PARAMS, "sign": "anything"}
    assert p.sign(with_sign, VECTOR_SECRET) == VECTOR_SIGN
    with_format = {**VECTOR_PARAMS, "format": "json"}  # an optional parameter a client sends is signed too
    assert p.sign(with_format, VECTOR_SECRET) != VECTOR_SIGN
    assert p.sign({**VECTOR_PARAMS, "v": "2.1"}, VECTOR_SECRET) != VECTOR_SIGN
    assert p.sign(VECTOR_PARAMS, "yourappsecret") != VECTOR_SIGN  # the secret is case-sensitive


def test_param_json_keeps_unicode_and_sorts_nested_keys() -> None:
    assert p.param_json({"b": {"z": 1, "a": "京东"}, "a": None}) == '{"a":null,"b":{"a":"京东","z":1}}'


def test_timestamp_formats() -> None:
    epoch = 1620350439.683  # the vector's instant
    assert p.format_timestamp(epoch, p.TIMESTAMP_OFFSET_MS) == "2021-05-07 09:20:39.683+0800"
    assert p.format_timestamp(epoch, p.TIMESTAMP_PLAIN) == "2021-05-07 09:20:39"
    assert p.parse_timestamp("2021-05-07 09:20:39.683+0800") == pytest.approx(epoch)
    assert p.parse_timestamp("2021-05-07 09:20:39") == 1620350439  # naive = Beijing time
    with pytest.raises(ValueError, match="unknown timestamp format"):
        p.format_timestamp(epoch, "iso")
    with pytest.raises(ValueError):
        p.parse_timestamp("2021/05/07 09:20:39")


def test_local_times_are_beijing() -> None:
    assert p.format_local(1731945600) == "2024-11-19 00:00:00"  # 2024-11-18T16:00:00Z
    assert p.parse_local("2024-11-19 00:00:00") == 1731945600


def test_response_key_uses_jds_spelling() -> None:
    assert p.response_key("jingdong.pop.order.search") == "jingdong_pop_order_search_responce"
    assert p.response_key("jingdong.pop.order.enSearch") == "jingdong_pop_order_enSearch_responce"


def _authenticator(clock_value: list[float], token: str = "tok-1", fmt: str = p.TIMESTAMP_PLAIN) -> JdAuthenticator:
    calls = TokenCalls.in_memory(
        token, None, platform="JD", session=requests.Session(), timeout=1.0, logger=logging.getLogger("test"),
        clock=lambda: clock_value[0], secret_filter=SecretFilter(),
    )
    return JdAuthenticator(
        calls, app_key="k", app_secret="s3cret", oauth_url="http://127.0.0.1:9/oauth2/refresh_token", timestamp_format=fmt
    )


def _prepared() -> requests.PreparedRequest:
    return requests.Request(
        "POST", "https://api.example/routerjson",
        data={"method": "jingdong.pop.order.search", "360buy_param_json": '{"page":"1"}'},
    ).prepare()


def test_authenticator_signs_the_form_body_with_a_fresh_timestamp_each_send() -> None:
    clock = [1731945600.0]
    auth = _authenticator(clock)
    request = auth(_prepared())
    first = dict(parse_qsl(request.body.decode()))
    assert first["timestamp"] == "2024-11-19 00:00:00" and first["v"] == "2.0" and first["access_token"] == "tok-1"
    assert first["sign"] == p.sign(first, "s3cret")
    assert not urlsplit(request.url).query  # nothing secret in the URL
    assert request.headers["Content-Length"] == str(len(request.body))

    clock[0] += 30  # a retry of the same prepared request, 30 s later
    second = dict(parse_qsl(auth(request).body.decode()))
    assert second["timestamp"] == "2024-11-19 00:00:30"
    assert second["sign"] == p.sign(second, "s3cret") != first["sign"]
    assert sorted(second) == sorted(first)  # system params replaced, not duplicated


def test_authenticator_offset_timestamp_format() -> None:
    auth = _authenticator([1620350439.683], fmt=p.TIMESTAMP_OFFSET_MS)
    params = dict(parse_qsl(auth(_prepared()).body.decode()))
    assert params["timestamp"] == "2021-05-07 09:20:39.683+0800"
