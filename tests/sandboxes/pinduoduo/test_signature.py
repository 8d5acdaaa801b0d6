"""The Pinduoduo sandbox's own signature check against shared/channels/pinduoduo.md §2 (the official vector)."""

from __future__ import annotations

import decimal

import pytest

from orderlayer.sandboxes.pinduoduo import protocol as p

# Official vector (PDD "API调用详解", reproduced by the fact sheet).
OFFICIAL = {
    "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
    "client_id": "1",
    "data_type": "XML",
    "order_status": "1",
    "page": "1",
    "page_size": "10",
    "timestamp": "1480411125",
    "type": "pdd.order.number.list.get",
}


def test_official_vector() -> None:
    assert p.expected_sign(OFFICIAL, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_json_numbers_sign_as_written() -> None:
    as_json = {**OFFICIAL, "client_id": 1, "order_status": 1, "page": 1, "page_size": 10, "timestamp": 1480411125}
    assert p.expected_sign(as_json, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"
    assert p.expected_sign({**OFFICIAL, "sign": "X", "version": None}, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"
    assert p.parse_json(b'{"amount": 12.30}') == {"amount": decimal.Decimal("12.30")}


def test_arrays_have_no_known_signing_form() -> None:
    with pytest.raises(TypeError):
        p.expected_sign({**OFFICIAL, "order_sns": ["1"]}, "testSecret")


def test_times_are_beijing() -> None:
    assert p.to_local_text(1480411125) == "2016-11-29 17:18:45"
    assert p.local_text_to_epoch("2016-11-29 17:18:45") == 1480411125
