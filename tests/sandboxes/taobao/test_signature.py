"""The Taobao sandbox's own signature check against shared/channels/taobao.md §2 (the official TOP vector)."""

from __future__ import annotations

import hashlib
import hmac

from orderlayer.sandboxes.taobao import protocol as p

# Official vector (TOP doc docId=101617, reproduced by the fact sheet).
OFFICIAL = {
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
# The official pre-hash string between the two secrets.
STRING = "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0"


def test_official_md5_vector() -> None:
    assert p.expected_sign(OFFICIAL, "helloworld") == "66987CB115214E59E6EC978214934FB8"


def test_empty_values_and_sign_are_left_out() -> None:
    assert p.expected_sign({**OFFICIAL, "partner_id": "", "sign": "X"}, "helloworld") == "66987CB115214E59E6EC978214934FB8"


def test_hmac_methods_key_the_bare_string() -> None:
    # No official hmac vector exists: the expected values are the sheet's rule applied to the official string.
    for method, digest in (("hmac", hashlib.md5), ("hmac-sha256", hashlib.sha256)):
        params = {**OFFICIAL, "sign_method": method}
        text = STRING.replace("sign_methodmd5", f"sign_method{method}")
        assert p.expected_sign(params, "helloworld", method) == hmac.new(b"helloworld", text.encode(), digest).hexdigest().upper()


def test_times_are_beijing_and_response_key() -> None:
    assert p.format_time(1451620800) == "2016-01-01 12:00:00"
    assert p.parse_time("2016-01-01 12:00:00") == 1451620800
    assert p.response_key("taobao.trades.sold.increment.get") == "trades_sold_increment_get_response"
