"""Unit tests of the Youzan client: answer handling in validate_response, page checks, window plan, masks."""

from __future__ import annotations

import json

import pytest
import requests
from tests.taps.youzan.kit import CLIENT_ID, CLIENT_SECRET, PII_SALT, SHOP

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.windows import Window
from orderlayer.taps.youzan.client import WindowPlan, YouzanWindowPaginator
from orderlayer.taps.youzan.streams import OrdersStream
from orderlayer.taps.youzan.tap import TapYouzan


def fake_response(payload: object, status: int = 200, headers: dict[str, str] | None = None, params: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Error"
    response._content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()  # noqa: SLF001
    response.headers.update(headers or {})
    body = json.dumps(params or {"page_no": 1, "page_size": 10})
    response.request = requests.Request("POST", "https://gw.example/api/youzan.trades.sold.get/4.0.4?access_token=tok-1", data=body).prepare()
    return response


@pytest.fixture(scope="module")
def stream() -> OrdersStream:
    config = {"base_url": "https://gw.example", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "kdt_id": SHOP,
              "access_token": "tok-1", "start_date": "2024-11-01T00:00:00+08:00", "pii_salt": PII_SALT}
    return TapYouzan(config=config, parse_env_config=False).streams["orders"]  # type: ignore[return-value]


def page(total: object, rows: int) -> dict:
    return {"code": 200, "success": True, "trace_id": "T1",
            "data": {"total_results": total, "full_order_info_list": [{"full_order_info": {"order_info": {"tid": f"E{i}"}}} for i in range(rows)]}}


def test_success_pages_are_checked_before_use(stream: OrdersStream) -> None:
    stream.validate_response(fake_response(page(25, 10)))
    stream.validate_response(fake_response(page("25", 5), params={"page_no": 3, "page_size": 10}))  # last page, 5 rows
    with pytest.raises(SourceRetriableError, match="cut short: 9 of 10"):
        stream.validate_response(fake_response(page(25, 9)))
    with pytest.raises(SourceRetriableError, match="cut short: 4 of 5"):
        stream.validate_response(fake_response(page(25, 4), params={"page_no": 3, "page_size": 10}))
    with pytest.raises(SourceRetriableError, match="a page of 11 rows"):
        stream.validate_response(fake_response(page(25, 11)))
    with pytest.raises(SourceRetriableError, match="not an integer"):
        stream.validate_response(fake_response(page(12.5, 10)))
    broken = page(1, 1)
    broken["data"]["full_order_info_list"] = [{"order_info": {}}]
    with pytest.raises(SourceRetriableError, match="no full_order_info"):
        stream.validate_response(fake_response(broken))
    with pytest.raises(SourceRetriableError, match="not a youzanyun answer"):
        stream.validate_response(fake_response(b'{"code":200,"success":true,"data":{"total_res'))


def test_retriable_answers_carry_the_server_hint(stream: OrdersStream) -> None:
    with pytest.raises(SourceRetriableError) as info:
        stream.validate_response(fake_response({"gw_err_resp": {"err_code": 4101, "err_msg": "访问频繁"}}, headers={"Retry-After": "2"}))
    assert info.value.retry_after == 2.0 and info.value.code == 4101
    with pytest.raises(SourceRetriableError) as info:
        stream.validate_response(fake_response(b"", status=429, headers={"Retry-After": "1"}))
    assert info.value.retry_after == 1.0
    with pytest.raises(SourceRetriableError):
        stream.validate_response(fake_response(b"<html>bad gateway</html>", status=502))
    with pytest.raises(SourceAPIError, match="check base_url"):
        stream.validate_response(fake_response(b"<html>not found</html>", status=404))


def test_fatal_answers_name_cause_and_fix_without_the_token(stream: OrdersStream) -> None:
    with pytest.raises(SourceAPIError) as info:
        stream.validate_response(fake_response({"gw_err_resp": {"err_code": 4201, "err_msg": "非法的请求凭证", "trace_id": "yz7-9"}}))
    message = str(info.value)
    assert "4201" in message and "re-authorize" in message and "yz7-9" in message and "tok-1" not in message
    assert info.value.request_id == "yz7-9"
    with pytest.raises(SourceAPIError, match="'page_size'"):
        stream.validate_response(fake_response({"code": 5000, "success": False, "message": "每页最多显示100条数据"}))


def test_window_plan_splits_ahead_of_the_rest() -> None:
    plan = WindowPlan([Window(0, 100), Window(100, 200)])
    first = next(plan)
    plan.split_ahead(first)
    assert [next(plan), next(plan), next(plan)] == [Window(0, 50), Window(50, 100), Window(100, 200)]
    assert plan.splits == 1 and len(plan) == 0
    with pytest.raises(ValueError, match="one-second"):
        plan.split_ahead(Window(7, 8))


def test_paginator_abandons_a_window_for_its_halves() -> None:
    plan = WindowPlan([Window(0, 100), Window(100, 200)])
    paginator = YouzanWindowPaginator(plan, 10)
    assert paginator.current_value.page == 1 and paginator.current_value.window_start == 0
    plan.split_ahead(Window(0, 100))
    paginator.abandon_window()
    paginator.advance(requests.Response())
    assert (paginator.current_value.window_start, paginator.current_value.window_end, paginator.current_value.page) == (0, 50, 1)
    assert paginator.accept_page(15, [{}] * 10)
    paginator.advance(requests.Response())
    assert paginator.current_value.page == 2
    assert not paginator.accept_page(14, [{}] * 4)  # total changed while paging: dropped, window read again
    paginator.advance(requests.Response())
    assert (paginator.current_value.window_start, paginator.current_value.page, paginator.current_value.scan) == (0, 1, 1)
