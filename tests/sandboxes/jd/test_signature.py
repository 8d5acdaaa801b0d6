"""The JD sandbox's own signature check against shared/channels/jd.md §2 (the official JOS vector)."""

from __future__ import annotations

import pytest

from orderlayer.sandboxes.jd import protocol as p

# Official vector (JD dev guide, reproduced byte for byte by the fact sheet).
OFFICIAL = {
    "360buy_param_json": '{"end_date":null,"optional_fields":null,"order_state":"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"200","start_date":null}',
    "access_token": "yourtoken",
    "app_key": "yourappkey",
    "method": "jingdong.pop.order.search",
    "timestamp": "2021-05-07 09:20:39.683+0800",
    "v": "2.0",
}


def test_official_vector() -> None:
    assert p.expected_sign(OFFICIAL, "yourappSecret") == "D70825340F4084360B9362B60DFD7930"


def test_the_sent_sign_is_not_signed() -> None:
    assert p.expected_sign({**OFFICIAL, "sign": "ANYTHING"}, "yourappSecret") == "D70825340F4084360B9362B60DFD7930"


def test_both_timestamp_forms_read_as_beijing_time() -> None:
    assert p.parse_timestamp("2021-05-07 09:20:39.683+0800") == pytest.approx(1620350439.683)
    assert p.parse_timestamp("2021-05-07 09:20:39") == 1620350439
    with pytest.raises(ValueError):
        p.parse_timestamp("2021-05-07T09:20:39")


def test_local_times_and_response_key() -> None:
    assert p.format_local(1620350439) == "2021-05-07 09:20:39"
    assert p.parse_local("2021-05-07 09:20:39") == 1620350439
    assert p.response_key("jingdong.pop.order.search") == "jingdong_pop_order_search_responce"
