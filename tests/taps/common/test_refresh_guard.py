"""The refresh guard every refreshing authenticator shares (taps/common/refresh.py), and the two platforms
whose rule for "rejected again" differs: TikTok Shop (no cooldown, a cap per run) and Pinduoduo (a refreshed
token rejected before the gateway ever accepted it). The sandbox tap tests cover the real refresh calls."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest
import requests

from orderlayer.taps.common.errors import SourceAPIError
from orderlayer.taps.common.redact import SecretFilter
from orderlayer.taps.common.refresh import NewTokens, RefreshingAuthenticator, TokenCalls
from orderlayer.taps.pinduoduo import protocol as pdd
from orderlayer.taps.pinduoduo.client import PddError, PinduoduoAuthenticator
from orderlayer.taps.tiktok_shop.client import Envelope, TikTokShopAuthenticator

LOGGER = logging.getLogger("test-refresh-guard")
T0 = 1_700_000_000.0


@dataclass(frozen=True)
class Answer:
    code: int

    def describe(self, method: str) -> str:
        return f"{method} answered code {self.code}"


class AnswerError(SourceAPIError):
    pass


class ExampleAuthenticator(RefreshingAuthenticator[Answer]):
    """The shared guard with a refresh that hands out at.2, at.3, ... (and rt.2, rt.3, ... unless told not to)."""

    platform = "Example"
    rejected_again_cause = ""

    def __init__(self, clock: list[float], *, refresh_token: str | None = "rt.1", rotate: bool = True) -> None:
        super().__init__(
            TokenCalls.in_memory(
                "at.1", refresh_token, platform=self.platform, session=requests.Session(), timeout=1.0, logger=LOGGER,
                clock=lambda: clock[0], secret_filter=SecretFilter(),
            )
        )
        self.rotate = rotate
        self.fetched: list[str | None] = []  # the refresh token each refresh call spent

    def fetch_tokens(self) -> NewTokens:
        self.fetched.append(self._refresh_token)
        n = len(self.fetched) + 1
        return NewTokens.from_answer(f"at.{n}", f"rt.{n}" if self.rotate else "", access_expires_at=self._clock() + 3600)

    def answer_error(self, answer: Answer, message: str) -> AnswerError:  # noqa: PLR6301
        return AnswerError(message, code=answer.code)


EXPIRED = Answer(27)


def test_first_rejection_refreshes_and_keeps_the_new_pair() -> None:
    auth = ExampleAuthenticator([T0])
    auth.handle_token_rejected("at.1", EXPIRED, "orders.get")
    assert (auth.access_token, auth._refresh_token, auth.refresh_count, auth.fetched) == ("at.2", "rt.2", 1, ["rt.1"])  # noqa: SLF001
    assert (auth._tokens.access_token, auth._tokens.refresh_token) == ("at.2", "rt.2")  # noqa: SLF001 - the keeper has it


def test_a_request_signed_with_an_older_token_only_retries() -> None:
    clock = [T0]
    auth = ExampleAuthenticator(clock)
    auth.handle_token_rejected("at.1", EXPIRED, "orders.get")
    auth.handle_token_rejected("at.1", EXPIRED, "orders.get")  # a second stream's request, sent before the refresh
    assert (auth.access_token, auth.refresh_count) == ("at.2", 1)


def test_without_refresh_token_the_error_names_the_config_key() -> None:
    auth = ExampleAuthenticator([T0], refresh_token=None)
    with pytest.raises(AnswerError) as info:
        auth.handle_token_rejected("at.1", EXPIRED, "orders.get")
    assert str(info.value) == (
        "orders.get answered code 27: the access token is expired or unknown and no refresh_token is configured. "
        "Set config key 'refresh_token' (or put a fresh 'access_token' in the config)."
    )
    assert info.value.code == 27 and auth.fetched == []


@pytest.mark.parametrize(("later", "refreshes"), [(59.9, False), (60.0, True)])
def test_the_new_token_rejected_within_60_s_is_fatal_later_it_refreshes_again(later: float, refreshes: bool) -> None:
    clock = [T0]
    auth = ExampleAuthenticator(clock)
    auth.handle_token_rejected("at.1", EXPIRED, "orders.get")
    clock[0] = T0 + later
    if refreshes:
        auth.handle_token_rejected("at.2", EXPIRED, "orders.get")
        assert (auth.access_token, auth.fetched) == ("at.3", ["rt.1", "rt.2"])
        return
    with pytest.raises(AnswerError) as info:
        auth.handle_token_rejected("at.2", EXPIRED, "orders.get")
    assert str(info.value) == (
        "orders.get answered code 27 right after a successful token refresh: re-authorize the shop for this app and "
        "update 'access_token' and 'refresh_token' in the config."
    )
    assert auth.fetched == ["rt.1"]


def test_the_platform_cause_is_named_and_an_answer_without_refresh_token_keeps_the_current_one() -> None:
    clock = [T0]
    auth = ExampleAuthenticator(clock, rotate=False)
    auth.rejected_again_cause = "the token does not belong to this app or shop"
    auth.handle_token_rejected("at.1", EXPIRED, "orders.get")
    assert (auth.access_token, auth._refresh_token) == ("at.2", "rt.1")  # noqa: SLF001
    with pytest.raises(AnswerError, match=r"refresh: the token does not belong to this app or shop; re-authorize the shop"):
        auth.handle_token_rejected("at.2", EXPIRED, "orders.get")


# --------------------------------------------------------------------------- platform rules
class Session:
    """Answers every call with the next canned JSON body (HTTP 200)."""

    def __init__(self, *bodies: dict) -> None:
        self.bodies = list(bodies)
        self.calls = 0

    def _answer(self, *_args: object, **_kwargs: object) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(self.bodies[self.calls]).encode()  # noqa: SLF001
        self.calls += 1
        return response

    get = post = _answer


def tiktok(session: Session, clock: list[float]) -> TikTokShopAuthenticator:
    calls = TokenCalls.in_memory(
        "TTP_1", "TTP_r1", platform="TikTok Shop", session=session, timeout=1.0, logger=LOGGER,  # type: ignore[arg-type]
        clock=lambda: clock[0],
    )
    return TikTokShopAuthenticator(calls, base_url="https://open-api.example", auth_base_url="https://auth.example", app_key="k", app_secret="s")


def tts_token(n: int) -> dict:
    return {"code": 0, "message": "success", "data": {"access_token": f"TTP_{n}", "refresh_token": f"TTP_r{n}"}}


TTS_EXPIRED = Envelope(105002, "Expired credentials", "req-1", None)


def test_tiktok_refreshes_again_within_60_s_but_at_most_three_times_a_run() -> None:
    clock = [T0]
    auth = tiktok(Session(tts_token(2), tts_token(3), tts_token(4)), clock)
    for n in (1, 2, 3):
        auth.handle_token_rejected(f"TTP_{n}", TTS_EXPIRED, "/order/202309/orders/search")
        clock[0] += 1
    assert (auth.access_token, auth.refresh_count) == ("TTP_4", 3)
    with pytest.raises(SourceAPIError) as info:
        auth.handle_token_rejected("TTP_4", TTS_EXPIRED, "/order/202309/orders/search")
    assert str(info.value).startswith("/order/202309/orders/search answered code 105002 (Expired credentials) [request_id req-1] even after a token refresh: re-authorize the shop")
    assert info.value.code == 105002 and info.value.request_id == "req-1"


def test_tiktok_never_refreshes_twice_for_one_token() -> None:
    clock = [T0]
    auth = tiktok(Session(tts_token(2), tts_token(1)), clock)  # the second refresh hands the first token back
    auth.handle_token_rejected("TTP_1", TTS_EXPIRED, "call")
    clock[0] += 3600
    auth.handle_token_rejected("TTP_2", TTS_EXPIRED, "call")
    assert auth.access_token == "TTP_1"
    with pytest.raises(SourceAPIError, match="even after a token refresh"):
        auth.handle_token_rejected("TTP_1", TTS_EXPIRED, "call")


def pinduoduo(session: Session, clock: list[float]) -> PinduoduoAuthenticator:
    calls = TokenCalls.in_memory(
        "pdd.1", "pdd.r1", platform="Pinduoduo", session=session, timeout=1.0, logger=LOGGER,  # type: ignore[arg-type]
        clock=lambda: clock[0],
    )
    return PinduoduoAuthenticator(calls, router_url="https://gw.example/api/router", client_id="c", client_secret="s", shop_id="1001")


def pdd_token(n: int) -> dict:
    return {pdd.TOKEN_REFRESH_RESPONSE: {"access_token": f"pdd.{n}", "refresh_token": f"pdd.r{n}", "owner_id": "1001", "expires_in": 86400}}


PDD_EXPIRED = PddError(10019, "access_token已过期", "", "", "req-9")


def test_pinduoduo_a_refreshed_token_rejected_before_any_success_means_the_authorisation_ended() -> None:
    clock = [T0]
    auth = pinduoduo(Session(pdd_token(2), pdd_token(3)), clock)
    auth.handle_token_rejected("pdd.1", PDD_EXPIRED, "pdd.order.number.list.increment.get")
    clock[0] += 3600  # no cooldown: an hour later it is still fatal while pdd.2 never worked
    with pytest.raises(SourceAPIError) as info:
        auth.handle_token_rejected("pdd.2", PDD_EXPIRED, "pdd.order.number.list.increment.get")
    assert "right after a successful token refresh: the shop's authorisation of the app has ended (refreshing does not extend it); re-authorize the shop" in str(info.value)
    assert (info.value.code, info.value.request_id) == (10019, "req-9")
    auth.confirm("pdd.2")  # once a call succeeded with it, its later expiry is refreshed as usual
    auth.handle_token_rejected("pdd.2", PDD_EXPIRED, "pdd.order.number.list.increment.get")
    assert (auth.access_token, auth.refresh_count) == ("pdd.3", 2)
