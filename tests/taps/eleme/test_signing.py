"""Ele.me retail ``sign`` (fact sheet §B2) and the per-send signer.

The fact sheet has NO usable test vector for Ele.me (the real response in §B4 carries a ``sign``, but
the secret is not public). The hard-coded digests below are SELF-COMPUTED GUARD VECTORS (cross-checked
with coreutils ``md5sum`` over the printed pre-hash string): they pin the implemented rule against
regressions; they do not prove conformance with the gateway. What is checked against the sheet is the
*form* of the pre-hash string, which the Java client template (S12) spells out:
``body=…&cmd=…&encrypt=…&secret=…&source=…&ticket=…&timestamp=…&version=…`` (``access_token=…&`` first).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import requests

from orderlayer.taps.eleme import protocol as p
from orderlayer.sandboxes.eleme import protocol as sp
from orderlayer.taps.eleme.client import ElemeSigner

SECRET = "test-secret"
# The §B4 request's identifiers (its real source, ticket and timestamp) with a made-up secret.
FORM = {
    "body": '{"order_id":"15397181282021"}',
    "cmd": "order.get",
    "encrypt": "",
    "source": "62863",
    "ticket": "5001ABFE-43B1-C887-A7C7-EAF9F16F8D3D",
    "timestamp": "1539940745",
    "version": "3",
}


def test_pre_hash_string_has_the_documented_form() -> None:
    assert p.sign_string(FORM, SECRET) == (
        'body={"order_id":"15397181282021"}&cmd=order.get&encrypt=&secret=test-secret&source=62863'
        "&ticket=5001ABFE-43B1-C887-A7C7-EAF9F16F8D3D&timestamp=1539940745&version=3"
    )
    with_token = p.sign_string({**FORM, "access_token": "tok-1"}, SECRET)
    assert with_token.startswith("access_token=tok-1&body=")


def test_guard_vectors() -> None:
    # self-computed guard vectors (see module docstring), upper-case hex
    assert p.sign(FORM, SECRET) == "39AD51F066DEFAE1F9F0DA4DEEA84582"
    assert p.sign({**FORM, "access_token": "tok-1"}, SECRET) == "87FB85C4C4986C527DFCE236E90B8C73"
    assert p.sign({**FORM, "sign": "ignored"}, SECRET) == "39AD51F066DEFAE1F9F0DA4DEEA84582"


def test_url_encoded_variant_encodes_like_java() -> None:
    encoded = p.sign_string(FORM, SECRET, encode_values=True)
    assert encoded.startswith("body=%7B%22order_id%22%3A%2215397181282021%22%7D&cmd=order.get&encrypt=&secret=test-secret")
    assert p.sign(FORM, SECRET, encode_values=True) == "CA6A892557496976277667A712D9EDFE"
    assert p.java_url_encode("a b*c~d/é") == "a+b*c%7Ed%2F%C3%A9"


def test_signed_form_and_body_encoding() -> None:
    body = p.encode_body({"order_id": "15397181282021"})
    assert body == FORM["body"]
    form = p.signed_form("order.get", body, source="62863", secret=SECRET, ticket=FORM["ticket"], timestamp=1539940745)
    assert form == {**FORM, "sign": "39AD51F066DEFAE1F9F0DA4DEEA84582"}
    assert "secret" not in form  # signed, never sent
    assert p.encode_body({"shop_id": "门店1", "page": 2}) == '{"shop_id":"门店1","page":2}'


def test_signer_uses_a_new_ticket_and_clock_for_every_send() -> None:
    clock = iter([1539940745, 1539940800])
    tickets = iter([FORM["ticket"], "A2B3C4D5-0000-1111-2222-333344445555"])
    signer = ElemeSigner(source="62863", secret=SECRET, access_token=None, encode_values=False,
                         clock=lambda: next(clock), new_ticket=lambda: next(tickets))
    prepared = requests.Request("POST", "https://api-be.ele.me/", data={"cmd": "order.get", "body": FORM["body"]}).prepare()
    first = dict(parse_qsl(signer(prepared).body, keep_blank_values=True))
    assert first == {**FORM, "sign": "39AD51F066DEFAE1F9F0DA4DEEA84582"}
    second = dict(parse_qsl(signer(prepared).body, keep_blank_values=True))  # the retry of the same prepared request
    assert second["ticket"] != first["ticket"] and second["timestamp"] == "1539940800"
    assert second["sign"] == p.sign({k: v for k, v in second.items() if k != "sign"}, SECRET)
    assert int(prepared.headers["Content-Length"]) == len(prepared.body)


def test_response_envelope_shape_and_exact_decoding() -> None:
    answer = sp.response_envelope("order.get", 0, "success", {"order": {}}, source="62863", ticket="T", timestamp=1, secret=SECRET)
    assert answer["cmd"] == "resp.order.get" and answer["body"] == {"errno": 0, "error": "success", "data": {"order": {}}}
    assert len(answer["sign"]) == 32 and answer["sign"].isupper()
    decoded = p.loads(b'{"body":{"errno":0,"data":{"eleme_order_id":2100170426395197452,"x":1.10}}}')
    assert decoded["body"]["data"]["eleme_order_id"] == 2100170426395197452 and str(decoded["body"]["data"]["x"]) == "1.10"
