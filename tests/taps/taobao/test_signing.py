"""TOP request signing (fact sheet §2) against every published vector, and the authenticator that applies it."""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from tests.taps.taobao.kit import APP_KEY, APP_SECRET, SHOP, Factory, taobao_sandbox  # noqa: F401 - fixture

from orderlayer.taps.common.refresh import TokenCalls
from orderlayer.taps.taobao import protocol as p
from orderlayer.taps.taobao.client import TaobaoAuthenticator

# The official TOP vector (open.taobao.com docId=101617), copied from the fact sheet.
OFFICIAL_PARAMS = {
    "app_key": "12345678",
    "fields": "num_iid,title,nick,price,num",
    "format": "json",
    "method": "taobao.item.seller.get",
    "num_iid": "11223344",
    "session": "test",
    "sign_method": "md5",
    "timestamp": "2016-01-01 12:00:00",
    "v": "2.0",
}
OFFICIAL_STRING = (
    "helloworldapp_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.get"
    "num_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0helloworld"
)
OFFICIAL_SIGN = "66987CB115214E59E6EC978214934FB8"


def test_official_md5_vector() -> None:
    assert "helloworld" + p.signing_string(OFFICIAL_PARAMS) + "helloworld" == OFFICIAL_STRING
    assert p.sign(OFFICIAL_PARAMS, "helloworld", p.SIGN_METHOD_MD5) == OFFICIAL_SIGN


def test_sign_and_empty_values_are_not_signed() -> None:
    noisy = {**OFFICIAL_PARAMS, "sign": "0" * 32, "partner_id": "", "simplify": None}
    assert p.sign(noisy, "helloworld", p.SIGN_METHOD_MD5) == OFFICIAL_SIGN


def test_parameter_order_does_not_matter_and_values_matter() -> None:
    shuffled = dict(reversed(list(OFFICIAL_PARAMS.items())))
    assert p.sign(shuffled, "helloworld") == OFFICIAL_SIGN
    assert p.sign({**OFFICIAL_PARAMS, "num_iid": "11223345"}, "helloworld") != OFFICIAL_SIGN
    assert p.sign(OFFICIAL_PARAMS, "helloworle") != OFFICIAL_SIGN


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # RFC 2202 test case 2 (HMAC-MD5) and RFC 4231 test case 2 (HMAC-SHA256): key "Jefe",
        # data "what do ya want for nothing?" — here the TOP signing string of one parameter.
        (p.SIGN_METHOD_HMAC, "750C783E6AB0B503EAA86E310A5DB738"),
        (p.SIGN_METHOD_HMAC_SHA256, "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"),
    ],
)
def test_hmac_methods_reproduce_the_rfc_vectors(method: str, expected: str) -> None:
    params = {"what do ya want ": "for nothing?"}
    assert p.signing_string(params) == "what do ya want for nothing?"
    assert p.sign(params, "Jefe", method) == expected


def test_hmac_is_not_wrapped_in_the_secret_like_md5() -> None:
    # HMAC-MD5 by hand (RFC 2104), over the bare string: no secret + string + secret wrapping.
    key = APP_SECRET.encode().ljust(64, b"\0")
    inner = hashlib.md5(bytes(b ^ 0x36 for b in key) + p.signing_string(OFFICIAL_PARAMS).encode()).digest()
    outer = hashlib.md5(bytes(b ^ 0x5C for b in key) + inner).hexdigest().upper()
    assert p.sign(OFFICIAL_PARAMS, APP_SECRET, p.SIGN_METHOD_HMAC) == outer
    assert p.sign(OFFICIAL_PARAMS, APP_SECRET, p.SIGN_METHOD_HMAC) != p.sign(OFFICIAL_PARAMS, APP_SECRET, p.SIGN_METHOD_MD5)


def test_utf8_values_and_booleans() -> None:
    params = {"buyer_nick": "山野茶舍", "use_has_next": True}
    expected = hashlib.md5("sbuyer_nick山野茶舍use_has_nexttrues".encode()).hexdigest().upper()
    assert p.sign(params, "s") == expected


def test_unknown_sign_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported sign_method 'sha1'"):
        p.sign(OFFICIAL_PARAMS, "x", "sha1")


def test_timestamps_are_beijing_time() -> None:
    # 2016-01-01 04:00:00 UTC is 12:00:00 in Beijing (the official vector's timestamp).
    assert p.format_time(1451620800) == "2016-01-01 12:00:00"
    assert p.parse_time("2016-01-01 12:00:00") == 1451620800
    with pytest.raises(ValueError):
        p.parse_time("2016-01-01T12:00:00+08:00")


def test_ban_length_is_read_from_code_7_messages() -> None:
    assert p.ban_seconds("This ban will last for 22238 more seconds") == 22238
    assert p.ban_seconds(None, "App Call Limited[This ban will last for 0.4 more seconds]") == 0.4
    assert p.ban_seconds("App Call Limited") is None


def _authenticator(sign_method: str, clock: float = 1451620800.0) -> TaobaoAuthenticator:
    calls = TokenCalls.in_memory(
        "session-abc", None, platform="Taobao", session=requests.Session(), timeout=1, logger=logging.getLogger("test"),
        clock=lambda: clock,
    )
    return TaobaoAuthenticator(
        calls, app_key=APP_KEY, app_secret=APP_SECRET, token_url="http://127.0.0.1:9/token", sign_method=sign_method,
        partner_id=None,
    )


@pytest.mark.parametrize("sign_method", p.SIGN_METHODS)
def test_authenticator_signs_query_and_form_body_together(sign_method: str) -> None:
    auth = _authenticator(sign_method)
    request = requests.Request(
        "POST", "http://gw.test/router/rest", params={"method": p.METHOD_INCREMENT}, data={"fields": "tid,modified", "page_no": 3}
    ).prepare()
    signed = auth(request)
    query = dict(parse_qsl(urlsplit(signed.url).query))
    assert query["timestamp"] == "2016-01-01 12:00:00" and query["session"] == "session-abc"
    assert query["sign_method"] == sign_method and query["v"] == "2.0" and query["format"] == "json"
    everything = {**query, "fields": "tid,modified", "page_no": "3"}
    assert query["sign"] == p.sign(everything, APP_SECRET, sign_method)
    # applied again (singer-sdk does, before every send): still one signature, recomputed
    again = dict(parse_qsl(urlsplit(auth(signed).url).query))
    assert again == query


def test_sandbox_accepts_each_sign_method_and_rejects_a_tampered_call(taobao_sandbox: Factory) -> None:  # noqa: F811
    sandbox = taobao_sandbox(20)
    for method in p.SIGN_METHODS:
        auth = _authenticator(method, clock=time.time())
        auth._access_token = sandbox.access_token(SHOP)  # noqa: SLF001 - the sandbox-issued session
        request = requests.Request(
            "POST",
            sandbox.base_url + p.ROUTER_PATH,
            params={"method": p.METHOD_INCREMENT},
            data={"fields": "tid,modified", "start_modified": "2024-11-30 00:00:00", "end_modified": "2024-11-30 12:00:00"},
        ).prepare()
        ok = requests.Session().send(auth(request), timeout=5).json()
        assert "trades_sold_increment_get_response" in ok, ok
        tampered = auth(request)
        tampered.body = str(tampered.body).replace("12%3A00%3A00", "13%3A00%3A00")  # one hour more, same signature
        tampered.headers["Content-Length"] = str(len(tampered.body.encode()))
        rejected = requests.Session().send(tampered, timeout=5).json()
        assert rejected["error_response"]["code"] == p.CODE_INVALID_SIGNATURE
