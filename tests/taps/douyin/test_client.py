"""Unit tests of the Douyin client: error classification and the windowed paginator."""

from __future__ import annotations

import json

import pytest
import requests
from tests.taps.douyin.kit import APP_KEY, APP_SECRET, PII_SALT, SHOP

from orderlayer.taps.common.envelope import Action
from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.windows import Window
from orderlayer.taps.douyin.client import (
    DouyinAPIError,
    DouyinRetriableError,
    Envelope,
    WindowedPagePaginator,
    WindowPage,
    judge,
)
from orderlayer.taps.douyin.streams import OrdersStream
from orderlayer.taps.douyin.tap import TapDouyin


def fake_response(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status == 200 else "Error"
    response._content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()  # noqa: SLF001
    response.headers.update(headers or {})
    response.request = requests.Request("POST", "https://gw.example/order/searchList?access_token=at.1").prepare()
    response.url = response.request.url or ""
    return response


@pytest.fixture(scope="module")
def stream() -> OrdersStream:
    config = {
        "base_url": "https://gw.example",
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "shop_id": SHOP,
        "access_token": "at.1",
        "start_date": "2024-11-01T00:00:00+08:00",
        "pii_salt": PII_SALT,
    }
    return TapDouyin(config=config, parse_env_config=False).streams["orders"]  # type: ignore[return-value]


def envelope(code: int, sub_code: str = "", data: object = None) -> dict:
    return {"code": code, "msg": "m", "sub_code": sub_code, "sub_msg": "detail", "log_id": "L1", "data": data or {}}


@pytest.mark.parametrize(
    ("code", "sub_code", "action"),
    [
        (10000, "", Action.OK),
        (60000, "", Action.RETRY),
        (20000, "dop.service-error", Action.RETRY),
        (20001, "", Action.RETRY),
        (40003, "isv.access-token-expired", Action.REFRESH_TOKEN),
        (40003, "isv.access-token-no-existed", Action.REFRESH_TOKEN),
        (40003, "isv.signature-invalid", Action.FATAL),
        (40003, "isv.access-token-invalid", Action.FATAL),
        (30001, "dop.authorization-no-existed", Action.FATAL),
        (70000, "isp.api-service-off", Action.FATAL),
    ],
)
def test_judge(code: int, sub_code: str, action: Action) -> None:
    assert judge(Envelope.from_payload(envelope(code, sub_code))).action is action


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (envelope(40003, "isv.signature-invalid"), "check app_secret"),
        (envelope(40003, "isv.timestamp-invalid"), "clock"),
        (envelope(30002), "IP whitelist"),
        (envelope(30001, "dop.authorization-no-existed"), "re-authorize the shop"),
        (envelope(40004, "isv.parameter-format-invalid"), "page_size"),
        (envelope(70000, "isp.api-service-off"), "offline"),
    ],
)
def test_fatal_answers_name_cause_and_fix(stream: OrdersStream, payload: dict, fragment: str) -> None:
    with pytest.raises(DouyinAPIError) as info:
        stream.validate_response(fake_response(payload))
    message = str(info.value)
    assert fragment in message and str(payload["code"]) in message and "L1" in message
    assert "at.1" not in message


def test_retriable_answers_carry_the_server_hint(stream: OrdersStream) -> None:
    with pytest.raises(DouyinRetriableError) as info:
        stream.validate_response(fake_response(envelope(60000), headers={"Retry-After": "2"}))
    assert info.value.retry_after == 2.0 and info.value.code == 60000
    with pytest.raises(DouyinRetriableError):
        stream.validate_response(fake_response(b"<html>bad gateway</html>", status=502))
    with pytest.raises(DouyinRetriableError) as info:
        stream.validate_response(fake_response(b"", status=429, headers={"Retry-After": "1"}))
    assert info.value.retry_after == 1.0
    with pytest.raises(DouyinAPIError, match="check base_url"):
        stream.validate_response(fake_response(b"<html>not found</html>", status=404))


def test_success_needs_a_usable_total(stream: OrdersStream) -> None:
    stream.validate_response(fake_response(envelope(10000, data={"page": "0", "total": "250", "shop_order_list": []})))
    with pytest.raises(DouyinRetriableError, match="no integer 'total'"):
        stream.validate_response(fake_response(envelope(10000, data={"page": 0, "shop_order_list": [{"order_id": "1"}]})))
    with pytest.raises(DouyinRetriableError, match="not a list"):
        stream.validate_response(fake_response(envelope(10000, data={"total": 1, "shop_order_list": {"x": 1}})))


def rows(*times: int) -> list[dict]:
    return [{"order_id": str(i), "update_time": t} for i, t in enumerate(times)]


def test_paginator_pages_windows_and_accepts_string_totals() -> None:
    paginator = WindowedPagePaginator([Window(0, 100), Window(100, 200), Window(200, 300)], 2, replication_value=lambda r: int(r["update_time"]))
    seen = []
    script = {(0, 0): ("3", rows(1, 2)), (0, 1): ("3", rows(5)), (100, 0): (0, []), (200, 0): ("2", rows(250, 260))}
    while not paginator.finished:
        token = paginator.current_value
        assert isinstance(token, WindowPage)
        seen.append((token.window_start, token.page))
        total, page_rows = script[(token.window_start, token.page)]
        assert paginator.accept_page(int(total), page_rows)
        paginator.advance(fake_response({}))
    assert seen == [(0, 0), (0, 1), (100, 0), (200, 0)]  # (page+1)*size >= total ends a window
    assert paginator.windows_completed == 3


def test_paginator_rescans_from_last_emitted_time_after_drift() -> None:
    paginator = WindowedPagePaginator([Window(0, 100)], 2, replication_value=lambda r: int(r["update_time"]))
    assert paginator.accept_page(5, rows(10, 20))
    paginator.advance(fake_response({}))
    assert paginator.current_value == WindowPage(0, 100, 1)
    assert not paginator.accept_page(4, rows(40, 50))  # an order left the window: drop this page
    paginator.advance(fake_response({}))
    assert paginator.current_value == WindowPage(20, 100, 0, scan=1)
    assert paginator.rescans == 1


def test_paginator_gives_up_when_a_window_never_settles() -> None:
    paginator = WindowedPagePaginator([Window(0, 100)], 2, replication_value=lambda r: int(r["update_time"]), max_stalled_rescans=2)
    with pytest.raises(SourceAPIError, match="kept changing while paging"):
        for total in range(50, 0, -1):
            paginator.accept_page(total, [])  # page 0 sets the baseline, page 1 drifts
            paginator.advance(fake_response({}))
            if paginator.current_value.page == 1:
                assert not paginator.accept_page(total - 1, [])
                paginator.advance(fake_response({}))


def test_paginator_without_windows_is_finished() -> None:
    assert WindowedPagePaginator([], 100, replication_value=lambda r: int(r["update_time"])).finished
