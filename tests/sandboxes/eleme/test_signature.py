"""The Ele.me sandbox's own ``sign`` check against shared/channels/meituan_eleme.md §B2.

The sheet has NO usable vector (the real §B4 answer's secret is not public). What it fixes is the form,
``body=…&cmd=…&encrypt=…&secret=…&source=…&ticket=…&timestamp=…&version=…`` (``access_token=…&`` first),
upper-case hex MD5. The digests below are TEAM-COMPUTED guard vectors (md5sum over the printed strings).
"""

from __future__ import annotations

import hashlib

from orderlayer.sandboxes.eleme import protocol as p

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


def test_documented_pre_hash_form() -> None:
    text = (
        'body={"order_id":"15397181282021"}&cmd=order.get&encrypt=&secret=test-secret&source=62863'
        "&ticket=5001ABFE-43B1-C887-A7C7-EAF9F16F8D3D&timestamp=1539940745&version=3"
    )
    assert p.expected_sign(FORM, SECRET) == hashlib.md5(text.encode()).hexdigest().upper()


def test_team_computed_guard_vectors() -> None:
    assert p.expected_sign(FORM, SECRET) == "39AD51F066DEFAE1F9F0DA4DEEA84582"
    assert p.expected_sign({**FORM, "sign": "ignored"}, SECRET) == "39AD51F066DEFAE1F9F0DA4DEEA84582"
    assert p.expected_sign({**FORM, "access_token": "tok-1"}, SECRET) == "87FB85C4C4986C527DFCE236E90B8C73"


def test_team_computed_java_url_encoded_variant() -> None:
    # One implementation (S15) URL-encodes each value the way java.net.URLEncoder does.
    assert p.expected_sign(FORM, SECRET, encode_values=True) == "CA6A892557496976277667A712D9EDFE"
    text = "body=a+b*c%7Ed%2F%C3%A9&secret=s"
    assert p.expected_sign({"body": "a b*c~d/é"}, "s", encode_values=True) == hashlib.md5(text.encode()).hexdigest().upper()


def test_answers_are_signed_like_requests() -> None:
    answer = p.response_envelope("order.get", 0, "success", {"order": {}}, source="62863", ticket="T", timestamp=1, secret=SECRET)
    assert answer["cmd"] == "resp.order.get" and answer["body"] == {"errno": 0, "error": "success", "data": {"order": {}}}
    text = 'body={"errno":0,"error":"success","data":{"order":{}}}&cmd=resp.order.get&encrypt=&secret=test-secret&source=62863&ticket=T&timestamp=1&version=3'
    assert answer["sign"] == hashlib.md5(text.encode()).hexdigest().upper()
