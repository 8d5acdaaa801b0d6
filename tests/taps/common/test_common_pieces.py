"""Unit tests for orderlayer.taps.common (windows, budgets, retries, redaction, PII)."""

from __future__ import annotations

import email.utils
import logging
import random
import threading
from decimal import Decimal

import pytest
import requests

from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError
from orderlayer.taps.common.pii import PiiPolicy, apply_pii_policy, salted_hash
from orderlayer.taps.common.ratelimit import (
    RetryHintTooLongError,
    RetryPolicy,
    TokenBucket,
    backoff_wait_generator,
    parse_retry_after,
)
from orderlayer.taps.common.redact import SecretFilter, redact
from orderlayer.sandboxes.kit.server import InFlight
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.timeutil import parse_aware_datetime, to_epoch_seconds
from orderlayer.taps.common.windows import count_windows, sliding_windows


# --------------------------------------------------------------------------- windows
@pytest.mark.parametrize(("start", "end", "size"), [(0, 100, 30), (5, 65, 60), (0, 1, 10), (10, 10_000_000, 21_600)])
def test_windows_cover_range_without_gaps_and_never_exceed_size(start: int, end: int, size: int) -> None:
    windows = list(sliding_windows(start, end, size))
    assert windows[0].start == start
    assert windows[-1].end == end
    for prev, nxt in zip(windows, windows[1:], strict=False):
        assert nxt.start == prev.end  # shared boundary second: no gap
    assert all(0 < w.seconds <= size for w in windows)
    assert len(windows) == count_windows(start, end, size)


def test_windows_empty_when_nothing_to_do() -> None:
    assert list(sliding_windows(50, 50, 10)) == []
    assert list(sliding_windows(60, 50, 10)) == []
    with pytest.raises(ValueError, match="positive"):
        list(sliding_windows(0, 10, 0))


def test_parse_aware_datetime_requires_offset() -> None:
    assert to_epoch_seconds(parse_aware_datetime("2024-12-01T08:00:00+08:00", key="start_date")) == 1733011200
    assert to_epoch_seconds(parse_aware_datetime("2024-12-01T00:00:00Z", key="start_date")) == 1733011200
    with pytest.raises(ValueError, match="start_date.*offset"):
        parse_aware_datetime("2024-12-01T00:00:00", key="start_date")
    with pytest.raises(ValueError, match="end_date"):
        parse_aware_datetime("yesterday", key="end_date")


# --------------------------------------------------------------------------- token bucket
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_paces_to_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    for _ in range(5):  # the initial burst of one second's budget
        assert bucket.acquire() == 0.0
    waited = sum(bucket.acquire() for _ in range(10))
    assert waited == pytest.approx(2.0)  # 10 more tokens at 5/s
    assert clock.now - 1000.0 == pytest.approx(2.0)


def test_token_bucket_try_acquire_refills() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, capacity=2, clock=clock, sleep=clock.sleep)
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire()
    clock.now += 0.5
    assert bucket.try_acquire()
    assert not bucket.try_acquire()
    with pytest.raises(ValueError):
        TokenBucket(0)


# --------------------------------------------------------------------------- retry policy
def test_retry_policy_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base_seconds=1.0, max_wait_seconds=10.0, jitter=0.25, rng=random.Random(1))
    delays = [policy.delay(n) for n in range(6)]
    for n, delay in enumerate(delays[:3]):
        assert 0.75 * 2**n <= delay <= 1.25 * 2**n
    assert all(d <= 10.0 for d in delays)
    assert delays[5] >= 7.5  # 32 s capped at 10 s, minus at most 25 % jitter


def test_retry_policy_honours_hint_and_rejects_long_hint() -> None:
    policy = RetryPolicy(max_wait_seconds=30.0)
    assert policy.delay(0, hint_seconds=7.0) == 7.0  # as given, never shortened
    with pytest.raises(RetryHintTooLongError, match="3600 s, more than the 30 s cap"):
        policy.delay(0, hint_seconds=3600.0)


def test_backoff_wait_generator_protocol() -> None:
    class Throttled(Exception):
        retry_after = 2.5

    class Refreshed(Exception):
        pass

    policy = RetryPolicy(base_seconds=1.0, jitter=0.0)
    gen = backoff_wait_generator(policy, hint=lambda e: getattr(e, "retry_after", None), immediate=lambda e: isinstance(e, Refreshed))
    assert gen.send(None) is None  # priming, as backoff does
    assert gen.send(ValueError()) == 1.0
    assert gen.send(Throttled()) == 2.5
    assert gen.send(Refreshed()) == 0.0
    assert gen.send(ValueError()) == 4.0  # third backoff-counted retry


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    when = email.utils.formatdate(1_000_060, usegmt=True)
    assert parse_retry_after({"Retry-After": when}, now=lambda: 1_000_000) == pytest.approx(60.0)


# --------------------------------------------------------------------------- redaction
def test_redact_query_json_and_literals() -> None:
    text = (
        "Max retries exceeded with url: /order/searchList?app_key=1&method=order.searchList"
        "&access_token=at.SECRETTOKEN&sign=abcdef0123&timestamp=1 "
        '{"refresh_token": "rt.XYZ", "grant_type": "refresh_token"} my-app-secret'
    )
    out = redact(text, ["my-app-secret"])
    assert "SECRETTOKEN" not in out and "abcdef0123" not in out and "rt.XYZ" not in out and "my-app-secret" not in out
    assert "access_token=***" in out and "sign=***" in out and "sign_method" not in out
    assert "app_key=1" in out and '"grant_type": "refresh_token"' in out


def test_secret_filter_rewrites_records(caplog: pytest.LogCaptureFixture) -> None:
    flt = SecretFilter(["hunter2-secret"])
    logger = logging.getLogger("test.redact")
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            logger.info("GET %s with %s", "/x?access_token=tok123&v=2", "hunter2-secret")
    finally:
        logger.removeFilter(flt)
    assert "tok123" not in caplog.text and "hunter2-secret" not in caplog.text
    assert "access_token=***" in caplog.text


# --------------------------------------------------------------------------- PII
def test_pii_policy_nulls_nested_and_hashes() -> None:
    policy = PiiPolicy(
        drop_keys=frozenset({"post_tel", "user_id_info"}),
        within={"post_addr": PiiPolicy(drop_keys=frozenset({"detail"}))},
        hash_keys=frozenset({"buyer_id"}),
    )
    record = {
        "post_tel": "13812345678",
        "mask_post_tel": "138****5678",
        "buyer_id": "b-1",
        "post_addr": {"detail": "人民路1号", "encrypt_detail": "##x##", "city": {"name": "厦门市"}},
        "items": [{"post_tel": "13900000000", "user_id_info": {"id_card_no": "1"}, "post_addr": {"detail": "d"}}],
    }
    apply_pii_policy(record, policy, "salt")
    assert record["post_tel"] is None and record["mask_post_tel"] == "138****5678"
    assert record["post_addr"] == {"detail": None, "encrypt_detail": "##x##", "city": {"name": "厦门市"}}
    assert record["items"][0] == {"post_tel": None, "user_id_info": None, "post_addr": {"detail": None}}
    assert record["buyer_id"] == salted_hash("b-1", "salt")
    assert record["buyer_id"].startswith("sha256:") and len(record["buyer_id"]) == 7 + 64
    assert "post_receiver" not in record  # absent fields are not invented
    with pytest.raises(ValueError, match="salt"):
        apply_pii_policy({}, policy, "")


def test_in_flight_settle_waits_for_an_answer_still_being_written() -> None:
    in_flight = InFlight()
    finished: list[str] = []
    entered = threading.Event()

    def stalled_answer() -> None:
        with in_flight.track():
            entered.set()
            threading.Event().wait(0.3)
            finished.append("logged")

    worker = threading.Thread(target=stalled_answer)
    worker.start()
    entered.wait(5)
    with pytest.raises(TimeoutError, match="still answering 1 request"):
        in_flight.settle(timeout=0.01)
    in_flight.settle(timeout=10)
    assert finished == ["logged"]
    worker.join()



# --------------------------------------------------------------------------- HTTP answers (ResilientStream.http_answer)
class _OrderList(ResilientStream):
    name = "orders"
    path = "order.list"
    url_base = "http://127.0.0.1"


def _answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.reason = status, body, "Reason"
    response.headers.update(headers or {})
    return response


def _http_answer(response: requests.Response) -> object:
    # http_answer reads only the call's name and the class's hooks: no tap or config is needed
    return ResilientStream.http_answer(object.__new__(_OrderList), response)


def test_http_answer_parses_numbers_exactly_once() -> None:
    response = _answer(200, b'{"id": 9007199254740993, "paid": 0.10}')
    assert _http_answer(response) == {"id": 9007199254740993, "paid": Decimal("0.10")}
    assert _http_answer(response) is _http_answer(response)  # parsed once per response


@pytest.mark.parametrize(("status", "hint"), [(429, 7.0), (503, None)])
def test_http_answer_retries_throttling_and_outages_with_the_servers_hint(status: int, hint: float | None) -> None:
    headers = {"Retry-After": "7"} if hint else {}
    with pytest.raises(SourceRetriableError) as info:
        _http_answer(_answer(status, b"<html>busy</html>", headers))
    assert info.value.retry_after == hint and info.value.code == status
    assert str(info.value).startswith(f"order.list: HTTP {status}")


def test_http_answer_a_4xx_page_that_is_not_json_is_fatal_and_names_the_fix() -> None:
    with pytest.raises(SourceAPIError, match="HTTP 404 Reason with a non-JSON body; check base_url") as info:
        _http_answer(_answer(404, b"<html>not found</html>"))
    assert not isinstance(info.value, SourceRetriableError)


def test_http_answer_a_page_cut_short_is_retried() -> None:
    with pytest.raises(SourceRetriableError, match="HTTP 200 with a body that is not complete JSON"):
        _http_answer(_answer(200, b'{"orders": [{"id": 1}, {"id"'))
