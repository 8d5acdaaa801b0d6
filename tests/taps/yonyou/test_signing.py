"""Yonyou self-built-app token signature from the fact sheet (shared/channels/yonyou.md §A), and the row regrouping."""

from __future__ import annotations

from orderlayer.taps.yonyou import protocol as p

APP_KEY = "0123456789abcdef0123456789abcdef"
APP_SECRET = "fedcba9876543210fedcba9876543210"


def test_signature_vector() -> None:
    assert p.sign(APP_KEY, APP_SECRET, 1700000000000) == "wBsLNp5LqVgeWChWOar/RAw2Y4vds1jj5uSHAy/uWl8="
    assert p.signature_param(APP_KEY, APP_SECRET, 1700000000000) == "wBsLNp5LqVgeWChWOar%2FRAw2Y4vds1jj5uSHAy%2FuWl8%3D"


def test_string_to_sign_matches_the_docs_example_layout() -> None:
    # the official doc's example string (no digest given): appKey41832a3d2df94989b500da6a22268747timestamp1568098531823
    query = p.token_query("41832a3d2df94989b500da6a22268747", "any-secret", 1568098531823)
    assert query.startswith("appKey=41832a3d2df94989b500da6a22268747&timestamp=1568098531823&signature=")
    assert query.endswith(p.signature_param("41832a3d2df94989b500da6a22268747", "any-secret", 1568098531823))


def test_envelope_code_compares_as_text() -> None:
    assert p.envelope_code({"code": 999, "message": "x"}) == "999"
    assert p.envelope_code({"code": "200"}) == "200"
    assert p.envelope_code([1]) is None


def test_list_body_between_is_inclusive_and_sorted_stably() -> None:
    body = p.list_body(2, 500, "pubts", "2024-05-01 00:00:00", "2024-05-01 23:59:59")
    assert body["isSum"] is False
    assert body["simpleVOs"] == [{"field": "pubts", "op": "between", "value1": "2024-05-01 00:00:00", "value2": "2024-05-01 23:59:59"}]
    assert body["queryOrders"] == [{"field": "pubts", "order": "asc"}, {"field": "id", "order": "asc"}]


def test_rows_of_one_order_regroup_losslessly() -> None:
    rows = [
        {"id": 9007199254740993, "code": "UO-1", "payMoney": 10, "lineno": 10, "skuCode": "A", "oriSum": 4},
        {"id": 9007199254740993, "code": "UO-1", "payMoney": 10, "lineno": 20, "skuCode": "B", "oriSum": 6, "memo": "second"},
    ]
    record = p.group_rows(rows)
    assert record["id"] == 9007199254740993 and record["payMoney"] == 10
    assert record["orderDetails"] == [
        {"lineno": 10, "skuCode": "A", "oriSum": 4},
        {"lineno": 20, "skuCode": "B", "oriSum": 6, "memo": "second"},  # a header value only this row had
    ]
