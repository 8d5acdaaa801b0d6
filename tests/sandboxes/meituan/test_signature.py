"""The Meituan sandbox's own ``sig`` check against shared/channels/meituan_eleme.md §A2.

The sheet has NO published vector. What it fixes is the pre-hash form (S1's code comment):
``<url without query>?k=v&… (sorted, no sig)<secret>``, lower-case hex MD5. The digests below are
TEAM-COMPUTED guard vectors (md5sum over the printed pre-hash strings), shared with the tap's tests.
"""

from __future__ import annotations

import hashlib

from orderlayer.sandboxes.meituan import protocol as p

DETAIL_URL = "https://waimaiopen.meituan.com/api/v1/order/getOrderDetail"
DAY_SEQ_URL = "https://waimaiopen.meituan.com/api/v1/ecommerce/order/getOrderIdByDaySeq"
SECRET = "a1b2c3d4e5f6"
DETAIL = {"app_id": "4286", "timestamp": "1528700400", "order_id": "6810571663", "is_mt_logistics": "1"}
DAY_SEQ = {"app_id": "4286", "timestamp": "1528700400", "app_poi_code": "门店 A&B", "date_time": "20180611", "day_seq_start": "1", "day_seq_end": "100"}


def test_documented_pre_hash_form() -> None:
    text = f"{DETAIL_URL}?app_id=4286&is_mt_logistics=1&order_id=6810571663&timestamp=1528700400{SECRET}"
    assert p.expected_sig(DETAIL_URL, DETAIL, SECRET) == hashlib.md5(text.encode()).hexdigest()


def test_team_computed_guard_vectors() -> None:
    assert p.expected_sig(DETAIL_URL, DETAIL, SECRET) == "958e9382677570f95b414f9a751a33ec"
    assert p.expected_sig(DETAIL_URL + "?order_id=1", {**DETAIL, "sig": "anything"}, SECRET) == "958e9382677570f95b414f9a751a33ec"
    assert p.expected_sig(DAY_SEQ_URL, DAY_SEQ, SECRET) == "984ec08996cb8602c4758c72dfa970d7"


def test_team_computed_url_encoded_variant() -> None:
    # Whether Meituan hashes encoded values is unconfirmed; the sandbox can be switched to it.
    assert p.expected_sig(DAY_SEQ_URL, DAY_SEQ, SECRET, encode_values=True) == "875333932c727ea9134bcd8274c56743"


def test_error_body_shape() -> None:
    assert p.error_body(p.CODE_SIGNATURE) == {"data": "ng", "error": {"code": 703, "msg": "签名验证错误"}}
