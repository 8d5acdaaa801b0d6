"""The shared protocol layer: error tables, the verdict a stream acts on, one Connection, renamed config keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
import requests

from orderlayer.taps.common.envelope import Action, CodeAnswer, ErrorTable, Verdict, fatal, rule
from orderlayer.taps.common.errors import SourceAPIError, SourceRetriableError, TokenRefreshedError
from orderlayer.taps.common.stream import ResilientStream
from orderlayer.taps.common.tap import rename_deprecated_keys

# --------------------------------------------------------------------------- tables
TABLE = ErrorTable(
    ok_codes=frozenset({0}),
    rules=(
        rule(Action.RETRY, 7),
        rule(Action.RETRY, sub_code_prefix="isp."),
        rule(Action.REFRESH_TOKEN, 40, sub_codes={"token-expired"}),
        fatal(40, says=("clock", "timestamp"), hint="synchronise the clock"),
        fatal(40, hint="check app_key"),
        fatal(50, when="switch", hint="set {switch} to false for {method}"),
        fatal(50, hint="no permission for {method}"),
    ),
    fallback_hint="see code {method}",
)


@pytest.mark.parametrize(
    ("code", "kwargs", "verdict"),
    [
        (0, {}, Verdict(Action.OK)),
        (7, {}, Verdict(Action.RETRY, "see code m")),
        (99, {"sub_code": "isp.busy"}, Verdict(Action.RETRY, "see code m")),
        (99, {"sub_code": "isv.bad"}, Verdict(Action.FATAL, "see code m")),
        (40, {"sub_code": "token-expired"}, Verdict(Action.REFRESH_TOKEN, "see code m")),
        (40, {"sub_code": "other", "text": "Timestamp too old"}, Verdict(Action.FATAL, "synchronise the clock")),
        (40, {"sub_code": "other"}, Verdict(Action.FATAL, "check app_key")),
        (50, {"switch": "sync_refunds"}, Verdict(Action.FATAL, "set sync_refunds to false for m")),
        (50, {"switch": ""}, Verdict(Action.FATAL, "no permission for m")),
    ],
)
def test_the_first_matching_rule_decides(code: int, kwargs: dict, verdict: Verdict) -> None:
    assert TABLE.judge(code, method="m", **kwargs) == verdict


def test_configured_codes_go_first_and_an_empty_list_changes_nothing() -> None:
    assert TABLE.first(Action.RETRY, [40]).classify(40, sub_code="token-expired", method="m") is Action.RETRY
    assert TABLE.first(Action.RETRY, []) is TABLE
    assert TABLE.first(Action.RETRY, []).classify(40, method="m") is Action.FATAL  # not "every code retried"


# --------------------------------------------------------------------------- act_on
@dataclass(frozen=True)
class _Answer:
    code: int
    sub_code: str = ""
    request_id: str = ""

    def describe(self, method: str) -> str:
        return f"{method} answered code {self.code}"


class _Orders(ResilientStream):
    name = "orders"
    path = "order.list"
    url_base = "http://127.0.0.1"
    renewed: list[tuple[str | None, str]]

    def token_sent(self, response: requests.Response) -> str | None:  # noqa: ARG002, PLR6301
        return "tok-1"

    def renew_rejected_token(self, rejected: str | None, answer: _Answer, method: str) -> None:  # type: ignore[override]
        self.renewed.append((rejected, method))


def _stream() -> _Orders:
    stream = object.__new__(_Orders)  # act_on reads only the call's name and the class's hooks
    stream.renewed = []
    return stream


def _response(headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = 200, b"{}"  # noqa: SLF001
    response.headers.update(headers or {})
    return response


def test_act_on_ok_returns() -> None:
    assert _stream().act_on(_response(), _Answer(0), Verdict(Action.OK)) is None


def test_act_on_retry_carries_the_servers_hint_or_the_platforms() -> None:
    with pytest.raises(SourceRetriableError) as info:
        _stream().act_on(_response({"Retry-After": "4"}), _Answer(7), Verdict(Action.RETRY))
    assert (str(info.value), info.value.retry_after, info.value.code) == ("order.list answered code 7", 4.0, 7)
    with pytest.raises(SourceRetriableError) as info:
        _stream().act_on(_response({"Retry-After": "4"}), _Answer(7), Verdict(Action.RETRY), retry_after=30.0)
    assert info.value.retry_after == 30.0


def test_act_on_refresh_renews_the_token_the_request_carried_and_retries_at_once() -> None:
    stream = _stream()
    with pytest.raises(TokenRefreshedError, match="^order.list answered code 40; access token refreshed, retrying$"):
        stream.act_on(_response(), _Answer(40), Verdict(Action.REFRESH_TOKEN))
    assert stream.renewed == [("tok-1", "order.list")]


def test_act_on_fatal_names_the_fix_and_keeps_the_answers_ids() -> None:
    with pytest.raises(SourceAPIError) as info:
        _stream().act_on(_response(), _Answer(25, "isv.sign", "r-9"), Verdict(Action.FATAL, "check app_secret"))
    assert str(info.value) == "order.list answered code 25. check app_secret"
    assert (info.value.code, info.value.sub_code, info.value.request_id) == (25, "isv.sign", "r-9")
    assert not isinstance(info.value, SourceRetriableError)


def test_a_code_answer_describes_itself_with_its_label() -> None:
    assert CodeAnswer(20001, "busy", "errno").describe("order.get") == "order.get answered errno 20001 (busy)"


# --------------------------------------------------------------------------- renamed config keys
RENAMED = {"server_url": "base_url", "retriable_errnos": "retriable_error_codes"}


def test_an_old_key_is_accepted_under_its_new_name_with_one_warning_and_no_value(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tap-test-renames")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        config = rename_deprecated_keys({"server_url": "https://secret-host/k3cloud/", "x": 1}, RENAMED, logger)
    assert config == {"base_url": "https://secret-host/k3cloud/", "x": 1}
    assert [r.getMessage() for r in caplog.records] == [
        "config key 'server_url' is deprecated: rename it to 'base_url' (the old name is still accepted)"
    ]


def test_with_both_names_the_new_key_wins(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tap-test-renames")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        config = rename_deprecated_keys({"retriable_errnos": [1], "retriable_error_codes": [2]}, RENAMED, logger)
    assert config == {"retriable_error_codes": [2]}
    assert "'retriable_errnos' is deprecated and ignored" in caplog.records[0].getMessage()


def test_a_config_with_the_new_names_is_left_as_it_is(caplog: pytest.LogCaptureFixture) -> None:
    original = {"base_url": "u"}
    with caplog.at_level(logging.WARNING):
        assert rename_deprecated_keys(original, RENAMED, logging.getLogger("tap-test-renames")) == original
    assert not caplog.records
