"""TikTok Shop client pieces without a server: envelope classification, error messages, the window paginator."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.windows import Window
from orderlayer.taps.tiktok_shop import protocol as p
from orderlayer.taps.common.paging import WindowCursor, WindowedCursorPaginator
from orderlayer.taps.tiktok_shop.client import Action, Envelope, classify
from orderlayer.taps.tiktok_shop.streams import OrdersStream
from orderlayer.taps.tiktok_shop.tap import TapTikTokShop

CONFIG = {
    "base_url": "http://127.0.0.1:9",
    "app_key": "k",
    "app_secret": "client-test-secret",
    "shop_id": "7494105515082810525",
    "shop_cipher": "ROW_abc",
    "access_token": "TTP_client_test_token",
    "start_date": "2024-11-01T00:00:00+00:00",
    "pii_salt": "salt",
}


@pytest.fixture
def stream() -> OrdersStream:
    tap = TapTikTokShop(config=CONFIG, parse_env_config=False)
    return tap.streams["orders"]  # type: ignore[return-value]


def response(payload: dict | bytes, status: int = 200, headers: dict | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.reason = "reason"
    resp._content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()  # noqa: SLF001
    resp.headers.update(headers or {})
    resp.request = requests.Request("POST", "http://127.0.0.1:9/x", headers={p.ACCESS_TOKEN_HEADER: "TTP_client_test_token"}).prepare()
    return resp


def envelope(code: int, message: str = "", data: object = None) -> dict:
    return {"code": code, "message": message, "request_id": "20241201000000ABC", "data": data}


@pytest.mark.parametrize(
    ("code", "http", "action"),
    [
        (0, 200, Action.OK),
        (p.CODE_TOO_MANY_REQUESTS, 429, Action.RETRY),
        (p.CODE_TOO_MANY_REQUESTS, 200, Action.RETRY),
        (p.CODE_REQUEST_TIMEOUT, 200, Action.RETRY),
        (0, 503, Action.RETRY),
        (p.CODE_TOKEN_EXPIRED, 401, Action.REFRESH_TOKEN),
        (p.CODE_SIGN_INVALID, 401, Action.FATAL),
        (p.CODE_INVALID_PARAMETER, 401, Action.FATAL),
        (p.CODE_SCOPE_DENIED, 200, Action.FATAL),
        (p.CODE_SHOP_CIPHER_MISSING, 200, Action.FATAL),
        (12345678, 200, Action.FATAL),
    ],
)
def test_classify(code: int, http: int, action: Action) -> None:
    assert classify(Envelope(code, "", "", None), http) is action


@pytest.mark.parametrize(
    ("code", "message", "fragment"),
    [
        (p.CODE_SIGN_INVALID, "Invalid credentials. The `sign` query parameter is invalid.", "'app_secret'"),
        (p.CODE_INVALID_PARAMETER, "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier", "clock"),
        (p.CODE_INVALID_PARAMETER, "Invalid credentials. Invalid `app_key` query parameter.", "'app_key'"),
        (p.CODE_INVALID_PARAMETER, "Invalid credentials. The `x-tts-access-token` header is invalid.", "'access_token'"),
        (p.CODE_INVALID_PARAMETER, "Invalid parameter. The `page_size` query parameter must be between 1 and 100.", "'page_size'"),
        (p.CODE_SCOPE_DENIED, "Access denied.", "seller.order.info"),
        (p.CODE_TOKEN_SHOP_MISMATCH, "Invalid query or header.", "'shop_cipher'"),
        (p.CODE_SHOP_CIPHER_MISSING, "Missing identifier.", "'shop_cipher'"),
        (p.CODE_IP_NOT_ALLOWED, "Access denied.", "allow list"),
        (p.CODE_INVALID_PATH, "Invalid path.", "'base_url'"),
    ],
)
def test_fatal_answers_name_cause_and_fix(stream: OrdersStream, code: int, message: str, fragment: str) -> None:
    with pytest.raises(SourceAPIError) as info:
        stream.validate_response(response(envelope(code, message), 401 if code in (p.CODE_SIGN_INVALID,) else 200))
    text = str(info.value)
    assert fragment in text
    assert str(code) in text and "20241201000000ABC" in text  # the code and request_id to quote to support
    assert info.value.code == code
    assert "client-test-secret" not in text and "TTP_client_test_token" not in text


def test_throttled_answer_carries_the_retry_after_hint(stream: OrdersStream) -> None:
    with pytest.raises(SourceRetriableError) as info:
        stream.validate_response(response(envelope(p.CODE_TOO_MANY_REQUESTS, "Too many requests."), 429, {"Retry-After": "2"}))
    assert info.value.retry_after == 2.0
    assert info.value.code == p.CODE_TOO_MANY_REQUESTS


@pytest.mark.parametrize(
    ("payload", "status", "error"),
    [
        (b'{"code":0,"message":"Success","data":{"orders":[{"id":"5', 200, RetriableAPIError),  # truncated transfer
        (b"<html>503 Service Temporarily Unavailable</html>", 503, RetriableAPIError),
        (b"<html>not found</html>", 404, FatalAPIError),
        (envelope(0, "Success", None), 200, RetriableAPIError),  # success without data
        (envelope(0, "Success", {"orders": {"id": "1"}}), 200, RetriableAPIError),
        (envelope(0, "Success", {"orders": [], "next_page_token": 5}), 200, RetriableAPIError),
    ],
)
def test_unusable_bodies(stream: OrdersStream, payload: dict | bytes, status: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        stream.validate_response(response(payload, status))


def test_expired_token_without_refresh_token_names_the_config_key(stream: OrdersStream) -> None:
    with pytest.raises(SourceAPIError, match="'refresh_token'"):
        stream.validate_response(response(envelope(p.CODE_TOKEN_EXPIRED, "Expired credentials."), 401))


def test_big_ids_and_amounts_parse_exactly() -> None:
    raw = b'{"code":0,"data":{"total_count":12345678901234567890,"x":0.1000000000000000055}}'
    parsed = Envelope.parse(raw)
    assert parsed.data["total_count"] == 12345678901234567890
    assert str(parsed.data["x"]) == "0.1000000000000000055"  # Decimal, never a float


# --------------------------------------------------------------------------- paginator
def ut(value: int) -> dict:
    return {"update_time": value}


def walk(paginator: WindowedCursorPaginator, pages: list[tuple[int | None, str, list[dict]]]) -> list[WindowCursor | None]:
    """Feed pages; return the cursor each page was requested with, and the final state."""
    seen: list[WindowCursor | None] = []
    for total, token, records in pages:
        seen.append(paginator.current_value)
        paginator.accept_page(total, token, records)
        paginator.advance(None)  # type: ignore[arg-type]
        if paginator.finished:
            break
    return seen


def make(windows: list[Window], **kwargs: object) -> WindowedCursorPaginator:
    return WindowedCursorPaginator(windows, replication_value=lambda r: int(r["update_time"]), logger=logging.getLogger("t"), **kwargs)  # type: ignore[arg-type]


def test_paginator_follows_cursors_through_windows() -> None:
    paginator = make([Window(0, 100), Window(100, 200)])
    seen = walk(paginator, [(3, "t1", [ut(1), ut(2)]), (3, "", [ut(3)]), (0, "", []), ])
    assert seen == [WindowCursor(0, 100), WindowCursor(0, 100, "t1", 1), WindowCursor(100, 200)]
    assert paginator.finished and paginator.windows_completed == 2 and paginator.pages_accepted == 3


def test_paginator_rescans_from_last_emitted_time_after_drift() -> None:
    paginator = make([Window(0, 100)])
    assert paginator.accept_page(5, "t1", [ut(10), ut(20)])
    paginator.advance(None)  # type: ignore[arg-type]
    assert not paginator.accept_page(4, "t2", [ut(40)])  # an order left the window: page dropped
    paginator.advance(None)  # type: ignore[arg-type]
    assert paginator.current_value == WindowCursor(20, 100, "", 0, 1)
    assert paginator.rescans == 1


def test_paginator_without_total_detects_nothing() -> None:
    paginator = make([Window(0, 100)])
    walk(paginator, [(None, "t1", [ut(1)]), (None, "", [ut(2)])])
    assert paginator.finished and paginator.rescans == 0


def test_paginator_drift_detection_can_be_switched_off() -> None:
    paginator = make([Window(0, 100)], detect_drift=False)
    walk(paginator, [(5, "t1", [ut(1)]), (4, "", [ut(2)])])
    assert paginator.finished and paginator.rescans == 0 and paginator.pages_accepted == 2


def test_paginator_gives_up_when_a_window_never_settles() -> None:
    paginator = make([Window(0, 100)], max_stalled_rescans=2)
    with pytest.raises(SourceAPIError, match="window_seconds"):
        for total in range(100):
            paginator.accept_page(50 - (total % 2), "t", [])
            paginator.advance(None)  # type: ignore[arg-type]


def test_paginator_refuses_a_cursor_that_does_not_move() -> None:
    paginator = make([Window(0, 100)])
    paginator.accept_page(3, "same", [ut(1)])
    paginator.advance(None)  # type: ignore[arg-type]
    with pytest.raises(SourceAPIError, match="loop"):
        paginator.accept_page(3, "same", [ut(2)])


def test_paginator_without_windows_is_finished() -> None:
    assert make([]).finished
