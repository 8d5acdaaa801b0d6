"""Meituan ``sig`` (fact sheet §A2) and the per-send signer.

The fact sheet has NO published test vector for Meituan. The hard-coded digests below are
SELF-COMPUTED GUARD VECTORS (cross-checked with coreutils ``md5sum`` over the printed pre-hash string):
they pin the implemented rule against regressions; they do not prove conformance with the gateway.
What is checked against the sheet is the *form* of the pre-hash string, which S1 shows in a comment:
``…/getOrderDetail?app_id=…&order_id=…&timestamp=…<secret>``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests

from orderlayer.taps.meituan import protocol as p
from orderlayer.sandboxes.meituan import protocol as sp
from orderlayer.taps.meituan.client import MeituanSecretFilter, MeituanSigner

DETAIL_URL = "https://waimaiopen.meituan.com/api/v1/order/getOrderDetail"
DAY_SEQ_URL = "https://waimaiopen.meituan.com/api/v1/ecommerce/order/getOrderIdByDaySeq"
SECRET = "a1b2c3d4e5f6"
DETAIL_PARAMS = {"app_id": "4286", "timestamp": "1528700400", "order_id": "6810571663", "is_mt_logistics": "1"}


def test_pre_hash_string_has_the_documented_form() -> None:
    text = p.sign_string(DETAIL_URL, DETAIL_PARAMS, SECRET)
    # base URL, "?", params sorted by name as k=v joined by "&", the secret appended with no separator
    assert text == (
        "https://waimaiopen.meituan.com/api/v1/order/getOrderDetail"
        "?app_id=4286&is_mt_logistics=1&order_id=6810571663&timestamp=1528700400a1b2c3d4e5f6"
    )


def test_guard_vector_order_detail() -> None:
    # self-computed guard vector (see module docstring), lower-case hex
    assert p.sign(DETAIL_URL, DETAIL_PARAMS, SECRET) == "958e9382677570f95b414f9a751a33ec"


def test_sig_and_query_on_the_url_are_ignored() -> None:
    with_query = DETAIL_URL + "?order_id=1&sig=deadbeef"
    assert p.sign(with_query, {**DETAIL_PARAMS, "sig": "anything"}, SECRET) == "958e9382677570f95b414f9a751a33ec"


def test_guard_vectors_raw_and_url_encoded_values_differ() -> None:
    params = {
        "app_id": "4286",
        "timestamp": "1528700400",
        "app_poi_code": "门店 A&B",
        "date_time": "20180611",
        "day_seq_start": "1",
        "day_seq_end": "100",
    }
    raw = p.sign_string(DAY_SEQ_URL, params, SECRET)
    encoded = p.sign_string(DAY_SEQ_URL, params, SECRET, encode_values=True)
    assert "app_poi_code=门店 A&B&" in raw
    assert "app_poi_code=%E9%97%A8%E5%BA%97%20A%26B&" in encoded
    assert p.sign(DAY_SEQ_URL, params, SECRET) == "984ec08996cb8602c4758c72dfa970d7"
    assert p.sign(DAY_SEQ_URL, params, SECRET, encode_values=True) == "875333932c727ea9134bcd8274c56743"


def test_signed_params_replace_system_params() -> None:
    out = p.signed_params(DETAIL_URL, {"order_id": 6810571663, "is_mt_logistics": 1, "sig": "stale", "timestamp": "1"},
                          app_id="4286", secret=SECRET, timestamp=1528700400)
    assert out == {**DETAIL_PARAMS, "sig": "958e9382677570f95b414f9a751a33ec"}


def test_signer_signs_each_send_with_the_current_clock() -> None:
    clock = iter([1528700400, 1528700460])
    signer = MeituanSigner(app_id="4286", secret=SECRET, encode_values=False, clock=lambda: next(clock))
    prepared = requests.Request("GET", DETAIL_URL, params={"order_id": "6810571663", "is_mt_logistics": "1"}).prepare()
    first = dict(parse_qsl(urlsplit(signer(prepared).url).query))
    assert first == {**DETAIL_PARAMS, "sig": "958e9382677570f95b414f9a751a33ec"}
    second = dict(parse_qsl(urlsplit(signer(prepared).url).query))  # a retry of the same prepared request
    assert second["timestamp"] == "1528700460"
    assert second["sig"] == p.sign(DETAIL_URL, {**DETAIL_PARAMS, "timestamp": "1528700460"}, SECRET)
    assert list(parse_qsl(urlsplit(prepared.url).query)).count(("app_id", "4286")) == 1  # replaced, not appended


def test_error_envelope_and_exact_decoding() -> None:
    assert sp.error_body(703) == {"data": "ng", "error": {"code": 703, "msg": "签名验证错误"}}
    decoded = p.loads(b'{"data":{"order_id":9007199254740993,"total":8.01,"price":0.1}}')
    assert decoded["data"]["order_id"] == 9007199254740993  # beyond 2^53, not rounded
    assert str(decoded["data"]["total"]) == "8.01" and str(decoded["data"]["price"]) == "0.1"


def test_secret_filter_masks_sig_and_known_secrets() -> None:
    secret_filter = MeituanSecretFilter([SECRET])
    line = f"GET /api/v1/order/getOrderDetail?app_id=4286&sig=958e9382677570f95b414f9a751a33ec&timestamp=1 secret={SECRET}"
    cleaned = secret_filter.redact(line)
    assert "958e9382677570f95b414f9a751a33ec" not in cleaned and SECRET not in cleaned
    assert "sig=***" in cleaned and "app_id=4286" in cleaned
